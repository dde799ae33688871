// Browser benchmark, native MediaSource beside msepy, in one browser (a fresh page for
// every run): time to the first frame from navigation (empty and warm caches), time to
// sourceopen, to the first frame after the first append, append latency p50/p95, append
// throughput, and dropped frames over 60 s of 720p30 playback
// (tests/fixtures/mp4/bench_720p.mp4, 10 s, appended six times back to back in
// "sequence" mode).
//
// One run per side plays the 60 s; the appends (18 of them, about 40 ms in all) are
// measured in ROUNDS more runs per side as well, native and msepy taking turns, each
// stopping once the first frame is shown: the append figures are medians over all the
// runs (one run's 40 ms is at the mercy of whatever else the machine does), and the
// throughput ratio is the median of the turns' ratios.  BENCH_QUIET_ROUNDS (3) more
// runs per side call play() only after the appends: their p50 is the appends' own cost,
// without playback starting beside them (on 2 cores, decoding takes the CPU the
// appends want).
//
//   node e2e/bench.mjs [seconds=60] [rounds=4]      (npm run bench:browser)
// Writes test-results/bench-browser.json and prints a table.

import fs from "node:fs";
import path from "node:path";
import { repo, setup } from "./lib.mjs";

const SECONDS = Number(process.argv[2] || 60);
const ROUNDS = Number(process.argv[3] ?? 4);
const QUIET_ROUNDS = Number(process.env.BENCH_QUIET_ROUNDS ?? 3);
const FIRST_FRAME_WARM = 5;
const URL_ = "/tests/fixtures/mp4/bench_720p.mp4";
const TYPE = 'video/mp4; codecs="avc1.64001f,mp4a.40.2"';

