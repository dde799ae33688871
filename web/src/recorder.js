// Recording a page's MSE session as a replay script ("MSE replay scripts": the format
// python -m msepy replay runs headless in CPython, and web/src/replay.js in a browser).
//
//   const rec = msepy.record(video);     // or record(mediaSource), or record()
//   ... the page, or its player, works ...
//   rec.stop();
//   rec.download("session");             // session.json + session.bin
//   $ python -m msepy replay session.json
//
// The recording is of one MediaSource: the one given; or the first one attached to the
// <msepy-video> given that the page calls; else the first msepy MediaSource the page
// calls after record().  Every call on it the format has an op for is noted as it is
// made, in call order: addSourceBuffer (its SourceBuffers are named sb0, sb1, ...),
// appendBuffer (its bytes, copied at the call, go to one data file: the op names their
// range), remove, the SourceBuffer setters and `duration`, abort, changeType,
// removeSourceBuffer, endOfStream, and `currentTime` set on the element it is attached
// to ("seek").  A call that threw is noted too: the replay throws it again.
//
// The replay's element does not play: record(target, {positions: true}) also notes the
// page's playback position before each append, if it moved, as a seek - so that coded
// frame eviction, which frees what is behind the playhead, runs in the replay where it
// ran in the page (at the cost of seek events the page did not see).
//
// What the format cannot say is left out and listed in `skipped`: appendEncodedChunks,
// a SourceBufferConfig for addSourceBuffer()/changeType(), setLiveSeekableRange().  The
// replay runs each op once the one before it is done (an append, at its updateend), so
// a call the page made while an append ran - abort() to cut it short - runs after it.

let active = null;        // the recording running (one at a time)
let patched = false;

const numberValue = (v) => {
  const n = Number(v);
  return Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : n;
};

export class Recording {
  constructor(target, { positions = false } = {}) {
    // The MediaSource recorded: the one given, the first one attached to the element
    // given that the page calls, or the first one it calls.
    const element = target && "currentTime" in target ? target : null;
    this.mediaSource = element ? null : target ?? null;
    this._element = element;
    this.ops = [];
    this.skipped = [];
    this.positions = positions;
    this._position = 0;                // (positions: the last one noted)
    this.recording = true;
    this.sourceBuffers = new Map();    // name in the script -> SourceBuffer
    this._names = new WeakMap();       // SourceBuffer -> its name in the script
    this._added = 0;
    this._chunks = [];
    this._size = 0;
  }

  /** Stops noting calls (the script and data stay). */
  stop() {
    this.recording = false;
    if (active === this) active = null;
    return this;
  }

  /** The appended bytes, back to back (the data file of `script()`). */
  get data() {
    const out = new Uint8Array(this._size);
    let at = 0;
    for (const c of this._chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  /** The replay script; its appends read `${name}.bin`, beside it. */
  script(name = "session") {
    return { ops: this.ops.map((op) => (op.op === "append" ? { ...op, file: `${name}.bin` } : op)) };
  }

  /** Saves `${name}.json` and `${name}.bin` (the browser's downloads). */
  download(name = "session") {
    if (typeof document === "undefined") throw new DOMException("download() needs a Window: post script() and data to one", "NotSupportedError");
    const save = (blob, file) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = file;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    };
    save(new Blob([JSON.stringify(this.script(name), null, 1)], { type: "application/json" }), `${name}.json`);
    save(new Blob([this.data], { type: "application/octet-stream" }), `${name}.bin`);
  }

  // -- noting calls (the patched methods call these) --------------------------------------
  _ours(ms) {
    if (!this.recording) return false;
    if (!this.mediaSource && (!this._element || this._element._source === ms)) this.mediaSource = ms;
    return ms === this.mediaSource;
  }
  _sb(sb) { return this.recording ? this._names.get(sb) ?? null : null; }
  _note(op) { this.ops.push(op); }
  _append(name, data) {
    // With `positions`: the playback position, if it moved, as a seek before the append
    // (coded frame eviction frees what is behind the playhead: the replay's element does
    // not play, so it learns where the page's was).
    const element = this.mediaSource?._element;
    if (this.positions && element && element.currentTime !== this._position) {
      this._position = element.currentTime;
      this._note({ op: "seek", time: this._position });
    }
    let bytes;
    try {
      bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
        : new Uint8Array(data).slice();
    } catch {
      bytes = new Uint8Array(0);  // (a detached buffer appends nothing)
    }
    this._note({ op: "append", sb: name, range: [this._size, bytes.length] });
    this._chunks.push(bytes);
    this._size += bytes.length;
  }
}

/** Starts recording (see above); `target`: the MediaSource to record, if not the next. */
export function record(classes, target, options) {
  if (active) throw new DOMException("a recording is already running: stop() it first", "InvalidStateError");
  if (!patched) { patch(classes); patched = true; }
  active = new Recording(target, options);
  return active;
}

// The classes' methods and setters, wrapped once: each notes its call on the running
// recording (if any, and if the call is on what it records), then runs as before.
function patch({ MediaSource, SourceBuffer, Element }) {
  const method = (cls, name, note) => {
    const original = cls.prototype[name];
    const wrapped = function (...args) {
      const after = active ? note(active, this, args) : null;
      const result = original.apply(this, args);
      after?.(result);
      return result;
    };
    // (The IDL's name and length stay: `appendBuffer.length` is 1.)
    Object.defineProperty(wrapped, "name", { value: original.name });
    Object.defineProperty(wrapped, "length", { value: original.length });
    cls.prototype[name] = wrapped;
  };
  const setter = (cls, name, note) => {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, name);
    const set = function (value) {
      if (active) note(active, this, value);
      d.set.call(this, value);
    };
    Object.defineProperty(set, "name", { value: d.set.name });
    Object.defineProperty(cls.prototype, name, { ...d, set });
  };
  const sbOp = (op, fields = () => ({})) => (rec, sb, args) => {
    const name = rec._sb(sb);
    if (name) rec._note({ op, sb: name, ...fields(...args) });
  };

