// Diagnosis: where the browser benchmark's appends spend their time, with playback
// starting beside them and without.  Fresh pages restored from the boot snapshot each
// make the benchmark's 18 appends (e2e/bench.mjs: the 10 s 720p file six times in
// 512 KiB pieces, "sequence" mode), "stopped" (the renderer does nothing) and
// "playing" (play() first, as the benchmark) taking turns, PAGES pages a line.  Each
// line: medians over the appends of the latency the page saw and of its parts (ms):
// rt the round trip, page the rest (appendBuffer()'s copy, the reply's state and
// events), toW page -> worker, wait in the worker's queue, run the worker's handler, py
// Python's handle, toPy/toJs the conversions, call the handler's remainder, toP
// worker -> page.  (Medians do not add up: the hops have long tails.)
//
//   PAGES=4 node e2e/diag-gaps.mjs

import { benchmarkAppends, setup } from "./lib.mjs";

const PAGES = Number(process.env.PAGES || 3);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const env = await setup();
try {
  // The first boot is cold and stores the boot snapshot 3 s after; the pages restore it.
  const first = await env.page();
  await sleep(4500);
  await first.close();
  for (const playing of [false, true, false, true]) {
    const rows = [];
    for (let k = 0; k < PAGES; k++) {
      const page = await env.page();
      rows.push(...await benchmarkAppends(page, { playing }));
      await page.close();
    }
    const f = (fn) => median(rows.map((r) => fn(r, r.timing))).toFixed(2);
    console.log(`${playing ? "playing" : "stopped"}  lat ${f((r) => r.lat)}  rt ${f((r, t) => t.roundTrip)}` +
      `  page ${f((r, t) => r.lat - t.roundTrip)}  toW ${f((r, t) => t.toWorker)}  wait ${f((r, t) => t.wait)}` +
      `  run ${f((r, t) => t.run)}  py ${f((r, t) => t.py.handle)}  toPy ${f((r, t) => t.py.toPy)}` +
      `  toJs ${f((r, t) => t.py.toJs)}  call ${f((r, t) => t.run - t.py.handle - t.py.toPy - t.py.toJs)}` +
      `  toP ${f((r, t) => t.toPage)}`);
  }
} finally {
  await env.close();
}