const env = await setup();
try {
  const impls = (process.env.BENCH_IMPLS || "native,msepy").split(",");
  // One run: a page of its own (the other side's playback and its teardown stay out
  // of this side's appends); with `play`, SECONDS of playback after the appends, else
  // it stops at the first frame.  `quiet`: play() only after the appends, so nothing
  // decodes while they run (the appends' own cost, without playback's start beside
  // them on the machine's cores).
  const run = async (impl, play, quiet = false) => {
    const page = await env.page();
    const out = await page.evaluate(async ({ impl, url, type, seconds, play, quiet }) => {
      const data = await h.bytes(url);
      const { video, ms } = h.make(impl);
      video.muted = true;
      const t0 = performance.now();
      const opened = h.once(ms, "sourceopen");
      video.src = URL.createObjectURL(ms);
      await opened;
      const sourceopenMs = performance.now() - t0;
      const sb = ms.addSourceBuffer(type);
      // First frame: from the first appendBuffer (with play() requested) to a frame shown.
      let firstFrameMs = null;
      const tAppend = performance.now();
      // (requestVideoFrameCallback(): the rendering update after the frame is shown.)
      const firstFrame = new Promise((resolve) => {
        video.requestVideoFrameCallback(() => { firstFrameMs = performance.now() - tAppend; resolve(); });
      });
      let playing = quiet ? null : video.play().catch(() => {});
      const chunk = 512 * 1024, latencies = [];
      let bytes = 0, busy = 0;
      const copies = Math.ceil(seconds / 10);
      sb.mode = "sequence";  // each copy follows the last one, no gap
      for (let c = 0; c < copies; c++) {
        for (let i = 0; i < data.length; i += chunk) {
          const piece = data.subarray(i, i + chunk);
          const a = performance.now();
          await h.append(sb, piece);
          const ms_ = performance.now() - a;
          latencies.push(ms_); busy += ms_; bytes += piece.length;
        }
      }
      ms.endOfStream();
      playing ??= video.play().catch(() => {});
      await firstFrame;
      await playing;
      const sorted = [...latencies].sort((a, b) => a - b);
      const appendFigures = {
        appendP50Ms: sorted[Math.floor(sorted.length * 0.5)],
        appendP95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
        appendMiBps: bytes / 1024 / 1024 / (busy / 1000),
        appends: latencies.length, firstAppendMs: latencies[0],
      };
      if (!play) {
        video.remove();
        return { sourceopenMs, firstFrameMs, ...appendFigures, latencies };
      }
      const q0 = video.getVideoPlaybackQuality();
      const startTime = video.currentTime;
      const tPlay = performance.now();
      while (!video.ended && performance.now() - tPlay < (seconds + 20) * 1000) await new Promise((r) => setTimeout(r, 250));
      const q = video.getVideoPlaybackQuality();
      const out = {
        sourceopenMs, firstFrameMs, ...appendFigures,
        playedSeconds: video.currentTime - startTime, wallSeconds: (performance.now() - tPlay) / 1000,
        totalFrames: q.totalVideoFrames - q0.totalVideoFrames,
        droppedFrames: q.droppedVideoFrames - q0.droppedVideoFrames,
        ended: video.ended,
        avOffset: video.msepyStats ? { meanMs: video.msepyStats.avOffsetMean * 1000, maxAbsMs: video.msepyStats.avOffsetMaxAbs * 1000 } : null,
        latencies,
      };
      if (impl === "msepy") {
        // Where an append's time went (web/worker.js timings, ms): worker run (Python
        // handle incl. conversions) vs the round trip the page saw.
        const appendTimings = msepy.engine.timings.filter((x) => x.ops === "appendBuffer");
        const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
        out.workerAppend = { roundTripP50: med(appendTimings.map((x) => x.roundTrip)),
          runP50: med(appendTimings.map((x) => x.run)), handleP50: med(appendTimings.map((x) => x.py?.handle ?? 0)),
          waitP50: med(appendTimings.map((x) => x.wait)), toWorkerP50: med(appendTimings.map((x) => x.toWorker)),
          toPageP50: med(appendTimings.map((x) => x.toPage)), toPyP50: med(appendTimings.map((x) => x.py?.toPy ?? 0)),
          toJsP50: med(appendTimings.map((x) => x.py?.toJs ?? 0)), n: appendTimings.length };
        // Means add up where medians do not: round trip = to worker + queue + run + post + to page.
        const mean = (f) => appendTimings.reduce((a, x) => a + (f(x) ?? 0), 0) / appendTimings.length;
        out.workerAppendMean = { roundTrip: mean((x) => x.roundTrip), toWorker: mean((x) => x.toWorker),
          wait: mean((x) => x.wait), run: mean((x) => x.run), post: mean((x) => x.post), toPage: mean((x) => x.toPage) };
      }
      video.remove();
      return out;
    }, { impl, url: URL_, type: TYPE, seconds: SECONDS, play, quiet });
    await page.close();
    return out;
  };
  // Time to first frame from navigation (e2e/first-frame.html): a page that plays the
  // stream as soon as it loads, first with empty caches, then FIRST_FRAME_WARM times
  // with warm ones (the HTTP cache, V8's code caches, msepy's boot snapshot - stored a
  // few seconds after a cold boot, hence the wait after the first load).
  const firstFrameLoad = async (impl, linger = 0) => {
    const page = await env.browser.context.newPage();
    await page.goto(`${env.server.url}/e2e/first-frame.html?impl=${impl}`);
    await page.waitForFunction(() => window.firstFrame, null, { timeout: 120_000 });
    const marks = await page.evaluate(() => window.firstFrame);
    if (marks.error) throw new Error(`first-frame page (${impl}): ${marks.error}`);
    if (linger) await new Promise((r) => setTimeout(r, linger));
    await page.close();
    return marks;
  };
  const results = {};
  const firstFrames = {};
  for (const impl of impls) {
    const cold = await firstFrameLoad(impl, 5000);
    const warm = [];
    for (let i = 0; i < FIRST_FRAME_WARM; i++) warm.push(await firstFrameLoad(impl));
    firstFrames[impl] = { cold, warm };
    console.error(`${impl}: first frames from navigation`);
  }
  for (const impl of impls) {
    results[impl] = await run(impl, true);
    console.error(`${impl}: played`);
  }
  const rounds = Object.fromEntries(impls.map((impl) => [impl, [results[impl]]]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const impl of r % 2 ? [...impls].reverse() : impls) rounds[impl].push(await run(impl, false));
    console.error(`appends: round ${r + 1} of ${ROUNDS}`);
  }
  const quiet = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let r = 0; r < QUIET_ROUNDS; r++) {
    for (const impl of r % 2 ? [...impls].reverse() : impls) quiet[impl].push(await run(impl, false, true));
    console.error(`appends before play(): round ${r + 1} of ${QUIET_ROUNDS}`);
  }
  // The append figures: medians over the runs (and each run's own, for the record).
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const KEYS = ["appendP50Ms", "appendP95Ms", "appendMiBps", "firstAppendMs", "firstFrameMs", "sourceopenMs"];
  for (const impl of impls) {
    const { cold, warm } = firstFrames[impl];
    results[impl].navigationFirstFrameColdMs = cold.firstFrame;
    results[impl].navigationFirstFrameMs = median(warm.map((m) => m.firstFrame));
    results[impl].navigation = { cold, warm };
  }
  for (const impl of impls) {
    results[impl].played = Object.fromEntries(KEYS.map((k) => [k, results[impl][k]]));
    for (const k of KEYS) results[impl][k] = median(rounds[impl].map((x) => x[k]));
    results[impl].runs = rounds[impl].map((x) => Object.fromEntries(KEYS.map((k) => [k, x[k]])));
    if (quiet[impl].length) {
      results[impl].quietAppendP50Ms = median(quiet[impl].map((x) => x.appendP50Ms));
      results[impl].quietAppendMiBps = median(quiet[impl].map((x) => x.appendMiBps));
      results[impl].quietRuns = quiet[impl].map((x) => ({ appendP50Ms: x.appendP50Ms, appendMiBps: x.appendMiBps }));
    }
  }
  if (results.native && results.msepy) {
    const ratios = rounds.msepy.map((m, i) => m.appendMiBps / rounds.native[i].appendMiBps);
    results.throughputRatio = { median: median(ratios), runs: ratios };
  }
  fs.mkdirSync(path.join(repo, "test-results"), { recursive: true });
  fs.writeFileSync(path.join(repo, "test-results", "bench-browser.json"), JSON.stringify(results, null, 1));
  const runs = ROUNDS + 1;
  const rows = [["first frame from navigation, empty caches (ms)", "navigationFirstFrameColdMs"],
    [`first frame from navigation, warm caches (ms, median of ${FIRST_FRAME_WARM})`, "navigationFirstFrameMs"],
    [`time to sourceopen (ms, median of ${runs} runs)`, "sourceopenMs"],
    [`first frame after first append (ms, median of ${runs})`, "firstFrameMs"],
    [`append latency p50 (ms, 512 KiB; median of ${runs})`, "appendP50Ms"], [`append latency p95 (ms, median of ${runs})`, "appendP95Ms"],
    [`first append (ms, median of ${runs})`, "firstAppendMs"],
    [`append latency p50, play() after the appends (ms, median of ${QUIET_ROUNDS})`, "quietAppendP50Ms"],
    [`append throughput (MiB/s, median of ${runs})`, "appendMiBps"], ["played (s)", "playedSeconds"], ["wall (s)", "wallSeconds"],
    ["frames presented", "totalFrames"], ["dropped frames", "droppedFrames"]];
  console.log(`| ${SECONDS} s of 720p30 H.264+AAC | native | msepy |\n| --- | ---: | ---: |`);
  for (const [label, key] of rows) {
    const f = (v) => (typeof v === "number" ? v.toFixed(v > 100 ? 0 : 2) : String(v));
    console.log(`| ${label} | ${f(results.native?.[key])} | ${f(results.msepy?.[key])} |`);
  }
  if (results.throughputRatio) {
    const t = results.throughputRatio;
    console.log(`append throughput, msepy / native, per turn: ${t.runs.map((x) => `${Math.round(x * 100)}%`).join(" ")} (median ${Math.round(t.median * 100)}%)`);
  }
  if (results.msepy?.workerAppend) {
    const w = results.msepy.workerAppend;
    console.log(`msepy appends, p50 (ms): worker run ${w.runP50.toFixed(2)} (Python: to Python ${w.toPyP50.toFixed(2)}, handle ${w.handleP50.toFixed(2)}, to JS ${w.toJsP50.toFixed(2)}), round trip ${w.roundTripP50.toFixed(2)}, page->worker ${w.toWorkerP50.toFixed(2)}, worker queue ${w.waitP50.toFixed(2)}, worker->page ${w.toPageP50.toFixed(2)}`);
    const m = results.msepy.workerAppendMean;
    if (m) console.log(`msepy appends, means (ms): round trip ${m.roundTrip.toFixed(2)} = page->worker ${m.toWorker.toFixed(2)} + worker queue ${m.wait.toFixed(2)} + worker run ${m.run.toFixed(2)} + post ${m.post.toFixed(2)} + worker->page ${m.toPage.toFixed(2)}`);
  }
  if (results.msepy?.navigation) {
    const w = results.msepy.navigation.warm, med = (k) => median(w.map((m) => m[k]));
    console.log(`msepy first frame from navigation, warm (median ms): engine ready ${med("ready").toFixed(0)} ` +
      `(boot snapshot: ${w.filter((m) => m.fromSnapshot).length} of ${w.length}), sourceopen ${med("sourceopen").toFixed(0)}, ` +
      `first append done ${med("firstAppend").toFixed(0)}, first frame ${med("firstFrame").toFixed(0)}`);
  }
  if (results.msepy?.avOffset) console.log(`msepy A/V offset: mean ${results.msepy.avOffset.meanMs.toFixed(1)} ms, max |offset| ${results.msepy.avOffset.maxAbsMs.toFixed(1)} ms`);
} finally {
  await env.close();
}
