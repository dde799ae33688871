// Frame accuracy (fixtures whose frames carry their own index), audio pitch at the
// worklet, and A/V offset.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { expectedIndex, setup, videoTimes } from "./lib.mjs";

const FIXTURES = [
  { url: "/e2e/fixtures/frames_h264.mp4", file: "e2e/fixtures/frames_h264.mp4", essence: "video/mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' },
  { url: "/e2e/fixtures/frames_vp9.webm", file: "e2e/fixtures/frames_vp9.webm", essence: "video/webm", type: 'video/webm; codecs="vp9,opus"' },
];

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(() => {
    window.presentedAfterSeek = async (video, t) => {
      const seeked = h.once(video, "seeked");
      video.currentTime = t;
      await seeked;
      const start = performance.now();
      while (!video._renderer.presented) {
        if (performance.now() - start > 5000) throw new Error(`no frame presented after seeking to ${t}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return h.readCode(video);
    };
  });
});
after(async () => { await env?.close(); });

describe("frame accuracy", () => {
  for (const fx of FIXTURES) {
    test(`seeks show the frame for the position: ${path.basename(fx.url)}`, async () => {
      const times = videoTimes(fx.file, fx.essence);
      assert.equal(times.length, 100);
      const targets = [0, 0.5, 1.0, times[30], times[30] - 0.001, times[31] + 0.02, 2.345, times[99], 1.0, 0.12, 3.5];
      const seen = await page.evaluate(async ({ url, type, targets }) => {
        const p = await h.load("msepy", url, type);
        const out = [];
        for (const t of targets) out.push([t, await presentedAfterSeek(p.video, t)]);
        p.video.remove();
        return out;
      }, { url: fx.url, type: fx.type, targets });
      for (const [t, n] of seen) {
        const want = expectedIndex(times, Math.max(t, times[0]));
        assert.equal(n, want, `at ${t}s: shows frame ${n}, expected ${want}`);
      }
    });
  }

  test("during playback the frame shown follows the clock", async () => {
    const fx = FIXTURES[0];
    const times = videoTimes(fx.file, fx.essence);
    const samples = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const out = [];
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      let done = false;
      ended.then(() => { done = true; });
      while (!done) {
        await new Promise((r) => requestAnimationFrame(r));
        if (p.video._renderer.presented) { const t = p.video._renderer.clockNow(); out.push([t, await h.readCode(p.video)]); }
      }
      p.video.remove();
      return out;
    }, fx);
    assert.ok(samples.length > 50, `${samples.length} samples`);
    const off = samples.filter(([t, n]) => Math.abs(expectedIndex(times, t) - n) > 1);
    assert.ok(off.length <= samples.length * 0.05, `${off.length}/${samples.length} samples more than a frame off: ${JSON.stringify(off.slice(0, 5))}`);
  });
});

// HTMLVideoElement.requestVideoFrameCallback() (WICG video-rvfc), as a native <video>:
// no callback while paused with no new frame; after a seek, once, with the frame's
// metadata; while playing, one frame a call, the frame the canvas shows.
describe("requestVideoFrameCallback()", () => {
  test("mediaTime is the frame on the canvas; the calls and their errors as native", async () => {
    const fx = FIXTURES[0];
    const times = videoTimes(fx.file, fx.essence);
    const out = await page.evaluate(async ({ url, type }) => {
      const res = {};
      for (const impl of ["native", "msepy"]) {
        const r = res[impl] = {};
        const p = await h.load(impl, url, type);
        const video = p.video;
        await new Promise((done) => setTimeout(done, 300));
        const next = () => new Promise((done) => {
          video.requestVideoFrameCallback((now, m) => done({ ...m, now }));
          setTimeout(() => done(null), 700);
        });
        r.paused = await next();  // the frame already shown is not new
        video.currentTime = 1.0;
        const m = await next();
        r.afterSeek = m && [m.mediaTime, m.width, m.height];
        if (impl === "msepy") r.codeAfterSeek = await h.readCode(video);
        r.keys = m && Object.keys(m).sort();
        const error = (f) => { try { f(); return "ok"; } catch (e) { return `${e.name}: ${e.message}`; } };
        r.errors = [error(() => video.requestVideoFrameCallback()), error(() => video.requestVideoFrameCallback(5)),
          error(() => video.cancelVideoFrameCallback()).split(":")[0], error(() => video.cancelVideoFrameCallback("x"))];
        let cancelled = 0;
        video.cancelVideoFrameCallback(video.requestVideoFrameCallback(() => { cancelled += 1; }));
        const seen = [];
        await video.play();
        await new Promise((done) => {
          const f = async (now, meta) => {
            seen.push([meta.mediaTime, meta.presentedFrames, impl === "msepy" ? await h.readCode(video) : null]);
            if (seen.length < 20) video.requestVideoFrameCallback(f); else done();
          };
          video.requestVideoFrameCallback(f);
        });
        video.pause();
        r.cancelled = cancelled;
        r.playing = seen;
        video.remove();
      }
      return res;
    }, fx);
    for (const key of ["paused", "afterSeek", "keys", "errors", "cancelled"]) assert.deepEqual(out.msepy[key], out.native[key], key);
    assert.equal(out.msepy.paused, null);
    for (const impl of ["native", "msepy"]) {
      const seen = out[impl].playing;
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i][0] > seen[i - 1][0] && seen[i][1] > seen[i - 1][1], `${impl}: ${JSON.stringify(seen.slice(i - 1, i + 1))}`);
      }
    }
    // The frame the metadata names is the one on the canvas (paused, exactly; playing,
    // the canvas is read a few ms after the callback: a frame later at most, rarely).
    assert.equal(out.msepy.codeAfterSeek, expectedIndex(times, out.msepy.afterSeek[0]));
    const off = out.msepy.playing.map(([t, , code]) => code - expectedIndex(times, t));
    assert.ok(off.every((d) => d === 0 || d === 1) && off.filter((d) => d).length <= 2, `canvas - metadata: ${off}`);
  });
});

describe("audio", () => {
  for (const fx of FIXTURES) {
    test(`the worklet plays 440 Hz at 440 Hz: ${path.basename(fx.url)}`, async () => {
      const hz = await page.evaluate(async ({ url, type }) => {
        const p = await h.load("msepy", url, type);
        await p.video.play();
        await new Promise((r) => setTimeout(r, 1200));
        const a = p.video._renderer.audio.analyser;
        a.fftSize = 16384;
        await new Promise((r) => setTimeout(r, 400));
        const buf = new Float32Array(a.fftSize);
        a.getFloatTimeDomainData(buf);
        // Rising zero crossings, interpolated.
        const xs = [];
        for (let i = 1; i < buf.length; i++) {
          if (buf[i - 1] < 0 && buf[i] >= 0) xs.push(i - 1 + buf[i - 1] / (buf[i - 1] - buf[i]));
        }
        p.video.pause();
        p.video.remove();
        if (xs.length < 3) return 0;
        return ((xs.length - 1) / (xs[xs.length - 1] - xs[0])) * a.context.sampleRate;
      }, fx);
      assert.ok(Math.abs(hz - 440) < 2, `measured ${hz.toFixed(2)} Hz`);
    });
  }

  test("A/V offset within 20 ms", async () => {
    const stats = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await ended;
      const offsets = [...p.video._renderer.avOffsets].map(Math.abs).sort((a, b) => a - b);
      p.video.remove();
      return { n: offsets.length, p95: offsets[Math.floor(offsets.length * 0.95)],
        mean: offsets.reduce((a, b) => a + b, 0) / offsets.length };
    }, FIXTURES[0]);
    assert.ok(stats.n > 50);
    assert.ok(stats.p95 < 0.020, `p95 |A/V offset| ${(stats.p95 * 1000).toFixed(1)} ms`);
    assert.ok(stats.mean < 0.020, `mean |A/V offset| ${(stats.mean * 1000).toFixed(1)} ms`);
  });

  // tests/fixtures/mp4/h264_aac.mp4's video starts at 0.08 s, its audio at 0: the first
  // frame is on the canvas from the start (as a native <video> shows it), 80 ms before
  // its time - a picture until its time comes, not an A/V offset of +80 ms.
  test("the first frame, shown before its time at the start, is no A/V offset", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.load("msepy", "/tests/fixtures/mp4/h264_aac.mp4", 'video/mp4; codecs="avc1.64000b,mp4a.40.2"');
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await ended;
      const out = { offsets: [...p.video._renderer.avOffsets], stats: p.video.msepyStats };
      p.video.remove();
      return out;
    });
    assert.ok(r.offsets.length > 10, JSON.stringify(r.stats));
    // A frame is presented once its time has come (0.5 ms early at most), so no offset
    // counted is positive beyond that.
    assert.ok(Math.max(...r.offsets) <= 0.0005 + 1e-9, `offsets (s): ${r.offsets.slice(0, 5).join(", ")} ...`);
  });
});
