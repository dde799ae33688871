// Where an msepy append's time goes, from a Chromium trace: the browser benchmark's
// appends (tests/fixtures/mp4/bench_720p.mp4, 512 KiB each, "sequence" mode, while
// playback starts), traced with the Tracing domain, then
//   * per append: page task -> worker handler start, the worker handler, and the rest
//     (the reply and the events on the page);
//   * per thread: how busy it was while the appends ran (wall time), and its CPU time
//     (Linux's per-thread counters: on 2 busy cores the two differ);
//   * the thread pool's biggest jobs (V8 compiling WebAssembly, the video decoder ...).
// The benchmark says how long appends take; this says why.
//
//   node e2e/trace.mjs [copies=3] [--out trace.json] [--cold]   (npm run trace:browser)
//
// The traced page restores the boot snapshot and V8's code cache a first page left, as
// the benchmark's pages do (--cold: the first page, a first visit, is traced).
//
// TRACE_CATEGORIES=a,b adds trace categories (e.g. "blink,disabled-by-default-v8.gc"
// shows the page's layout phases and V8's collections inside an append).

import fs from "node:fs";
import { cpuSpent, cpuTimes, setup } from "./lib.mjs";

const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : null;
const cold = args.includes("--cold");
const COPIES = Number(args.find((a) => a !== "--cold") || 3);
const CATEGORIES = ["devtools.timeline", "toplevel", "blink.user_timing", "v8.execute", "v8.wasm",
  ...(process.env.TRACE_CATEGORIES ? process.env.TRACE_CATEGORIES.split(",") : [])];

let cpuBefore = null, cpuAfter = null;

async function record(page, cdp) {
  await page.evaluate(async () => { globalThis.benchData = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4"); });
  await page.exposeFunction("cpuMark", (end) => { if (end) cpuAfter = cpuTimes(); else cpuBefore = cpuTimes(); });
  await cdp.send("Tracing.start", { transferMode: "ReturnAsStream", traceConfig: { includedCategories: CATEGORIES } });
  await page.evaluate(async (copies) => {
    const data = globalThis.benchData;
    // As the benchmark's page: no listener but the appends' own updateend (a listened
    // event is dispatched in a task of its own).
    const { video, ms } = h.make("msepy");
    await h.open(video, ms);
    const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
    video.muted = true;
    video.play().catch(() => {});
    sb.mode = "sequence";
    await cpuMark(false);
    for (let c = 0; c < copies; c++) {
      for (let i = 0; i < data.length; i += 512 * 1024) {
        performance.mark("append-start");
        await h.append(sb, data.subarray(i, i + 512 * 1024));
        performance.mark("append-end");
      }
    }
    await cpuMark(true);
  }, COPIES);
  const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
  await cdp.send("Tracing.end");
  const { stream } = await complete;
  let text = "";
  for (;;) {
    const { data, eof, base64Encoded } = await cdp.send("IO.read", { handle: stream, size: 1 << 20 });
    text += base64Encoded ? Buffer.from(data, "base64").toString() : data;
    if (eof) break;
  }
  await cdp.send("IO.close", { handle: stream });
  return JSON.parse(text);
}

function report(trace) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const threads = new Map();
  for (const e of events) if (e.name === "thread_name") threads.set(`${e.pid}:${e.tid}`, e.args.name);
  const thread = (e) => threads.get(`${e.pid}:${e.tid}`) || String(e.tid);
  const marks = (name) => events.filter((e) => e.name === name).map((e) => e.ts).sort((a, b) => a - b);
  const starts = marks("append-start"), ends = marks("append-end");
  const t0 = starts[0], t1 = ends[ends.length - 1];
  const within = (e) => e.ph === "X" && e.ts >= t0 && e.ts <= t1;
  const ms = (us) => (us / 1000).toFixed(1).padStart(6);

  // The worker's message handlers (a batch each: an append, or the renderer's pulls).
  const handlers = events.filter((e) => within(e) && e.name === "HandlePostMessage" && thread(e) === "DedicatedWorker thread");
  // "worker cpu": the handler's thread time; below its wall time, the worker waited
  // for a core (2 cores, shared with the page and the video decoder).
  console.log("append   total  to worker  worker  (cpu)   after   (ms; the first worker task of each append)");
  starts.forEach((start, i) => {
    const end = ends[i];
    const w = handlers.find((e) => e.ts >= start && e.ts <= end && e.dur > 200);
    if (!w) { console.log(`${String(i).padStart(6)} ${ms(end - start)}`); return; }
    console.log(`${String(i).padStart(6)} ${ms(end - start)} ${ms(w.ts - start)}    ${ms(w.dur)} ${ms(w.tdur ?? NaN)}  ${ms(end - w.ts - w.dur)}`);
  });

  const busy = new Map(), jobs = new Map();
  for (const e of events) {
    if (!within(e)) continue;
    if (e.name === "ThreadControllerImpl::RunTask" || e.name === "ThreadPool_RunTask") {
      busy.set(thread(e), (busy.get(thread(e)) || 0) + e.dur);
    }
    if (e.name === "ThreadPool_RunTask") {
      const what = `${(e.args?.src_file || "").split("/").slice(-1)[0]} ${e.args?.src_func || ""}`.slice(0, 90);
      jobs.set(what, (jobs.get(what) || 0) + e.dur);
    }
  }
  console.log(`\nbusy during the appends (${ms(t1 - t0).trim()} ms):`);
  for (const [name, us] of [...busy].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${ms(us)}  ${name}`);
  if (cpuBefore?.size && cpuAfter?.size) {
    // (the window here runs from before the first append's mark to after the last one)
    const cpu = cpuSpent(cpuBefore, cpuAfter);
    const total = [...cpu.values()].reduce((a, b) => a + b, 0);
    console.log(`\nCPU time on a core during the appends (all threads ${ms(total / 1000).trim()} ms; 2 cores):`);
    for (const [name, ns] of [...cpu].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${ms(ns / 1000)}  ${name}`);
  }
  console.log("\nthread pool jobs:");
  for (const [what, us] of [...jobs].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`${ms(us)}  ${what}`);
  const tierUp = events.filter((e) => within(e) && e.name === "wasm.TopTierCompilation").map((e) => e.dur);
  if (tierUp.length) console.log(`\nV8 optimizing WebAssembly: ${tierUp.length} compiles, longest ${ms(Math.max(...tierUp)).trim()} ms`);
}

const env = await setup();
try {
  if (!cold) {
    // A first visit: it boots cold and stores the boot snapshot 3 s after `ready`.
    const first = await env.page();
    await new Promise((r) => setTimeout(r, 4500));
    await first.close();
  }
  const page = await env.page();
  const cdp = await env.browser.context.newCDPSession(page);
  const trace = await record(page, cdp);
  if (out) fs.writeFileSync(out, JSON.stringify(trace));
  report(trace);
} finally {
  await env.close();
}