  method(MediaSource, "addSourceBuffer", (rec, ms, [type]) => {
    if (!rec._ours(ms)) return null;
    if (typeof type === "object" && type !== null) { rec.skipped.push("addSourceBuffer(SourceBufferConfig)"); return null; }
    const name = `sb${rec._added++}`;
    rec._note({ op: "add", sb: name, type: String(type) });
    return (sb) => { rec._names.set(sb, name); rec.sourceBuffers.set(name, sb); };
  });
  method(MediaSource, "removeSourceBuffer", (rec, ms, [sb]) => {
    const name = rec._ours(ms) ? rec._sb(sb) : null;
    if (name) rec._note({ op: "removeSourceBuffer", sb: name });
    return null;
  });
  method(MediaSource, "endOfStream", (rec, ms, args) => {
    if (rec._ours(ms)) rec._note(args[0] === undefined ? { op: "eos" } : { op: "eos", error: String(args[0]) });
    return null;
  });
  method(MediaSource, "setLiveSeekableRange", (rec, ms) => {
    if (rec._ours(ms)) rec.skipped.push("setLiveSeekableRange()");
    return null;
  });
  setter(MediaSource, "duration", (rec, ms, value) => {
    if (rec._ours(ms)) rec._note({ op: "set", attr: "duration", value: numberValue(value) });
  });
  method(SourceBuffer, "appendBuffer", (rec, sb, [data]) => {
    const name = rec._sb(sb);
    if (name) rec._append(name, data);
    return null;
  });
  method(SourceBuffer, "appendEncodedChunks", (rec, sb) => {
    if (rec._sb(sb)) rec.skipped.push("appendEncodedChunks()");
    return null;
  });
  method(SourceBuffer, "remove", sbOp("remove", (start, end) => ({ start: numberValue(start), end: numberValue(end) })));
  method(SourceBuffer, "abort", sbOp("abort"));
  method(SourceBuffer, "changeType", (rec, sb, [type]) => {
    const name = rec._sb(sb);
    if (!name) return null;
    if (typeof type === "object" && type !== null) rec.skipped.push("changeType(SourceBufferConfig)");
    else rec._note({ op: "changeType", sb: name, type: String(type) });
    return null;
  });
  for (const attr of ["mode", "timestampOffset", "appendWindowStart", "appendWindowEnd"]) {
    setter(SourceBuffer, attr, (rec, sb, value) => {
      const name = rec._sb(sb);
      if (name) rec._note({ op: "set", sb: name, attr, value: attr === "mode" ? String(value) : numberValue(value) });
    });
  }
  if (!Element) return;  // (a worker's msepy.js: no element there)
  setter(Element, "currentTime", (rec, el, value) => {
    if (rec.recording && rec.mediaSource && el._source === rec.mediaSource) {
      rec._note({ op: "seek", time: numberValue(value) });
      rec._position = Number(value);
    }
  });
}
