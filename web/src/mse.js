// MediaSource, SourceBuffer and SourceBufferList as the page sees them.
//
// Each is a mirror of an engine object in the worker.  Getters read the last engine
// state (exact whenever page code runs: the engine only changes between an
// operation's start and its updateend) plus what the page itself just set.  Methods
// run only the IDL's synchronous precondition steps here - the checks that throw, and
// the state a page can read back at once (updating, readyState after endOfStream) -
// then send the call to the engine, which runs the whole algorithm, including the
// same checks (a disagreement is logged: it would be a front-end bug).

import { defineHandlers, domError, ListenedTarget, MirrorList, requireArgs, TimeRanges, sameRanges, toDOMString,
  toDouble, toStringTag, toUnrestrictedDouble } from "./dom.js";
import { AudioTrackList, TextTrackList, VideoTrackList } from "./tracks.js";
import { createHandle } from "./handle.js";

// -- MIME types: the engine's own tables (msepy.bytestream.support) -------------------
let compiled = null;
function tables(engine) {
  const t = engine.support;
  if (!t) return null;
  if (!compiled || compiled.source !== t) {
    compiled = {
      source: t,
      mime: new RegExp(t.mime, "s"),
      param: new RegExp(t.param.replace(/^/, ""), "sy"),
      codecs: Object.entries(t.codecs).map(([family, p]) => [family, new RegExp(p)]),
    };
  }
  return compiled;
}

// The container essence if the engine can buffer `type`, else null.
export function supportedEssence(engine, type) {
  const c = tables(engine);
  if (!c || typeof type !== "string") return null;
  const m = c.mime.exec(type);
  if (!m) return null;
  const essence = `${m[1]}/${m[2]}`.toLowerCase();
  const params = {};
  const rest = m[3];
  c.param.lastIndex = 0;
  while (c.param.lastIndex < rest.length) {
    const p = c.param.exec(rest);
    if (!p) return null;
    let value = p[2];
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/gs, "$1");
    const key = p[1].toLowerCase();
    if (!(key in params)) params[key] = value;
  }
  const entry = c.source.containers[essence];
  if (!entry) return null;
  const [families, required] = entry;
  if (params.codecs === undefined) return required ? null : essence;
  const names = params.codecs.split(",").map((s) => s.trim());
  if (!names.length || names.some((n) => !n)) return null;
  for (const name of names) {
    const hit = c.codecs.find(([, re]) => re.test(name));
    if (!hit || !families.includes(hit[0])) return null;
    if (essence.startsWith("audio/") && c.source.kinds[hit[0]] !== "audio") return null;
  }
  return essence;
}

// -- SourceBufferList ---------------------------------------------------------------
export class SourceBufferList extends MirrorList {}
defineHandlers(SourceBufferList, ["addsourcebuffer", "removesourcebuffer"]);
toStringTag(SourceBufferList, "SourceBufferList");

// MSE "HTMLMediaElement.seekable" (HTMLMediaElement Extensions), for a duration, a live
// seekable range and the element's buffered ranges (arrays of [start, end]).
function seekableRanges(duration, live, buffered) {
  if (Number.isNaN(duration)) return [];                                  // 1.
  if (duration !== Infinity) return [[0, duration]];                      // 3.
  if (live.length) {                                                      // 2.1.
    const all = [...live, ...buffered];
    return [[Math.min(...all.map((r) => r[0])), Math.max(...all.map((r) => r[1]))]];
  }
  return buffered.length ? [[0, buffered.at(-1)[1]]] : [];                // 2.2-2.3.
}

// -- MediaSource -----------------------------------------------------------------------
export class MediaSource extends ListenedTarget {
  static _engineType = "MediaSource";
  constructor(engine) {
    super();
    this._engine = engine;
    this._oid = engine.newId("ms");
    this._pending = new Map();
    this._state = { readyState: "closed", duration: NaN, highestPresentationTimestamp: null,
      highestEndTime: null };
    this._element = null;  // the <msepy-video> attached, if any
    engine.register(this._oid, this);
    this._sourceBuffers = new SourceBufferList(engine, `${this._oid}.sourceBuffers`);
    this._active = new SourceBufferList(engine, `${this._oid}.activeSourceBuffers`);
    this._handle = null;
    // A worker's MediaSource is created in the engine by the Window that attaches it
    // (web/src/handle.js); a Window's, now.
    if (!engine.client) engine.op({ op: "create", type: this.constructor._engineType, id: this._oid });
  }

