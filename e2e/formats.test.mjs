// The formats beyond ISO BMFF and WebM through <msepy-video>: MPEG-2 TS (H.264 as
// Annex B: the decoder is configured without a description) plays its frames on the
// clock with sound at the right pitch; MP3, MPEG audio layer II and ADTS AAC play to
// `ended` with ffprobe's duration, at 440 Hz.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { expectedIndex, repo, setup, videoTimes } from "./lib.mjs";

const AUDIO = JSON.parse(fs.readFileSync(path.join(repo, "tests/fixtures/audio/expected.json")));
const TS_FRAMES = { url: "/e2e/fixtures/frames_h264.ts", file: "e2e/fixtures/frames_h264.ts",
  type: 'video/mp2t; codecs="avc1.64000c,mp4a.40.2"' };

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(() => {
    // As players do: start where the media starts (MPEG-2 TS at 1.4 s).
    window.toStart = async (video) => {
      const b = video.buffered;
      if (b.length && b.start(0) > video.currentTime) {
        const seeked = h.once(video, "seeked");
        video.currentTime = b.start(0);
        await seeked;
      }
    };
  });
});
after(async () => { await env?.close(); });

describe("MPEG-2 TS", () => {
  test("H.264 (Annex B) + AAC: the frame shown follows the clock, the worklet plays 440 Hz", async () => {
    const times = videoTimes(TS_FRAMES.file, "video/mp2t");
    assert.ok(times.length >= 99, `${times.length} frames`);   // the last access unit ends with the stream
    const r = await page.evaluate(async ({ url, type }) => {
      const p = await h.load("msepy", url, type);
      await toStart(p.video);
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      let done = false;
      ended.then(() => { done = true; });
      const samples = [];
      let hz = null;
      const t0 = performance.now();
      while (!done) {
        await new Promise((res) => requestAnimationFrame(res));
        if (performance.now() - t0 > 25000) break;
        if (p.video._renderer.presented) { const t = p.video._renderer.clockNow(); samples.push([t, await h.readCode(p.video)]); }
        if (hz === null && performance.now() - t0 > 1000) hz = await h.pitch(p.video, 0.3);
      }
      const video = [...p.video._renderer.tracks.values()].find((t) => t.kind === "video");
      const out = { samples, hz, error: p.video.error, t: p.video.currentTime, d: p.video.duration,
        description: video.wcConfig && "description" in video.wcConfig, codec: video.wcConfig?.codec,
        dropped: p.video.getVideoPlaybackQuality().droppedVideoFrames };
      p.video.remove();
      return out;
    }, TS_FRAMES);
    assert.equal(r.error, null);
    assert.equal(r.t, r.d);
    assert.match(r.codec, /^avc1\.64/);
    assert.equal(r.description, false);   // Annex B: in-band SPS/PPS, no avcC
    assert.ok(Math.abs(r.hz - 440) < 2, `measured ${r.hz} Hz`);
    assert.ok(r.samples.length > 50, `${r.samples.length} samples`);
    const off = r.samples.filter(([t, n]) => Math.abs(expectedIndex(times, t) - n) > 1);
    assert.ok(off.length <= r.samples.length * 0.05, `${off.length}/${r.samples.length} samples more than a frame off: ${JSON.stringify(off.slice(0, 5))}`);
  });

  test("H.264 + MP3 in TS: plays to ended at 440 Hz", async (t) => {
    const r = await page.evaluate(async () => {
      const ok = await AudioDecoder.isConfigSupported({ codec: "mp3", sampleRate: 44100, numberOfChannels: 2 }).catch(() => ({}));
      if (!ok.supported) return { skipped: "this Chromium cannot decode MP3" };
      const p = await h.load("msepy", "/tests/fixtures/ts/h264_mp3.ts", 'video/mp2t; codecs="avc1.64000b,mp3"');
      await toStart(p.video);
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await new Promise((res) => setTimeout(res, 700));
      const hz = await h.pitch(p.video, 0.3);
      await ended;
      const out = { hz, error: p.video.error, t: p.video.currentTime, d: p.video.duration, frames: p.video.getVideoPlaybackQuality().totalVideoFrames };
      p.video.remove();
      return out;
    });
    if (r.skipped) { t.skip(r.skipped); return; }
    assert.equal(r.error, null);
    assert.equal(r.t, r.d);
    assert.ok(r.frames > 10, `${r.frames} frames`);
    assert.ok(Math.abs(r.hz - 440) < 2, `measured ${r.hz} Hz`);
  });
});

