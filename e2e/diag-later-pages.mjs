// Diagnosis: how fast does a page restored from the boot snapshot run its first
// appends, before and after an earlier page ran the engine a while?  (README, "Where an
// msepy append's time goes".)  Each "restored pages" line is PAGES fresh pages, each
// making the browser benchmark's 18 appends (e2e/bench.mjs: the 10 s 720p file six
// times in 512 KiB pieces) with its renderer stopped, so only the appends run: their
// latency p50 and the worker's Python p50 (handle), medians over the pages, and how
// each page booted (S: from the snapshot, C: cold).  Then one page runs LONG sessions
// of the same appends and stays open 6 s, and fresh pages are measured again, then one
// page making 12 sessions in a row (its Python p50 per session).
//
//   node e2e/diag-later-pages.mjs
//   WAIT_MS=3000 node e2e/diag-later-pages.mjs      (pages wait before appending: the
//                                                    worker's idle warm-up runs first)
//   LONG=0 node e2e/diag-later-pages.mjs            (no long page)
//   MSEPY_CHROMIUM_FLAGS=--js-flags=--no-wasm-inlining node e2e/diag-later-pages.mjs

import { rendererlessAppends, setup } from "./lib.mjs";

const PAGES = Number(process.env.PAGES || 4);
const LONG = Number(process.env.LONG ?? 20);
const WAIT_MS = Number(process.env.WAIT_MS || 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

const appendIn = (page, sessions) => rendererlessAppends(page, sessions, WAIT_MS);

const booted = (page) => page.evaluate(() => (msepy.engine.info.fromSnapshot ? "S" : "C"));

const env = await setup();
try {
  const fresh = async (label) => {
    const lat = [], py = [], kinds = [];
    for (let k = 0; k < PAGES; k++) {
      const page = await env.page();
      const rows = await appendIn(page, 1);
      kinds.push(await booted(page));
      await page.close();
      lat.push(median(rows.map((r) => r[0])));
      py.push(median(rows.map((r) => r[1])));
    }
    console.log(`${label.padEnd(34)} append p50 ${median(lat).toFixed(2)} ms, worker's Python p50 ${median(py).toFixed(2)} ms (${kinds.join(" ")})`);
  };
  // The first boot is cold; it stores the boot snapshot 3 s after (web/worker.js), and
  // every page after it restores that.
  const first = await env.page();
  await sleep(4500);
  await first.close();
  await fresh("restored pages:");
  const page = await env.page();
  await appendIn(page, LONG);
  await sleep(6000);
  await page.close();
  await fresh(`after a page of ${LONG} sessions:`);
  await sleep(9000);
  await fresh("after 9 s idle:");
  const one = await env.page();
  const rows = await appendIn(one, 12);
  const per = [];
  for (let i = 0; i < rows.length; i += 18) per.push(median(rows.slice(i, i + 18).map((r) => r[1])).toFixed(2));
  console.log(`one page, 12 sessions in a row (${await booted(one)}): Python p50 per session ${per.join(" ")} ms`);
  await one.close();
} finally {
  await env.close();
}