  static _isTypeSupported(engine, type) {
    return typeof type === "string" && type !== "" && supportedEssence(engine, type) !== null;
  }

  get sourceBuffers() { return this._sourceBuffers; }
  get activeSourceBuffers() { return this._active; }
  get readyState() { return this._state.readyState; }
  get duration() { return this._state.readyState === "closed" ? NaN : this._state.duration; }
  set duration(value) {
    value = toUnrestrictedDouble(value);
    const call = (expect = null) => this._engine.op({ op: "set", target: this._oid, name: "duration", value }, { expect });
    if (Number.isNaN(value) || value < 0) { call("TypeError"); throw new TypeError("duration must not be negative or NaN"); }
    this.#checkOpenIdle(call);
    if (value === this._state.duration) return call();
    const hp = this._state.highestPresentationTimestamp;
    if (hp != null && value < hp) {  // (null or undefined: none)
      call("InvalidStateError");
      throw domError("InvalidStateError", "the new duration would truncate buffered media; remove() it first");
    }
    const he = this._state.highestEndTime;
    this._local({ duration: he != null && value < he ? he : value });
    this.#elementAfter();
    call();
  }
  // MediaSourceHandle ([Exposed=DedicatedWorker]): the same object on every access.
  get handle() {
    const engine = this._engine;
    if (!engine.client) return undefined;
    this._handle ??= createHandle(this, this.constructor._engineType, engine.client, (port) => engine.connect(port));
    return this._handle;
  }

