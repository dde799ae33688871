// Diagnosis: are fresh pages' appends slower once an earlier page ran the engine a
// while?  (They are, in Chromium 156: V8's WebAssembly inlining - README, "Where an
// msepy append's time goes".)  Each "fresh pages" line is PAGES fresh pages, each
// making the browser benchmark's 18 appends (e2e/bench.mjs: the 10 s 720p file six
// times in 512 KiB pieces) with its renderer stopped, so only the appends run: their
// latency p50 and the worker's Python p50 (handle), medians over the pages.  Then one
// page runs LONG sessions of the same appends and stays open 6 s, and fresh pages are
// measured again, right after and after 9 s idle.
//
//   node e2e/diag-later-pages.mjs
//   MSEPY_CHROMIUM_FLAGS=--js-flags=--no-wasm-inlining node e2e/diag-later-pages.mjs

import { setup } from "./lib.mjs";

const PAGES = Number(process.env.PAGES || 4);
const LONG = Number(process.env.LONG || 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

// `sessions` players in turn, each appending the 18 pieces: [latency, Python] per append.
const appendIn = (page, sessions) => page.evaluate(async (sessions) => {
  const data = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4");
  const out = [];
  for (let s = 0; s < sessions; s++) {
    const { video, ms } = h.make("msepy");
    video._renderer.tick = () => {};    // the renderer stopped: the appends alone
    video._renderer.update = () => {};
    video.muted = true;
    await h.open(video, ms);
    const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
    sb.mode = "sequence";
    for (let c = 0; c < 6; c++) {
      for (let i = 0; i < data.length; i += 512 * 1024) {
        const a = performance.now();
        await h.append(sb, data.subarray(i, i + 512 * 1024));
        const timing = msepy.engine.timings.filter((t) => t.ops === "appendBuffer").at(-1);
        out.push([performance.now() - a, timing?.py?.handle ?? NaN]);
      }
    }
    video.remove();
  }
  return out;
}, sessions);

const env = await setup();
try {
  const fresh = async (label) => {
    const lat = [], py = [];
    for (let k = 0; k < PAGES; k++) {
      const page = await env.page();
      const rows = await appendIn(page, 1);
      await page.close();
      lat.push(median(rows.map((r) => r[0])));
      py.push(median(rows.map((r) => r[1])));
    }
    console.log(`${label.padEnd(34)} append p50 ${median(lat).toFixed(2)} ms, worker's Python p50 ${median(py).toFixed(2)} ms`);
  };
  await (await env.page()).close();  // the first boot (cold: it makes the boot snapshot)
  await sleep(3000);
  await fresh("fresh pages:");
  const page = await env.page();
  await appendIn(page, LONG);
  await sleep(6000);
  await page.close();
  await fresh(`after a page of ${LONG} sessions:`);
  await sleep(9000);
  await fresh("after 9 s idle:");
} finally {
  await env.close();
}
