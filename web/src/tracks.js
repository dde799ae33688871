// AudioTrack / VideoTrack / TextTrack mirrors and their lists.  One mirror per engine
// track: the same object is in the SourceBuffer's list and the media element's, as
// with a Window MediaSource.  Setting enabled / selected / mode is an "update track
// state" message to the worker, whose engine runs "Changes to selected/enabled track
// state" and fires the change events.

import { defineHandlers, ListenedTarget, MirrorList, syncIndices, toDouble, toStringTag } from "./dom.js";

class TrackBase {
  constructor(engine, oid, state) {
    this._engine = engine;
    this._oid = oid;
    this._pending = new Map();
    this._state = state;
  }
  get id() { return this._state.id; }
  get kind() { return this._state.kind; }
  get label() { return this._state.label; }
  get language() { return this._state.language; }
  get sourceBuffer() {
    const sb = this._state.sourceBuffer;
    return sb ? this._engine.mirror(sb) ?? null : null;
  }
  _apply(state) { this._state = { ...this._state, ...state }; }
  _set(name, value) {
    if (this._state[name] === value) return;
    this._state = { ...this._state, [name]: value };
    this._engine.pend(this, name);
    this._engine.op({ op: "set", target: this._oid, name, value });
  }
}

export class AudioTrack extends TrackBase {
  get enabled() { return this._state.enabled; }
  set enabled(v) { this._set("enabled", Boolean(v)); }
}

export class VideoTrack extends TrackBase {
  get selected() { return this._state.selected; }
  set selected(v) { this._set("selected", Boolean(v)); }
}

// -- timed text -------------------------------------------------------------------------
// The engine sends each text track's cues as records [id, startTime, endTime, text,
// settings] (msepy.webvtt: the track buffer's cues, the active ones per "time marches
// on").  Each record becomes one VTTCue (the browser's own class where there is one,
// so getCueAsHTML() parses the cue text) and stays the same object while the engine
// lists it.

// WebVTT cue settings ("line:10% align:start") onto a VTTCue (WebVTT "parse the
// WebVTT cue settings"; a value the VTTCue setters reject is ignored, as the parser
// ignores an invalid setting).
export function applyCueSettings(cue, settings) {
  for (const setting of String(settings || "").split(/[ \t]+/)) {
    const colon = setting.indexOf(":");
    if (colon <= 0 || colon === setting.length - 1) continue;
    const name = setting.slice(0, colon), value = setting.slice(colon + 1);
    try {
      if (name === "vertical" && (value === "rl" || value === "lr")) cue.vertical = value;
      else if (name === "line") {
        const [pos, align] = value.split(",");
        if (/^-?\d+(\.\d+)?%$/.test(pos)) { cue.snapToLines = false; cue.line = parseFloat(pos); }
        else if (/^-?\d+$/.test(pos)) { cue.snapToLines = true; cue.line = parseInt(pos, 10); }
        if (align && ["start", "center", "end"].includes(align)) cue.lineAlign = align;
      } else if (name === "position") {
        const [pos, align] = value.split(",");
        if (/^\d+(\.\d+)?%$/.test(pos)) cue.position = parseFloat(pos);
        if (align && ["line-left", "center", "line-right"].includes(align)) cue.positionAlign = align;
      } else if (name === "size" && /^\d+(\.\d+)?%$/.test(value)) cue.size = parseFloat(value);
      else if (name === "align" && ["start", "center", "end", "left", "right"].includes(value)) cue.align = value;
    } catch (e) { /* out of range: ignored */ }
  }
}

// A cue object with VTTCue's members where the browser has no VTTCue.
class PlainCue extends EventTarget {
  constructor(startTime, endTime, text) {
    super();
    Object.assign(this, { id: "", startTime, endTime, text, pauseOnExit: false, vertical: "",
      snapToLines: true, line: "auto", lineAlign: "start", position: "auto",
      positionAlign: "auto", size: 100, align: "center", region: null });
  }
  getCueAsHTML() {
    const f = document.createDocumentFragment();
    f.append(this.text.replace(/<[^>]*>/g, ""));
    return f;
  }
}

function makeCue(track, [id, start, end, text, settings]) {
  const cue = typeof VTTCue === "function" ? new VTTCue(start, end, text) : new PlainCue(start, end, text);
  cue.id = id;
  applyCueSettings(cue, settings);
  Object.defineProperty(cue, "track", { value: track, configurable: true });
  Object.defineProperty(cue, "msepySettings", { value: settings, configurable: true });
  return cue;
}

