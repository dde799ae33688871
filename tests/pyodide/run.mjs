// Runs the pytest suite inside Pyodide under Node, offline.
//
//   node tests/pyodide/run.mjs [extra pytest args...]
//
// Needs (tests/run_all.sh makes them): node_modules/pyodide, the msepy wheel in
// build/wheels/, and pure-Python wheels of pytest, hypothesis and their dependencies
// in build/pyodide-wheels/.  Every wheel is unpacked straight into site-packages, so
// nothing is fetched; msepy is then imported from the installed wheel, not from py/
// (MSEPY_USE_INSTALLED=1 tells tests/conftest.py not to put py/ on sys.path).
// The exit code is pytest's.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pyodideDir = path.join(repo, "node_modules", "pyodide");
const wheelDirs = [path.join(repo, "build", "wheels"), path.join(repo, "build", "pyodide-wheels")];
const MOUNT = "/repo";

function wheelsIn(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".whl")).sort().map((f) => path.join(dir, f));
}

function fail(message) {
  process.stderr.write(`tests/pyodide/run.mjs: ${message}\n`);
  process.exit(2);
}

if (!fs.existsSync(path.join(pyodideDir, "pyodide.mjs"))) fail("node_modules/pyodide missing: run npm ci");
const wheels = wheelDirs.flatMap(wheelsIn);
if (!wheels.some((w) => path.basename(w).startsWith("msepy-"))) fail("no msepy wheel in build/wheels (run tests/run_all.sh)");
if (!wheels.some((w) => path.basename(w).startsWith("pytest-"))) fail("no pytest wheel in build/pyodide-wheels (run tests/run_all.sh)");

try {
  const started = Date.now();
  const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
  const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, packages: [] });
  // Unbuffered pass-through so pytest's progress dots appear as they are written.
  const passthrough = (fd) => ({ write: (buf) => { fs.writeSync(fd, buf); return buf.length; } });
  pyodide.setStdout(passthrough(1));
  pyodide.setStderr(passthrough(2));

  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const whl of wheels) {
    pyodide.unpackArchive(new Uint8Array(fs.readFileSync(whl)), "wheel", { extractDir: sitePackages });
  }

  pyodide.mountNodeFS(MOUNT, repo);
  const loadSeconds = ((Date.now() - started) / 1000).toFixed(1);

  const args = process.argv.slice(2);
  pyodide.globals.set("extra_args", pyodide.toPy(args));
  pyodide.globals.set("wheel_names", pyodide.toPy(wheels.map((w) => path.basename(w))));
  const code = await pyodide.runPythonAsync(`
  import importlib, os, sys
  importlib.invalidate_caches()  # site-packages was filled behind the import system's back
  os.environ["MSEPY_USE_INSTALLED"] = "1"
  os.chdir("${MOUNT}")
  import msepy.bytestream, pytest
  where = os.path.dirname(msepy.bytestream.__file__)
  assert "site-packages" in where, f"msepy imported from {where}, not the installed wheel"
  print(f"pyodide: Python {sys.version.split()[0]} on {sys.platform}, pytest {pytest.__version__}; "
        f"msepy from {where}; loaded in ${loadSeconds}s; wheels: {', '.join(wheel_names)}", flush=True)
  int(pytest.main(["-q", "-p", "no:cacheprovider", "tests", *extra_args]))
  `);
  process.exitCode = code;
} catch (e) {
  // Not the whole error object: Node would print a megabyte of minified pyodide.asm.mjs.
  fail(`${e?.type ?? e?.name ?? "error"}: ${e?.message ?? e}`);
}

