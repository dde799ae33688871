// appendEncodedChunks(): WebCodecs chunks (made here by VideoEncoder/AudioEncoder) buffered
// through a SourceBufferConfig; the promise in place of the update events; TypeError for
// a chunk without a duration; AbortError on abort(); changeType() between byte streams
// and chunks.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./lib.mjs";

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(() => {
    // 160x120 VP8 at 25 fps: `count` frames from `start` µs, a keyframe every second.
    window.encodeVideo = async (count, start = 0) => {
      const chunks = [];
      const encoder = new VideoEncoder({ output: (c) => chunks.push(c), error: (e) => { throw e; } });
      encoder.configure({ codec: "vp8", width: 160, height: 120, bitrate: 200_000, framerate: 25 });
      const canvas = new OffscreenCanvas(160, 120), g = canvas.getContext("2d");
      for (let i = 0; i < count; i++) {
        g.fillStyle = `hsl(${i * 7}, 80%, 50%)`;
        g.fillRect(0, 0, 160, 120);
        const frame = new VideoFrame(canvas, { timestamp: start + i * 40_000, duration: 40_000 });
        encoder.encode(frame, { keyFrame: i % 25 === 0 });
        frame.close();
      }
      await encoder.flush();
      encoder.close();
      return chunks;
    };
    // Opus, 48 kHz mono, a 440 Hz tone: `seconds` of 20 ms chunks.
    window.encodeAudio = async (seconds) => {
      const chunks = [];
      const encoder = new AudioEncoder({ output: (c) => chunks.push(c), error: (e) => { throw e; } });
      encoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 1, bitrate: 32000 });
      const n = 960;
      for (let k = 0; k < seconds * 50; k++) {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = 0.3 * Math.sin(2 * Math.PI * 440 * (k * n + i) / 48000);
        const audio = new AudioData({ format: "f32", sampleRate: 48000, numberOfFrames: n, numberOfChannels: 1, timestamp: k * 20_000, data });
        encoder.encode(audio);
        audio.close();
      }
      await encoder.flush();
      encoder.close();
      return chunks;
    };
  });
});
after(async () => { await env?.close(); });

