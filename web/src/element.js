// <msepy-video>: the HTMLMediaElement surface a player uses.
//
// The element's algorithms (readyState, seeking, events, ended) are the Python element
// model's (msepy.HTMLMediaElement) in the worker; this is its Window mirror.  It sends
// the page's calls (play, pause, seeking, load, src/srcObject) and the renderer's
// playback position, and re-dispatches the model's events in order.  Attaching a
// MediaSource makes a MessageChannel whose port2 goes to the worker: the MediaSource's
// [[port to main]] (MSE "Attaching to a media element"); its internal messages arrive
// on port1.

import { domError, requireArgs, TimeRanges, sameRanges, toDOMString, toDouble, toStringTag } from "./dom.js";
import { AudioTrackList, TextTrack, TextTrackList, VideoTrackList } from "./tracks.js";
import { Renderer } from "./renderer.js";
import { warmUpAudio } from "./audio.js";
import { warmUpPainter } from "./painter.js";
import { Controls } from "./controls.js";
import { CueOverlay } from "./cues.js";

export const ELEMENT_TAG = "msepy-video";
const STATES = ["HAVE_NOTHING", "HAVE_METADATA", "HAVE_CURRENT_DATA", "HAVE_FUTURE_DATA", "HAVE_ENOUGH_DATA"];
const NETWORK = ["NETWORK_EMPTY", "NETWORK_IDLE", "NETWORK_LOADING", "NETWORK_NO_SOURCE"];

export class MediaError {
  static MEDIA_ERR_ABORTED = 1;
  static MEDIA_ERR_NETWORK = 2;
  static MEDIA_ERR_DECODE = 3;
  static MEDIA_ERR_SRC_NOT_SUPPORTED = 4;
  constructor(code, message) { this.code = code; this.message = message; }
}
Object.assign(MediaError.prototype, { MEDIA_ERR_ABORTED: 1, MEDIA_ERR_NETWORK: 2, MEDIA_ERR_DECODE: 3, MEDIA_ERR_SRC_NOT_SUPPORTED: 4 });

const TEXT_TRACK_KINDS = ["subtitles", "captions", "descriptions", "chapters", "metadata"];
const PROGRESS_MS = 350;  // HTML: progress "about every 350ms (±200ms)"

const TEMPLATE = `
<style>
  :host { display: inline-block; position: relative; background: #000; width: 320px; height: 180px; overflow: hidden; }
  canvas { width: 100%; height: 100%; object-fit: contain; display: block; }
</style>
<canvas part="canvas" width="0" height="0"></canvas>`;

// Reflection helpers (HTML "reflect"): a URL attribute resolved against the document's
// base URL (the attribute as it is if it does not parse; "" when missing), and an
// unsigned long (0 when missing or not a valid non-negative integer).
function reflectURL(element, name) { return resolveURL(element, element.getAttribute(name)); }
function resolveURL(element, url) {
  if (url === null) return "";
  try { return new URL(url, element.ownerDocument.baseURI).href; } catch (e) { return url; }
}
function reflectUnsigned(element, name) {
  const m = /^[\t\n\f\r ]*\+?(\d+)/.exec(element.getAttribute(name) ?? "");
  const n = m ? Number(m[1]) : 0;
  return n <= 2147483647 ? n : 0;
}
// WebIDL unsigned long (ToNumber, truncated, modulo 2^32); reflected only up to 2^31 - 1.
function toUnsigned(v) {
  const n = +v;
  const u = Number.isFinite(n) ? Math.trunc(n) >>> 0 : 0;
  return u <= 2147483647 ? u : 0;
}

