// <msepy-video> beyond plain playback: the audio ring without SharedArrayBuffer,
// decoder failures as MEDIA_ERR_DECODE, playbackRate, seeking while playing, <source>
// children, srcObject, events nobody listens for (no task), and the page side never
// disagreeing with the engine.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./lib.mjs";

const H264 = { url: "/e2e/fixtures/frames_h264.mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' };

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
});
after(async () => { await env?.close(); });

describe("<msepy-video>", () => {
  test("removeSourceBuffer() empties the track lists in its own task", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const before = [p.video.audioTracks.length, p.video.videoTracks.length, p.sb.audioTracks.length];
      p.ms.removeSourceBuffer(p.sb);
      const now = [p.video.audioTracks.length, p.video.videoTracks.length, p.sb.audioTracks.length];
      await new Promise((res) => setTimeout(res, 100));
      const later = [p.video.audioTracks.length, p.video.videoTracks.length, p.sb.audioTracks.length];
      p.video.remove();
      return { before, now, later };
    }, H264);
    assert.deepEqual(r.before, [1, 1, 1]);
    assert.deepEqual(r.now, [0, 0, 0]);
    assert.deepEqual(r.later, [0, 0, 0]);
  });

  test("without cross-origin isolation the audio ring runs on messages, at the right pitch", async () => {
    const p2 = await env.page("/e2e/harness.html?isolation=off");
    const r = await p2.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await new Promise((res) => setTimeout(res, 1000));
      const a = p.video._renderer.audio.analyser;
      a.fftSize = 16384;
      await new Promise((res) => setTimeout(res, 400));
      const buf = new Float32Array(a.fftSize);
      a.getFloatTimeDomainData(buf);
      const xs = [];
      for (let i = 1; i < buf.length; i++) if (buf[i - 1] < 0 && buf[i] >= 0) xs.push(i - 1 + buf[i - 1] / (buf[i - 1] - buf[i]));
      const hz = ((xs.length - 1) / (xs[xs.length - 1] - xs[0])) * a.context.sampleRate;
      await ended;
      return { isolated: self.crossOriginIsolated, mode: p.video.msepyStats.audioMode, hz, t: p.video.currentTime, d: p.video.duration };
    }, H264);
    await p2.close();
    assert.equal(r.isolated, false);
    assert.equal(r.mode, "message ring");
    assert.ok(Math.abs(r.hz - 440) < 2, `${r.hz} Hz`);
    assert.equal(r.t, r.d);
  });

  test("Chromium's prefixed counters: played to the end, every frame decoded once and none dropped, as native", async () => {
    const out = await page.evaluate(async ({ url, type }) => {
      const res = {};
      for (const impl of ["native", "msepy"]) {
        const p = await h.load(impl, url, type);
        p.video.muted = true;
        const ended = h.once(p.video, "ended", 20000);
        await p.video.play();
        await ended;
        await new Promise((done) => setTimeout(done, 200));
        const v = p.video;
        res[impl] = [v.webkitDecodedFrameCount, v.webkitDroppedFrameCount, v.webkitVideoDecodedByteCount, v.webkitAudioDecodedByteCount];
        v.remove();
      }
      return res;
    }, H264);
    assert.equal(out.msepy[0], 100, JSON.stringify(out));   // every frame of the fixture, decoded once
    assert.equal(out.msepy[1], 0, JSON.stringify(out));
    assert.deepEqual(out.msepy.slice(0, 2), out.native.slice(0, 2));
    // The bytes the decoders got: msepy's are the coded frames as the stream has them;
    // Chromium counts its own forms (an ADTS header on each AAC frame, parameter sets
    // before each H.264 keyframe), a few percent more.
    for (const i of [2, 3]) {
      assert.ok(out.msepy[i] > 0.9 * out.native[i] && out.msepy[i] <= out.native[i], JSON.stringify(out));
    }
  });

  test("a decoder that cannot decode the stream is MEDIA_ERR_DECODE with a message", async (t) => {
    const r = await page.evaluate(async () => {
      const hevc = await VideoDecoder.isConfigSupported({ codec: "hvc1.1.6.L30.90" }).catch(() => ({ supported: false }));
      if (hevc.supported) return { skip: true };
      const p = await h.load("msepy", "/tests/fixtures/mp4/hevc.mp4", 'video/mp4; codecs="hvc1.1.6.L30.90"');
      const error = h.once(p.video, "error", 10000);
      p.video.play().catch(() => {});
      await error;
      const out = { code: p.video.error.code, message: p.video.error.message, networkState: p.video.networkState,
        appendThrows: (() => { try { p.sb.appendBuffer(new Uint8Array(1)); return "no"; } catch (e) { return e.name; } })() };
      p.video.remove();
      return out;
    });
    if (r.skip) { t.skip("this Chromium decodes HEVC"); return; }
    assert.equal(r.code, 3);
    assert.match(r.message, /decoder/);
    assert.equal(r.networkState, 1);
    assert.equal(r.appendThrows, "InvalidStateError");
  });

  test("the video decoder gets frames only as they are wanted: paused, about a dozen ahead, not a whole pull", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.load("msepy", "/tests/fixtures/mp4/bench_720p.mp4", 'video/mp4; codecs="avc1.64001f,mp4a.40.2"');
      while (!p.video._renderer.presented) await new Promise((res) => setTimeout(res, 20));
      await new Promise((res) => setTimeout(res, 500));  // (time to decode far ahead, if it would)
      const video = [...p.video._renderer.tracks.values()].find((t) => t.kind === "video");
      const out = { decoded: p.video._renderer.quality.decoded, waiting: video.chunks.length, frames: video.frames.length };
      p.video.remove();
      return out;
    });
    assert.ok(r.decoded <= 16 && r.decoded >= 2, JSON.stringify(r));  // VIDEO_AHEAD (12), and what the decoder holds
    assert.ok(r.waiting > 0, JSON.stringify(r));  // the rest of the pull waits for its turn
  });

  test("paused with nothing in flight, the loop idles (4 ticks a second); a seek wakes it at once", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const rd = p.video._renderer;
      while (!rd.presented) await new Promise((res) => setTimeout(res, 20));
      await new Promise((res) => setTimeout(res, 500));  // (the decoders fill up to their marks)
      let ticks = 0;
      const tick = rd.tick;
      rd.tick = () => { ticks += 1; tick(); };
      await new Promise((res) => setTimeout(res, 1000));
      const idleTicks = ticks;
      const seeked = h.once(p.video, "seeked", 5000);
      const t0 = performance.now();
      p.video.currentTime = 2.5;
      await seeked;
      while ((!rd.presented || Math.abs(rd.presented.timestamp / 1e6 - 2.5) > 0.05) && performance.now() - t0 < 3000) {
        await new Promise((res) => setTimeout(res, 5));
      }
      const out = { idleTicks, shownAfter: performance.now() - t0, shown: rd.presented?.timestamp / 1e6 };
      rd.tick = tick;
      p.video.remove();
      return out;
    }, H264);
    assert.ok(r.idleTicks <= 6, JSON.stringify(r));
    assert.ok(Math.abs(r.shown - 2.5) <= 0.05 && r.shownAfter < 250, JSON.stringify(r));
  });

  test("playbackRate 2 plays the stream in half the time", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      p.video.playbackRate = 2;
      const rate = h.once(p.video, "ratechange");
      await rate;
      const ended = h.once(p.video, "ended", 20000);
      const t0 = performance.now();
      await p.video.play();
      await ended;
      const wall = (performance.now() - t0) / 1000;
      const out = { wall, duration: p.video.duration };
      p.video.remove();
      return out;
    }, H264);
    assert.ok(Math.abs(r.wall - r.duration / 2) < 0.4, `${r.wall}s for ${r.duration}s at 2x`);
  });

  test("playbackRate 0 holds the position without pausing, and the audio is silent; 1 plays on", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      await p.video.play();
      await new Promise((res) => setTimeout(res, 600));
      const rms = () => {
        const buf = new Float32Array(2048);
        p.video._renderer.audio.analyser.getFloatTimeDomainData(buf);
        return Math.sqrt(buf.reduce((a, x) => a + x * x, 0) / buf.length);
      };
      const playingRms = rms();
      p.video.playbackRate = 0;
      await new Promise((res) => setTimeout(res, 300));  // what was in flight plays out
      const t0 = p.video.currentTime, atZeroRms = [];
      for (let i = 0; i < 4; i++) { await new Promise((res) => setTimeout(res, 150)); atZeroRms.push(rms()); }
      const t1 = p.video.currentTime, paused = p.video.paused;
      p.video.playbackRate = 1;
      await new Promise((res) => setTimeout(res, 600));
      const out = { playingRms, atZeroRms, held: t1 - t0, paused, resumed: p.video.currentTime - t1 };
      p.video.remove();
      return out;
    }, H264);
    assert.ok(r.playingRms > 0.05, `audio plays at rate 1 (rms ${r.playingRms})`);
    assert.ok(r.held < 0.02, `the position moved ${r.held} s in 0.6 s at rate 0`);
    assert.equal(r.paused, false);
    assert.ok(Math.max(...r.atZeroRms) < 0.001, `silent at rate 0: ${r.atZeroRms}`);
    assert.ok(r.resumed > 0.3, `back at rate 1 the position moved ${r.resumed} s in 0.6 s`);
  });

  test("playbackRate outside Chromium's range throws NotSupportedError, as native", async () => {
    const r = await page.evaluate(() => {
      const out = {};
      for (const impl of ["native", "msepy"]) {
        const { video } = h.make(impl);
        out[impl] = [-1, 0.05, 16.5, 0, 0.0625, 16, 3].map((v) => {
          try { video.playbackRate = v; return video.playbackRate; } catch (e) { return e.name; }
        });
        video.remove();
      }
      return out;
    });
    assert.deepEqual(r.msepy, ["NotSupportedError", "NotSupportedError", "NotSupportedError", 0, 0.0625, 16, 3]);
    assert.deepEqual(r.msepy, r.native);
  });

  test("seeking while playing: seeking, seeked, and playback goes on from there", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      await p.video.play();
      await new Promise((res) => setTimeout(res, 500));
      const log = [];
      for (const e of ["seeking", "seeked", "waiting", "playing", "timeupdate"]) p.video.addEventListener(e, () => log.push(e));
      const seeked = h.once(p.video, "seeked");
      p.video.currentTime = 3;
      const during = { seeking: p.video.seeking, currentTime: p.video.currentTime };
      await seeked;
      await new Promise((res) => setTimeout(res, 500));
      const out = { during, after: p.video.currentTime, log: [...new Set(log)], paused: p.video.paused };
      p.video.pause();
      p.video.remove();
      return out;
    }, H264);
    assert.deepEqual(r.during, { seeking: true, currentTime: 3 });
    assert.ok(r.after > 3.2 && r.after < 3.9, `currentTime ${r.after}`);
    assert.ok(r.log.indexOf("seeking") < r.log.indexOf("seeked"));
    assert.equal(r.paused, false);
  });

  test("<source> children, srcObject, and pause() rejecting a pending play()", async () => {
    const r = await page.evaluate(async ({ type }) => {
      const video = document.createElement(msepy.ELEMENT_TAG);
      const ms = new msepy.MediaSource();
      const source = document.createElement("source");
      source.src = URL.createObjectURL(ms);
      video.append(source);
      document.body.append(video);
      const opened = h.once(ms, "sourceopen");
      video.load();
      await opened;
      const viaSource = { readyState: ms.readyState, currentSrc: video.currentSrc === source.src };
      const ms2 = new msepy.MediaSource();
      const closed = h.once(ms, "sourceclose");
      const opened2 = h.once(ms2, "sourceopen");
      video.srcObject = ms2;
      await Promise.all([closed, opened2]);
      ms2.addSourceBuffer(type);
      const play = video.play();
      video.pause();
      let rejected = null;
      try { await play; } catch (e) { rejected = e.name; }
      video.remove();
      return { viaSource, first: ms.readyState, second: ms2.readyState, rejected };
    }, H264);
    assert.deepEqual(r.viaSource, { readyState: "open", currentSrc: true });
    assert.equal(r.first, "closed");
    assert.equal(r.second, "open");
    assert.equal(r.rejected, "AbortError");
  });

  test("appendBuffer() copies: the page's buffer changed right after the call changes nothing, as native; the copies are reused", async () => {
    const r = await page.evaluate(async () => {
      const data = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4");
      const out = {};
      for (const impl of ["native", "msepy"]) {
        const { video, sb } = await h.source(impl, 'video/mp4; codecs="avc1.64001f,mp4a.40.2"');
        const piece = new Uint8Array(256 * 1024);
        for (let i = 0; i < data.length; i += piece.length) {
          const n = Math.min(piece.length, data.length - i);
          piece.set(data.subarray(i, i + n));
          const done = h.once(sb, "updateend");
          sb.appendBuffer(piece.subarray(0, n));
          piece.fill(0xff);  // the page reuses its buffer at once
          await done;
        }
        out[impl] = { buffered: [sb.buffered.start(0), sb.buffered.end(sb.buffered.length - 1)], ranges: sb.buffered.length, error: video.error?.code ?? null };
        video.remove();
      }
      out.reused = msepy.engine.buffers.length;
      return out;
    });
    // (within a microsecond: Chromium keeps its times in whole microseconds)
    for (const k of [0, 1]) assert.ok(Math.abs(r.msepy.buffered[k] - r.native.buffered[k]) <= 1e-6, JSON.stringify(r));
    assert.deepEqual([r.msepy.ranges, r.msepy.error], [r.native.ranges, null]);
    assert.ok(r.reused > 0, "the worker handed the copies back");
  });

  test("an event nobody listens for runs no task; a listener added from an earlier event's handler, a capture listener and an on-handler hear theirs", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const data = await h.bytes(url);
      const { video, ms } = h.make("msepy");
      const opened = h.once(ms, "sourceopen");
      video.src = URL.createObjectURL(ms);
      await opened;
      const sb = ms.addSourceBuffer(type);
      const heard = [];
      const onUpdate = () => heard.push("update");
      const onUpdatestart = () => {
        heard.push("updatestart");
        sb.addEventListener("update", onUpdate, { capture: true });
      };
      sb.addEventListener("updatestart", onUpdatestart);
      const removed = () => heard.push("removed listener");
      sb.addEventListener("updateend", removed);
      sb.removeEventListener("updateend", removed);
      ms.activeSourceBuffers.onaddsourcebuffer = () => heard.push("addsourcebuffer");
      sb.onupdateend = () => heard.push("updateend");
      const dispatched = [];  // what the engine dispatched at the SourceBuffer
      sb.dispatchEvent = (event) => { dispatched.push(event.type); return EventTarget.prototype.dispatchEvent.call(sb, event); };
      const append = async (bytes) => {
        heard.length = dispatched.length = 0;
        const done = h.once(sb, "updateend");
        sb.appendBuffer(bytes);
        await done;
        return { heard: [...heard], dispatched: [...dispatched] };
      };
      const first = await append(data.subarray(0, data.length >> 1));
      sb.removeEventListener("updatestart", onUpdatestart);
      sb.removeEventListener("update", onUpdate, true);
      const second = await append(data.subarray(data.length >> 1));
      video.remove();
      return { first, second };
    }, H264);
    assert.deepEqual(r.first.heard, ["updatestart", "addsourcebuffer", "update", "updateend"]);
    assert.deepEqual(r.second.heard, ["updateend"]);
    assert.deepEqual(r.second.dispatched, ["updateend"], "updatestart and update, unheard, were not dispatched");
  });

  test("a page that gets no frame callbacks plays on, frame by frame (the ticks come from a timer)", async () => {
    // Chromium gives a visible page no frame callbacks when it does not draw it (a
    // headless page behind the front one): the renderer's loop must not stop there.
    const p2 = await env.page();
    try {
      const r = await p2.evaluate(async () => {
        const p = await h.load("msepy", "/tests/fixtures/mp4/h264_cmaf.mp4", 'video/mp4; codecs="avc1.64000b"');
        let callbacks = 0;
        globalThis.requestAnimationFrame = () => { callbacks += 1; return 0; };  // never called back
        const ended = h.once(p.video, "ended", 20000);
        const t0 = performance.now();
        await p.video.play();
        await ended;
        const out = { wall: (performance.now() - t0) / 1000, duration: p.video.duration, callbacks, stats: p.video.msepyStats };
        p.video.remove();
        return out;
      });
      assert.ok(r.callbacks > 0);
      assert.ok(Math.abs(r.wall - r.duration) < 0.5, JSON.stringify(r));
      assert.equal(r.stats.decoded, 50, JSON.stringify(r.stats));
      assert.ok(r.stats.total >= 48 && r.stats.dropped <= 2, JSON.stringify(r.stats));
      assert.ok(r.stats.avOffsetMaxAbs < 0.04, JSON.stringify(r.stats));
    } finally {
      await p2.close();
    }
  });

  test("timeupdate while playing comes about every 250 ms of wall time, as Chromium's, whatever the rate", async () => {
    // HTML: every 15 to 250 ms.  Per 0.1 s of media instead, a 4x player got one every
    // 25 ms, and dash.js caught a position past its MPD's end that had not ended yet.
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      p.video.muted = true;
      p.video.playbackRate = 2;
      const times = [];
      const playing = h.once(p.video, "playing", 10000);
      await p.video.play();
      await playing;
      p.video.addEventListener("timeupdate", () => { if (!p.video.paused) times.push(performance.now()); });
      await h.once(p.video, "ended", 20000);
      p.video.remove();
      return times.slice(1).map((t, i) => t - times[i]);
    }, H264);
    const gaps = r.slice(0, -1).sort((a, b) => a - b);  // (the last: at the end, at once)
    assert.ok(gaps.length >= 4, JSON.stringify(r));
    const median = gaps[gaps.length >> 1];
    assert.ok(median > 200 && median < 300, `median gap ${median} ms: ${JSON.stringify(r)}`);
    assert.ok(gaps[0] > 100, `gaps ${JSON.stringify(r)}`);
  });

  test("removed from its document, a playing element pauses (HTML removal steps) and keeps its data; moved, it plays on", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      const playing = h.once(p.video, "playing", 10000);
      await p.video.play();
      await playing;
      const events = [];
      for (const type of ["pause", "timeupdate"]) p.video.addEventListener(type, () => events.push(type));
      document.body.append(p.video);  // a move: out of the document and back in one task
      await new Promise((res) => setTimeout(res, 200));
      const moved = { paused: p.video.paused, events: events.filter((e) => e === "pause").length };
      const paused = h.once(p.video, "pause", 5000);
      const t0 = performance.now();
      p.video.remove();
      await paused;
      const after = performance.now() - t0, at = p.video.currentTime;
      await new Promise((res) => setTimeout(res, 300));
      const r = p.video._renderer;
      const out = { moved, after, at, duration: p.video.duration, paused: p.video.paused, events, held: p.video.currentTime === at,
        buffered: h.ranges(p.video.buffered), readyState: p.video.readyState,
        asleep: { pipelines: r.tracks.size, loop: r.running, audio: r.audio.ctx?.state } };
      // Back in the document it plays on from where it stood, to the end.
      const decoded = r.quality.decoded;
      document.body.append(p.video);
      const ended = h.once(p.video, "ended", 10000);
      await p.video.play();
      await ended;
      out.back = { from: at, decoded: r.quality.decoded - decoded, shown: r.presented?.timestamp / 1e6, t: p.video.currentTime };
      p.video.remove();
      return out;
    }, H264);
    assert.deepEqual(r.moved, { paused: false, events: 0 });
    assert.ok(r.after < 300 && r.at < r.duration - 1, JSON.stringify(r));  // paused at once, not at the end
    assert.equal(r.paused, true);
    assert.deepEqual(r.events.slice(-2), ["timeupdate", "pause"]);
    assert.ok(r.held, "the position stood still");
    assert.equal(r.buffered.length, 1);
    assert.ok(r.readyState >= 2, JSON.stringify(r));
    // Out of the document and paused, it keeps no pipeline; back in, it refills and plays.
    assert.deepEqual(r.asleep, { pipelines: 0, loop: false, audio: "suspended" });
    assert.equal(r.back.t, r.duration);
    assert.ok(r.back.shown > r.duration - 0.1, JSON.stringify(r.back));
    assert.ok(r.back.decoded >= (r.duration - r.at) * 25 - 2, JSON.stringify(r.back));
  });

  test("an element not yet in a document decodes nothing; inserted, it shows the first frame", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const video = document.createElement("msepy-video");
      const ms = new msepy.MediaSource();
      const opened = h.once(ms, "sourceopen");
      video.src = URL.createObjectURL(ms);
      await opened;
      const sb = ms.addSourceBuffer(type);
      await h.append(sb, await h.bytes(url));
      await new Promise((res) => setTimeout(res, 300));
      const before = { decoded: video._renderer.quality.decoded, readyState: video.readyState };
      document.body.append(video);
      const t0 = performance.now();
      while (!video._renderer.presented && performance.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 10));
      const out = { before, shown: video._renderer.presented?.timestamp ?? null };
      video.remove();
      return out;
    }, H264);
    assert.deepEqual(r.before, { decoded: 0, readyState: 4 });
    assert.equal(r.shown, 80_000);  // the fixture's first video frame (its audio starts at 0)
  });

  test("a player the page dropped is collected, and the engine lets its objects and media go; one playing out of the document plays on", async () => {
    const p2 = await env.page();
    try {
      const made = await p2.evaluate(async ({ url, type }) => {
        const data = await h.bytes(url);
        const drop = async () => {  // an element never inserted, its source, 1 MB appended
          const video = document.createElement("msepy-video");
          const ms = new msepy.MediaSource();
          const opened = h.once(ms, "sourceopen");
          video.src = URL.createObjectURL(ms);
          await opened;
          URL.revokeObjectURL(video.src);
          const sb = ms.addSourceBuffer(type);
          await h.append(sb, data);
          return { sb: sb._oid, inspected: (await sb.msepyInspect()).tracks.length };
        };
        const dropped = await drop();
        // One left playing out of the document, unreferenced: it must play to its end.
        globalThis.playedOut = false;
        await (async () => {
          const p = await h.load("msepy", "/e2e/fixtures/frames_h264.mp4", 'video/mp4; codecs="avc1.64000c,mp4a.40.2"');
          p.video.addEventListener("ended", () => { globalThis.playedOut = true; });
          await p.video.play();
          const paused = h.once(p.video, "pause", 5000);
          p.video.remove();
          await paused;  // the removal steps paused it; out of the document it may play on
          await p.video.play();
        })();
        return dropped;
      }, { url: "/tests/fixtures/mp4/bench_720p.mp4", type: 'video/mp4; codecs="avc1.64001f,mp4a.40.2"' });
      assert.ok(made.inspected >= 2, JSON.stringify(made));
      let gone = null;
      for (let i = 0; i < 20 && !gone; i++) {
        await p2.requestGC();
        gone = await p2.evaluate(async (sb) => {
          await new Promise((res) => setTimeout(res, 100));
          return msepy.engine.op({ op: "inspect", target: sb }, { result: true }).then(() => null, (e) => e.name);
        }, made.sb);
      }
      assert.equal(gone, "NotFoundError");  // the engine holds nothing for it any more
      const playedOut = await p2.evaluate(async () => {
        const t0 = performance.now();
        while (!globalThis.playedOut && performance.now() - t0 < 10000) await new Promise((res) => setTimeout(res, 50));
        return globalThis.playedOut;
      });
      assert.equal(playedOut, true);
    } finally {
      await p2.close();
    }
  });

  test("the page side predicted every exception the engine threw", async () => {
    const mismatches = await page.evaluate(() => msepy.engine.stats.mismatches || 0);
    assert.equal(mismatches, 0, page.logs.filter((l) => l.includes("the page side")).join("\n"));
  });
});

describe("audio splices", () => {
  test("an overlapping append splices with a crossfade and plays on to the end", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.source("msepy", 'audio/mp4; codecs="mp4a.40.2"');
      const sb = p.sb;
      const data = await h.bytes("/tests/fixtures/mp4/aac_44k.mp4");
      await h.append(sb, data);
      sb.timestampOffset = 1.0023;  // lands inside an AAC frame: a splice frame
      await h.append(sb, data);
      p.ms.endOfStream();
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await ended;
      const out = { stats: p.video.msepyStats.audioStats, error: p.video.error, t: p.video.currentTime, d: p.video.duration,
        buffered: h.ranges(p.video.buffered) };
      p.video.remove();
      return out;
    });
    assert.equal(r.error, null);
    assert.equal(r.t, r.d);
    assert.ok(r.stats.splices >= 1, JSON.stringify(r.stats));
  });

});
