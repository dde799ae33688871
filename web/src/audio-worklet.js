// The msepy audio output: an AudioWorkletProcessor reading a ring buffer.
//
// Ring layout (shared with web/src/audio.js): `ctl` Int32Array [write, read, playing,
// preservesPitch], absolute frame counts (the page owns `write`, this side `read`; a flush is
// a {skipTo} message moving `read` to where the page's next samples start); `rate` Float32Array [step]
// (input frames consumed per output frame: playbackRate x input rate / context rate);
// `data` one Float32Array per channel, `capacity` frames.  With a SharedArrayBuffer
// (cross-origin isolated pages) the page writes the ring directly; otherwise it posts
// {chunk} messages and this side keeps the ring, posting its read position back.
//
// Playback rate: `read` (+ `frac`) advances by `step` per output frame either way, so
// the page's clock (the media time at `read`) holds.  With preservesPitch false, or at
// playbackRate 1, the output is the ring resampled by `step` (at rate 1 and equal rates:
// the samples as they are).  With preservesPitch (HTMLMediaElement's default) and a rate
// other than 1 it is time-stretched by WSOLA (Verhelst & Roelands 1993, as Chromium's
// AudioRendererAlgorithm): Hann windows of WINDOW seconds overlap-added every half
// window; each window is read at the nominal position for its centre, moved by up to
// SEARCH seconds to where it best continues the previous window (normalized
// cross-correlation).  What is heard is then the nominal position give or take the
// search offset: the weighted lag of the two windows sounding at once is
// hop x (sin²(πu/2) - u) x (step - base) for phase u of the hop, ~0.1 hop at most.

const WINDOW = 0.02;    // seconds of an overlap-add window (Chromium: 20 ms)
const SEARCH = 0.01;    // seconds either side of the nominal position searched
const COARSE = 4;       // the first search pass looks at every COARSE-th offset and sample
const NEAR = 0.02;      // similarity given up per search width of distance (ties: nearest)