describe("appendEncodedChunks()", () => {
  test("video chunks buffer and play; the promise replaces the update events", async () => {
    const r = await page.evaluate(async () => {
      const chunks = await encodeVideo(50);
      const p = await h.source("msepy", { videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      const sb = p.sb;
      const log = [];
      h.record(log, "sb", sb, h.SB_EVENTS);
      const promise = sb.appendEncodedChunks(chunks);
      const updating = sb.updating;
      const value = await promise;
      const after = { updating: sb.updating, buffered: h.ranges(sb.buffered), type: typeof value };
      p.ms.endOfStream();
      const ended = h.once(p.video, "ended", 10_000);
      await p.video.play();
      await ended;
      const out = { updating, after, log, frames: p.video.getVideoPlaybackQuality().totalVideoFrames,
        t: p.video.currentTime, size: [p.video.videoWidth, p.video.videoHeight], tracks: p.video.videoTracks.length };
      p.video.remove();
      return out;
    });
    assert.equal(r.updating, true);
    assert.deepEqual(r.after, { updating: false, buffered: [[0, 2]], type: "undefined" });
    assert.deepEqual(r.log, []);
    assert.equal(r.frames, 50);
    assert.equal(r.t, 2);
    assert.deepEqual(r.size, [160, 120]);
    assert.equal(r.tracks, 1);
  });

  test("audio chunks (one sequence) buffer and play", async () => {
    const r = await page.evaluate(async () => {
      const chunks = await encodeAudio(1);
      const p = await h.source("msepy", { audioConfig: { codec: "opus", sampleRate: 48000, numberOfChannels: 1 } });
      const sb = p.sb;
      await sb.appendEncodedChunks(chunks);
      const buffered = h.ranges(sb.buffered);
      p.ms.endOfStream();
      const ended = h.once(p.video, "ended", 10_000);
      await p.video.play();
      await ended;
      const out = { n: chunks.length, buffered, t: p.video.currentTime, audio: p.video.audioTracks.length };
      p.video.remove();
      return out;
    });
    assert.equal(r.audio, 1);
    assert.equal(r.buffered.length, 1);
    assert.ok(r.buffered[0][0] === 0 && Math.abs(r.buffered[0][1] - r.n * 0.02) < 0.03, JSON.stringify(r));
    assert.ok(r.t > 0.9, `${r.t}`);
  });

  test("TypeError for a chunk without duration; AbortError when abort() ends the append", async () => {
    const r = await page.evaluate(async () => {
      const chunks = await encodeVideo(25);
      const p = await h.source("msepy", { videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      const sb = p.sb;
      const log = [];
      h.record(log, "sb", sb, h.SB_EVENTS);
      const data = new Uint8Array(chunks[0].byteLength);
      chunks[0].copyTo(data);
      const noDuration = new EncodedVideoChunk({ type: "key", timestamp: 0, data });
      const outcome = (promise) => promise.then(() => "resolved", (e) => e.name);
      const typeError = await outcome(sb.appendEncodedChunks([noDuration]));
      const updatingAfterTypeError = sb.updating;
      const notChunks = await outcome(sb.appendEncodedChunks([{ type: "key" }]));
      const pending = sb.appendEncodedChunks(chunks);
      sb.abort();
      const aborted = await outcome(pending);
      const afterAbort = { updating: sb.updating, buffered: h.ranges(sb.buffered) };
      const again = await outcome(sb.appendEncodedChunks(chunks));
      await new Promise((res) => setTimeout(res, 100));
      const out = { typeError, updatingAfterTypeError, notChunks, aborted, afterAbort, again, buffered: h.ranges(sb.buffered), log };
      p.video.remove();
      return out;
    });
    assert.equal(r.typeError, "TypeError");
    assert.equal(r.updatingAfterTypeError, false);
    assert.equal(r.notChunks, "TypeError");
    assert.equal(r.aborted, "AbortError");
    assert.deepEqual(r.afterAbort, { updating: false, buffered: [] });
    assert.equal(r.again, "resolved");
    assert.deepEqual(r.buffered, [[0, 1]]);
    assert.deepEqual(r.log, [], "no abort/updateend events: the promise rejects instead");
  });

  test("addSourceBuffer/changeType check the SourceBufferConfig", async () => {
    const r = await page.evaluate(async () => {
      const p = h.make("msepy");
      await h.open(p.video, p.ms);
      const attempt = (fn) => { try { fn(); return "ok"; } catch (e) { return e.name; } };
      const out = {
        neither: attempt(() => p.ms.addSourceBuffer({})),
        both: attempt(() => p.ms.addSourceBuffer({ audioConfig: { codec: "opus", sampleRate: 48000, numberOfChannels: 1 }, videoConfig: { codec: "vp8" } })),
        emptyCodec: attempt(() => p.ms.addSourceBuffer({ videoConfig: { codec: " " } })),
        noRate: attempt(() => p.ms.addSourceBuffer({ audioConfig: { codec: "opus" } })),
        unsupported: attempt(() => p.ms.addSourceBuffer({ videoConfig: { codec: "theora" } })),
        wrongKind: attempt(() => p.ms.addSourceBuffer({ audioConfig: { codec: "vp8", sampleRate: 48000, numberOfChannels: 1 } })),
      };
      const sb = p.ms.addSourceBuffer({ videoConfig: { codec: "vp8" } });
      out.changeToUnsupported = attempt(() => sb.changeType({ videoConfig: { codec: "theora" } }));
      out.changeToBytes = attempt(() => sb.changeType('video/webm; codecs="vp8"'));
      await new Promise((res) => setTimeout(res, 100));
      p.video.remove();
      return out;
    });
    assert.deepEqual(r, { neither: "TypeError", both: "TypeError", emptyCodec: "TypeError", noRate: "TypeError",
      unsupported: "NotSupportedError", wrongKind: "NotSupportedError", changeToUnsupported: "NotSupportedError", changeToBytes: "ok" });
  });

  test("changeType() switches between a byte stream and chunks", async () => {
    const r = await page.evaluate(async () => {
      const p = h.make("msepy");
      await h.open(p.video, p.ms);
      const bytes = await h.bytes("/tests/fixtures/mp4/h264_cmaf.mp4");
      const sb = p.ms.addSourceBuffer('video/mp4; codecs="avc1.64000b"');
      await h.append(sb, bytes);
      const first = h.ranges(sb.buffered);
      const end = first[0][1];
      sb.changeType({ videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      await sb.appendEncodedChunks(await encodeVideo(50, Math.round(end * 1e6)));
      const second = h.ranges(sb.buffered);
      sb.changeType('video/mp4; codecs="avc1.64000b"');
      sb.timestampOffset = second[0][1];
      await h.append(sb, bytes);
      const third = h.ranges(sb.buffered);
      const out = { first, second, third, error: p.video.error, tracks: p.video.videoTracks.length };
      p.video.remove();
      return out;
    });
    const end = r.first[0][1];
    assert.equal(r.first[0][0], 0);
    assert.equal(r.second.length, 1);
    assert.ok(Math.abs(r.second[0][1] - (end + 2)) < 1e-6, JSON.stringify(r.second));
    assert.equal(r.third.length, 1);
    assert.ok(Math.abs(r.third[0][1] - (2 * end + 2)) < 0.01, JSON.stringify(r.third));
    assert.equal(r.error, null);
    assert.equal(r.tracks, 1);
  });

  test("playback crosses changeType() switches: H.264 bytes, VP8 chunks, H.264 bytes", async () => {
    // The frame feed reconfigures the decoder where the frames' track description
    // changes, so one SourceBuffer plays across codec and byte-stream/chunk switches.
    const r = await page.evaluate(async () => {
      const p = h.make("msepy");
      await h.open(p.video, p.ms);
      const bytes = await h.bytes("/tests/fixtures/mp4/h264_cmaf.mp4");
      const sb = p.ms.addSourceBuffer('video/mp4; codecs="avc1.64000b"');
      await h.append(sb, bytes);
      const end = h.ranges(sb.buffered)[0][1];
      sb.changeType({ videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      await sb.appendEncodedChunks(await encodeVideo(25, Math.round(end * 1e6)));
      sb.changeType('video/mp4; codecs="avc1.64000b"');
      sb.timestampOffset = h.ranges(sb.buffered)[0][1];
      await h.append(sb, bytes);
      p.ms.endOfStream();
      const ended = h.once(p.video, "ended", 20_000);
      await p.video.play();
      await ended;
      const out = { error: p.video.error, t: p.video.currentTime, duration: p.ms.duration,
        frames: p.video.getVideoPlaybackQuality().totalVideoFrames };
      p.video.remove();
      return out;
    });
    assert.equal(r.error, null);
    assert.ok(Math.abs(r.t - r.duration) < 1e-6, JSON.stringify(r));
    assert.ok(r.frames >= 25 + 2 * 20, `frames shown across the three parts: ${JSON.stringify(r)}`);
  });

  test("a SourceBuffer made for a byte stream plays chunks after changeType()", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.source("msepy", 'video/webm; codecs="vp8"');
      const sb = p.sb;
      sb.changeType({ videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      await sb.appendEncodedChunks(await encodeVideo(25));
      p.ms.endOfStream();
      const ended = h.once(p.video, "ended", 10_000);
      await p.video.play();
      await ended;
      const out = { t: p.video.currentTime, frames: p.video.getVideoPlaybackQuality().totalVideoFrames,
        mismatches: msepy.engine.stats.mismatches || 0 };
      p.video.remove();
      return out;
    });
    assert.deepEqual(r, { t: 1, frames: 25, mismatches: 0 });
  });

  test("appending the wrong kind is an append error: AbortError, and the stream ends with a decode error", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.source("msepy", { videoConfig: { codec: "vp8", codedWidth: 160, codedHeight: 120 } });
      const sb = p.sb;
      const audio = await encodeAudio(0.2);
      const error = h.once(p.video, "error");
      const outcome = await sb.appendEncodedChunks(audio).then(() => "resolved", (e) => e.name);
      await error;
      const out = { outcome, code: p.video.error.code, message: p.video.error.message, readyState: p.ms.readyState };
      p.video.remove();
      return out;
    });
    assert.equal(r.outcome, "AbortError");
    assert.equal(r.code, 3);
    assert.match(r.message, /EncodedAudioChunk after a videoConfig/);
    assert.equal(r.readyState, "ended");
  });
});