// The page's cues in tracks of its own: which track each is in, and its key there.
const cueTrack = new WeakMap();
const cueKeys = new WeakMap();
let lastCueKey = 0;
const isCue = (x) => (typeof TextTrackCue === "function" && x instanceof TextTrackCue) || x instanceof PlainCue;
const cueRecord = (cue, key) => [String(cue.id ?? ""), Number(cue.startTime), Number(cue.endTime),
  typeof cue.text === "string" ? cue.text : "", key, Boolean(cue.pauseOnExit)];

// HTML: setting a cue's startTime or endTime while it is in a track's list of cues keeps
// the list in text track cue order and runs "time marches on" (hls.js bounds its ID3
// cues' end times so as new ones come); its pauseOnExit is the engine's to act on.  A
// page's cue gets accessors of its own that set the value as before, then tell its track.
const timed = new WeakSet();
function watchCueTimes(cue) {
  if (timed.has(cue)) return;
  timed.add(cue);
  for (const name of ["startTime", "endTime", "pauseOnExit"]) {
    let owner = cue, desc;
    while (owner && !(desc = Object.getOwnPropertyDescriptor(owner, name))) owner = Object.getPrototypeOf(owner);
    if (!desc) continue;
    let value = desc.value;  // (a PlainCue's data property)
    const get = desc.get ?? (() => value);
    // (startTime is a double, endTime an unrestricted double: +Infinity is an end.)
    const set = desc.set ?? ((v) => {
      value = name === "pauseOnExit" ? Boolean(v) : name === "endTime" ? +v : toDouble(v, name);
    });
    Object.defineProperty(cue, name, {
      configurable: true, enumerable: true,
      get() { return get.call(this); },
      set(v) { set.call(this, v); cueTrack.get(this)?._cueTimesChanged(this); },
    });
  }
}

/** HTML TextTrackCueList: a live list (the same object while its track lives). */
export class TextTrackCueList {
  constructor() { this._items = []; }
  get length() { return this._items.length; }
  getCueById(id) {
    id = String(id);
    return id === "" ? null : this._items.find((c) => c.id === id) ?? null;
  }
  [Symbol.iterator]() { return this._items[Symbol.iterator](); }
  _set(items) {
    const previous = this._items.length;
    this._items = items;
    syncIndices(this, items, previous);
  }
}

// TextTrack is an EventTarget (cuechange): TrackBase's members are mixed in below.
export class TextTrack extends ListenedTarget {
  constructor(engine, oid, state, own = false) {
    super();
    this._engine = engine;
    this._oid = oid;
    this._pending = new Map();
    this._state = {};
    this._cueObjects = new Map();   // record key -> cue
    this._cueList = new TextTrackCueList();
    this._activeList = new TextTrackCueList();
    this._own = !!own;              // made by addTextTrack(): its cues are the page's
    this._keys = new Map();         // (own) cue key -> the page's cue
    this._apply(state);
  }
  get mode() { return this._state.mode; }
  set mode(v) {
    if (!["disabled", "hidden", "showing"].includes(v)) return;  // WebIDL enum: ignored
    TrackBase.prototype._set.call(this, "mode", v);
  }
  /** The text track list of cues; null while disabled (HTML). */
  get cues() { return this._state.mode === "disabled" ? null : this._cueList; }
  /** The cues active at the engine's last "time marches on"; null while disabled. */
  get activeCues() { return this._state.mode === "disabled" ? null : this._activeList; }
  get inBandMetadataTrackDispatchType() { return ""; }