  // typeOrConfig: a MIME type, or a SourceBufferConfig for appendEncodedChunks().
  addSourceBuffer(typeOrConfig) {
    requireArgs(arguments, 1, "addSourceBuffer", "MediaSource");
    const config = isConfig(typeOrConfig) ? engineConfig(typeOrConfig) : null;
    const type = config ? null : toDOMString(typeOrConfig);
    const sbId = this._engine.newId("sb");
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "addSourceBuffer", args: [config ? config.value : type], as: sbId }, { expect });
    let essence = null;
    if (config) {
      if (config.error) { call("TypeError"); throw new TypeError(config.error); }
      if (!configSupported(this._engine, config)) { call("NotSupportedError"); throw domError("NotSupportedError", `unsupported decoder configuration ${JSON.stringify(config.codec)}`); }
    } else {
      if (type === "") { call("TypeError"); throw new TypeError("addSourceBuffer() needs a non-empty MIME type"); }
      essence = supportedEssence(this._engine, type);
      if (essence === null) { call("NotSupportedError"); throw domError("NotSupportedError", `unsupported MIME type ${JSON.stringify(type)}`); }
    }
    if (this.readyState !== "open") { call("InvalidStateError"); throw domError("InvalidStateError", "the MediaSource is not open"); }
    const sb = new this.constructor._SourceBuffer(this, sbId, type, essence);
    this._engine.pend(this._sourceBuffers, "items");
    this._sourceBuffers._set([...this._sourceBuffers._items, sb]);
    call();
    return sb;
  }

  removeSourceBuffer(sb) {
    const inList = this._sourceBuffers._items.includes(sb);
    const args = [{ ref: sb?._oid ?? "?" }];
    // A pending appendEncodedChunks() is rejected here (step 2.4): no events to drop.
    const sawUpdating = inList && sb.updating && !sb._chunkCall;
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "removeSourceBuffer", args, pageSawUpdating: sawUpdating }, { expect });
    requireArgs(arguments, 1, "removeSourceBuffer", "MediaSource");
    if (!(sb instanceof SourceBuffer)) throw new TypeError("Failed to execute 'removeSourceBuffer' on 'MediaSource': parameter 1 is not of type 'SourceBuffer'.");
    if (!inList) { call("NotFoundError"); throw domError("NotFoundError", "that SourceBuffer is not in sourceBuffers"); }
    if (sawUpdating) sb._abortedAt = this._engine.seq;
    sb._abortChunks();
    sb._local({ updating: false, removed: true });
    for (const list of [this._sourceBuffers, this._active]) {
      if (list._items.includes(sb)) {
        this._engine.pend(list, "items");
        list._set(list._items.filter((x) => x !== sb));
      }
    }
    // Steps 3-8: its tracks leave its own lists and the element's at once.
    for (const name of ["_audioTracks", "_videoTracks", "_textTracks"]) {
      const tracks = [...sb[name]];
      this._element?.[name]?._remove(tracks);
      sb[name]._remove(tracks);
    }
    // What the SourceBuffer's media made of the MediaSource's and the element's
    // state goes with it, in this task: the values the engine sent without it.
    const highest = this._sourceBuffers._items.length ? this._state.highestWithout?.[sb._oid] : [null, null];
    if (highest) this._local({ highestPresentationTimestamp: highest[0], highestEndTime: highest[1] });
    const el = this._element, without = el?._state?.bufferedWithout?.[sb._oid];
    if (without) {
      el._local({ buffered: without, bufferedOther: null });
      this.#elementAfter();
    }
    call();
  }

  endOfStream(error) {
    if (error !== undefined) error = toDOMString(error);  // WebIDL enum: ToString, then the values
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "endOfStream", args: error === undefined ? [] : [error] }, { expect });
    if (error !== undefined && error !== "network" && error !== "decode") {
      call("TypeError");
      throw new TypeError(`endOfStream() error must be 'network' or 'decode', not ${JSON.stringify(error)}`);
    }
    this.#checkOpenIdle(call);
    const local = { readyState: "ended" };
    if (error === undefined) {  // 3.1 (no track buffer range: the duration stays)
      const he = this._state.highestEndTime;
      if (he != null && he !== this._state.duration) local.duration = he;
    }
    this._local(local);
    this.#swapBuffered();
    this.#elementAfter();
    call();
  }

  setLiveSeekableRange(start, end) {
    requireArgs(arguments, 2, "setLiveSeekableRange", "MediaSource");
    start = toDouble(start, "setLiveSeekableRange() start"); end = toDouble(end, "setLiveSeekableRange() end");
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "setLiveSeekableRange", args: [start, end] }, { expect });
    if (this.readyState !== "open") { call("InvalidStateError"); throw domError("InvalidStateError", "the MediaSource is not open"); }
    if (start < 0 || start > end) { call("TypeError"); throw new TypeError("setLiveSeekableRange() start must be >= 0 and <= end"); }
    this._local({ liveSeekableRange: [[start, end]] });
    this.#elementAfter();
    call();
  }

  clearLiveSeekableRange() {
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "clearLiveSeekableRange" }, { expect });
    if (this.readyState !== "open") { call("InvalidStateError"); throw domError("InvalidStateError", "the MediaSource is not open"); }
    this._local({ liveSeekableRange: [] });
    this.#elementAfter();
    call();
  }

  // The attached element's duration and seekable ranges once the page changed what
  // they are made of (the duration, the live seekable range): the page reads the new
  // values at once, as from a native element (e2e differential "seekable: duration,
  // live seekable range").  Only the MSE "HTMLMediaElement.seekable" steps, on the
  // mirrors' state; the engine's next record is the same.
  #elementAfter() {
    const el = this._element;
    if (!el || !el._local) return;
    const duration = this._state.duration;
    el._local({ duration, seekable: seekableRanges(duration, this._state.liveSeekableRange || [], el._state.buffered || []) });
  }

  #checkOpenIdle(call) {
    if (this.readyState !== "open") { call("InvalidStateError"); throw domError("InvalidStateError", "the MediaSource is not open"); }
    if (this._sourceBuffers._items.some((sb) => sb.updating)) {
      call("InvalidStateError");
      throw domError("InvalidStateError", "a SourceBuffer is updating");
    }
  }

  _local(fields) {
    this._engine.pend(this, ...Object.keys(fields));
    this._state = { ...this._state, ...fields };
  }
  // "Detaching from a media element" steps 3-8, when the element's load algorithm
  // detaches this MediaSource: closed at once, its SourceBuffers removed (without
  // events: the engine runs the same steps and queues sourceclose/removesourcebuffer).
  _detached() {
    if (this._state.readyState === "closed") return;
    this._local({ readyState: "closed", duration: NaN });
    for (const sb of this._sourceBuffers._items) sb._local({ updating: false, removed: true });
    for (const list of [this._active, this._sourceBuffers]) {
      this._engine.pend(list, "items");
      list._set([]);
    }
  }
  _reopenIfEnded() {
    if (this._state.readyState !== "ended") return;
    this._local({ readyState: "open" });
    this.#swapBuffered();
    this.#elementAfter();
  }

  // readyState went between "open" and "ended" in the page's own call (endOfStream(),
  // a setter that reopens): the buffered getters change with it (SourceBuffer.buffered
  // step 4.2, HTMLMediaElement.buffered step 5.2) to the ranges the engine sent for the
  // other state (`bufferedOther`, null where they are the same).
  #swapBuffered() {
    const swap = (m) => {
      const other = m._state.bufferedOther;
      if (other) m._local({ buffered: other, bufferedOther: m._state.buffered });
    };
    for (const sb of this._sourceBuffers._items) swap(sb);
    if (this._element?._local) swap(this._element);
  }
  _apply(state) { this._state = { ...this._state, ...state }; }
}
defineHandlers(MediaSource, ["sourceopen", "sourceended", "sourceclose"]);
toStringTag(MediaSource, "MediaSource");

