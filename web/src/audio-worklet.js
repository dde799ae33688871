// The msepy audio output: an AudioWorkletProcessor reading a ring buffer.
//
// Ring layout (shared with web/src/audio.js): `ctl` Int32Array [write, read, playing,
// unused], absolute frame counts (the page owns `write`, this side `read`; a flush is
// a {skipTo} message moving `read` to where the page's next samples start); `rate` Float32Array [step]
// (input frames consumed per output frame: playbackRate x input rate / context rate);
// `data` one Float32Array per channel, `capacity` frames.  With a SharedArrayBuffer
// (cross-origin isolated pages) the page writes the ring directly; otherwise it posts
// {chunk} messages and this side keeps the ring, posting its read position back.

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
    if (!this.shared) this.rate[0] = 1;
    this.frac = 0;      // fractional read position (for playbackRate resampling)
    this.quanta = 0;
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
    }
    if (m.playing !== undefined && !this.shared) this.ctl[2] = m.playing ? 1 : 0;
    if (m.step !== undefined) this.rate[0] = m.step;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const frames = out[0].length;
    const write = this.shared ? Atomics.load(this.ctl, 0) : this.ctl[0];
    let read = this.shared ? Atomics.load(this.ctl, 1) : this.ctl[1];
    const playing = this.shared ? Atomics.load(this.ctl, 2) : this.ctl[2];
    const step = this.rate[0] || 1;
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
    if (this.shared) Atomics.store(this.ctl, 1, read); else this.ctl[1] = read;
    if (!this.shared && ++this.quanta % 4 === 0) {
      this.port.postMessage({ read, write, frame: currentFrame });
    }
    return true;
  }
}

registerProcessor("msepy-output", MsepyOutput);
