// Audio output and the master clock.
//
// Decoded AudioData goes into a ring buffer read by an AudioWorklet (audio-worklet.js):
// shared memory when the page is cross-origin isolated, messages otherwise.  The ring
// is continuous media time: a gap between chunks is written as silence, an overlap is
// trimmed, so sample k of the ring is at `base + (k - start) / sampleRate` seconds.
// The clock is the media time of the sample being *heard*: the worklet's read position
// less the output latency (AudioContext.outputLatency, else baseLatency).
// The ring runs at the first track's sample rate (the AudioContext's); audio at another
// rate (a later init segment or changeType, as HLS renditions switch 44.1 / 48 kHz) is
// converted to it before it is queued.  At a playbackRate other than 1 the worklet
// time-stretches (preservesPitch) or resamples; either way it consumes the ring at
// playbackRate x real time, so the clock holds.

const CAPACITY_SECONDS = 4;

const WORKLET = new URL("./audio-worklet.js", import.meta.url);

// The first AudioContext of a page starts the audio service (~35 ms of main thread in
// Chromium), and every new one costs 5-15 ms of the main thread and a core (the
// context, its rendering thread, the worklet's module): inside a player's first
// appends, that was 12 ms of the 18 appends of the browser benchmark.  So while the
// engine boots one context is made at 48 kHz (Opus's rate, and AAC's most common), its
// worklet loaded, and suspended: the first element whose audio has that rate takes it;
// audio at another rate gets a context of its own as before.
const SPARE_RATE = 48000;
let spare = null;  // {ctx, ready}
export function warmUpAudio() {
  if (spare || typeof AudioContext === "undefined") return;
  try {
    const ctx = new AudioContext({ latencyHint: "interactive", sampleRate: SPARE_RATE });
    spare = { ctx, ready: ctx.audioWorklet.addModule(WORKLET).then(() => ctx.suspend()) };
    spare.ready.catch(() => { if (spare?.ctx === ctx) spare = null; });
  } catch (e) { /* no audio output: the element plays without sound */ }
}

// The spare context if it has this rate (it is taken: there is one).
function takeSpare(sampleRate) {
  if (!spare || spare.ctx.sampleRate !== sampleRate || spare.ctx.state === "closed") return null;
  const taken = spare;
  spare = null;
  return taken;
}

export class AudioOut {
  constructor() {
    this.ctx = null;
    this.node = null;
    this.gain = null;
    this.analyser = null;
    this.ready = null;
    this.sampleRate = 0;       // of the ring (the track's)
    this.channels = 2;
    this.write = 0;            // frames written (absolute)
    this.read = 0;             // frames read, as last seen
    this.start = 0;            // ring index of media time `base`
    this.base = 0;
    this.next = null;          // media time the next chunk should start at
    this.playing = false;
    this.rate = 1;
    this.volume = 1;
    this.muted = false;
    this.preservesPitch = true;
    this.carry = null;         // rate conversion across chunks: {rate, end, pos, last}
    this.pending = [];         // chunks waiting for room: {planes, time}
    this.stats = { chunks: 0, frames: 0, gaps: 0, trims: 0, splices: 0 };
  }

  // Creates the context on first use (a play() call counts as the user's gesture).
  async open(sampleRate, channels) {
    if (this.ready) return this.ready;
    this.sampleRate = sampleRate;
    this.channels = Math.max(1, Math.min(channels || 2, 2));
    this.ready = (async () => {
      const taken = takeSpare(sampleRate);
      const ctx = taken ? taken.ctx : new AudioContext({ latencyHint: "interactive", sampleRate });
      this.ctx = ctx;
      await (taken ? taken.ready : ctx.audioWorklet.addModule(WORKLET));
      const capacity = Math.ceil(sampleRate * CAPACITY_SECONDS);
      this.capacity = capacity;
      const shared = self.crossOriginIsolated && typeof SharedArrayBuffer !== "undefined";
      const sab = shared ? new SharedArrayBuffer(20 + 4 * this.channels * capacity) : null;
      if (sab) {
        this.ctl = new Int32Array(sab, 0, 4);
        this.rateCell = new Float32Array(sab, 16, 1);
        this.planes = [];
        for (let c = 0; c < this.channels; c++) this.planes.push(new Float32Array(sab, 20 + 4 * c * capacity, capacity));
      }
      this.shared = shared;
      this.node = new AudioWorkletNode(ctx, "msepy-output", {
        numberOfInputs: 0, outputChannelCount: [this.channels],
        processorOptions: { channels: this.channels, capacity, sab, ringRate: sampleRate },
      });
      this.node.port.onmessage = (e) => { this.read = e.data.read; this.readAt = performance.now(); };
      this.gain = ctx.createGain();
      this.analyser = ctx.createAnalyser();
      this.analyser.fftSize = 2048;
      this.node.connect(this.gain).connect(ctx.destination);
      this.node.connect(this.analyser);
      this.#apply();
      return ctx;
    })();
    return this.ready;
  }