// -- SourceBuffer ------------------------------------------------------------------------
export class SourceBuffer extends ListenedTarget {
  constructor(source, oid, type, essence) {
    super();
    const engine = source._engine;
    this._engine = engine;
    this._source = source;
    this._oid = oid;
    this._pending = new Map();
    const generate = engine.support.generateTimestamps.includes(essence);
    this._state = { removed: false, updating: false, mode: generate ? "sequence" : "segments",
      timestampOffset: 0, appendWindowStart: 0, appendWindowEnd: Infinity, buffered: [],
      parsingMediaSegment: false, generateTimestamps: generate, appendQuota: Infinity, type };
    this._buffered = new TimeRanges();
    this._abortedAt = 0;    // batch of a page abort() of an append still in flight
    this._opAt = 0;         // batch of the running append/remove
    this._removing = false;
    this._chunkCall = null;  // the pending appendEncodedChunks() promise: {id, resolve, reject}
    engine.register(oid, this);
    this._audioTracks = new AudioTrackList(engine, `${oid}.audioTracks`);
    this._videoTracks = new VideoTrackList(engine, `${oid}.videoTracks`);
    this._textTracks = new TextTrackList(engine, `${oid}.textTracks`);
  }

  get mode() { return this._state.mode; }
  set mode(value) {
    value = toDOMString(value);
    if (value !== "segments" && value !== "sequence") return;  // WebIDL enum: ignored
    const call = (expect = null) => this._engine.op({ op: "set", target: this._oid, name: "mode", value }, { expect });
    this.#checkAttachedIdle(call);
    if (this._state.generateTimestamps && value === "segments") {
      call("TypeError");
      throw new TypeError('mode "segments" is not allowed for a byte stream that generates timestamps');
    }
    this._source._reopenIfEnded();
    if (this._state.parsingMediaSegment) { call("InvalidStateError"); throw domError("InvalidStateError", "cannot change mode while parsing a media segment"); }
    this._local({ mode: value });
    call();
  }
  get updating() { return this._state.updating; }
  get buffered() {
    if (this._state.removed) throw domError("InvalidStateError", "this SourceBuffer was removed from its MediaSource");
    return this._buffered;
  }
  get timestampOffset() { return this._state.timestampOffset; }
  set timestampOffset(value) {
    value = toUnrestrictedDouble(value);  // (double: the non-finite TypeError is below, first)
    const call = (expect = null) => this._engine.op({ op: "set", target: this._oid, name: "timestampOffset", value }, { expect });
    if (!Number.isFinite(value)) { call("TypeError"); throw new TypeError("timestampOffset must be a finite number"); }
    this.#checkAttachedIdle(call);
    this._source._reopenIfEnded();
    if (this._state.parsingMediaSegment) { call("InvalidStateError"); throw domError("InvalidStateError", "cannot set timestampOffset while parsing a media segment"); }
    this._local({ timestampOffset: value });
    call();
  }
  get appendWindowStart() { return this._state.appendWindowStart; }
  set appendWindowStart(value) {
    value = toUnrestrictedDouble(value);
    const call = (expect = null) => this._engine.op({ op: "set", target: this._oid, name: "appendWindowStart", value }, { expect });
    if (!Number.isFinite(value)) { call("TypeError"); throw new TypeError("appendWindowStart must be a finite number"); }
    this.#checkAttachedIdle(call);
    if (value < 0 || value >= this._state.appendWindowEnd) { call("TypeError"); throw new TypeError("appendWindowStart must be >= 0 and < appendWindowEnd"); }
    this._local({ appendWindowStart: value });
    call();
  }
  get appendWindowEnd() { return this._state.appendWindowEnd; }
  set appendWindowEnd(value) {
    value = toUnrestrictedDouble(value);
    const call = (expect = null) => this._engine.op({ op: "set", target: this._oid, name: "appendWindowEnd", value }, { expect });
    this.#checkAttachedIdle(call);
    if (Number.isNaN(value)) { call("TypeError"); throw new TypeError("appendWindowEnd cannot be NaN"); }
    if (value <= this._state.appendWindowStart) { call("TypeError"); throw new TypeError("appendWindowEnd must be > appendWindowStart"); }
    this._local({ appendWindowEnd: value });
    call();
  }
  get audioTracks() { return this._audioTracks; }
  get videoTracks() { return this._videoTracks; }
  get textTracks() { return this._textTracks; }

