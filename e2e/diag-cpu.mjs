// What playback's start costs the browser benchmark's appends: the benchmark's 18
// appends (the 10 s 720p file six times, 512 KiB each, "sequence" mode) on fresh pages,
// in variants that switch parts of the renderer off, taking turns page by page; for
// each, the pages' append p50s, the appends' wall time and every Chromium thread's CPU
// time over them (Linux's per-thread counters, /proc/<pid>/task/<tid>/schedstat: time
// on a core, which on 2 busy cores is less than the wall time a thread wanted).
//
//   PAGES=5 node e2e/diag-cpu.mjs
//   VARIANTS='[{"name":"play","play":1},{"name":"no pulls","play":1,"noPull":1}]' ...
//
// Variant keys: play (play() before the appends, as the benchmark), stub (the renderer's
// update and tick do nothing: no decoders, no frame loop), noPull (the renderer runs
// but never gets frames: no decoding), noTick (no frame loop: no pulls either), noPaint
// (frames are decoded, not drawn).
import { cpuSpent, cpuTimes, setup } from "./lib.mjs";

const VARIANTS = JSON.parse(process.env.VARIANTS ||
  '[{"name":"playing","play":1},{"name":"playing, renderer stubbed","play":1,"stub":1},{"name":"playing, no pulls","play":1,"noPull":1}]');
const env = await setup();
const results = new Map(VARIANTS.map((v) => [v.name, { cpu: new Map(), wall: 0, p50s: [] }]));
try {
  for (let p = 0; p < Number(process.env.PAGES || 5); p++) {
    for (const v of (p % 2 ? [...VARIANTS].reverse() : VARIANTS)) {
      const page = await env.page();
      let before, after;
      await page.exposeFunction("cpuMark", (end) => { if (end) after = cpuTimes(); else before = cpuTimes(); });
      const r = await page.evaluate(async (v) => {
        const data = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4");
        const { video, ms } = h.make("msepy");
        if (v.stub) { video._renderer.tick = () => {}; video._renderer.update = () => {}; }
        if (v.noTick) video._renderer.tick = () => {};
        if (v.noPull) video._pull = () => new Promise(() => {});
        if (v.noPaint) video._renderer.painter.draw = (frame) => frame.close();
        video.muted = true;
        await h.open(video, ms);
        const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
        sb.mode = "sequence";
        if (v.play) video.play().catch(() => {});
        await cpuMark(false);
        const t0 = performance.now(), latencies = [];
        for (let c = 0; c < 6; c++) {
          for (let i = 0; i < data.length; i += 512 * 1024) {
            const a = performance.now();
            await h.append(sb, data.subarray(i, i + 512 * 1024));
            latencies.push(performance.now() - a);
          }
        }
        const wall = performance.now() - t0;
        await cpuMark(true);
        video.remove();
        return { wall, p50: latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)] };
      }, v);
      const out = results.get(v.name);
      out.wall += r.wall;
      out.p50s.push(r.p50);
      cpuSpent(before, after, out.cpu);
      await page.close();
    }
  }
  for (const [name, r] of results) {
    const n = r.p50s.length;
    const total = [...r.cpu.values()].reduce((a, b) => a + b, 0);
    const sorted = [...r.p50s].sort((a, b) => a - b);
    console.log(`${name}: append p50 ${sorted[Math.floor(n / 2)].toFixed(2)} ms (pages: ${r.p50s.map((x) => x.toFixed(2)).join(" ")}); ` +
      `the appends took ${(r.wall / n).toFixed(1)} ms, CPU ${(total / n / 1e6).toFixed(1)} ms on all threads:`);
    for (const [thread, ns] of [...r.cpu].sort((a, b) => b[1] - a[1]).slice(0, 6)) {
      console.log(`   ${(ns / n / 1e6).toFixed(1).padStart(6)} ms  ${thread}`);
    }
  }
} finally {
  await env.close();
}