// HTML VideoPlaybackQuality.
export class VideoPlaybackQuality {
  #values;
  constructor(creationTime, total, dropped, corrupted) { this.#values = [creationTime, total, dropped, corrupted]; }
  get creationTime() { return this.#values[0]; }
  get totalVideoFrames() { return this.#values[1]; }
  get droppedVideoFrames() { return this.#values[2]; }
  get corruptedVideoFrames() { return this.#values[3]; }
}
toStringTag(VideoPlaybackQuality, "VideoPlaybackQuality");

export function defineElement(engine, registry, { mediaSources }) {
  setTimeout(() => { warmUpAudio(); warmUpPainter(); }, 0);
  class MsePyVideoElement extends HTMLElement {
    static observedAttributes = ["src", "controls", "autoplay", "loop", "muted", "width", "height"];

    constructor() {
      super();
      this._engine = engine;
      this._oid = engine.newId("el");
      this._pending = new Map();
      this._state = {
        readyState: 0, networkState: 0, currentTime: 0, seeking: false, paused: true,
        ended: false, duration: NaN, error: null, buffered: [], seekable: [], played: [],
        playbackRate: 1, volume: 1, muted: false, autoplay: false, loop: false,
        potentiallyPlaying: false, playableUntil: 0, videoWidth: 0, videoHeight: 0, feedTracks: [],
      };
      this._ranges = { buffered: new TimeRanges(), seekable: new TimeRanges(), played: new TimeRanges() };
      this._error = null;
      this._srcObject = null;
      this._source = null;     // the attached msepy MediaSource
      this._port = null;       // [[port to worker]]
      this._playPromises = [];
      this._defaultPlaybackRate = 1;
      this._log = [];          // internal messages seen (for the demo and tests)
      // requestVideoFrameCallback(): the last handle given, the callbacks waiting, the
      // presented frame count they wait to pass, the animation frame asked for.
      this._frameCallbacks = { last: 0, callbacks: new Map(), seen: 0, raf: 0 };
      engine.register(this._oid, this);
      this._audioTracks = new AudioTrackList(engine, `${this._oid}.audioTracks`);
      this._videoTracks = new VideoTrackList(engine, `${this._oid}.videoTracks`);
      this._textTracks = new TextTrackList(engine, `${this._oid}.textTracks`);
      engine.op({ op: "create", type: "HTMLMediaElement", id: this._oid });
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = TEMPLATE;
      this._canvas = root.querySelector("canvas");
      this._renderer = new Renderer(this, this._canvas);
      this._cueOverlay = new CueOverlay(root, this);
      this._controls = null;
    }

    connectedCallback() {
      this._renderer.update(this._state);
      this.#progressTimer();
      if (!this._selected && !this.hasAttribute("src") && this.querySelector("source")) {
        queueMicrotask(() => this.load());
      }
    }

    // HTML "removal steps" of a media element: at a stable state, an element still out
    // of every document runs the internal pause steps (it keeps its resource).
    // (The renderer then lets its pipeline go, until the element is back or plays.)
    disconnectedCallback() {
      this.#progressTimer();
      queueMicrotask(() => {
        if (this.isConnected) return;
        if (this._state.paused) this._renderer.update(this._state);
        else this.#pause("internalPause");
      });
    }

    attributeChangedCallback(name, old, value) {
      if (name === "src" && old !== value) this.#resourceChanged();
      else if (name === "controls") this.#controls(value !== null);
      else if (name === "autoplay" || name === "loop") this.#setModel(name, value !== null);
      else if (name === "muted" && old === null && value !== null && !this._mutedSet) this.muted = true;
      else if (name === "width" || name === "height") this.#dimensions();
    }

    // The width and height attributes size the element as a <video>'s do: a rule on
    // :host, which the page's own CSS overrides (as a presentational hint is).
    #dimensions() {
      const rules = ["width", "height"].filter((n) => this.hasAttribute(n))
        .map((n) => `${n}: ${reflectUnsigned(this, n)}px;`);
      this._sizeStyle ??= this.shadowRoot.appendChild(document.createElement("style"));
      this._sizeStyle.textContent = rules.length ? `:host { ${rules.join(" ")} }` : "";
    }

    // The name of the element it stands in for: players tell a media element by it
    // (dash.js's VideoModel takes an element whose nodeName is VIDEO or AUDIO).  The
    // DOM's own name (localName, selectors, serialization) stays msepy-video.
    get nodeName() { return "VIDEO"; }
    get tagName() { return "VIDEO"; }

    // -- source -------------------------------------------------------------------------
    // src and poster reflect URLs: the attribute resolved against the document's base.
    get src() { return reflectURL(this, "src"); }
    set src(v) { this.setAttribute("src", toDOMString(v)); }
    get currentSrc() { return this._currentSrc || ""; }
    get srcObject() { return this._srcObject; }
    set srcObject(v) {
      this._srcObject = v ?? null;
      this.#resourceChanged();
    }

    load() { this.#resourceChanged(true); }

    // The load algorithm: the model runs it; a MediaSource attaches over a new port.
    #resourceChanged() {
      // HTML's resource selection: srcObject, else the src attribute (even empty: that
      // fails, MEDIA_ERR_SRC_NOT_SUPPORTED), else the first <source> child with a src.
      let source = this._srcObject;
      let url = null;
      if (!source) {
        url = this.getAttribute("src");
        if (url === null) {
          const child = [...this.querySelectorAll("source")].find((s) => s.getAttribute("src"));
          url = child ? child.src : null;
        }
        source = url === null ? null : url === "" ? "" : (mediaSources.get(url) || url);
      }
      const selecting = source !== null;
      // currentSrc changes when the engine's selection runs (at its loadstart); for a
      // srcObject it is the empty string, and an empty src leaves it as it was.
      this._nextSrc = this._srcObject ? "" : url ? resolveURL(this, url) : null;
      this._selected = true;
      for (const p of this._playPromises.splice(0)) p.reject(domError("AbortError", "load() interrupted play()"));
      const oldPort = this._port;
      if (this._source) {  // the model's load algorithm detaches it (MSE "Detaching")
        if (this._source._element === this) this._source._detached();
        this._source._element = null;
        this._source = null;
      }
      const op = { op: "set", target: this._oid, name: "srcObject", value: null };
      const transfer = [];
      if (source && source._oid) {
        const channel = new MessageChannel();
        this._engine.onMessage(channel.port1);
        this._port = channel.port1;
        op.value = { ref: source._oid };
        op.port = channel.port2;
        transfer.push(channel.port2);
        source._element = this;
        this._source = source;
      } else {
        this._port = null;
        if (selecting) op.value = String(source);  // not a MediaSource: the model fails it
      }
      this._renderer.seek(0);
      // Resource selection step 1: NETWORK_NO_SOURCE until its stable state runs
      // (NETWORK_LOADING, loadstart); with nothing to select, NETWORK_EMPTY.
      this._local({ readyState: 0, paused: true, seeking: false, currentTime: 0, ended: false,
        error: null, networkState: selecting ? 3 : 0 });
      // Detaching is an internal message on the old [[port to worker]].
      this._engine.op(op, { port: oldPort, transfer });
    }

    // -- state ------------------------------------------------------------------------------
    _local(fields) {
      this._engine.pend(this, ...Object.keys(fields));
      this._state = { ...this._state, ...fields };
      this.#afterState(fields);
    }

    _apply(state) {
      this._state = { ...this._state, ...state };
      this.#afterState(state);
    }

    #afterState(state) {
      for (const name of ["buffered", "seekable", "played"]) {
        if (state[name] && !sameRanges(state[name], this._ranges[name].toArray())) {
          this._ranges[name] = new TimeRanges(state[name]);
        }
      }
      if ("error" in state) {
        const e = state.error;
        this._error = e ? (this._error && this._error.code === e.code && this._error.message === e.message
          ? this._error : new MediaError(e.code, e.message)) : null;
      }
      this._renderer.update(this._state);
      this._controls?.update();
      this._renderCues(this.currentTime);
      this.#progressTimer();
    }

    // HTML's progress events: while networkState is NETWORK_LOADING, every 350 ms in
    // which media data arrived (for a MediaSource: an append, `_dataArrived`), the
    // engine fires progress (Chromium's progress event timer; the engine has no clock).
    // Only while in a document: the timer would keep a dropped element alive.
    #progressTimer() {
      if (!(this._state.networkState === 2 && this.isConnected)) {
        clearInterval(this._progressTimer);
        this._progressTimer = null;
      } else if (!this._progressTimer) {
        this._progressTimer = setInterval(() => {
          if (!this._dataArrived) return;
          this._dataArrived = false;
          this._engine.op({ op: "call", target: this._oid, method: "loadingProgress" });
        }, PROGRESS_MS);
      }
    }

    // -- timed text ---------------------------------------------------------------------
    // The renderer calls this every frame with its clock; state changes with the position.
    _renderCues(t) { this._cueOverlay.update(t); }

    // True if a cue of a showing/hidden track starts or ends in (from, to]: the renderer
    // then reports the position at once, so the engine's "time marches on" (activeCues,
    // cuechange) runs at the cue's time rather than at the next periodic report.
    _cueBoundaryIn(from, to) {
      for (const track of this._textTracks) {
        if (track.mode === "disabled") continue;
        for (const cue of track._cueList) {
          if (cue.startTime > to) break;
          if ((cue.startTime > from && cue.startTime <= to) || (cue.endTime > from && cue.endTime <= to)) return true;
        }
      }
      return false;
    }

    _internal(name, payload) {
      this._log.push([name, payload]);
      if (this._log.length > 200) this._log.shift();
      this.dispatchEvent(new CustomEvent("msepy-internal", { detail: { name, payload } }));
    }

    // Events from the model: settle play() promises as HTML does.
    dispatchEvent(event) {
      const type = event.type;
      if (type === "loadstart" && this._nextSrc != null) {  // the selection ran: currentSrc
        this._currentSrc = this._nextSrc;
        this._nextSrc = null;
      }
      if (type === "playing") this.#settlePlay(null);
      else if (type === "pause" || type === "emptied") this.#settlePlay("AbortError");
      else if (type === "error" && this._state.error?.code === 4) this.#settlePlay("NotSupportedError");
      return super.dispatchEvent(event);
    }

    #settlePlay(failure) {
      for (const p of this._playPromises.splice(0)) {
        if (failure) p.reject(domError(failure, failure === "AbortError" ? "play() was interrupted" : "the media resource is not supported"));
        else p.resolve();
      }
    }

    // -- attributes ----------------------------------------------------------------------------
    get readyState() { return this._state.readyState; }
    get networkState() { return this._state.networkState; }
    get error() { return this._error; }
    get currentTime() { return this._state.potentiallyPlaying && !this._state.seeking ? this._renderer.position : this._state.currentTime; }
    set currentTime(value) {
      value = toDouble(value, "currentTime");
      if (this._state.readyState === 0) {
        this._local({ currentTime: value });
      } else {
        this._local({ currentTime: value, seeking: true, ended: false });
        this._renderer.seek(value);
      }
      this._engine.op({ op: "set", target: this._oid, name: "currentTime", value });
    }
    fastSeek(time) {
      requireArgs(arguments, 1, "fastSeek", "HTMLMediaElement");
      this.currentTime = toDouble(time, "fastSeek()");
    }
    get seeking() { return this._state.seeking; }
    get duration() { return this._state.duration; }
    get paused() { return this._state.paused; }
    get ended() { return this._state.ended; }
    get buffered() { return this._ranges.buffered; }
    get seekable() { return this._ranges.seekable; }
    get played() { return this._ranges.played; }
    get playbackRate() { return this._state.playbackRate; }
    set playbackRate(v) {
      v = toDouble(v, "playbackRate");
      // Chromium's supported range (the engine checks it too): 0, or 1/16 to 16.
      if (v !== 0 && !(v >= 0.0625 && v <= 16)) {
        throw domError("NotSupportedError", `The provided playback rate (${v}) is not in the supported playback range.`);
      }
      this._local({ playbackRate: v });
      this._engine.op({ op: "set", target: this._oid, name: "playbackRate", value: v });
    }
    get defaultPlaybackRate() { return this._defaultPlaybackRate; }
    set defaultPlaybackRate(v) {
      v = toDouble(v, "defaultPlaybackRate");
      if (v !== 0 && !(v >= 0.0625 && v <= 16)) return;  // unsupported: kept as it is, as Chromium does
      if (v !== this._defaultPlaybackRate) { this._defaultPlaybackRate = v; this.dispatchEvent(new Event("ratechange")); }
    }
    // HTMLMediaElement.preservesPitch (default true): at a playbackRate other than 1 the
    // audio is time-stretched (WSOLA, audio-worklet.js); false: resampled, pitch shifted.
    get preservesPitch() { return this._renderer.audio.preservesPitch; }
    set preservesPitch(v) { this._renderer.audio.setPreservesPitch(Boolean(v)); }
    get volume() { return this._state.volume; }
    set volume(v) {
      v = toDouble(v, "volume");
      if (!(v >= 0 && v <= 1)) throw domError("IndexSizeError", `The volume provided (${v}) is outside the range [0, 1].`);
      this._local({ volume: v });
      this._engine.op({ op: "set", target: this._oid, name: "volume", value: v });
    }
    get muted() { return this._state.muted; }
    set muted(v) {
      this._mutedSet = true;
      this._local({ muted: Boolean(v) });
      this._engine.op({ op: "set", target: this._oid, name: "muted", value: Boolean(v) });
    }
    get defaultMuted() { return this.hasAttribute("muted"); }
    set defaultMuted(v) { this.toggleAttribute("muted", Boolean(v)); }
    get autoplay() { return this.hasAttribute("autoplay"); }
    set autoplay(v) { this.toggleAttribute("autoplay", Boolean(v)); }
    get loop() { return this.hasAttribute("loop"); }
    set loop(v) { this.toggleAttribute("loop", Boolean(v)); }
    get controls() { return this.hasAttribute("controls"); }
    set controls(v) { this.toggleAttribute("controls", Boolean(v)); }
    // Enumerated attributes: the keyword, whatever its case; missing or invalid,
    // Chromium's default ("metadata"); the empty string means "auto" (HTML).
    get preload() {
      const v = this.getAttribute("preload");
      if (v === "") return "auto";
      const k = v?.toLowerCase();
      return k === "none" || k === "metadata" || k === "auto" ? k : "metadata";
    }
    set preload(v) { this.setAttribute("preload", toDOMString(v)); }
    get poster() { return reflectURL(this, "poster"); }
    set poster(v) { this.setAttribute("poster", toDOMString(v)); }
    // Limited to known values, nullable: missing null, "use-credentials", else "anonymous".
    get crossOrigin() {
      const v = this.getAttribute("crossorigin");
      return v === null ? null : v.toLowerCase() === "use-credentials" ? "use-credentials" : "anonymous";
    }
    set crossOrigin(v) { if (v == null) this.removeAttribute("crossorigin"); else this.setAttribute("crossorigin", toDOMString(v)); }
    // HTMLVideoElement's reflected attributes.
    get width() { return reflectUnsigned(this, "width"); }
    set width(v) { this.setAttribute("width", String(toUnsigned(v))); }
    get height() { return reflectUnsigned(this, "height"); }
    set height(v) { this.setAttribute("height", String(toUnsigned(v))); }
    get playsInline() { return this.hasAttribute("playsinline"); }
    set playsInline(v) { this.toggleAttribute("playsinline", Boolean(v)); }
    get disableRemotePlayback() { return this.hasAttribute("disableremoteplayback"); }
    set disableRemotePlayback(v) { this.toggleAttribute("disableremoteplayback", Boolean(v)); }
    get videoWidth() { return this._state.videoWidth; }
    get videoHeight() { return this._state.videoHeight; }
    get audioTracks() { return this._audioTracks; }
    get videoTracks() { return this._videoTracks; }
    get textTracks() { return this._textTracks; }

    #setModel(name, value) {
      this._local({ [name]: value });
      this._engine.op({ op: "set", target: this._oid, name, value });
    }

    // HTML addTextTrack(): a text track of the page's own (mode "hidden"), in
    // textTracks at once - after the others addTextTrack() made, before the media's -
    // with addtrack from the engine, which runs "time marches on" over its cues.
    addTextTrack(kind, label = "", language = "") {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'addTextTrack' on 'HTMLMediaElement': 1 argument required, but only 0 present.");
      kind = `${kind}`; label = `${label}`; language = `${language}`;
      if (!TEXT_TRACK_KINDS.includes(kind)) {
        throw new TypeError(`Failed to execute 'addTextTrack' on 'HTMLMediaElement': The provided value '${kind}' is not a valid enum value of type TextTrackKind.`);
      }
      const engine = this._engine;
      const oid = engine.newId("trackp");
      const track = new TextTrack(engine, oid, { type: "text", id: "", kind, label, language, sourceBuffer: null,
        mode: "hidden" }, true);
      engine.register(oid, track);
      const list = this._textTracks, items = list._items;
      const at = items.findIndex((t) => !t._own);
      engine.pend(list, "items");
      list._set(at < 0 ? [...items, track] : [...items.slice(0, at), track, ...items.slice(at)]);
      engine.op({ op: "call", target: this._oid, method: "addTextTrack", args: [kind, label, language], as: oid });
      return track;
    }

    canPlayType(type) {
      requireArgs(arguments, 1, "canPlayType", "HTMLMediaElement");
      type = toDOMString(type);
      return this._engine.support && MsePyVideoElement._mediaSource._isTypeSupported(engine, type) ? "maybe" : "";
    }

    // HTMLVideoElement.requestVideoFrameCallback() (WICG video-rvfc): the callbacks run
    // once, in the first rendering update (after requestAnimationFrame's) after a new
    // frame reached the canvas - one drawn since they were requested - with its
    // metadata; a callback that wants the next frame asks again.
    requestVideoFrameCallback(callback) {
      requireArgs(arguments, 1, "requestVideoFrameCallback", "HTMLVideoElement");
      if (typeof callback !== "function") {
        throw new TypeError("Failed to execute 'requestVideoFrameCallback' on 'HTMLVideoElement': parameter 1 is not of type 'Function'.");
      }
      const fc = this._frameCallbacks;
      if (!fc.callbacks.size) fc.seen = this._renderer.presentedFrames;
      fc.callbacks.set(++fc.last, callback);
      if (!fc.raf) fc.raf = requestAnimationFrame((now) => this.#runFrameCallbacks(now));
      return fc.last;
    }
    cancelVideoFrameCallback(handle) {
      requireArgs(arguments, 1, "cancelVideoFrameCallback", "HTMLVideoElement");
      this._frameCallbacks.callbacks.delete(Number(handle) >>> 0);  // (unsigned long)
    }
    #runFrameCallbacks(now) {
      const fc = this._frameCallbacks, meta = this._renderer.presentedMeta;
      fc.raf = 0;
      if (!fc.callbacks.size) return;
      if (meta && meta.presentedFrames !== fc.seen) {
        fc.seen = meta.presentedFrames;
        const callbacks = [...fc.callbacks.values()];
        fc.callbacks.clear();
        // (The next vsync: a 60 Hz display's, as requestAnimationFrame's cadence.)
        const metadata = { ...meta, expectedDisplayTime: now + 1000 / 60 };
        for (const callback of callbacks) {
          try { callback.call(this, now, { ...metadata }); } catch (e) { reportError(e); }
        }
      }
      if (fc.callbacks.size) fc.raf = requestAnimationFrame((t) => this.#runFrameCallbacks(t));
    }

    // Chromium's prefixed counters (players read them where getVideoPlaybackQuality()
    // is missing): frames decoded and dropped, bytes given to the decoders.
    get webkitDecodedFrameCount() { return this._renderer.quality.decoded; }
    get webkitDroppedFrameCount() { return this._renderer.quality.dropped; }
    get webkitVideoDecodedByteCount() { return this._renderer.quality.videoBytes; }
    get webkitAudioDecodedByteCount() { return this._renderer.quality.audioBytes; }

    getVideoPlaybackQuality() {
      const q = this._renderer.quality;
      return new VideoPlaybackQuality(performance.now(), q.total + q.dropped, q.dropped, q.corrupted);
    }

    // -- play / pause --------------------------------------------------------------------------
    play() {
      const s = this._state;
      if (s.error && s.error.code === 4) return Promise.reject(domError("NotSupportedError", "the media resource is not supported"));
      const promise = new Promise((resolve, reject) => this._playPromises.push({ resolve, reject }));
      this._renderer.audio.ctx?.resume();
      if (s.paused) {
        if (s.ended) this._renderer.seek(0);
        this._local({ paused: false, ended: false });
      } else if (s.readyState >= 3) {
        queueMicrotask(() => this.#settlePlay(null));
      }
      this._engine.op({ op: "call", target: this._oid, method: "play" });
      return promise;
    }

    pause() { this.#pause("pause"); }

    // pause(), or HTML's internal pause steps (pause() without its load step).
    #pause(method) {
      this._local({ paused: true, potentiallyPlaying: false });
      this._engine.op({ op: "call", target: this._oid, method });
    }

    // -- from the renderer -------------------------------------------------------------------------
    _reportPosition(t) {
      this._engine.pend(this, "currentTime");
      this._state = { ...this._state, currentTime: t };
      this._engine.op({ op: "call", target: this._oid, method: "setPlaybackPosition", args: [t] });
    }
    _pull(key) { return this._engine.op({ op: "pull", target: this._oid, key, max: 30 }, { result: true }); }
    _feedSeek() { this._engine.op({ op: "feedSeek", target: this._oid }); }
    _decodeError(message) {
      if (this._state.error) return;
      this._engine.op({ op: "mediaError", target: this._oid, code: 3, message });
    }
    _resized() {}
    _framePresented(t) { this._controls?.frame(t); }

    get msepyStats() {
      const r = this._renderer;
      const offsets = r.avOffsets;
      const mean = offsets.length ? offsets.reduce((a, b) => a + b, 0) / offsets.length : 0;
      const maxAbs = offsets.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      return { ...r.quality, avOffsetMean: mean, avOffsetMaxAbs: maxAbs, audioMode: r.audio.ctx ? r.audio.mode : "none",
        audioStats: { ...r.audio.stats }, engine: { ...this._engine.stats } };
    }

    #controls(on) {
      if (on && !this._controls) this._controls = new Controls(this, this.shadowRoot);
      else if (!on && this._controls) { this._controls.remove(); this._controls = null; }
    }
  }
  for (const [i, name] of STATES.entries()) { MsePyVideoElement[name] = i; MsePyVideoElement.prototype[name] = i; }
  for (const [i, name] of NETWORK.entries()) { MsePyVideoElement[name] = i; MsePyVideoElement.prototype[name] = i; }
  // on<event> handlers: HTMLElement's own (GlobalEventHandlers has every media event).
  if (!registry.get(ELEMENT_TAG)) registry.define(ELEMENT_TAG, MsePyVideoElement);
  return registry.get(ELEMENT_TAG);
}
