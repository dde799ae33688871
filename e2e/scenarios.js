// Append sequences run through native MediaSource and msepy alike (differential tests).
// Each step gets ctx {ms, sb, video, data, init, media, type} and may be async; a step
// that throws records the exception's name.  After each step the runner settles
// (waits out `updating`, then a few tasks) and records buffered/duration/readyState.

import { once } from "./helpers.js";

// The first media segment (moof / Cluster / PES) whose ID is found from `from` on (TS:
// from the packet holding `from`).
function segmentStart(c, from) {
  const d = c.data;
  if (c.type.includes("mp2t")) return pesStart(d, (from / 188 | 0) * 188);
  const id = c.type.includes("webm") ? [0x1f, 0x43, 0xb6, 0x75] : [0x6d, 0x6f, 0x6f, 0x66];
  const back = c.type.includes("webm") ? 0 : 4;  // (a box's type follows its size)
  for (let i = from; i < d.length - 4; i++) {
    if (d[i] === id[0] && d[i + 1] === id[1] && d[i + 2] === id[2] && d[i + 3] === id[3]) return i - back;
  }
  return d.length;
}
// MPEG-2 TS: the first 188-byte packet from `from` on that starts a PES (its payload
// begins with the packet_start_code_prefix) - a packet after the PAT and PMT.
function pesStart(d, from) {
  for (let i = from; i + 188 <= d.length; i += 188) {
    const pusi = d[i + 1] & 0x40, afc = (d[i + 3] >> 4) & 3;
    const p = i + 4 + (afc & 2 ? 1 + d[i + 4] : 0);
    if (pusi && afc & 1 && d[p] === 0 && d[p + 1] === 0 && d[p + 2] === 1) return i;
  }
  return d.length;
}
// The initialization segment is what comes before the first media segment; the halves
// split at the first media segment past the middle, so both are whole segments
// (parsers differ in how early they emit frames).
const first = (c) => segmentStart(c, 8);
const middle = (c) => segmentStart(c, c.data.length >> 1);
const init = (c) => c.data.subarray(0, first(c));
const half = (c) => c.data.subarray(0, middle(c));
const rest = (c) => c.data.subarray(middle(c));
// Bytes no parser can take: as ISO BMFF a box of size 4 (less than its own header), as
// WebM an element ID starting with a zero byte (longer than EBML's 4-byte IDs).
const corrupt = () => { const b = new Uint8Array(64); b[3] = 4; return b; };
// The element's seekable ranges, as a result string.
// The element's duration and seekable ranges, as a result string (read at once: they
// change in the step's own task).
const seekable = (c) => `${ms3(c.video.duration)} ` + [...Array(c.video.seekable.length).keys()]
  .map((i) => `${msOf(c.video.seekable.start(i))}-${msOf(c.video.seekable.end(i))}`).join(",");
// The SourceBuffer's and the element's buffered ranges, as a result string.
const bufferedNow = (c) => [c.sb.buffered, c.video.buffered].map((tr) => [...Array(tr.length).keys()]
  .map((i) => `${msOf(tr.start(i))}-${msOf(tr.end(i))}`).join(",")).join(" | ");
// Every SourceBuffer's buffered ranges and the element's, as a result string.
const everyBuffered = (c) => [...c.ms.sourceBuffers, c.video].map((x) => [...Array(x.buffered.length).keys()]
  .map((i) => `${msOf(x.buffered.start(i))}-${msOf(x.buffered.end(i))}`).join(",")).join(" | ");
const AAC_MP4 = 'audio/mp4; codecs="mp4a.40.2"', AAC_MP4_URL = "/tests/fixtures/mp4/aac_44k.mp4";
const OPUS_WEBM = 'audio/webm; codecs="opus"', OPUS_WEBM_URL = "/tests/fixtures/webm/opus.webm";
// A time in whole milliseconds, as a string: Chromium's times are microseconds truncated
// (1.5015 s is 1.501499 there), so the floor, with 10 us to spare.
const msOf = (t) => (t === Infinity ? "Infinity" : String(Math.floor(t * 1000 + 0.01)));
// Ranges in tenths of a second, as a result string.
const tenths = (tr) => [...Array(tr.length).keys()].map((i) => `${tr.start(i).toFixed(1)}-${tr.end(i).toFixed(1)}`).join(",");
// A time as a result string (Chromium keeps microseconds, msepy exact rationals).
const ms3 = (t) => t.toFixed(3);

