// AudioTrack / VideoTrack / TextTrack mirrors and their lists.  One mirror per engine
// track: the same object is in the SourceBuffer's list and the media element's, as
// with a Window MediaSource.  Setting enabled / selected / mode is an "update track
// state" message to the worker, whose engine runs "Changes to selected/enabled track
// state" and fires the change events.

import { defineHandlers, syncIndices } from "./dom.js";

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
    return sb ? this._engine.objects.get(sb) ?? null : null;
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

// TextTrack is an EventTarget (cuechange): TrackBase's members are mixed in below.
export class TextTrack extends EventTarget {
  constructor(engine, oid, state) {
    super();
    this._engine = engine;
    this._oid = oid;
    this._pending = new Map();
    this._state = state;
    this.cues = null;
    this.activeCues = null;
  }
  get mode() { return this._state.mode; }
  set mode(v) {
    if (!["disabled", "hidden", "showing"].includes(v)) return;  // WebIDL enum: ignored
    TrackBase.prototype._set.call(this, "mode", v);
  }
  get inBandMetadataTrackDispatchType() { return ""; }
}
for (const name of ["id", "kind", "label", "language", "sourceBuffer"]) {
  Object.defineProperty(TextTrack.prototype, name,
    Object.getOwnPropertyDescriptor(TrackBase.prototype, name));
}
TextTrack.prototype._apply = TrackBase.prototype._apply;
defineHandlers(TextTrack, ["cuechange"]);

const TRACK_CLASSES = { audio: AudioTrack, video: VideoTrack, text: TextTrack };

export function trackFactory(engine) {
  return (id, state) => {
    const cls = id.startsWith("track") && TRACK_CLASSES[state.type];
    return cls ? new cls(engine, id, state) : null;
  };
}

export class TrackListBase extends EventTarget {
  constructor(engine, oid) {
    super();
    this._engine = engine;
    this._oid = oid;
    this._items = [];
    this._pending = new Map();
    engine.register(oid, this);
  }
  get length() { return this._items.length; }
  getTrackById(id) { return this._items.find((t) => t.id === String(id)) ?? null; }
  [Symbol.iterator]() { return this._items[Symbol.iterator](); }
  _apply(state) {
    if (!state.items) return;
    const previous = this._items.length;
    this._items = state.items.map((id) => this._engine.objects.get(id)).filter(Boolean);
    syncIndices(this, this._items, previous);
  }
}
defineHandlers(TrackListBase, ["change", "addtrack", "removetrack"]);

export class AudioTrackList extends TrackListBase {}
export class VideoTrackList extends TrackListBase {
  get selectedIndex() { return this._items.findIndex((t) => t.selected); }
}
export class TextTrackList extends TrackListBase {}