  appendBuffer(data) {
    requireArgs(arguments, 1, "appendBuffer", "SourceBuffer");
    let source;
    const whole = data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer);
    if (!whole && !ArrayBuffer.isView(data)) {
      throw new TypeError("Failed to execute 'appendBuffer' on 'SourceBuffer': parameter 1 is not of type 'ArrayBuffer' or 'ArrayBufferView'.");
    }
    try {
      source = whole ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (e) {
      // A detached buffer: WebIDL's "get a copy of the bytes held by the buffer source"
      // gives none - an empty append, as Chromium's.
      source = new Uint8Array(0);
    }
    // The copy WebIDL asks for - into a buffer an earlier append's copy left (the worker
    // hands them back), else a new one - is transferred to the worker, not copied again.
    // (A SharedArrayBuffer's slice could not be transferred: its bytes are set.)
    const n = source.byteLength, reused = this._engine.takeBuffer(n);
    let bytes;
    if (!reused && source.buffer instanceof ArrayBuffer) {
      bytes = new Uint8Array(source.buffer.slice(source.byteOffset, source.byteOffset + n));
    } else {
      bytes = new Uint8Array(reused ?? new ArrayBuffer(n), 0, n);
      bytes.set(source);
    }
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "appendBuffer", args: [bytes] }, { transfer: [bytes.buffer], expect });
    this.#checkAttachedIdle(call);
    const element = this._source._element;
    if (element && element.error) { call("InvalidStateError"); throw domError("InvalidStateError", "the media element has an error"); }
    this._source._reopenIfEnded();
    if (bytes.byteLength > this._state.appendQuota) {
      call("QuotaExceededError");
      throw domError("QuotaExceededError", "the SourceBuffer is full and could not free enough space; remove() buffered media or append less");
    }
    this._opAt = this._engine.seq;
    this._local({ updating: true });
    if (element) element._dataArrived = true;  // for its progress events
    call();
  }

  abort() {
    const sawUpdating = this._state.updating && !this._chunkCall;
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "abort", pageSawUpdating: sawUpdating }, { expect });
    if (this._state.removed) { call("InvalidStateError"); throw domError("InvalidStateError", "this SourceBuffer was removed from its MediaSource"); }
    if (this._source.readyState !== "open") { call("InvalidStateError"); throw domError("InvalidStateError", "the MediaSource is not open"); }
    if (this._removing && this._state.updating) { call("InvalidStateError"); throw domError("InvalidStateError", "a remove() is in progress"); }
    if (sawUpdating) this._abortedAt = this._engine.seq;
    this._abortChunks();  // 4.4: the pending promise is rejected, no events
    this._local({ updating: false, appendWindowStart: 0, appendWindowEnd: Infinity, parsingMediaSegment: false });  // 5-7.
    call();
  }

  // typeOrConfig: a MIME type (appendBuffer() from now on) or a SourceBufferConfig
  // (appendEncodedChunks()).
  changeType(typeOrConfig) {
    requireArgs(arguments, 1, "changeType", "SourceBuffer");
    const config = isConfig(typeOrConfig) ? engineConfig(typeOrConfig) : null;
    const type = config ? null : toDOMString(typeOrConfig);
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "changeType", args: [config ? config.value : type] }, { expect });
    if (type === "") { call("TypeError"); throw new TypeError("changeType() needs a non-empty MIME type"); }
    if (config?.error) { call("TypeError"); throw new TypeError(config.error); }
    if (this._state.removed) { call("InvalidStateError"); throw domError("InvalidStateError", "this SourceBuffer was removed from its MediaSource"); }
    if (this._state.updating) { call("InvalidStateError"); throw domError("InvalidStateError", "changeType() while updating"); }
    const essence = config ? null : supportedEssence(this._engine, type);
    if (config ? !configSupported(this._engine, config) : essence === null) {
      call("NotSupportedError");
      throw domError("NotSupportedError", `unsupported ${config ? "decoder configuration" : "type"} ${JSON.stringify(config ? config.codec : type)}`);
    }
    this._source._reopenIfEnded();
    const generate = !config && this._engine.support.generateTimestamps.includes(essence);
    // (Step 9 runs the reset parser state algorithm: the append state is
    // WAITING_FOR_SEGMENT, so the timestampOffset and mode setters may run at once.)
    this._local({ generateTimestamps: generate, parsingMediaSegment: false, ...(generate ? { mode: "sequence" } : {}) });
    call();
  }

  // Promise<undefined> appendEncodedChunks(EncodedChunks chunks): settled in place of
  // the update events (the engine's settlement arrives as an "msepy-settle" step).
  // WebIDL turns every exception into a rejection.
  appendEncodedChunks(chunks) {
    try {
      return this.#appendChunks(chunks);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #appendChunks(chunks) {
    const list = chunkList(chunks);  // WebIDL conversion: before any step
    let total = 0;
    for (const c of list) total += c.byteLength;
    const payload = new Uint8Array(total);
    const records = [];
    let offset = 0;
    for (const c of list) {
      const kind = typeof EncodedAudioChunk !== "undefined" && c instanceof EncodedAudioChunk ? "audio" : "video";
      records.push({ kind, type: c.type, timestamp: c.timestamp, duration: c.duration ?? null, offset, size: c.byteLength });
      c.copyTo(payload.subarray(offset, offset + c.byteLength));
      offset += c.byteLength;
    }
    const id = ++chunkCalls;
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "appendEncodedChunks", call: id,
      args: [{ chunks: records, payload }] }, { transfer: [payload.buffer], expect });
    // 1. Prepare Append
    this.#checkAttachedIdle(call);
    const element = this._source._element;
    if (element && element.error) { call("InvalidStateError"); throw domError("InvalidStateError", "the media element has an error"); }
    this._source._reopenIfEnded();
    if (total > this._state.appendQuota) {
      call("QuotaExceededError");
      throw domError("QuotaExceededError", "the SourceBuffer is full and could not free enough space; remove() buffered media or append less");
    }
    if (records.some((r) => r.duration === null)) {  // 2.
      call("TypeError");
      throw new TypeError("appendEncodedChunks() needs every chunk to have a duration");
    }
    this._opAt = this._engine.seq;
    this._local({ updating: true });  // 4.
    const promise = new Promise((resolve, reject) => { this._chunkCall = { id, resolve, reject }; });
    if (element) element._dataArrived = true;  // for its progress events
    call();
    return promise;
  }

  _abortChunks() {
    const pending = this._chunkCall;
    this._chunkCall = null;
    pending?.reject(domError("AbortError", "appendEncodedChunks() was aborted"));
  }

  _event(type, detail) {
    if (type === "msepy-settle") {
      const pending = this._chunkCall;
      if (pending && pending.id === detail.call) {
        this._chunkCall = null;
        if (detail.exception) pending.reject(domError(detail.exception.name, detail.exception.message));
        else pending.resolve(undefined);
      }
      return null;
    }
    return new Event(type);
  }

  remove(start, end) {
    requireArgs(arguments, 2, "remove", "SourceBuffer");
    start = toDouble(start, "remove() start"); end = toUnrestrictedDouble(end);
    const call = (expect = null) => this._engine.op({ op: "call", target: this._oid, method: "remove", args: [start, end] }, { expect });
    this.#checkAttachedIdle(call);
    const duration = this._source._state.duration;
    if (Number.isNaN(duration)) { call("TypeError"); throw new TypeError("remove() while the duration is NaN"); }
    if (Number.isNaN(start) || start < 0 || start > duration) { call("TypeError"); throw new TypeError(`remove() start ${start} is negative or past the duration`); }
    if (Number.isNaN(end) || end <= start) { call("TypeError"); throw new TypeError(`remove() end ${end} must be greater than start`); }
    this._source._reopenIfEnded();
    this._opAt = this._engine.seq;
    this._removing = true;
    this._local({ updating: true });
    call();
  }

  /** msepy only: the engine's per-track buffers ({tracks: [{kind, ranges, keyframes, …}]}). */
  msepyInspect() {
    return this._engine.op({ op: "inspect", target: this._oid }, { result: true });
  }

  #checkAttachedIdle(call) {
    if (this._state.removed) { call("InvalidStateError"); throw domError("InvalidStateError", "this SourceBuffer was removed from its MediaSource"); }
    if (this._state.updating) { call("InvalidStateError"); throw domError("InvalidStateError", "the SourceBuffer is updating"); }
  }

  _local(fields) {
    this._engine.pend(this, ...Object.keys(fields));
    this._state = { ...this._state, ...fields };
    this.#rangesFrom(fields);
  }
  _apply(state) {
    this._state = { ...this._state, ...state };
    if (state.updating === false) this._removing = false;
    this.#rangesFrom(state);
  }
  #rangesFrom(state) {
    if (state.buffered && !sameRanges(state.buffered, this._buffered.toArray())) {
      this._buffered = new TimeRanges(state.buffered);  // a new object only on change
    }
  }
  // Events of an append the page aborted while it was still in flight to the engine.
  _suppress(type, mseq) {
    return mseq >= this._opAt && mseq < this._abortedAt &&
      (type === "update" || type === "updateend" || type === "error");
  }
}
defineHandlers(SourceBuffer, ["updatestart", "update", "updateend", "error", "abort"]);
toStringTag(SourceBuffer, "SourceBuffer");
MediaSource._SourceBuffer = SourceBuffer;

