// Where an append's time goes: per 512 KiB append of the benchmark's session (playing,
// the renderer on), the latency the page sees beside the worker's round trip, the two
// hops, the worker's run and Python's handle; the median of each page's large appends.
//   PAGES=3 node e2e/diag-page-side.mjs   (the first page boots cold: no snapshot yet)
import { setup } from "./lib.mjs";

const env = await setup();
try {
  for (let p = 0; p < Number(process.env.PAGES || 2); p++) {
    const page = await env.page();
    const rows = await page.evaluate(async () => {
      const data = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4");
      const { video, ms } = h.make("msepy");
      video.muted = true;
      await h.open(video, ms);
      const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
      sb.mode = "sequence";
      video.play().catch(() => {});
      const out = [];
      let endAt = 0;
      sb.addEventListener("updateend", () => { endAt = performance.now(); });
      for (let c = 0; c < 6; c++) {
        for (let i = 0; i < data.length; i += 512 * 1024) {
          const piece = data.subarray(i, i + 512 * 1024);
          const a = performance.now();
          sb.appendBuffer(piece);
          const called = performance.now();
          await new Promise((r) => sb.addEventListener("updateend", r, { once: true }));
          const done = performance.now();
          const t = msepy.engine.timings.at(-1);
          out.push({ size: piece.length, lat: done - a, call: called - a, rt: t.roundTrip,
            toWorker: t.toWorker, toPage: t.toPage, run: t.run, handle: t.py?.handle, end: done - endAt });
        }
      }
      video.remove();
      return out;
    });
    const big = rows.filter((r) => r.size > 400000);
    const med = (k) => { const v = big.map((r) => r[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)].toFixed(3); };
    console.log(`page ${p}: median of ${big.length} large: ` + ["lat", "call", "rt", "toWorker", "run", "handle", "toPage", "end"].map((k) => `${k} ${med(k)}`).join(", "));
    for (const r of rows) console.log(Object.entries(r).map(([k, v]) => `${k}=${typeof v === "number" ? v.toFixed(2) : v}`).join(" "));
  }
} finally {
  await env.close();
}
