// Rendering: coded frames from the worker's frame feed -> WebCodecs -> canvas / audio.
//
// Per active track (the element state's `feedTracks`) the renderer keeps a decoder
// and pulls the next coded frames while less than a target is decoded ahead.  A pull
// batch may say `reset` (flush the decoder: MSE "Seeking" steps 2-3, or frames already
// decoded changed) and carry a `config`.  Audio is the master clock (audio.js); video
// frames are presented when their time comes on that clock, late ones dropped and
// counted.  Without audio the clock is the wall clock.  The playback position goes to
// the element model (`setPlaybackPosition`), which decides readyState, waiting, ended.

import { AudioOut } from "./audio.js";
import { createPainter } from "./painter.js";

const VIDEO_AHEAD = 12;       // decoded + decoding video frames to keep
const AUDIO_AHEAD = 0.6;      // seconds of audio queued ahead of the clock
const VIDEO_LOW = 4;          // ... while appends are in flight
const AUDIO_LOW = 0.25;
const REPORT_MS = 240;        // wall ms between position reports (timeupdate): about 250, as Chromium
const PREROLL_FRAMES = 2;     // decoded video frames before the clock starts
const PREROLL_AUDIO = 0.1;    // seconds of decoded audio before the clock starts
const PREROLL_MAX_MS = 1000;  // start anyway after this long
const TICK_TIMER_MS = 20;     // a tick this soon when no frame callback comes
const HIDDEN_TICK_MS = 50;    // ... and the ticks of a hidden document (timers only)
const IDLE_TICK_MS = 250;     // paused with nothing in flight: a tick now and then
const REPULL_MS = 100;        // a track at the end of its buffered frames asks again after
const DECODED = new Set(["video", "audio"]);  // the track kinds with a WebCodecs decoder