// -- SourceBufferConfig and EncodedChunks (appendEncodedChunks) ---------------------------
let chunkCalls = 0;

// WebIDL's (DOMString or SourceBufferConfig): null, undefined and objects are the
// dictionary, anything else the string.
function isConfig(v) {
  return v === null || v === undefined || typeof v === "object" || typeof v === "function";
}

// The steps that make a SourceBufferConfig valid (addSourceBuffer 2.1-2.2, changeType
// 2), as msepy.chunks.parse_source_buffer_config: {kind, codec, value (for the engine)}
// or {error}.
function engineConfig(c) {
  const audio = c?.audioConfig ?? null, video = c?.videoConfig ?? null;
  if ((audio === null) === (video === null)) return { error: "a SourceBufferConfig needs exactly one of audioConfig and videoConfig" };
  const kind = audio !== null ? "audio" : "video";
  const cfg = audio ?? video;
  if (typeof cfg !== "object") return { error: `${kind}Config must be a dictionary` };
  const codec = String(cfg.codec ?? "").trim();
  if (!codec) return { error: `${kind}Config.codec is empty` };
  const out = { codec };
  if (cfg.description != null) out.description = bufferCopy(cfg.description);
  const given = (v) => v !== undefined && v !== null;
  if (kind === "audio") {
    const rate = Number(cfg.sampleRate), channels = Number(cfg.numberOfChannels);
    if (!(rate > 0) || !(channels > 0)) return { error: "audioConfig needs a positive sampleRate and numberOfChannels" };
    Object.assign(out, { sampleRate: rate, numberOfChannels: channels });
  } else {
    if (given(cfg.codedWidth) !== given(cfg.codedHeight) || cfg.codedWidth === 0 || cfg.codedHeight === 0) {
      return { error: "videoConfig codedWidth and codedHeight go together and are non-zero" };
    }
    if (given(cfg.displayAspectWidth) !== given(cfg.displayAspectHeight) || cfg.displayAspectWidth === 0 || cfg.displayAspectHeight === 0) {
      return { error: "videoConfig display aspect width and height go together and are non-zero" };
    }
    for (const k of ["codedWidth", "codedHeight", "displayAspectWidth", "displayAspectHeight"]) {
      if (given(cfg[k])) out[k] = Number(cfg[k]);
    }
  }
  return { kind, codec, value: { [`${kind}Config`]: out } };
}