  get mode() { return this.shared ? "SharedArrayBuffer ring" : "message ring"; }

  #apply() {
    if (!this.node) return;  // still opening: open() applies the settings when done
    const step = this.rate * this.sampleRate / this.ctx.sampleRate;
    const sounding = this.playing && this.rate > 0;  // playbackRate 0: silence, nothing read
    if (this.shared) {
      this.rateCell[0] = step;
      Atomics.store(this.ctl, 2, sounding ? 1 : 0);
      Atomics.store(this.ctl, 3, this.preservesPitch ? 1 : 0);
    } else {
      this.node.port.postMessage({ step, playing: sounding, pitch: this.preservesPitch });
    }
    this.gain.gain.value = this.muted ? 0 : this.volume;
    if (this.playing && this.ctx.state === "suspended") this.ctx.resume();
  }

  setPlaying(on) { this.playing = on; this.#apply(); }
  setRate(rate) { this.rate = rate; this.#apply(); }
  setVolume(volume, muted) { this.volume = volume; this.muted = muted; this.#apply(); }
  setPreservesPitch(on) { this.preservesPitch = on; this.#apply(); }

  // Ring frames the worklet may read either side of its read position: time-stretching
  // reads a window and its search range around it (audio-worklet.js).  Kept free of
  // writes: a splice rewrites only beyond it, and the ring never fills closer to it.
  get #reach() { return Math.ceil(this.sampleRate * (0.05 + 0.01 * this.rate)); }
  get #stretching() { return this.preservesPitch && this.rate !== 1; }

  #readNow() {
    if (this.shared) this.read = Atomics.load(this.ctl, 1);
    return this.read;
  }

  // Drop everything queued; the next samples start at media time `time`.
  flush(time) {
    for (const p of this.pending) p.close?.();
    this.pending = [];
    this.carry = null;
    this.start = this.write;
    this.base = time;
    this.next = null;
    this.read = this.write;
    if (this.node) this.node.port.postMessage({ skipTo: this.write });
  }

  // Seconds queued and not yet played.
  get ahead() {
    if (!this.ctx) return 0;
    return (this.write - Math.max(this.#readNow(), this.start)) / this.sampleRate;
  }

  // The media time being heard now, or null before any audio.
  clock() {
    if (!this.ctx || this.next === null) return null;
    const read = Math.max(this.#readNow(), this.start);
    const latency = (this.ctx.outputLatency || this.ctx.baseLatency || 0) * this.rate;
    return this.base + (read - this.start) / this.sampleRate - (this.playing ? latency : 0);
  }

  get starved() { return this.ctx !== null && this.next !== null && this.#readNow() + 1 >= this.write; }

  // Queue one decoded AudioData (closed here); `skip` / `frames`: only that part of it.
  push(data, skip = 0, frames = data.numberOfFrames - skip) {
    let time = (data.timestamp + skip * 1e6 / data.sampleRate) / 1e6;
    let planes = [];
    for (let c = 0; c < this.channels; c++) {
      const plane = new Float32Array(frames);
      data.copyTo(plane, { planeIndex: Math.min(c, data.numberOfChannels - 1), format: "f32-planar",
        frameOffset: skip, frameCount: frames });
      planes.push(plane);
    }
    const rate = data.sampleRate;
    data.close();
    if (rate !== this.sampleRate) {
      ({ planes, time } = this.#convert(planes, time, rate));
      if (!planes[0].length) return;
    } else {
      this.carry = null;
    }
    this.pending.push({ planes, time });
    this.drain();
  }

  // Audio at `rate` onto the ring's sample grid, by linear interpolation (enough for a
  // rendition switch; no anti-aliasing filter).  Output sample j is at input position
  // first + j x rate / sampleRate; a chunk that follows the previous one continues its
  // grid (`carry`), interpolating from its last sample, so the joins are seamless.  The
  // chunk's media time becomes that of its first output sample: placement stays exact.
  #convert(planes, time, rate) {
    const n = planes[0].length, ratio = rate / this.sampleRate, c = this.carry;
    const follows = c && c.rate === rate && Math.abs(c.end - time) < 0.5 / rate;
    const first = follows ? c.pos : 0;   // input samples from planes[*][0]; >= -1
    const m = n ? Math.max(0, Math.floor((n - 1 - first) / ratio) + 1) : 0;
    const out = planes.map((p, ch) => {
      const q = new Float32Array(m), before = follows ? c.last[ch] : p[0];
      for (let j = 0; j < m; j++) {
        const x = first + j * ratio, i = Math.floor(x), f = x - i;
        const a = i < 0 ? before : p[i];
        q[j] = f === 0 ? a : a + ((i + 1 < n ? p[i + 1] : a) - a) * f;
      }
      return q;
    });
    this.carry = n ? { rate, end: time + n / rate, pos: first + m * ratio - n, last: planes.map((p) => p[n - 1]) } : c;
    return { planes: out, time: time + first / rate };
  }

  // Move pending chunks into the ring while there is room.  Ring index of media time T:
  // start + (T - base) * sampleRate.  A chunk after a gap gets silence before it; a
  // chunk that overlaps what is queued (an audio splice: MSE "Audio Splice Rendering")
  // replaces the overlapped samples not yet played, crossfading over the first 5 ms.
  drain() {
    while (this.pending.length && this.ctx) {
      const chunk = this.pending[0];
      const { planes, time } = chunk;
      if (this.next === null) {
        this.base = time; this.next = time; this.start = this.write;
      }
      const at = this.start + Math.round((time - this.base) * this.sampleRate);
      const read = Math.max(this.#readNow(), this.start);
      let skip = 0, silence = 0, back = 0;
      if (at > this.write + 1) { silence = at - this.write; this.stats.gaps += 1; }
      else if (at < this.write - 1) {
        const overlap = this.write - at;
        const guard = this.#stretching ? this.#reach : 128;
        back = this.shared ? Math.max(0, Math.min(overlap, this.write - read - guard)) : 0;
        skip = Math.min(planes[0].length, overlap - back);
        this.stats[back ? "splices" : "trims"] = (this.stats[back ? "splices" : "trims"] || 0) + 1;
      }
      const n = planes[0].length - skip + silence;
      const room = this.capacity - this.#reach - (this.write - back - read);
      if (n > room) return;
      this.pending.shift();
      if (n <= 0) continue;
      let out = planes;
      if (silence || skip) {
        out = planes.map((p) => { const q = new Float32Array(n); q.set(p.subarray(skip), silence); return q; });
      }
      if (back) {
        this.write -= back;
        const fade = Math.min(back, out[0].length, Math.round(this.sampleRate * 0.005));
        for (let c = 0; c < this.channels; c++) {
          const old = this.planes[c], dst = out[c];  // push() made one plane per channel
          for (let i = 0; i < fade; i++) {
            const w = (i + 0.5) / fade;
            dst[i] = old[(this.write + i) % this.capacity] * (1 - w) + dst[i] * w;
          }
        }
      }
      this.#write(out);
      this.next = this.base + (this.write - this.start) / this.sampleRate;
      this.stats.chunks += 1;
      this.stats.frames += n;
    }
  }

  #write(planes) {
    const n = planes[0].length;
    if (this.shared) {
      for (let c = 0; c < this.channels; c++) {
        const dst = this.planes[c], src = planes[Math.min(c, planes.length - 1)];
        const at = this.write % this.capacity;
        const first = Math.min(n, this.capacity - at);
        dst.set(src.subarray(0, first), at);
        if (first < n) dst.set(src.subarray(first), 0);
      }
      this.write += n;
      Atomics.store(this.ctl, 0, this.write);
    } else {
      this.node.port.postMessage({ chunk: planes }, planes.map((p) => p.buffer));
      this.write += n;
    }
  }

  close() {
    this.ctx?.close();
  }
}
