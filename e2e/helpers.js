// In-page helpers for the e2e tests: build a player (msepy or native), append, wait.

import * as msepy from "/web/msepy.js";

export const MEDIA_EVENTS = ["loadstart", "durationchange", "loadedmetadata", "loadeddata",
  "canplay", "canplaythrough", "play", "playing", "waiting", "seeking", "seeked", "pause",
  "ended", "emptied", "error", "abort", "ratechange", "volumechange", "resize"];
export const SB_EVENTS = ["updatestart", "update", "updateend", "error", "abort"];
export const MS_EVENTS = ["sourceopen", "sourceended", "sourceclose"];

export async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export function once(target, type, timeout = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${type}`)), timeout);
    target.addEventListener(type, (e) => { clearTimeout(timer); resolve(e); }, { once: true });
  });
}

// The 8-block frame code of e2e/fixtures/make.sh, read off <msepy-video>'s canvas
// (its pixels come from the renderer's painter).
export async function readCode(video) {
  const row = await video._renderer.readPixels(0, 8, 128, 1);  // y = 8, blocks 16 px wide
  let n = 0;
  for (let bit = 0; bit < 8; bit++) {
    const at = (bit * 16 + 8) * 4;
    if ((row[at] + row[at + 1] + row[at + 2]) / 3 > 128) n |= 1 << bit;
  }
  return n;
}

// The frequency of <msepy-video>'s audio output now: rising zero crossings over
// `seconds` at the worklet's analyser.
export async function pitch(video, seconds = 0.3) {
  const a = video._renderer.audio.analyser;
  let size = 32;
  while (size * 2 <= Math.min(32768, seconds * a.context.sampleRate)) size *= 2;
  a.fftSize = size;
  await new Promise((r) => setTimeout(r, size / a.context.sampleRate * 1000 + 30));
  const buf = new Float32Array(size);
  a.getFloatTimeDomainData(buf);
  const xs = [];
  for (let i = 1; i < buf.length; i++) if (buf[i - 1] < 0 && buf[i] >= 0) xs.push(i - 1 + buf[i - 1] / (buf[i - 1] - buf[i]));
  return xs.length < 3 ? 0 : ((xs.length - 1) / (xs[xs.length - 1] - xs[0])) * a.context.sampleRate;
}

// impl: "msepy" or "native"
export function make(impl) {
  const MS = impl === "native" ? window.MediaSource : msepy.MediaSource;
  const video = document.createElement(impl === "native" ? "video" : msepy.ELEMENT_TAG);
  video.style.width = "320px";
  video.style.height = "180px";
  document.body.append(video);
  const ms = new MS();
  return { video, ms, MS };
}

export function record(log, label, target, types) {
  for (const type of types) target.addEventListener(type, () => log.push(`${label}:${type}`));
}

export async function open(video, ms) {
  const opened = once(ms, "sourceopen");
  video.src = URL.createObjectURL(ms);
  await opened;
}

export async function append(sb, data) {
  const done = once(sb, "updateend");
  sb.appendBuffer(data);
  await done;
}

// A new player with an open MediaSource and one SourceBuffer (`p.sb`) of `type` (a
// MIME type or a SourceBufferConfig); `p.log` records their events.
export async function source(impl, type) {
  const p = make(impl);
  p.log = [];
  record(p.log, "el", p.video, MEDIA_EVENTS);
  record(p.log, "ms", p.ms, MS_EVENTS);
  await open(p.video, p.ms);
  p.sb = p.ms.addSourceBuffer(type);
  record(p.log, "sb", p.sb, SB_EVENTS);
  return p;
}

// Load a whole file into a new player and end the stream.
export async function load(impl, url, type, { chunk = 0 } = {}) {
  const p = await source(impl, type);
  const data = await bytes(url);
  const t0 = performance.now();
  const step = chunk || data.length;
  p.appendTimes = [];
  for (let i = 0; i < data.length; i += step) {
    const a = performance.now();
    await append(p.sb, data.subarray(i, i + step));
    p.appendTimes.push(performance.now() - a);
  }
  p.appendMs = performance.now() - t0;
  p.ms.endOfStream();
  return p;
}

export function ranges(tr) {
  const out = [];
  for (let i = 0; i < tr.length; i++) out.push([tr.start(i), tr.end(i)]);
  return out;
}