function bufferCopy(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  throw new TypeError("description must be a BufferSource");
}

// addSourceBuffer 2.3 / changeType 6: a codec msepy renders (msepy.chunks.config_supported).
function configSupported(engine, config) {
  const c = tables(engine), table = engine.support.chunkCodecs;
  if (!c || !table) return false;
  const family = c.codecs.find(([, re]) => re.test(config.codec))?.[0];
  if (config.kind === "audio") return table.audio.includes(family) || table.audioCodecs.includes(config.codec);
  return table.video.includes(family);
}

// EncodedChunks: one chunk, or a sequence of chunks of one kind.
function chunkList(chunks) {
  const kindOf = (c) => (typeof EncodedAudioChunk !== "undefined" && c instanceof EncodedAudioChunk ? "audio"
    : typeof EncodedVideoChunk !== "undefined" && c instanceof EncodedVideoChunk ? "video" : null);
  if (kindOf(chunks)) return [chunks];
  if (chunks && typeof chunks === "object" && typeof chunks[Symbol.iterator] === "function") {
    const list = [...chunks];
    const kinds = new Set(list.map(kindOf));
    if (!kinds.has(null) && kinds.size <= 1) return list;
  }
  throw new TypeError("appendEncodedChunks() takes an EncodedAudioChunk or EncodedVideoChunk, or a sequence of one of them");
}

