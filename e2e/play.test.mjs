// Boot, install(), and every fixture format plays to `ended` through <msepy-video>.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { repo, setup } from "./lib.mjs";

const WEBM_CODECS = { vp9: "vp9", vp8: "vp8", opus: "opus", vorbis: "vorbis", av1: "av01.0.00M.08" };

function fixtures() {
  const out = [];
  const mp4 = JSON.parse(fs.readFileSync(path.join(repo, "tests/fixtures/mp4/expected.json")));
  for (const [name, info] of Object.entries(mp4)) {
    if (name === "bench_720p") continue;  // the benchmark's
    const audioOnly = info.codecs.every((c) => /^(mp4a|opus|flac)/.test(c));
    out.push({ url: `/tests/fixtures/mp4/${name}.mp4`, type: `${audioOnly ? "audio" : "video"}/mp4; codecs="${info.codecs.join(",")}"` });
  }
  const webm = JSON.parse(fs.readFileSync(path.join(repo, "tests/fixtures/webm/expected.json")));
  for (const [name, info] of Object.entries(webm)) {
    const codecs = info.ffprobe.map((s) => WEBM_CODECS[s.codec_name]);
    const audioOnly = info.ffprobe.every((s) => s.width == null);
    out.push({ url: `/tests/fixtures/webm/${name}.webm`, type: `${audioOnly ? "audio" : "video"}/webm; codecs="${codecs.join(",")}"` });
  }
  const ts = JSON.parse(fs.readFileSync(path.join(repo, "tests/fixtures/ts/expected.json")));
  for (const [name, info] of Object.entries(ts)) {
    out.push({ url: `/tests/fixtures/ts/${name}.ts`, type: `video/mp2t; codecs="${info.codecs.join(",")}"` });
  }
  const audio = JSON.parse(fs.readFileSync(path.join(repo, "tests/fixtures/audio/expected.json")));
  for (const [name, info] of Object.entries(audio)) {
    const aac = name.endsWith(".aac");
    out.push({ url: `/tests/fixtures/audio/${name}`, type: aac ? "audio/aac" : "audio/mpeg",
      decode: [aac ? "mp4a.40.2" : info.codec_name === "mp3" ? "mp3" : "mp4a.6B"] });
  }
  out.push({ url: "/e2e/fixtures/frames_h264.mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' });
  out.push({ url: "/e2e/fixtures/frames_vp9.webm", type: 'video/webm; codecs="vp9,opus"' });
  return out;
}

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
});
after(async () => { await env?.close(); });

