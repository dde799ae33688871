// Where an append's time goes: per 512 KiB append of the benchmark's session (playing,
// the renderer on), the latency the page sees beside the worker's round trip, the two
// hops, the worker's run and Python's handle; the median of each page's large appends.
//   PAGES=3 node e2e/diag-page-side.mjs   (the first page boots cold: no snapshot yet)
import { benchmarkAppends, setup } from "./lib.mjs";

const KEYS = ["lat", "rt", "toWorker", "run", "handle", "toPage"];
const env = await setup();
try {
  for (let p = 0; p < Number(process.env.PAGES || 2); p++) {
    const page = await env.page();
    const rows = (await benchmarkAppends(page, { playing: true })).map(({ size, lat, timing: t }) => (
      { size, lat, rt: t.roundTrip, toWorker: t.toWorker, run: t.run, handle: t.py?.handle, toPage: t.toPage }));
    const big = rows.filter((r) => r.size > 400000);
    const med = (k) => { const v = big.map((r) => r[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)].toFixed(3); };
    console.log(`page ${p}: median of ${big.length} large: ` + KEYS.map((k) => `${k} ${med(k)}`).join(", "));
    for (const r of rows) console.log(Object.entries(r).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(" "));
  }
} finally {
  await env.close();
}