// -- ManagedMediaSource --------------------------------------------------------------------
export class BufferedChangeEvent extends Event {
  #added;
  #removed;
  constructor(type, init = {}) {
    super(type, init);
    this.#added = init.addedRanges ?? new TimeRanges();
    this.#removed = init.removedRanges ?? new TimeRanges();
  }
  get addedRanges() { return this.#added; }
  get removedRanges() { return this.#removed; }
}
toStringTag(BufferedChangeEvent, "BufferedChangeEvent");

// The user agent may evict its media at any time; "bufferedchange" follows every change.
export class ManagedSourceBuffer extends SourceBuffer {
  _event(type, detail) {
    if (type === "bufferedchange") {
      return new BufferedChangeEvent(type, { addedRanges: new TimeRanges(detail.addedRanges || []),
        removedRanges: new TimeRanges(detail.removedRanges || []) });
    }
    return super._event(type, detail);
  }
}
defineHandlers(ManagedSourceBuffer, ["bufferedchange"]);
toStringTag(ManagedSourceBuffer, "ManagedSourceBuffer");

// `streaming`: whether the application should fetch (the engine's marks: msepy.managed).
export class ManagedMediaSource extends MediaSource {
  static _engineType = "ManagedMediaSource";
  static _SourceBuffer = ManagedSourceBuffer;
  get streaming() { return this._state.streaming === true; }
}
defineHandlers(ManagedMediaSource, ["startstreaming", "endstreaming"]);
toStringTag(ManagedMediaSource, "ManagedMediaSource");