describe("MPEG audio and ADTS AAC", () => {
  for (const [name, info] of Object.entries(AUDIO)) {
    test(`${name}: plays to ended, duration ffprobe's within a frame, 440 Hz`, async (t) => {
      const aac = name.endsWith(".aac");
      const frame = (aac ? 1024 : 1152) / info.sample_rate;
      const r = await page.evaluate(async ({ url, type, codec, rate, channels }) => {
        const ok = await AudioDecoder.isConfigSupported({ codec, sampleRate: rate, numberOfChannels: channels }).catch(() => ({}));
        if (!ok.supported) return { skipped: `this Chromium cannot decode ${codec}` };
        const p = await h.load("msepy", url, type);
        await toStart(p.video);
        const ended = h.once(p.video, "ended", 20000);
        await p.video.play();
        await new Promise((res) => setTimeout(res, 350));
        const hz = await h.pitch(p.video, 0.25);
        await ended;
        const out = { hz, error: p.video.error, t: p.video.currentTime, d: p.video.duration,
          log: p.log.filter((e) => e.startsWith("el:")) };
        p.video.remove();
        return out;
      }, { url: `/tests/fixtures/audio/${name}`, type: aac ? "audio/aac" : "audio/mpeg",
        codec: aac ? "mp4a.40.2" : info.codec_name === "mp3" ? "mp3" : "mp4a.6B",
        rate: info.sample_rate, channels: info.channels });
      if (r.skipped) { t.skip(r.skipped); return; }
      assert.equal(r.error, null);
      assert.equal(r.t, r.d);
      assert.ok(Math.abs(r.d - Number(info.duration)) <= frame + 1e-6,
        `duration ${r.d} vs ffprobe ${info.duration} (a frame is ${frame.toFixed(6)} s)`);
      // (One resize, at metadata: 0 x 0, as Chromium's <video> of audio alone.)
      assert.ok(r.log.includes("el:ended") && r.log.filter((e) => e === "el:resize").length === 1, r.log.join(" "));
      assert.ok(Math.abs(r.hz - 440) < 3, `measured ${r.hz} Hz`);
    });
  }
});

describe("append window", () => {
  test("audio straddling the append window plays only its part inside it", async () => {
    const r = await page.evaluate(async () => {
      const p = await h.source("msepy", 'audio/mp4; codecs="mp4a.40.2"');
      const sb = p.sb;
      sb.appendWindowStart = 0.5105;   // inside an AAC frame (1024 / 44100 s)
      sb.appendWindowEnd = 0.8003;
      await h.append(sb, await h.bytes("/tests/fixtures/mp4/aac_44k.mp4"));
      p.ms.endOfStream();
      const buffered = h.ranges(sb.buffered);
      const seeked = h.once(p.video, "seeked");
      p.video.currentTime = buffered[0][0];
      await seeked;
      const ended = h.once(p.video, "ended", 20000);
      await p.video.play();
      await ended;
      const a = p.video._renderer.audio;
      const out = { buffered, base: a.base, start: a.start, write: a.write, rate: a.sampleRate, error: p.video.error,
        t: p.video.currentTime, d: p.video.duration };
      p.video.remove();
      return out;
    });
    assert.equal(r.error, null);
    assert.equal(r.t, r.d);
    assert.ok(Math.abs(r.buffered[0][0] - 0.5105) < 1e-4 && Math.abs(r.buffered[0][1] - 0.8003) < 1e-4, JSON.stringify(r.buffered));
    // The ring starts at the window start and holds the window's samples, no more.
    assert.ok(Math.abs(r.base - 0.5105) < 2 / r.rate, `audio starts at ${r.base}`);
    const samples = r.write - r.start;
    assert.ok(Math.abs(samples - (0.8003 - 0.5105) * r.rate) <= 2, `${samples} samples`);
  });
});