export class Renderer {
  constructor(element, canvas) {
    this.element = element;
    this.painter = createPainter(canvas);  // (the canvas is the painter's from now on)
    this.canvasSize = [0, 0];
    this.audio = new AudioOut();
    this.tracks = new Map();    // key -> track pipeline
    this.position = 0;          // the official playback position the clock gives
    this.playing = false;
    this.prerolling = false;    // playing, but the clock waits for decoded output
    this.prerollSince = 0;
    this.anchor = { media: 0, wall: 0 };
    this.lastReport = -1;       // the position last reported to the model, and when
    this.lastReportAt = -Infinity;
    this.seekTarget = 0;
    this.presented = null;      // {timestamp, duration} of the frame on the canvas
    this.presentedFrames = 0;   // frames put on the canvas, ever (requestVideoFrameCallback)
    this.presentedMeta = null;  // the last one's VideoFrameCallbackMetadata
    this.processing = new WeakMap();  // decoded frame -> s from its decode() call
    this.quality = { total: 0, dropped: 0, corrupted: 0, decoded: 0, videoBytes: 0, audioBytes: 0 };
    this.avOffsets = [];        // (frame time - clock) at presentation, seconds
    this.drops = [];            // [frame time, clock] of the last dropped frames
    this.running = false;
    this.asleep = false;
    this.idle = false;          // the loop ticks at its idle pace
    this.frameRequest = 0;
    this.tickTimer = 0;
    this.tick = this.tick.bind(this);
    this.shownSize = null;      // the canvas's size on screen, in device pixels
    this.frameSize = null;
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(([entry]) => {
        const box = entry.devicePixelContentBoxSize?.[0];
        const dpr = globalThis.devicePixelRatio || 1;
        this.shownSize = box ? { width: box.inlineSize, height: box.blockSize }
          : { width: entry.contentRect.width * dpr, height: entry.contentRect.height * dpr };
        if (!this.shownSize.width || !this.shownSize.height) this.shownSize = null;
      }).observe(canvas);
    }
  }

  // -- the element's state changed ---------------------------------------------------
  update(state) {
    if (!this.element.isConnected && state.paused) { this.#sleep(); return; }
    const waking = this.asleep;
    this.asleep = false;
    const keys = new Set((state.feedTracks || []).map((t) => t.key));
    for (const [key, t] of this.tracks) {
      if (!keys.has(key)) { this.#closeTrack(t); this.tracks.delete(key); }
    }
    for (const t of state.feedTracks || []) {
      if (!this.tracks.has(t.key)) this.tracks.set(t.key, this.#newTrack(t.key, t.kind));
    }
    if (waking && this.tracks.size) this.seek(state.currentTime);  // refill from the random access point
    const play = state.potentiallyPlaying;
    if (play && !this.playing) this.#start(state.currentTime);
    else if (!play && this.playing) this.#stop();
    if (!this.playing) this.position = state.currentTime;
    this.playableUntil = state.playableUntil;
    this.duration = state.duration;
    this.audio.setRate(state.playbackRate ?? 1);
    this.audio.setVolume(state.volume, state.muted);
    // A new state may mean new frames: a track at the end of its frames asks again now.
    for (const t of this.tracks.values()) t.repullAt = 0;
    // The loop starts in a frame callback, not here: this runs inside the reply to an
    // append (its steps apply the state first), and the loop's first pass - the
    // decoders' first pulls and configuration - would delay the append's events.
    if (!this.running && this.tracks.size) { this.running = true; this.#schedule(); }
    this.#kick();
  }

  // An element out of its document and paused (HTML's removal steps pause it) keeps no
  // pipeline: no decoded frames, no decoder, no loop (whose callback alone would keep
  // the element alive), its audio suspended - a page that drops its players, or makes
  // one before inserting it, pays for none.  Back in a document, or playing, it refills
  // from the random access point, as after a seek.
  #sleep() {
    if (this.asleep) return;
    this.asleep = true;
    this.#closeTracks();
    this.#stop();
    this.running = false;
    this.#cancelTick();
    if (this.audio.ctx?.state === "running") this.audio.ctx.suspend();
  }

  // A seek began: flush every decoder, refill from the random access point.
  seek(time) {
    this.seekTarget = time;
    this.position = time;
    for (const t of this.tracks.values()) this.#flushTrack(t);
    this.element._feedSeek();
    this.presented = null;
    this.audio.flush(time);
    this.anchor = { media: time, wall: performance.now() };
    if (this.playing) this.#preroll();
    this.#kick();
  }

  #start(time) {
    this.playing = true;
    this.position = time;
    this.anchor = { media: time, wall: performance.now() };
    this.#preroll();
  }

  #stop() {
    this.playing = false;
    this.prerolling = false;
    this.audio.setPlaying(false);
  }

  // Preroll: the clock starts once every decoder has output for the position (as a
  // media pipeline prerolls before playing), not while the first frames are still
  // being decoded - else they would be late at once and dropped.
  #preroll() {
    this.prerolling = true;
    this.prerollSince = performance.now();
    this.audio.setPlaying(false);
  }

  #prerolled() {
    for (const t of this.tracks.values()) {
      if (t.exhausted || !DECODED.has(t.kind)) continue;
      if (t.kind === "video" && t.frames.length < PREROLL_FRAMES) return false;
      if (t.kind === "audio" && this.audio.ahead < PREROLL_AUDIO) return false;
    }
    return true;
  }

  #endPreroll() {
    this.prerolling = false;
    this.anchor = { media: this.position, wall: performance.now() };
    this.audio.setPlaying(true);
  }

  // -- the clock ---------------------------------------------------------------------------
  #hasAudio() { return [...this.tracks.values()].some((t) => t.kind === "audio" && t.configured); }

  clockNow() {
    const now = performance.now();
    if (!this.playing || this.prerolling) return this.position;
    const rate = this.element._state.playbackRate ?? 1;  // 0: the position holds
    const audioTrack = [...this.tracks.values()].find((t) => t.kind === "audio");
    const heard = this.audio.clock();
    if (audioTrack && heard !== null && !(this.audio.starved && audioTrack.exhausted)) {
      this.anchor = { media: Math.max(heard, this.anchor.media === heard ? heard : heard), wall: now };
      return heard;
    }
    if (audioTrack && !audioTrack.exhausted) return this.anchor.media;  // waiting for audio
    return this.anchor.media + (now - this.anchor.wall) / 1000 * rate;
  }

  // -- the loop ---------------------------------------------------------------------------
  // Frame callbacks pace presentation, and a timer stands in when none comes: a hidden
  // document gets none, and a visible one may get none either (headless Chromium's
  // pages behind the front one) while the media clock runs on.  A native <video> plays
  // on there, and so does this.
  // A paused element with nothing in flight ticks at an idle pace (as a native paused
  // <video> costs next to nothing), and anything the next tick should see at once - a
  // state, a seek, a decoded frame - kicks it back to full pace.
  #schedule(idle = false) {
    this.idle = idle;
    if (idle) {
      this.tickTimer = setTimeout(this.tick, IDLE_TICK_MS);
    } else if (document.hidden) {
      this.tickTimer = setTimeout(this.tick, Math.min(HIDDEN_TICK_MS, this.#untilEnd()));
    } else {
      this.frameRequest = requestAnimationFrame(this.tick);
      this.tickTimer = setTimeout(this.tick, Math.min(TICK_TIMER_MS, this.#untilEnd()));
    }
  }

  // The end of what is playable (the end of the stream, or of the buffered range) comes
  // between two frames: the next tick just after it (1 ms: a timer may fire a little
  // early on the media clock) when that is sooner than a frame, so that the model hears
  // of it (ended, waiting) at once, as a native element's pipeline reports its end
  // (Infinity: not that close).  Ticking at frames only, the page read a position at the
  // end for up to a frame before `ended` came.  dash.js checks every 200 ms for a
  // position past its MPD's end (40.0; the audio runs to 40.008) and, if the element has
  // not fired `ended` yet, ends playback itself (seeks to the period's end and pauses):
  // in 5 runs of 25 before this tick, 2 of 25 with it - what is left is the report's
  // round trip to the worker, as a native element's `ended` also comes a task after its
  // position (e2e/players.test.mjs takes either end).
  #untilEnd() {
    if (!this.playing || this.prerolling || !Number.isFinite(this.playableUntil)) return Infinity;
    const rate = this.element._state.playbackRate ?? 1;
    if (!(rate > 0) || this.position >= this.playableUntil) return Infinity;
    const wait = (this.playableUntil - this.position) / rate * 1000 + 1;
    return wait < TICK_TIMER_MS ? wait : Infinity;
  }

  #cancelTick() {
    cancelAnimationFrame(this.frameRequest);
    clearTimeout(this.tickTimer);
  }

  #kick() {
    if (!this.running || !this.idle) return;
    this.#cancelTick();
    this.#schedule();
  }

  #idle() {
    if (this.playing) return false;
    for (const t of this.tracks.values()) {
      if (t.pulling || t.decoder?.decodeQueueSize) return false;
      if (t.chunks.length ? this.#wanted(t) : this.#needsMore(t)) return false;
    }
    return true;
  }

  tick() {
    this.#cancelTick();
    if (!this.tracks.size) { this.running = false; return; }
    try {
      if (this.playing && this.prerolling &&
          (this.#prerolled() || performance.now() - this.prerollSince > PREROLL_MAX_MS)) {
        this.#endPreroll();
      }
      if (this.playing) {
        let t = this.clockNow();
        if (Number.isFinite(this.playableUntil)) t = Math.min(t, this.playableUntil);
        if (t > this.position) this.position = t;
        // The model fires timeupdate at each report that moves the position: about
        // every 250 ms of wall time (the first tick after 240 ms), as Chromium's
        // periodic timeupdate - not per media time (at 4x, 0.1 s of media made one
        // every 25 ms).  At once at the end of what is playable and at a cue boundary.
        const now = performance.now();
        if (now - this.lastReportAt >= REPORT_MS ||
            this.position >= this.playableUntil ||
            (this.position > this.lastReport && this.element._cueBoundaryIn(this.lastReport, this.position))) {
          this.lastReport = this.position;
          this.lastReportAt = now;
          this.element._reportPosition(this.position);
        }
      }
      for (const t of this.tracks.values()) this.#feed(t);
      this.#present();
      this.element._renderCues(this.position);
      this.audio.drain();
    } catch (e) {
      console.error("msepy renderer", e);
    }
    this.#schedule(this.#idle());
  }

  // -- pipelines ---------------------------------------------------------------------------
  #newTrack(key, kind) {
    return { key, kind, decoder: null, config: null, wcConfig: null, nextTs: null, configured: false, pulling: false, trims: [], submitted: new Map(),
      exhausted: false, repullAt: 0, frames: [], chunks: [], generation: 0, lastPts: -Infinity };
  }

  // A track's decoder is made at its first pull, not with the track: the track comes
  // with the reply to an append, whose events should not wait for it.
  #newDecoder(t) {
    const onError = (e) => this.element._decodeError(`${t.kind} decoder: ${e.message}`);
    return t.kind === "video"
      ? new VideoDecoder({ output: (f) => this.#videoOut(t, f), error: onError })
      : new AudioDecoder({ output: (d) => this.#audioOut(t, d), error: onError });
  }

  #closeTrack(t) {
    for (const f of t.frames) f.close();
    t.frames = [];
    if (t.decoder && t.decoder.state !== "closed") t.decoder.close();
  }

  #flushTrack(t) {
    t.generation += 1;
    t.trims = [];
    t.submitted.clear();
    for (const f of t.frames) f.close();
    t.frames = [];
    t.chunks = [];
    t.exhausted = false;
    t.repullAt = 0;
    t.flushed = false;
    if (t.decoder && t.decoder.state === "configured") t.decoder.reset();
    t.configured = false;
  }

  // While appends are in flight the pipeline fills only to its low marks: decoding far
  // ahead then would take the CPU the engine's append handling needs (2 cores are
  // common), and the frames can be decoded a moment later just as well.  A new pipeline
  // starts at once, appends or not: held back until the appends paused (up to 250 ms),
  // the playhead of a playing element stood still that long, and hls.js took it for a
  // stall and seeked over the start gap.
  // A pull brings up to 30 frames: the video frames wait in `chunks` and go to the
  // decoder only as they are wanted - all at once, the decoder worked through a second
  // of 720p while the player's first appends ran (13 frames decoded in their 75 ms, of
  // which one was shown).
  #wanted(t) {
    const busy = this.element._engine.appending;
    const queued = t.decoder ? t.decoder.decodeQueueSize : 0;
    if (t.kind === "video") return t.frames.length + queued < (busy ? VIDEO_LOW : VIDEO_AHEAD);
    return this.audio.ahead + queued * 0.02 < (busy ? AUDIO_LOW : AUDIO_AHEAD);
  }

  #needsMore(t) {
    return DECODED.has(t.kind) && !t.pulling && !t.chunks.length && performance.now() >= t.repullAt && this.#wanted(t);
  }

  #decodeVideo(t) {
    try {
      while (t.chunks.length && this.#wanted(t)) {
        const chunk = t.chunks.shift();
        t.submitted.set(chunk.timestamp, performance.now());  // (processingDuration)
        this.quality.videoBytes += chunk.byteLength;
        t.decoder.decode(chunk);
      }
    } catch (e) {
      t.chunks = [];
      this.element._decodeError(`${t.kind} decode: ${e.message}`);
    }
  }

  // One pull at a time per track (`pulling` covers the decode loop too: it may wait).
  async #feed(t) {
    if (t.chunks.length && t.configured && !t.pulling) this.#decodeVideo(t);
    if (!this.#needsMore(t)) return;
    t.decoder ??= this.#newDecoder(t);
    t.pulling = true;
    try {
      await this.#pullAndDecode(t);
    } catch (e) {
      if (t.decoder.state !== "closed") console.error("msepy renderer", e);
    } finally {
      t.pulling = false;
    }
  }

  async #pullAndDecode(t) {
    const generation = t.generation;
    const batch = await this.element._pull(t.key);
    if (!batch) return;
    if (batch.config) {
      // kept even from a stale batch: sent once.  A new configuration mid-stream (a new
      // init segment, changeType) reconfigures the decoder before these frames.
      if (t.configured && t.config && JSON.stringify(t.config) !== JSON.stringify(batch.config)) t.configured = false;
      t.config = batch.config;
    }
    if (generation !== t.generation || t.decoder.state === "closed") return;
    if (batch.reset) {
      for (const f of t.frames) f.close();
      t.frames = [];
      t.chunks = [];
      if (t.decoder.state === "configured") t.decoder.reset();
      t.configured = false;
    }
    if (!batch.frames.length) {
      t.exhausted = true;
      t.repullAt = performance.now() + REPULL_MS;  // (or at the next state: update())
      // At the end of the stream, drain what the decoder holds back (B-frame reorder).
      // Not before: after flush() a decoder wants a key frame, so a later append would
      // need a restart.
      if (!t.flushed && t.configured && this.element._source?.readyState === "ended") {
        t.flushed = true;
        t.decoder.flush().catch(() => {});
      }
      return;
    }
    t.exhausted = false;
    t.flushed = false;
    if (!t.configured && t.config) await this.#configure(t);
    if (!t.configured || generation !== t.generation) return;
    const chunk = (f, timestamp = f.timestamp, duration = f.duration) => {
      const init = { type: f.key ? "key" : "delta", timestamp, duration,
        data: batch.payload.subarray(f.offset, f.offset + f.size) };
      return t.kind === "video" ? new EncodedVideoChunk(init) : new EncodedAudioChunk(init);
    };
    // Chromium's audio decoders stamp their output continuously from the first input,
    // whatever the later inputs say: at a discontinuity (a gap, or a splice going back
    // in time) the decoder is drained and restarted so the output keeps media time.
    // Synchronous unless it has to wait for the drain: no promise per audio frame.
    const decodeAudio = (c) => {
      t.nextTs = c.timestamp + (c.duration || 0);
      this.quality.audioBytes += c.byteLength;
      t.decoder.decode(c);
      return true;
    };
    const audioInput = (c) => {
      if (t.nextTs === null || Math.abs(c.timestamp - t.nextTs) <= 1000) return decodeAudio(c);
      return t.decoder.flush().then(() => {
        if (generation !== t.generation) return false;
        t.decoder.reset();
        t.decoder.configure(t.wcConfig);
        return decodeAudio(c);
      });
    };
    if (t.kind === "video") {
      t.chunks = batch.frames.map((f) => chunk(f));
      this.#decodeVideo(t);
      return;
    }
    for (const f of batch.frames) {
      try {
        if (f.fadeOut) {
          // An audio splice frame: the overlapped frames, then the new frame from the
          // splice point; the output crossfades where they overlap (audio.js).
          for (const g of f.fadeOut) if (!await audioInput(chunk(g))) return;
          if (!await audioInput(chunk(f, f.spliceTimestamp, f.timestamp + f.duration - f.spliceTimestamp))) return;
        } else if (f.trimStart || f.trimEnd) {
          // Partial append window trimming: decode the whole frame, play only its part
          // inside the window (#audioOut cuts the rest).
          const from = f.timestamp - (f.trimStart || 0);
          t.trims.push({ from, keepFrom: f.timestamp, keepTo: f.timestamp + f.duration });
          if (!await audioInput(chunk(f, from, f.duration + (f.trimStart || 0) + (f.trimEnd || 0)))) return;
        } else {
          const fed = audioInput(chunk(f));  // (true at once, but for a drain)
          if (fed !== true && !await fed) return;
        }
      } catch (e) {
        this.element._decodeError(`${t.kind} decode: ${e.message}`);
        return;
      }
    }
  }

  async #configure(t) {
    const c = t.config;
    const config = { codec: c.codec };
    if (c.description) config.description = c.description;
    if (t.kind === "video") {
      if (c.codedWidth) { config.codedWidth = c.codedWidth; config.codedHeight = c.codedHeight; }
      if (c.displayWidth) { config.displayAspectWidth = c.displayWidth; config.displayAspectHeight = c.displayHeight; }
      config.optimizeForLatency = true;
      const ok = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
      if (!ok.supported) config.hardwareAcceleration = "prefer-software";
    } else {
      config.sampleRate = c.sampleRate;
      config.numberOfChannels = c.numberOfChannels;
      await this.audio.open(c.sampleRate, c.numberOfChannels);
    }
    try {
      t.decoder.configure(config);
      t.wcConfig = config;
      t.nextTs = null;
      t.configured = true;
    } catch (e) {
      this.element._decodeError(`cannot configure the ${t.kind} decoder for ${c.codec}: ${e.message}`);
    }
  }

  #videoOut(t, frame) {
    this.quality.decoded += 1;
    this.#kick();
    const submitted = t.submitted.get(frame.timestamp);
    t.submitted.delete(frame.timestamp);
    if (submitted !== undefined) this.processing.set(frame, (performance.now() - submitted) / 1000);
    const time = frame.timestamp / 1e6;
    const end = time + (frame.duration || 0) / 1e6;
    if (end <= this.seekTarget && end > 0 && time < this.seekTarget - 1e-6 && frame.duration) {
      frame.close();  // preroll from the random access point to the seek target
      return;
    }
    t.frames.push(frame);
    t.frames.sort((a, b) => a.timestamp - b.timestamp);
  }

  #audioOut(t, data) {
    this.#kick();
    const end = (data.timestamp + data.duration) / 1e6;
    if (end <= this.seekTarget - 0.001) { data.close(); return; }
    while (t.trims.length && t.trims[0].from < data.timestamp - 1000) t.trims.shift();
    const trim = t.trims.length && Math.abs(t.trims[0].from - data.timestamp) <= 1000 ? t.trims.shift() : null;
    if (trim) {
      const rate = data.sampleRate;
      const skip = Math.max(0, Math.round((trim.keepFrom - data.timestamp) * rate / 1e6));
      const keep = Math.min(data.numberOfFrames - skip, Math.round((trim.keepTo - trim.keepFrom) * rate / 1e6));
      if (keep <= 0) { data.close(); return; }
      this.audio.push(data, skip, keep);
      return;
    }
    this.audio.push(data);
  }

  // Show the latest frame whose time has come; frames passed over are dropped.
  #present() {
    const video = [...this.tracks.values()].find((t) => t.kind === "video");
    if (!video || !video.frames.length) return;
    const now = this.playing ? Math.max(this.position, this.clockNow()) : this.position;
    // The next frame once its time has come; a frame is skipped (dropped) only when the
    // one after it is due too and it is already more than a frame late - so display
    // jitter of less than a frame costs no frames.
    let pick = -1;
    const due = (i) => i < video.frames.length && video.frames[i].timestamp / 1e6 <= now + 0.0005;
    if (due(0)) {
      pick = 0;
      while (due(pick + 1)) {
        const f = video.frames[pick];
        const late = now - (f.timestamp + (f.duration || 33_333)) / 1e6;
        if (late <= 0.0005) break;
        pick += 1;
      }
    }
    // The first frame after a seek / at start is shown before its time comes (as a
    // native <video> shows it): a picture until then, not an A/V offset.
    const early = pick < 0;
    if (early && !this.presented) pick = 0;
    if (pick < 0) return;
    const frame = video.frames[pick];
    for (let i = 0; i < pick; i++) {
      if (this.playing) {
        this.quality.dropped += 1;
        this.drops.push([video.frames[i].timestamp / 1e6, now]);
        if (this.drops.length > 100) this.drops.shift();
      }
      video.frames[i].close();
    }
    video.frames.splice(0, pick + 1);
    this.quality.total += 1;
    if (this.playing && !early) {
      const offset = frame.timestamp / 1e6 - now;
      this.avOffsets.push(offset);
      if (this.avOffsets.length > 300) this.avOffsets.shift();
    }
    this.#draw(frame);  // (the painter closes it)
  }

  // The canvas holds the frame at its size - or at a half, a quarter... of it while that
  // still has as many pixels as the element shows (object-fit: contain): a 720p stream
  // in a 320x180 element is converted and composited at 320x180, not 1280x720.
  #draw(frame) {
    const w = frame.displayWidth, h = frame.displayHeight;
    let cw = w, ch = h;
    const shown = this.shownSize;
    if (shown) {
      const scale = Math.min(shown.width / w, shown.height / h);
      while (cw % 2 === 0 && ch % 2 === 0 && cw / 2 >= w * scale && ch / 2 >= h * scale) { cw /= 2; ch /= 2; }
    }
    if (this.frameSize?.[0] !== w || this.frameSize?.[1] !== h) {
      this.frameSize = [w, h];
      this.element._resized(w, h);
    }
    this.canvasSize = [cw, ch];
    this.presented = { timestamp: frame.timestamp, duration: frame.duration };
    // What requestVideoFrameCallback() reports: every frame put on the canvas, counted.
    this.presentedFrames += 1;
    this.presentedMeta = { presentationTime: performance.now(), width: w, height: h,
      mediaTime: frame.timestamp / 1e6, presentedFrames: this.presentedFrames };
    const processing = this.processing.get(frame);  // (s from decode() to the frame)
    if (processing !== undefined) this.presentedMeta.processingDuration = processing;
    this.element._framePresented(frame.timestamp / 1e6);
    this.painter.draw(frame, cw, ch);
  }

  // The RGBA pixels of the canvas in a rectangle (of the frames presented so far).
  readPixels(x, y, width, height) {
    return this.painter.read(x, y, width, height);
  }

  #closeTracks() {
    for (const t of this.tracks.values()) this.#closeTrack(t);
    this.tracks.clear();
  }

  close() {
    this.#closeTracks();
    this.audio.close();
  }
}
