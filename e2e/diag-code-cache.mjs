// Diagnosis: what V8's code cache for Pyodide's WebAssembly holds after a first visit,
// and how fast the next visit appends (web/worker.js, primeCodeCache; README, "Where
// an msepy append's time goes").  Each trial is a fresh browser: a cold page that plays
// the benchmark stream at once (e2e/first-frame.html) and stays LINGER ms, then one page
// restored from the boot snapshot making the browser benchmark's 18 appends with its
// renderer stopped.  Printed per trial: when Chromium stored the code cache (from a
// trace: V8's "chunk" events and the cache's size), how many functions the next visit
// took from it as optimized code, and that visit's append p50 and Python p50.
//
//   node e2e/diag-code-cache.mjs            (TRIALS=3, LINGER=5000)

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { rendererlessAppends, setup } from "./lib.mjs";

const TRIALS = Number(process.env.TRIALS || 3);
const LINGER = Number(process.env.LINGER || 5000);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

for (let trial = 1; trial <= TRIALS; trial++) {
  const trace = path.join(os.tmpdir(), `msepy-code-cache-${process.pid}.json`);
  fs.rmSync(trace, { force: true });
  const seconds = Math.ceil((LINGER + 15000) / 1000);
  process.env.MSEPY_CHROMIUM_FLAGS = `--trace-startup=v8.wasm,disabled-by-default-devtools.timeline ` +
    `--trace-startup-format=json --trace-startup-file=${trace} --trace-startup-duration=${seconds}`;
  const env = await setup();
  let line;
  try {
    const cold = await env.browser.context.newPage();
    await cold.goto(`${env.server.url}/e2e/first-frame.html?impl=msepy`);
    await cold.waitForFunction(() => window.firstFrame, null, { timeout: 120_000 });
    const marks = await cold.evaluate(() => window.firstFrame);
    await new Promise((r) => setTimeout(r, LINGER));
    await cold.close();
    const page = await env.page();
    const rows = await rendererlessAppends(page);
    const restored = await page.evaluate(() => msepy.engine.info.fromSnapshot);
    await page.close();
    line = `cold page: ready ${marks.ready.toFixed(0)} ms, first frame ${marks.firstFrame.toFixed(0)} ms; ` +
      `next visit (${restored ? "restored" : "cold!"}): append p50 ${median(rows.map((r) => r[0])).toFixed(2)} ms, ` +
      `Python p50 ${median(rows.map((r) => r[1])).toFixed(2)} ms`;
    // Chromium writes the trace file after the trace's duration.
    const deadline = Date.now() + seconds * 1000 + 10_000;
    while (!fs.existsSync(trace) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  } finally {
    await env.close();
  }
  console.log(`trial ${trial}: ${line}`);
  if (!fs.existsSync(trace)) { console.log("  (no trace written)"); continue; }
  const events = JSON.parse(fs.readFileSync(trace, "utf8")).traceEvents;
  const t0 = Math.min(...events.filter((e) => e.ts).map((e) => e.ts));
  for (const e of events) {
    const at = `${((e.ts - t0) / 1000).toFixed(0)} ms into the trace`;
    if (e.name === "v8.wasm.cachedModule") console.log(`  code cache stored: ${(e.args.producedCacheSize / 1e6).toFixed(2)} MB, ${at}`);
    if (e.name === "wasm.CompilationAfterDeserialization") console.log(`  next visit: ${e.args.num_eager_functions} functions optimized from the cache, ${e.args.num_lazy_functions} lazy`);
  }
  fs.rmSync(trace, { force: true });
}
