// The audio path: preservesPitch (time-stretching at playbackRate != 1, in both ring
// modes), audio whose sample rate changes mid-stream (converted to the ring's rate), and
// the worklet's WSOLA run offline (no browser): read position, pitch, what is heard
// against the clock, rate 1 untouched.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { repo, setup } from "./lib.mjs";

const H264 = { url: "/e2e/fixtures/frames_h264.mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' };

// In a page: playback at a rate, measured (h.pitch: the worklet's output frequency).
function installPitch() {
  // Plays `url` at `rate` (preservesPitch as given, unless undefined): the pitch heard
  // 0.5 s in, and how fast currentTime moved meanwhile.
  window.pitchAt = async ({ url, type, rate, preservesPitch }) => {
    const p = await h.load("msepy", url, type);
    if (preservesPitch !== undefined) p.video.preservesPitch = preservesPitch;
    p.video.playbackRate = rate;
    await p.video.play();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = p.video.currentTime, w0 = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    const hz = await h.pitch(p.video, 0.3);
    const speed = (p.video.currentTime - t0) / ((performance.now() - w0) / 1000);
    const out = { hz, speed, mode: p.video.msepyStats.audioMode, preservesPitch: p.video.preservesPitch };
    p.video.remove();
    return out;
  };
}

let env;
const pages = {};
before(async () => {
  env = await setup();
  pages.shared = await env.page();
  pages.messages = await env.page("/e2e/harness.html?isolation=off");
  for (const page of Object.values(pages)) await page.evaluate(installPitch);
});
// The page a test plays in, in front (a background page's audio and frames stall).
async function front(mode) {
  await pages[mode].bringToFront();
  return pages[mode];
}
after(async () => { await env?.close(); });

describe("preservesPitch", () => {
  test("defaults to true, converts to boolean, survives a new source", async () => {
    const r = await (await front("shared")).evaluate(async ({ url, type }) => {
      const p = h.make("msepy");
      const out = { initial: p.video.preservesPitch, native: document.createElement("video").preservesPitch };
      p.video.preservesPitch = 0;
      out.zero = p.video.preservesPitch;
      out.worklet = p.video._renderer.audio.preservesPitch;
      p.video.preservesPitch = "yes";
      out.string = p.video.preservesPitch;
      p.video.preservesPitch = false;
      await h.open(p.video, p.ms);
      const sb = p.ms.addSourceBuffer(type);
      await h.append(sb, await h.bytes(url));
      out.afterLoad = p.video.preservesPitch;
      p.video.remove();
      return out;
    }, H264);
    assert.deepEqual(r, { initial: true, native: true, zero: false, worklet: false, string: true, afterLoad: false });
  });

  const CASES = [
    { rate: 2, preservesPitch: undefined, hz: 440 },
    { rate: 2, preservesPitch: false, hz: 880 },
    { rate: 0.5, preservesPitch: undefined, hz: 440 },
    { rate: 0.5, preservesPitch: false, hz: 220 },
  ];
  for (const [mode, name] of [["shared", "SharedArrayBuffer ring"], ["messages", "message ring"]]) {
    for (const c of CASES) {
      const label = c.preservesPitch === undefined ? "default preservesPitch" : "preservesPitch false";
      test(`${name}: playbackRate ${c.rate}, ${label}: 440 Hz plays at ${c.hz} Hz`, async (t) => {
        const r = await (await front(mode)).evaluate((a) => pitchAt(a), { ...H264, rate: c.rate, preservesPitch: c.preservesPitch });
        t.diagnostic(`${r.hz.toFixed(2)} Hz, currentTime at x${r.speed.toFixed(3)}`);
        assert.equal(r.mode, name);
        assert.equal(r.preservesPitch, c.preservesPitch ?? true);
        assert.ok(Math.abs(r.hz - c.hz) < c.hz * 0.03, `measured ${r.hz.toFixed(2)} Hz`);
        assert.ok(Math.abs(r.speed - c.rate) < c.rate * 0.2, `currentTime moved at x${r.speed.toFixed(2)}`);
      });
    }
  }

  // The offset of a frame from the clock at presentation is quantized by the display's
  // frame (16.7 ms at 60 Hz): at rate 2, 33 ms of media.
  for (const preservesPitch of [true, false]) {
    test(`playbackRate 2, preservesPitch ${preservesPitch}: plays to ended in half the time, video on the audio clock`, async (t) => {
      const r = await (await front("shared")).evaluate(async ({ url, type, preservesPitch }) => {
        const p = await h.load("msepy", url, type);
        p.video.preservesPitch = preservesPitch;
        p.video.playbackRate = 2;
        const ended = h.once(p.video, "ended", 20000);
        const w0 = performance.now();
        await p.video.play();
        await ended;
        const offsets = [...p.video._renderer.avOffsets].map(Math.abs).sort((a, b) => a - b);
        const out = { wall: (performance.now() - w0) / 1000, t: p.video.currentTime, d: p.video.duration,
          n: offsets.length, p95: offsets[Math.floor(offsets.length * 0.95)] };
        p.video.remove();
        return out;
      }, { ...H264, preservesPitch });
      t.diagnostic(`${r.d} s in ${r.wall.toFixed(2)} s, p95 |A/V offset| ${(r.p95 * 1000).toFixed(1)} ms`);
      assert.equal(r.t, r.d);
      assert.ok(r.wall > r.d / 2 - 0.1 && r.wall < r.d / 2 + 1, `${r.d} s played in ${r.wall.toFixed(2)} s`);
      assert.ok(r.n > 20, `${r.n} frames presented`);
      assert.ok(r.p95 < 0.045, `p95 |A/V offset| ${(r.p95 * 1000).toFixed(1)} ms`);
    });
  }
});

describe("sample rate changes", () => {
  for (const order of [["44k", "48k"], ["48k", "44k"]]) {
    test(`AAC at ${order[0]}Hz then ${order[1]}Hz in one SourceBuffer: both parts at 440 Hz, on time`, async (t) => {
      const r = await (await front("shared")).evaluate(async (order) => {
        const p = await h.source("msepy", 'audio/mp4; codecs="mp4a.40.2"');
        const sb = p.sb;
        await h.append(sb, await h.bytes(`/e2e/fixtures/sine_${order[0]}.mp4`));
        const join = sb.buffered.end(0);
        sb.timestampOffset = join;
        await h.append(sb, await h.bytes(`/e2e/fixtures/sine_${order[1]}.mp4`));
        p.ms.endOfStream();
        const ended = h.once(p.video, "ended", 20000);
        const w0 = performance.now();
        await p.video.play();
        const parts = [];
        for (const at of [join - 0.3, p.video.duration - 0.3]) {
          while (p.video.currentTime < at && !p.video.ended) await new Promise((res) => setTimeout(res, 20));
          parts.push({ at: p.video.currentTime, hz: await h.pitch(p.video, 0.25) });
        }
        await ended;
        const a = p.video._renderer.audio;
        const out = { join, parts, wall: (performance.now() - w0) / 1000, t: p.video.currentTime, d: p.video.duration,
          ring: a.sampleRate, next: a.next, stats: { ...a.stats } };
        p.video.remove();
        return out;
      }, order);
      t.diagnostic(`${r.parts.map((part) => `${part.hz.toFixed(2)} Hz at ${part.at.toFixed(2)} s`).join(", ")}; ring ends at ${r.next.toFixed(4)} s of ${r.d.toFixed(4)}; ${JSON.stringify(r.stats)}`);
      assert.equal(r.ring, order[0] === "44k" ? 44100 : 48000);
      for (const part of r.parts) assert.ok(Math.abs(part.hz - 440) < 440 * 0.03, `at ${part.at.toFixed(2)} s: ${part.hz.toFixed(2)} Hz`);
      assert.equal(r.t, r.d);
      // The ring's samples end where the media does (to a frame), and the join is
      // neither a gap nor an overlap of more than a frame.
      assert.ok(Math.abs(r.next - r.d) < 0.03, `ring ends at ${r.next}, duration ${r.d}`);
      assert.ok(r.stats.gaps + r.stats.trims + r.stats.splices <= 1, JSON.stringify(r.stats));
      assert.ok(Math.abs(r.wall - r.d) < 1, `${r.d} s played in ${r.wall.toFixed(2)} s`);
    });
  }
});

describe("the audio output's context", () => {
  test("made at boot for 48 kHz audio: the first such element plays through it; others make their own", async () => {
    const page = await env.page();
    const r = await page.evaluate(async () => {
      const made = [];
      const Native = window.AudioContext;
      window.AudioContext = class extends Native { constructor(o) { super(o); made.push(o?.sampleRate); } };
      const play = async (rate) => {
        const p = await h.source("msepy", 'audio/mp4; codecs="mp4a.40.2"');
        await h.append(p.sb, await h.bytes(`/e2e/fixtures/sine_${rate}.mp4`));
        await p.video.play();
        await new Promise((res) => setTimeout(res, 300));
        const hz = await h.pitch(p.video, 0.2);
        const out = { rate, made: [...made], hz, contextRate: p.video._renderer.audio.ctx.sampleRate };
        p.video.remove();
        return out;
      };
      const out = [await play("48k"), await play("48k"), await play("44k")];
      window.AudioContext = Native;
      return out;
    });
    await page.close();
    assert.deepEqual(r.map((x) => x.made), [[], [48000], [48000, 44100]]);
    assert.deepEqual(r.map((x) => x.contextRate), [48000, 48000, 44100]);
    for (const x of r) assert.ok(Math.abs(x.hz - 440) < 440 * 0.03, JSON.stringify(x));
  });
});

// The worklet under stubs: `ringRate` ring, `contextRate` output, a shared ring kept
// a second ahead of the read position, `quanta` render quanta of mono output.
function runWorklet({ rate, pitch = true, ringRate = 48000, contextRate = 48000, quanta = 1500, signal }) {
  let Processor;
  const context = {
    AudioWorkletProcessor: class { constructor() { this.port = { postMessage() {} }; } },
    registerProcessor: (name, cls) => { Processor = cls; },
    sampleRate: contextRate, currentFrame: 0,
  };
  vm.runInNewContext(fs.readFileSync(path.join(repo, "web/src/audio-worklet.js"), "utf8"), context);
  const capacity = ringRate * 4;
  const sab = new SharedArrayBuffer(20 + 4 * capacity);
  const p = new Processor({ processorOptions: { channels: 1, capacity, sab, ringRate } });
  const ctl = new Int32Array(sab, 0, 4), plane = new Float32Array(sab, 20, capacity);
  new Float32Array(sab, 16, 1)[0] = rate * ringRate / contextRate;
  ctl[2] = 1; ctl[3] = pitch ? 1 : 0;
  let write = 0;
  const out = new Float32Array(quanta * 128), pos = new Float64Array(quanta * 128), q = [[new Float32Array(128)]];
  for (let k = 0; k < quanta; k++) {
    for (const end = ctl[1] + ringRate; write < end; write++) plane[write % capacity] = signal(write, ringRate);
    ctl[0] = write;
    const read = ctl[1] + p.frac;
    p.process([], q);
    out.set(q[0][0], k * 128);
    for (let i = 0; i < 128; i++) pos[k * 128 + i] = read + i * rate * ringRate / contextRate;
  }
  return { out, pos, read: ctl[1] };
}

function zeroCrossingHz(out, rate, from = 0.2) {
  const xs = [];
  for (let i = Math.round(from * rate) + 1; i < out.length; i++) if (out[i - 1] < 0 && out[i] >= 0) xs.push(i - 1 + out[i - 1] / (out[i - 1] - out[i]));
  return ((xs.length - 1) / (xs[xs.length - 1] - xs[0])) * rate;
}

describe("the worklet's time-stretching, offline", () => {
  const sine = (k, r) => 0.3 * Math.sin(2 * Math.PI * 440 * k / r);

  test("at rate 1 the output is the ring itself", () => {
    const { out } = runWorklet({ rate: 1, signal: sine, quanta: 200 });
    for (let i = 0; i < out.length; i++) assert.equal(out[i], Math.fround(sine(i, 48000)), `frame ${i}`);
  });

  for (const [rate, ringRate, contextRate] of [[2, 48000, 48000], [0.5, 48000, 48000], [1.5, 48000, 48000], [0.75, 44100, 48000], [3, 44100, 44100]]) {
    test(`rate ${rate}, ring ${ringRate} Hz, output ${contextRate} Hz: 440 Hz stays 440 Hz, the ring is read at x${rate}`, () => {
      const quanta = 1500;
      const { out, read } = runWorklet({ rate, ringRate, contextRate, quanta, signal: sine });
      const hz = zeroCrossingHz(out, contextRate);
      assert.ok(Math.abs(hz - 440) < 440 * 0.005, `${hz.toFixed(2)} Hz`);
      const expected = quanta * 128 * rate * ringRate / contextRate;
      assert.ok(Math.abs(read - expected) <= 1, `read ${read}, expected ${expected}`);
      let peak = 0;
      for (let i = contextRate * 0.2; i < out.length; i++) peak = Math.max(peak, Math.abs(out[i]));
      assert.ok(peak < 0.31 && peak > 0.29, `peak ${peak}`);
    });
  }

  test("what is heard is the media at the read position, within the search range", () => {
    // Two tones (no short common period) and a 4 ms 3 kHz burst every 100 ms: where in
    // the ring each burst heard came from, against the read position at that moment.
    const signal = (k, r) => 0.1 * Math.sin(2 * Math.PI * 440 * k / r) + 0.07 * Math.sin(2 * Math.PI * 587 * k / r) +
      (k % 4800 < 192 ? 0.6 * Math.sin(2 * Math.PI * 3000 * k / r) * Math.sin(Math.PI * (k % 4800) / 192) : 0);
    for (const rate of [2, 0.5, 1.5]) {
      const { out, pos } = runWorklet({ rate, signal, quanta: 3000 });
      const lags = [];
      for (let i = 0; i < out.length; i++) {
        if (Math.abs(out[i]) <= 0.45) continue;
        let s = 0, w = 0;
        for (let j = Math.max(0, i - 50); j < Math.min(out.length, i + 300); j++) {
          const v = Math.max(0, Math.abs(out[j]) - 0.2);
          s += j * v * v; w += v * v;
        }
        const at = pos[Math.round(s / w)];
        lags.push((Math.round((at - 96) / 4800) * 4800 + 96 - at) / 48000);
        i += 400;
      }
      assert.ok(lags.length > 20, `rate ${rate}: ${lags.length} bursts heard`);
      const worst = Math.max(...lags.map(Math.abs));
      assert.ok(worst < 0.012, `rate ${rate}: a burst heard ${(worst * 1000).toFixed(1)} ms off the read position`);
    }
  });
});