export const SCENARIOS = {
  "append whole, endOfStream": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => c.ms.endOfStream(),
  ],
  "endOfStream with nothing buffered": [
    // End of stream 3.1 with no track buffer range: the duration stays NaN - read in the
    // page's own task, from the mirror (whose record then held no highest end time).
    (c) => { c.ms.endOfStream(); return `${c.ms.duration} ${c.ms.readyState}`; },
  ],
  "append in 7919-byte pieces": [
    async (c) => {
      for (let i = 0; i < c.data.length; i += 7919) {
        c.sb.appendBuffer(c.data.subarray(i, i + 7919));
        await once(c.sb, "updateend");
      }
    },
    (c) => c.ms.endOfStream(),
  ],
  "append in 997-byte pieces": [
    async (c) => {
      for (let i = 0; i < c.data.length; i += 997) {
        c.sb.appendBuffer(c.data.subarray(i, i + 997));
        await once(c.sb, "updateend");
      }
    },
  ],
  "exceptions while idle": [
    (c) => c.ms.addSourceBuffer(""),
    (c) => c.ms.addSourceBuffer("video/x-unknown"),
    (c) => { c.ms.duration = -1; },
    (c) => c.ms.endOfStream("bogus"),
    (c) => c.sb.remove(0, 1),
    (c) => { c.sb.appendWindowStart = -1; },
    (c) => { c.sb.appendWindowEnd = 0; },
    (c) => { c.sb.timestampOffset = NaN; },
    (c) => c.ms.setLiveSeekableRange(2, 1),
    (c) => c.sb.changeType(""),
    (c) => c.sb.changeType("video/x-unknown"),
    (c) => { c.sb.mode = "bogus"; return c.sb.mode; },
    (c) => { c.sb.appendWindowEnd = 2; c.sb.appendWindowStart = 2; },
    (c) => { c.sb.appendWindowStart = 1; c.sb.appendWindowEnd = 1; },
    (c) => c.sb.remove(2, 1),
    (c) => c.sb.remove(-1, 1),
    (c) => c.sb.remove(0, NaN),
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.remove(0, NaN),
    (c) => c.sb.remove(c.ms.duration + 1, Infinity),
  ],
  "exceptions while updating": [
    (c) => { c.sb.appendBuffer(c.data); c.sb.appendBuffer(c.data); },
    (c) => { c.sb.appendBuffer(new Uint8Array(0)); c.ms.endOfStream(); },
    (c) => { c.sb.appendBuffer(new Uint8Array(0)); c.ms.duration = 5; },
    (c) => { c.sb.appendBuffer(new Uint8Array(0)); c.sb.timestampOffset = 1; },
    (c) => { c.sb.appendBuffer(new Uint8Array(0)); c.sb.remove(0, 1); },
    (c) => { c.sb.appendBuffer(new Uint8Array(0)); c.sb.changeType(c.type); },
  ],
  "appendBuffer then abort in one task": [
    (c) => { c.sb.appendBuffer(c.data); c.sb.abort(); },
    (c) => c.sb.appendBuffer(c.data),
  ],
  "remove a middle range": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => c.sb.remove(0.5, 1.2),
    (c) => c.sb.remove(1.9, Infinity),
  ],
  "timestampOffset and append windows": [
    (c) => { c.sb.timestampOffset = 10; c.sb.appendBuffer(c.data); },
    (c) => { c.sb.timestampOffset = 0; c.sb.appendWindowStart = 0.5; c.sb.appendWindowEnd = 1.5; c.sb.appendBuffer(c.data); },
  ],
  "sequence mode appends back to back": [
    (c) => { c.sb.mode = "sequence"; c.sb.appendBuffer(c.data); },
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => { c.sb.timestampOffset = 20; c.sb.appendBuffer(c.data); },
  ],
  "duration: set, truncate, endOfStream reopen": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => { c.ms.duration = 30; },
    (c) => { c.ms.duration = 0.5; },
    (c) => c.ms.endOfStream(),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.ms.endOfStream(),
  ],
  "a corrupt append: the append error path": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.appendBuffer(corrupt()),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => { c.sb.timestampOffset = 1; return c.sb.timestampOffset; },
    (c) => c.sb.abort(),
  ],
  "abort() resets the parser and the append window": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => { c.sb.appendWindowEnd = 2; c.sb.appendWindowStart = 1; c.sb.abort(); return `${c.sb.appendWindowStart},${c.sb.appendWindowEnd}`; },
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 5000)),
    (c) => c.sb.abort(),
    (c) => c.sb.appendBuffer(rest(c)),
  ],
  "setters reopen an ended MediaSource": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => c.ms.endOfStream(),
    (c) => { c.sb.timestampOffset = 0; return c.ms.readyState; },
    (c) => c.ms.endOfStream(),
    (c) => { c.sb.mode = "segments"; return c.ms.readyState; },
    (c) => c.ms.endOfStream(),
    (c) => { c.sb.appendWindowStart = 0; return c.ms.readyState; },
    (c) => c.ms.endOfStream(),
    (c) => c.sb.remove(0, 0.5),
  ],
  "endOfStream('decode') and then appending": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.ms.endOfStream("decode"),
    (c) => c.video.error && c.video.error.code,
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.ms.endOfStream(),
  ],
  "endOfStream('network') after metadata": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.ms.endOfStream("network"),
    (c) => c.video.error && c.video.error.code,
  ],
  "sequence mode moves timestampOffset": [
    (c) => { c.sb.mode = "sequence"; c.sb.appendBuffer(half(c)); },
    (c) => ms3(c.sb.timestampOffset),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => ms3(c.sb.timestampOffset),
    (c) => { c.sb.mode = "segments"; c.sb.timestampOffset = 0; c.sb.appendBuffer(rest(c)); },
  ],
  "overlapping appends replace what they overlap": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => { c.sb.timestampOffset = 0.5; c.sb.appendBuffer(rest(c)); },
    (c) => { c.sb.timestampOffset = -0.25; c.sb.appendBuffer(rest(c)); },
    (c) => c.sb.remove(0, 0.75),
  ],
  "changeType, then an initialization segment": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.changeType(c.type),
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => { c.sb.changeType(c.type); c.sb.appendBuffer(c.data); },
  ],
  "changeType, then a media segment: the append error": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.changeType(c.type),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.sb.appendBuffer(c.data),
  ],
  "setters while parsing a media segment": [
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 3000)),
    (c) => { c.sb.timestampOffset = 1; },
    (c) => { c.sb.mode = "sequence"; },
    (c) => c.sb.remove(0, 0.5),
    (c) => c.sb.appendBuffer(rest(c).subarray(3000)),
    (c) => { c.sb.timestampOffset = 1; return c.sb.timestampOffset; },
  ],
  "media segments out of order, then all again": [
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.sb.appendBuffer(c.data.subarray(first(c), middle(c))),
    (c) => c.sb.appendBuffer(c.data),
  ],
  "sequence mode with an append window": [
    (c) => { c.sb.mode = "sequence"; c.sb.appendWindowEnd = 1.5; c.sb.appendBuffer(c.data); },
    (c) => ms3(c.sb.timestampOffset),
    (c) => { c.sb.appendWindowEnd = Infinity; c.sb.appendBuffer(rest(c)); },
    (c) => ms3(c.sb.timestampOffset),
  ],
  "setters in the task of abort() and changeType() in a media segment": [
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 3000)),
    (c) => { c.sb.abort(); c.sb.timestampOffset = 1; return ms3(c.sb.timestampOffset); },
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 3000)),
    (c) => { c.sb.changeType(c.type); c.sb.mode = "sequence"; return c.sb.mode; },
  ],
  "abort() in a media segment, sequence mode": [
    (c) => { c.sb.mode = "sequence"; c.sb.appendBuffer(half(c)); },
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 3000)),
    (c) => { c.sb.abort(); return ms3(c.sb.timestampOffset); },
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => ms3(c.sb.timestampOffset),
  ],
  "negative timestampOffset: frames before zero": [
    (c) => { c.sb.timestampOffset = -0.5; c.sb.appendBuffer(c.data); },
    (c) => { c.sb.appendWindowStart = 0.2; c.sb.timestampOffset = 1.3; c.sb.appendBuffer(rest(c)); },
  ],
  "remove everything, then append again": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => c.sb.remove(0, Infinity),
    (c) => c.sb.appendBuffer(rest(c)),
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.remove(0, Infinity),
    (c) => c.ms.endOfStream(),
  ],
  "duration below what is buffered": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => { c.ms.duration = 0.5; },
    (c) => c.sb.remove(1, Infinity),
    (c) => { c.ms.duration = 1.5; return seekable(c); },
    (c) => { c.ms.duration = 0.9; },
  ],
  "abort() and appendBuffer() while removing": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => { c.sb.remove(0, 1); c.sb.abort(); },
    (c) => { c.sb.remove(0, 1); c.sb.appendBuffer(c.data); },
    (c) => { c.sb.remove(1, 2); c.ms.endOfStream(); },
  ],
  "seekable: duration, live seekable range": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => seekable(c),
    (c) => { c.ms.duration = Infinity; return seekable(c); },
    (c) => { c.ms.setLiveSeekableRange(0.5, 1.5); return seekable(c); },
    (c) => { c.ms.clearLiveSeekableRange(); return seekable(c); },
    (c) => { c.ms.endOfStream(); return seekable(c); },
  ],
  "sequence mode, then segments mode over it": [
    (c) => c.sb.appendBuffer(init(c)),
    (c) => { c.sb.mode = "sequence"; c.sb.appendBuffer(rest(c)); },
    (c) => { c.sb.mode = "segments"; c.sb.appendBuffer(half(c)); },
    (c) => ms3(c.sb.timestampOffset),
  ],
  "appendWindowEnd mid-stream, then the rest": [
    (c) => { c.sb.appendWindowEnd = 1.0; c.sb.appendBuffer(c.data); },
    (c) => { c.sb.appendWindowEnd = Infinity; c.sb.appendBuffer(rest(c)); },
    (c) => c.sb.appendBuffer(c.data),
  ],
  "a timestampOffset of a third of a second": [
    (c) => { c.sb.timestampOffset = 1 / 3; c.sb.appendBuffer(c.data); },
    (c) => { c.sb.mode = "sequence"; c.sb.timestampOffset = 7 / 3; c.sb.appendBuffer(rest(c)); },
    (c) => ms3(c.sb.timestampOffset),
  ],
  "remove() and endOfStream() with nothing buffered": [
    (c) => { c.ms.duration = 10; },
    (c) => c.sb.remove(0, 5),
    (c) => c.ms.endOfStream(),
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.ms.endOfStream(),
  ],
  "buffered in the task of endOfStream() and of a reopening setter": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => { c.ms.endOfStream(); return bufferedNow(c); },
    (c) => { c.sb.timestampOffset = 0; return bufferedNow(c); },
    (c) => { c.ms.endOfStream(); c.sb.remove(1.5, Infinity); return bufferedNow(c); },
    (c) => { c.ms.endOfStream(); return bufferedNow(c); },
    (c) => { c.sb.mode = "segments"; return bufferedNow(c); },
  ],
  "a second SourceBuffer, of audio": [
    async (c) => {
      c.sb2 = c.ms.addSourceBuffer(AAC_MP4);
      c.sb2.appendBuffer(await c.bytes(AAC_MP4_URL));
      await once(c.sb2, "updateend");
      return everyBuffered(c);
    },
    (c) => c.sb.appendBuffer(half(c)),
    (c) => everyBuffered(c),
    (c) => { c.ms.endOfStream(); return `${everyBuffered(c)} ${ms3(c.ms.duration)}`; },
    async (c) => { c.sb.appendBuffer(rest(c)); await once(c.sb, "updateend"); return everyBuffered(c); },
    (c) => { c.ms.endOfStream(); return `${everyBuffered(c)} ${ms3(c.ms.duration)} ${c.ms.activeSourceBuffers.length}`; },
    (c) => { c.ms.removeSourceBuffer(c.sb2); return `${everyBuffered(c)} ${c.ms.readyState}`; },
    (c) => everyBuffered(c),
  ],
  "changeType() to Opus in WebM": [
    (c) => c.sb.appendBuffer(half(c)),
    async (c) => {
      c.sb.changeType(OPUS_WEBM);
      c.sb.timestampOffset = 3;
      c.sb.appendBuffer(await c.bytes(OPUS_WEBM_URL));
      await once(c.sb, "updateend");
      return ms3(c.sb.timestampOffset);
    },
    (c) => c.ms.endOfStream(),
  ],
  "seeking into and out of what is buffered": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => { c.video.currentTime = 0.5; return c.video.seeking; },
    async (c) => { if (c.video.seeking) await once(c.video, "seeked", 3000); return msOf(c.video.currentTime); },
    (c) => { c.video.currentTime = 1.9; return c.video.seeking; },
    (c) => msOf(c.video.currentTime),
    // (Ended: Chromium's pipeline completes a seek once its renderers have "enough"
    // data after the position, which 0.1 s before the end of an open stream is not;
    // the MSE seeking steps complete it once the position is buffered.)
    async (c) => {
      const seeked = c.video.seeking ? once(c.video, "seeked", 3000) : null;
      c.sb.appendBuffer(rest(c));
      await once(c.sb, "updateend");
      c.ms.endOfStream();
      await seeked;
      return `${c.video.seeking} ${msOf(c.video.currentTime)}`;
    },
  ],
  // HTML's default playback start position: sought after loadedmetadata.
  "a currentTime set before the metadata": [
    (c) => { c.video.currentTime = 0.5; return `${c.video.seeking} ${msOf(c.video.currentTime)}`; },
    async (c) => {
      c.sb.appendBuffer(half(c));
      await once(c.sb, "updateend");
      if (c.video.seeking) await once(c.video, "seeked", 3000);
      return `${c.video.seeking} ${msOf(c.video.currentTime)}`;
    },
  ],
  // HTML seek 3: a seek aborts one still running (one seeked, at the second position).
  "two seeks in one task": [
    (c) => c.sb.appendBuffer(half(c)),
    async (c) => {
      c.video.currentTime = 0.3;
      c.video.currentTime = 0.6;
      const seeking = c.video.seeking;
      await once(c.video, "seeked", 3000);
      return `${seeking} ${msOf(c.video.currentTime)}`;
    },
  ],
  "removeSourceBuffer() while appending": [
    (c) => { c.sb.appendBuffer(c.data); c.ms.removeSourceBuffer(c.sb); return `${c.sb.updating} ${c.ms.sourceBuffers.length}`; },
    (c) => c.sb.appendBuffer(c.data),
  ],
  "detach while appending": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => { c.sb.appendBuffer(rest(c)); c.video.removeAttribute("src"); c.video.load(); return `${c.ms.readyState} ${c.sb.updating}`; },
    (c) => c.sb.appendBuffer(c.data),
  ],
  "changeType() with a media segment half parsed": [
    (c) => c.sb.appendBuffer(half(c)),
    (c) => c.sb.appendBuffer(rest(c).subarray(0, 3000)),
    (c) => { c.sb.changeType(c.type); return c.sb.updating; },
    (c) => c.sb.appendBuffer(init(c)),
    (c) => c.sb.appendBuffer(rest(c)),
  ],
  "an append error before any initialization segment": [
    (c) => c.sb.appendBuffer(corrupt()),
    (c) => `${c.video.error && c.video.error.code} ${c.video.networkState}`,
    (c) => c.sb.appendBuffer(c.data),
  ],
  "a timestampOffset of a day and a bit": [
    (c) => { c.sb.timestampOffset = 86400.123456; c.sb.appendBuffer(c.data); },
    (c) => { c.sb.mode = "sequence"; c.sb.appendBuffer(rest(c)); },
    (c) => ms3(c.sb.timestampOffset),
    (c) => c.sb.remove(86400.5, 86401),
    (c) => c.ms.endOfStream(),
  ],
  // A full buffer (Coded Frame Eviction), on a SourceBuffer of AAC in place of the
  // file's (in h264_aac.mp4's run only): the AAC file's media segments,
  // repeated, in "sequence" mode and 1 MiB appends at position 0 until one is
  // QuotaExceededError (an audio stream's
  // limit is 12 MiB; what a frame is charged decides which append it is), then one
  // append larger than the limit.  Times to a tenth of a second: Chromium's sequence
  // mode adds up microseconds truncated, one a frame.
  "eviction: a full buffer, then an append larger than the limit": [
    async (c) => {
      if (!c.url.endsWith("/h264_aac.mp4")) return "n/a";
      const aac = await c.bytes(AAC_MP4_URL);
      const media = aac.subarray(segmentStart({ data: aac, type: AAC_MP4 }, 8));
      c.ms.removeSourceBuffer(c.sb);  // (the element plays the AAC alone)
      c.sb2 = c.ms.addSourceBuffer(AAC_MP4);
      c.sb2.mode = "sequence";
      c.sb2.appendBuffer(aac.subarray(0, aac.length - media.length));
      await once(c.sb2, "updateend");
      const copies = Math.ceil((1 << 20) / media.length);
      const chunk = new Uint8Array(media.length * copies);
      for (let i = 0; i < copies; i++) chunk.set(media, i * media.length);
      const seen = [];
      for (let i = 0; i < 20; i++) {
        try {
          c.sb2.appendBuffer(chunk);
        } catch (e) {
          seen.push(e.name);
          break;
        }
        await once(c.sb2, "updateend");
        seen.push(tenths(c.sb2.buffered));
      }
      c.chunk = chunk;
      c.big = new Uint8Array(13 << 20);
      for (let i = 0; i + chunk.length <= c.big.length; i += chunk.length) c.big.set(chunk, i);
      return seen.join(" ");
    },
    (c) => c.sb2 && c.sb2.appendBuffer(c.big),
    (c) => c.sb2 && tenths(c.sb2.buffered),
    // Played to 600 s: an append frees GOPs from the front, up to the one played.
    async (c) => {
      if (!c.sb2) return "n/a";
      const seeked = once(c.video, "seeked", 5000);
      c.video.currentTime = 600;
      await seeked;
      c.sb2.appendBuffer(c.big.subarray(0, 3 * c.chunk.length));
      await once(c.sb2, "updateend");
      return tenths(c.sb2.buffered);
    },
    // At 1500 s, appends placed far behind the position (at 100 s): the first frees
    // from the front; the next, with the appends' end behind the position, the GOPs
    // between that end and the position.
    async (c) => {
      if (!c.sb2) return "n/a";
      const seeked = once(c.video, "seeked", 5000);
      c.video.currentTime = 1500;
      await seeked;
      c.sb2.timestampOffset = 100;
      const out = [];
      for (let i = 0; i < 2; i++) {
        c.sb2.appendBuffer(c.chunk);
        await once(c.sb2, "updateend");
        out.push(tenths(c.sb2.buffered));
      }
      return out.join(" ");
    },
  ],
  // A full muxed buffer (in h264_aac.mp4's run only): the 720p H.264+AAC benchmark
  // file appended again and again in "sequence" mode at position 0, until one append
  // is QuotaExceededError (the 112th in both: its audio, charged its share of each
  // append in proportion to what it holds, cannot free room).
  "eviction: a full muxed buffer": [
    async (c) => {
      if (!c.url.endsWith("/h264_aac.mp4")) return "n/a";
      const data = await c.bytes("/tests/fixtures/mp4/bench_720p.mp4");
      c.ms.removeSourceBuffer(c.sb);
      const sb = c.sb3 = c.ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
      sb.mode = "sequence";
      for (let i = 0; i < 200; i++) {
        try {
          sb.appendBuffer(data);
        } catch (e) {
          return `${e.name} at append ${i + 1}: ${tenths(sb.buffered)}`;
        }
        await once(sb, "updateend");
      }
      return `no error: ${tenths(sb.buffered)}`;
    },
  ],
  "removeSourceBuffer and detach": [
    (c) => c.sb.appendBuffer(c.data),
    (c) => c.ms.removeSourceBuffer(c.sb),
    (c) => c.ms.removeSourceBuffer(c.sb),
    (c) => { c.video.removeAttribute("src"); c.video.load(); },
  ],
};

