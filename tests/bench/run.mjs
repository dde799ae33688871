// The engine benchmark in CPython and in Pyodide under Node, printed as one table.
//
//   node tests/bench/run.mjs        (npm run bench)
//
// Needs what tests/run_all.sh sets up: .venv, node_modules/pyodide, build/wheels.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const python = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
const script = path.join(repo, "tests/bench/bench_engine.py");

const rows = JSON.parse(execFileSync(python, [script, "--json"], { cwd: repo, encoding: "utf8" }));

const pyodideDir = path.join(repo, "node_modules", "pyodide");
const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, packages: [] });
const wheel = fs.readdirSync(path.join(repo, "build/wheels")).find((f) => f.startsWith("msepy-"));
const site = pyodide.runPython("import site; site.getsitepackages()[0]");
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(path.join(repo, "build/wheels", wheel))), "wheel", { extractDir: site });
pyodide.mountNodeFS("/repo", repo);
let out = "";
pyodide.setStdout({ batched: (s) => { out += s; } });
await pyodide.runPythonAsync(`
import importlib, os, sys, runpy
importlib.invalidate_caches()
os.environ["MSEPY_USE_INSTALLED"] = "1"
os.chdir("/repo")
sys.argv = ["bench_engine.py", "--json"]
runpy.run_path("/repo/tests/bench/bench_engine.py", run_name="__main__")
`);
rows.push(...JSON.parse(out.trim().split("\n").pop()));

const head = `${"runtime".padEnd(16)} ${"fixture".padEnd(20)} ${"appends/s".padStart(10)} ${"ms/append".padStart(10)} ${"MB/s".padStart(8)} ${"x realtime".padStart(11)}`;
console.log(head);
console.log("-".repeat(head.length));
for (const r of rows) {
  console.log(`${r.runtime.padEnd(16)} ${r.fixture.padEnd(20)} ${r.appends_per_s.toFixed(0).padStart(10)} ${r.ms_per_append.toFixed(3).padStart(10)} ${r.mb_per_s.toFixed(1).padStart(8)} ${r.x_realtime.toFixed(0).padStart(11)}`);
}
for (const r of rows) {
  if (r.p50_ms !== undefined) console.log(`${r.runtime}: the browser benchmark's 512 KiB appends through the bridge, p50 ${r.p50_ms.toFixed(2)} ms (e2e/bench.mjs has the same appends in Chromium)`);
  if (r.long_p50_ms !== undefined) console.log(`${r.runtime}: a 1 MB append after 27 minutes appended, every append evicting (about 117,000 frames held), p50 ${r.long_p50_ms.toFixed(2)} ms`);
}
const target = rows.find((r) => r.runtime.startsWith("Pyodide") && r.fixture.startsWith("720p30"));
if (target) console.log(`\n720p30 H.264+AAC in Pyodide: ${target.x_realtime.toFixed(0)}x realtime (target >= 1000x)`);