class MsepyOutput extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.channels = o.channels;
    this.capacity = o.capacity;
    this.shared = Boolean(o.sab);
    const sab = o.sab || new ArrayBuffer(16 + 4 + 4 * o.channels * o.capacity);
    this.ctl = new Int32Array(sab, 0, 4);
    this.rate = new Float32Array(sab, 16, 1);
    this.data = [];
    for (let c = 0; c < o.channels; c++) {
      this.data.push(new Float32Array(sab, 20 + 4 * c * o.capacity, o.capacity));
    }
    if (!this.shared) { this.rate[0] = 1; this.ctl[3] = 1; }
    this.frac = 0;      // fractional read position (for playbackRate resampling)
    this.quanta = 0;
    // Time-stretching (WSOLA), all allocated here: process() allocates nothing.
    this.base = (o.ringRate || sampleRate) / sampleRate;   // ring frames per output frame at rate 1
    this.hop = Math.max(8, Math.round(sampleRate * WINDOW / 2));  // output frames
    this.window = new Float32Array(2 * this.hop);  // periodic Hann: w[t] + w[t + hop] = 1
    for (let t = 0; t < 2 * this.hop; t++) this.window[t] = 0.5 - 0.5 * Math.cos(Math.PI * t / this.hop);
    this.search = Math.round((o.ringRate || sampleRate) * SEARCH);  // ring frames
    this.match = Math.round((o.ringRate || sampleRate) * WINDOW);   // ring frames compared
    this.span = new Float32Array(this.match + 2 * this.search);     // candidates (channel sum)
    this.target = new Float32Array(this.match);                     // the natural continuation
    this.stretching = false;
    this.phase = 0;     // output frames into the current hop
    this.cur = 0;       // ring position (fractional) of the window started at the last hop
    this.prev = 0;      // ... and of the one before, fading out
    this.port.onmessage = (e) => this.message(e.data);
  }

  message(m) {
    if (m.chunk) {  // message mode: append samples
      let w = this.ctl[0];
      const n = m.chunk[0].length;
      for (let i = 0; i < n; i++) {
        const at = (w + i) % this.capacity;
        for (let c = 0; c < this.channels; c++) this.data[c][at] = m.chunk[Math.min(c, m.chunk.length - 1)][i];
      }
      this.ctl[0] = w + n;
    }
    if (m.skipTo !== undefined) {  // a flush: drop what was queued before `skipTo`
      if (this.shared) Atomics.store(this.ctl, 1, m.skipTo); else this.ctl[1] = m.skipTo;
      this.frac = 0;
      this.stretching = false;
    }
    if (m.playing !== undefined && !this.shared) this.ctl[2] = m.playing ? 1 : 0;
    if (m.pitch !== undefined && !this.shared) this.ctl[3] = m.pitch ? 1 : 0;
    if (m.step !== undefined) this.rate[0] = m.step;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const frames = out[0].length;
    const write = this.shared ? Atomics.load(this.ctl, 0) : this.ctl[0];
    let read = this.shared ? Atomics.load(this.ctl, 1) : this.ctl[1];
    const playing = this.shared ? Atomics.load(this.ctl, 2) : this.ctl[2];
    const pitch = this.shared ? Atomics.load(this.ctl, 3) : this.ctl[3];
    const step = this.rate[0] || 1;
    const stretch = pitch !== 0 && Math.abs(step - this.base) > 1e-6 * this.base;
    if (stretch && !this.stretching) {
      // The window before the first is the plain continuation from here.
      this.cur = read + this.frac - this.hop * this.base;
      this.phase = 0;
    } else if (!stretch && this.stretching) {
      // Resampling again: continue from what the louder of the sounding windows plays.
      const t = this.phase;
      const pos = t === 0 ? this.cur + this.hop * this.base
        : this.window[t] >= 0.5 ? this.cur + t * this.base : this.prev + (t + this.hop) * this.base;
      read = Math.floor(pos);
      this.frac = pos - read;
    }
    this.stretching = stretch;
    if (stretch) {
      read = this.stretch(out, frames, write, read, playing, step);
    } else {
      let frac = this.frac;
      for (let i = 0; i < frames; i++) {
        if (!playing || read + 1 >= write) {
          for (let c = 0; c < out.length; c++) out[c][i] = 0;
          continue;
        }
        const a = read % this.capacity, b = (read + 1) % this.capacity;
        for (let c = 0; c < out.length; c++) {
          const src = this.data[Math.min(c, this.channels - 1)];
          out[c][i] = src[a] + (src[b] - src[a]) * frac;
        }
        frac += step;
        const whole = Math.floor(frac);
        read += whole;
        frac -= whole;
      }
      this.frac = frac;
    }
    if (this.shared) Atomics.store(this.ctl, 1, read); else this.ctl[1] = read;
    if (!this.shared && ++this.quanta % 4 === 0) {
      this.port.postMessage({ read, write, frame: currentFrame });
    }
    return true;
  }

  // WSOLA: output frame t of a hop is w[t] x (current window) + w[t + hop] x (previous).
  stretch(out, frames, write, read, playing, step) {
    const hop = this.hop, w = this.window, b = this.base;
    let frac = this.frac, phase = this.phase;
    for (let i = 0; i < frames; i++) {
      if (!playing || read + 1 >= write) {
        for (let c = 0; c < out.length; c++) out[c][i] = 0;
        continue;
      }
      if (phase === 0) {
        // The next window, centred on the nominal position hop frames from now.
        const nominal = read + frac + hop * (step - b);
        const natural = this.cur + hop * b;
        this.prev = this.cur;
        this.cur = this.similar(nominal, natural, write);
      }
      const p = this.cur + phase * b, q = this.prev + (phase + hop) * b;
      const wp = w[phase], wq = w[phase + hop];
      for (let c = 0; c < out.length; c++) {
        const src = this.data[Math.min(c, this.channels - 1)];
        out[c][i] = wp * this.sample(src, p, write) + wq * this.sample(src, q, write);
      }
      phase = phase + 1 === hop ? 0 : phase + 1;
      frac += step;
      const whole = Math.floor(frac);
      read += whole;
      frac -= whole;
    }
    this.frac = frac;
    this.phase = phase;
    return read;
  }

  // The ring at a fractional position, linearly interpolated; 0 outside what it holds.
  sample(src, pos, write) {
    const i = Math.floor(pos), f = pos - i;
    const a = this.at(src, i, write);
    return f === 0 ? a : a + (this.at(src, i + 1, write) - a) * f;
  }

  at(src, i, write) {
    return i < 0 || i >= write || i < write - this.capacity ? 0 : src[i % this.capacity];
  }

  // The window start within `search` of `nominal` most like the ring at `natural`
  // (the previous window's continuation): normalized cross-correlation of the channel
  // sum, first on every COARSE-th offset and sample, then every offset near the best.
  similar(nominal, natural, write) {
    const S = this.search, L = this.match, span = this.span, target = this.target;
    const first = Math.round(nominal) - S, from = Math.round(natural);
    for (let k = 0; k < span.length; k++) {
      let v = 0;
      for (let c = 0; c < this.channels; c++) v += this.at(this.data[c], first + k, write);
      span[k] = v;
    }
    let energy = 0;
    for (let j = 0; j < L; j++) {
      let v = 0;
      for (let c = 0; c < this.channels; c++) v += this.at(this.data[c], from + j, write);
      target[j] = v;
      energy += v * v;
    }
    if (energy < 1e-9) return first + S;  // silence: nothing to match
    let best = S, score = -Infinity;
    for (let d = 0; d <= 2 * S; d += COARSE) {
      const s = this.score(d, COARSE);
      if (s > score) { score = s; best = d; }
    }
    const around = best;
    score = -Infinity;
    for (let d = Math.max(0, around - COARSE + 1); d <= Math.min(2 * S, around + COARSE - 1); d++) {
      const s = this.score(d, 1);
      if (s > score) { score = s; best = d; }
    }
    return first + best;
  }

  score(d, stride) {
    const span = this.span, target = this.target, L = this.match;
    let dot = 0, e = 0, et = 0;
    for (let j = 0; j < L; j += stride) {
      const x = span[d + j], y = target[j];
      dot += x * y; e += x * x; et += y * y;
    }
    const off = (d - this.search) / this.search;
    return dot / Math.sqrt(e * et + 1e-12) - NEAR * off * off;
  }
}

registerProcessor("msepy-output", MsepyOutput);