describe("boot", () => {
  test("progress reaches the page in stages, then ready", async () => {
    const stages = await page.evaluate(() => window.bootProgress.map((p) => p.stage || p.kind));
    assert.deepEqual(stages.filter((s) => s !== "ready"), ["runtime", "micropip", "msepy", "engine"]);
    const info = await page.evaluate(() => msepy.ready);
    assert.match(info.version, /^msepy \d/);
  });

  // What a fresh session in a booted engine gives: tracks (their ids from "1": the
  // warm-up left no trace), ranges, duration, events.
  const oneSession = async (p) => p.evaluate(async () => {
    const s = await h.load("msepy", "/e2e/fixtures/frames_h264.mp4", 'video/mp4; codecs="avc1.64000c,mp4a.40.2"');
    const out = { buffered: h.ranges(s.sb.buffered), duration: s.ms.duration, log: s.log,
      tracks: [...s.video.videoTracks, ...s.video.audioTracks].map((t) => `${t.kind}:${t.id}`).sort() };
    s.video.remove();
    return out;
  });
  let first = null;  // the first session of the first page's engine

  test("a later boot starts from the first boot's snapshot: the same engine, sooner", async () => {
    const cold = await page.evaluate(() => msepy.engine.info);
    assert.equal(cold.fromSnapshot, false);
    // The snapshot is stored a few seconds after the first boot (web/src/boot-snapshot.js).
    await page.evaluate(async () => {
      const cache = await caches.open("msepy-boot");
      for (let t = 0; !(await cache.keys()).length; t += 250) {
        if (t > 30_000) throw new Error("no boot snapshot stored");
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    const later = await env.page();
    try {
      const warm = await later.evaluate(() => ({ ...msepy.engine.info, stages: window.bootProgress.map((p) => p.stage || p.kind) }));
      assert.equal(warm.fromSnapshot, true);
      assert.deepEqual(warm.stages.filter((s) => s !== "ready"), ["runtime", "engine"]);
      assert.ok(warm.bootMs < cold.bootMs / 1.5, `snapshot boot ${warm.bootMs} ms, cold boot ${cold.bootMs} ms`);
      first = await oneSession(page);
      assert.deepEqual(first.tracks, ["main:1", "main:2"]);
      assert.deepEqual(await oneSession(later), first);
    } finally {
      await later.close();
    }
  });

  test("snapshot=off boots cold though a snapshot is stored", async () => {
    const r = await page.evaluate(() => new Promise((resolve, reject) => {
      const worker = new Worker("/web/worker.js?snapshot=off", { type: "module" });
      const stages = [];
      worker.onmessage = (e) => {
        if (e.data.kind === "progress") stages.push(e.data.stage);
        if (e.data.kind === "ready") { worker.terminate(); resolve({ stages, fromSnapshot: e.data.fromSnapshot }); }
        if (e.data.kind === "failed") reject(new Error(e.data.message));
      };
    }));
    assert.deepEqual(r, { stages: ["runtime", "micropip", "msepy", "engine"], fromSnapshot: false });
  });

  test("a snapshot that does not restore is dropped, and the boot goes cold", async () => {
    await page.evaluate(async () => {
      const cache = await caches.open("msepy-boot");
      const [key] = await cache.keys();
      await cache.put(key, new Response(new Uint8Array(4096).fill(7), { headers: { "X-Msepy-Loaded": "{}" } }));
    });
    const next = await env.page();
    try {
      const info = await next.evaluate(() => msepy.engine.info);
      assert.equal(info.fromSnapshot, false);
      assert.ok(next.logs.some((l) => l.includes("did not restore")), next.logs.join("\n"));
      assert.deepEqual(await oneSession(next), first ?? await oneSession(page));
    } finally {
      await next.close();
    }
  });

  test("install() defines the globals only where missing, unless forced", async () => {
    const r = await page.evaluate(() => {
      const target = { MediaSource: "native" };
      const defined = msepy.install(target);
      const forced = msepy.install(target, { force: true });
      return { defined, forced, same: target.MediaSource === msepy.MediaSource };
    });
    assert.ok(!r.defined.includes("MediaSource") && r.defined.includes("SourceBuffer"));
    assert.ok(r.forced.includes("MediaSource") && r.same);
  });

  test("isTypeSupported answers as the Python registry does", async () => {
    const types = ['video/mp4; codecs="avc1.64001f"', 'video/mp4; codecs="avc1.64001f, mp4a.40.2"',
      "video/mp4", "audio/mp4; codecs=\"avc1.64001f\"", 'video/webm; codecs="vp9,opus"',
      'video/webm; codecs="vp09.00.10.08"', 'video/mp4; codecs=""', "video/avi", "", "garbage",
      'audio/webm; codecs="vorbis"', 'video/mp4; codecs="hvc1.1.6.L93.B0"', 'video/mp4; codecs="av01.0.04M.08"',
      'VIDEO/MP4; CODECS="avc1.64001F"', 'video/mp4;codecs="mp4a.40.5"', 'video/mp4; codecs="mp4a.40.3"',
      'video/mp2t; codecs="avc1.64001f,mp4a.40.2"', 'video/mp2t; codecs="mp4a.67"', "audio/mpeg", 'audio/mpeg; codecs="mp3"',
      "audio/aac", 'video/mp4; codecs="wvtt"', 'audio/mp4; codecs="wvtt"',
      'video/webm; codecs="vp8.0, vorbis"', 'audio/mp4; codecs="flac"', 'audio/mp4; codecs=fLaC'];
    const python = JSON.parse(execFileSync(fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3", ["-c",
      "import json,sys; sys.path.insert(0,'py'); from msepy import MediaSource as M; print(json.dumps([M.is_type_supported(t) for t in json.load(sys.stdin)]))"],
    { cwd: repo, input: JSON.stringify(types) }));
    const js = await page.evaluate((ts) => ts.map((t) => msepy.MediaSource.isTypeSupported(t)), types);
    assert.deepEqual(js, python);
  });
});

describe("every fixture plays to ended", () => {
  for (const { url, type, decode } of fixtures()) {
    test(`${path.basename(url)} (${type})`, async (t) => {
      const r = await page.evaluate(async ({ url, type, decode }) => {
        const codecs = decode || /codecs="([^"]*)"/.exec(type)[1].split(",").map((s) => s.trim());
        for (const codec of codecs) {
          const video = !/^(mp4a|opus|flac|vorbis|mp3)/.test(codec);
          const cfg = video ? { codec: codec === "vp9" ? "vp09.00.10.08" : codec === "vp8" ? "vp8" : codec }
            : { codec, sampleRate: 48000, numberOfChannels: 2 };
          const ok = await (video ? VideoDecoder : AudioDecoder).isConfigSupported(cfg).catch(() => ({ supported: false }));
          if (!ok.supported) return { skipped: `this Chromium cannot decode ${codec}` };
        }
        const p = await h.load("msepy", url, type);
        // As players do: start where the media starts (MPEG-2 TS often at 1.4 s).
        const b = p.video.buffered;
        if (b.length && b.start(0) > p.video.currentTime) {
          const seeked = h.once(p.video, "seeked");
          p.video.currentTime = b.start(0);
          await seeked;
        }
        const ended = h.once(p.video, "ended", 30000);
        await p.video.play();
        await ended;
        const out = { log: p.log, currentTime: p.video.currentTime, duration: p.video.duration, videoSize: p.video.videoWidth > 0,
          error: p.video.error && p.video.error.message, stats: p.video.msepyStats,
          buffered: h.ranges(p.video.buffered) };
        p.video.remove();
        return out;
      }, { url, type, decode });
      if (r.skipped) { t.skip(r.skipped); return; }
      assert.equal(r.error, null);
      assert.equal(r.currentTime, r.duration);
      const seeks = r.log.filter((e) => e === "el:seeking" || e === "el:seeked");
      assert.ok(seeks.length === 0 || seeks.join() === "el:seeking,el:seeked", seeks.join());
      const el = r.log.filter((e) => e.startsWith("el:") && !["el:durationchange", "el:seeking", "el:seeked", "el:resize"].includes(e));
      // resize (videoWidth/videoHeight known, 0 x 0 for audio alone: HTML, and Chromium
      // fires it for a <video> of audio too) comes right before loadedmetadata; audio
      // alone never resizes again.
      const resize = r.log.filter((e) => e.startsWith("el:") && e !== "el:durationchange");
      assert.equal(resize[resize.indexOf("el:loadedmetadata") - 1], "el:resize", resize.join(" "));
      if (!r.videoSize) assert.equal(resize.filter((e) => e === "el:resize").length, 1, resize.join(" "));
      assert.deepEqual(el, ["el:loadstart", "el:loadedmetadata", "el:loadeddata", "el:canplay",
        "el:canplaythrough", "el:play", "el:playing", "el:pause", "el:ended"]);
      if (/video\//.test(type) && !/opus\.webm|aac_44k|flac|opus\.mp4|mp2_48k/.test(url)) {
        assert.ok(r.stats.total > 10, `frames presented: ${r.stats.total}`);
      }
    });
  }
});