  // HTML addCue()/removeCue(), for a track addTextTrack() made (`_own`): the cues are
  // the page's own objects, listed here at once in text track cue order; the engine
  // gets their times ([id, startTime, endTime, text, key]) and runs "time marches on"
  // over them (activeCues, cuechange).  A SourceBuffer's track has its media's cues.
  addCue(cue) {
    this.#checkOwnCue("addCue", cue);
    const old = cueTrack.get(cue);
    if (old && old !== this) old._dropCue(cue);  // 1. out of the list it is in
    const key = cueKeys.get(cue) ?? cueKeys.set(cue, ++lastCueKey).get(cue);
    this._keys.set(key, cue);
    this._setOwn([...this._cueList._items.filter((c) => c !== cue), cue]);  // 2.
    cueTrack.set(cue, this);
    watchCueTimes(cue);
    Object.defineProperty(cue, "track", { value: this, configurable: true });
    this._engine.op({ op: "call", target: this._oid, method: "addCue", args: [cueRecord(cue, key)] });
  }
  removeCue(cue) {
    this.#checkOwnCue("removeCue", cue);
    if (cueTrack.get(cue) !== this) throw new DOMException("Failed to execute 'removeCue' on 'TextTrack': The specified cue is not listed in the TextTrack's list of cues.", "NotFoundError");
    this._dropCue(cue);
  }
  #checkOwnCue(method, cue) {
    if (!this._own) throw new DOMException("the cues of a SourceBuffer's text track come from its media", "NotSupportedError");
    if (!isCue(cue)) throw new TypeError(`Failed to execute '${method}' on 'TextTrack': parameter 1 is not of type 'TextTrackCue'.`);
  }
  _dropCue(cue) {
    const key = cueKeys.get(cue);
    this._keys.delete(key);
    this._setOwn(this._cueList._items.filter((c) => c !== cue));
    this._activeList._set(this._activeList._items.filter((c) => c !== cue));
    cueTrack.delete(cue);
    delete cue.track;  // back to TextTrackCue's own getter (null: in no track)
    this._engine.op({ op: "call", target: this._oid, method: "removeCue", args: [cueRecord(cue, key)] });
  }
  _cueTimesChanged(cue) {
    this._setOwn([...this._cueList._items]);
    this._engine.op({ op: "call", target: this._oid, method: "cueChanged", args: [cueRecord(cue, cueKeys.get(cue))] });
  }
  _setOwn(cues) {
    // Text track cue order: start time, then end time latest first; a stable sort
    // keeps the order they were added in ties.
    this._cueList._set(cues.sort((a, b) => a.startTime - b.startTime || b.endTime - a.endTime));
  }

  // HTML time marches on's enter and exit fire at the cue: the engine names it by its
  // record (a page's cue by its key).
  _cueOf(record) {
    if (this._own) return this._keys.get(record[5]) ?? null;
    return this._cueObjects.get(JSON.stringify(record)) ?? null;
  }

  _apply(state) {
    this._state = { ...this._state, ...state };
    if (this._own) {  // the page's cues: the engine's records name them by key
      if (state.activeCues) this._activeList._set(state.activeCues.map((rec) => this._keys.get(rec[5])).filter(Boolean));
      return;
    }
    if (state.cues) {
      const keep = new Map();
      const items = state.cues.map((rec) => {
        const key = JSON.stringify(rec);
        const cue = this._cueObjects.get(key) || makeCue(this, rec);
        keep.set(key, cue);
        return cue;
      });
      // Active cues not in the list (the list changed first) keep their objects too.
      for (const rec of state.activeCues || []) {
        const key = JSON.stringify(rec);
        if (!keep.has(key)) keep.set(key, this._cueObjects.get(key) || makeCue(this, rec));
      }
      this._cueObjects = keep;
      this._cueList._set(items);
    }
    if (state.activeCues) {
      this._activeList._set(state.activeCues.map((rec) => {
        const key = JSON.stringify(rec);
        let cue = this._cueObjects.get(key);
        if (!cue) this._cueObjects.set(key, cue = makeCue(this, rec));
        return cue;
      }));
    }
  }
}
for (const name of ["id", "kind", "label", "language", "sourceBuffer"]) {
  Object.defineProperty(TextTrack.prototype, name,
    Object.getOwnPropertyDescriptor(TrackBase.prototype, name));
}
defineHandlers(TextTrack, ["cuechange"]);

const TRACK_CLASSES = { audio: AudioTrack, video: VideoTrack, text: TextTrack };

export function trackFactory(engine) {
  return (id, state) => {
    const cls = id.startsWith("track") && TRACK_CLASSES[state.type];
    return cls ? new cls(engine, id, state) : null;
  };
}

export class TrackListBase extends MirrorList {
  getTrackById(id) { return this._items.find((t) => t.id === String(id)) ?? null; }
  // Tracks a page call removed (removeSourceBuffer() steps 3-8), until the engine's
  // record settles the list.
  _remove(tracks) {
    const kept = this._items.filter((t) => !tracks.includes(t));
    if (kept.length === this._items.length) return;
    this._engine.pend(this, "items");
    this._set(kept);
  }
}
defineHandlers(TrackListBase, ["change", "addtrack", "removetrack"]);

export class AudioTrackList extends TrackListBase {}
export class VideoTrackList extends TrackListBase {
  get selectedIndex() { return this._items.findIndex((t) => t.selected); }
}
export class TextTrackList extends TrackListBase {}

for (const [cls, name] of [[AudioTrack, "AudioTrack"], [VideoTrack, "VideoTrack"], [TextTrack, "TextTrack"],
  [TextTrackCueList, "TextTrackCueList"], [AudioTrackList, "AudioTrackList"], [VideoTrackList, "VideoTrackList"],
  [TextTrackList, "TextTrackList"]]) toStringTag(cls, name);