const ELEMENT_EVENTS = ["loadstart", "durationchange", "loadedmetadata", "loadeddata", "canplay",
  "canplaythrough", "seeking", "seeked", "emptied", "error", "abort", "resize", "ended"];

export async function run(impl, MS, tag, url, type, steps, { bytes, record }) {
  const video = document.createElement(tag);
  document.body.append(video);
  const ms = new MS();
  const log = [];
  record(log, "ms", ms, ["sourceopen", "sourceended", "sourceclose"]);
  record(log, "sbl", ms.sourceBuffers, ["addsourcebuffer", "removesourcebuffer"]);
  const opened = once(ms, "sourceopen");
  video.src = URL.createObjectURL(ms);
  await opened;
  const c = { ms, video, type, url, data: await bytes(url), bytes };
  c.sb = ms.addSourceBuffer(type);
  record(log, "sb", c.sb, ["updatestart", "update", "updateend", "error", "abort"]);
  // The element's events, over the whole sequence (Chromium's come from its media
  // pipeline, a task or more later than the step that caused them): the ones whose
  // order the MSE and HTML algorithms decide, not playback's timing.
  const elementLog = [];
  record(elementLog, "el", video, ELEMENT_EVENTS);
  const out = [];
  for (const step of steps) {
    let result;
    try {
      const v = await step(c);
      result = v === undefined ? "ok" : `ok:${v}`;
    } catch (e) {
      result = e.name;
    }
    for (let i = 0; i < 200 && [...ms.sourceBuffers].some((s) => s.updating); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    try { if (c.sb.updating) await once(c.sb, "updateend", 3000); } catch { /* removed */ }
    await new Promise((r) => setTimeout(r, 60));
    // The append error algorithm ends the stream with a decode error, and the element's
    // error is set in that step; Chromium's reaches the element from its media pipeline
    // (another thread) a while later - under load, after the 60 ms above.
    for (let i = 0; i < 100 && log.includes("sb:error") && !video.error; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    let buffered;
    try { buffered = rangesOf(c.sb.buffered); } catch (e) { buffered = e.name; }
    out.push({ result, buffered, duration: ms.duration, readyState: ms.readyState, error: video.error?.code ?? null,
      sourceBuffers: ms.sourceBuffers.length, log: log.splice(0) });
  }
  // (Chromium's pipeline may still be completing a seek: its events come later.)
  for (let i = 0; i < 50 && video.seeking; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  out.at(-1).elementEvents = elementLog.join(" ");
  // Let the player go (a page's players hold media resources until then; in a page
  // that made dozens, Chromium's later ones stopped reporting their pipeline's errors).
  video.removeAttribute("src");
  video.load();
  video.remove();
  return out;
}

function rangesOf(tr) {
  const r = [];
  for (let i = 0; i < tr.length; i++) r.push([tr.start(i), tr.end(i)]);
  return r;
}
