// MediaSourceHandle: how a DedicatedWorker's MediaSource reaches a Window's media element
// (MSE "MediaSourceHandle", srcObject).
//
// A handle carries the MediaSource's engine id and a MessagePort whose other end the
// worker's MediaSource listens on.  Handles are Transferable the way the spec and
// Chromium say: postMessage() must list the handle in its transfer list (else
// DataCloneError), not twice, and a handle transfers once (it is detached after) and
// never after it was assigned to an element's srcObject.  The platform's structured
// clone knows nothing of msepy's handle, so the postMessage() functions (Worker,
// MessagePort, DedicatedWorkerGlobalScope, Window, BroadcastChannel, structuredClone)
// are wrapped: a handle travels as a marker object plus its port (transferred), and the
// receiving realm's MessageEvent.data turns the marker back into a handle.
//
// In the Window, assigning a handle to <msepy-video>.srcObject attaches its MediaSource
// (web/src/element.js treats anything with an engine id as a MediaSource): the first
// time for a worker, the Window gives it a port to the engine worker ("connect"); the
// first time for a MediaSource, the engine creates it.  A detached handle has no id:
// the element's model fails it with MEDIA_ERR_SRC_NOT_SUPPORTED.

import { toStringTag } from "./dom.js";

const MARK = "__msepyMediaSourceHandle";
const KEY = Symbol("msepy handle");
let live = 0;             // handles of this realm not yet transferred away
let attachHook = null;    // the Window's: (handle state) => void

export class MediaSourceHandle {
  #s;
  constructor(key, state) {
    if (key !== KEY) throw new TypeError("Illegal constructor");
    this.#s = { detached: false, used: false, element: null, ...state };
    live += 1;
  }
  get [Symbol.toStringTag]() { return "MediaSourceHandle"; }

  // What <msepy-video> reads (web/src/element.js): the MediaSource's engine id, none
  // once detached; and `_element`, which it sets on attaching ([[has ever been assigned
  // as srcobject]] becomes true).
  get _oid() { return this.#s.detached ? undefined : this.#s.oid; }
  get _element() { return this.#s.element; }
  set _element(element) {
    this.#s.element = element;
    if (element) {
      this.#s.used = true;
      attachHook?.(this.#s);
    }
  }
  static _state(handle) { return handle.#s; }
}

toStringTag(MediaSourceHandle, "MediaSourceHandle");

const isHandle = (x) => x instanceof MediaSourceHandle;
const stateOf = (h) => MediaSourceHandle._state(h);

/** A worker MediaSource's handle; `onConnect(port)` gets the Window's engine port. */
export function createHandle(ms, type, client, onConnect) {
  const channel = new MessageChannel();
  channel.port1.onmessage = (e) => {
    if (e.data?.kind === "connect" && e.data.port) onConnect(e.data.port);
  };
  return new MediaSourceHandle(KEY, { oid: ms._oid, type, client, port: channel.port2 });
}

/** The Window's attach step (msepy.js): run when a handle is first assigned. */
export function setAttachHook(fn) { attachHook = fn; }

function dataCloneError(message) { return new DOMException(message, "DataCloneError"); }

// -- serializing: handles -> markers ------------------------------------------------------
function serialize(message, transfer) {
  const list = Array.isArray(transfer) ? transfer : transfer ? [...transfer] : [];
  const listed = list.filter(isHandle);
  if (!live && !listed.length) return null;  // no handle can be in the message
  const seen = new Set();
  for (const h of listed) {
    if (seen.has(h)) throw dataCloneError("a MediaSourceHandle is listed twice in the transfer list");
    seen.add(h);
    const s = stateOf(h);
    if (s.detached) throw dataCloneError("this MediaSourceHandle was already transferred");
    if (s.used) throw dataCloneError("a MediaSourceHandle cannot be transferred once it was assigned to srcObject");
  }
  const out = replace(message, (h) => {
    if (!seen.has(h)) throw dataCloneError("a MediaSourceHandle must be listed in the transfer list");
    const s = stateOf(h);
    return { [MARK]: true, oid: s.oid, type: s.type, client: s.client, port: s.port };
  }, new Map());
  if (!listed.length && out === message) return null;
  return {
    message: out,
    transfer: list.map((x) => (isHandle(x) ? stateOf(x).port : x)),
    commit() {
      for (const h of listed) { stateOf(h).detached = true; live -= 1; }
    },
  };
}

// A copy of `value` with every handle replaced (only the containers on a path to one
// are copied; everything else is the same object).
function replace(value, swap, memo) {
  if (value === null || typeof value !== "object") return value;
  if (isHandle(value)) return swap(value);
  if (memo.has(value)) return memo.get(value);
  memo.set(value, value);  // a cycle back to a container in progress keeps the original
  let out = value;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const r = replace(v, swap, memo);
      if (r !== v) { if (out === value) out = value.slice(); out[i] = r; }
    });
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      const rk = replace(k, swap, memo), rv = replace(v, swap, memo);
      if (rk !== k || rv !== v) { if (out === value) out = new Map(value); out.delete(k); out.set(rk, rv); }
    }
  } else if (value instanceof Set) {
    for (const v of value) {
      const r = replace(v, swap, memo);
      if (r !== v) { if (out === value) out = new Set(value); out.delete(v); out.add(r); }
    }
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const k of Object.keys(value)) {
      const v = value[k], r = replace(v, swap, memo);
      if (r !== v) { if (out === value) out = { ...value }; out[k] = r; }
    }
  }
  memo.set(value, out);
  return out;
}

// -- deserializing: markers -> handles (in place: the data is a fresh clone) ---------------
function revive(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) return value;
  seen.add(value);
  if (value[MARK] === true && value.port instanceof MessagePort) {
    return new MediaSourceHandle(KEY, { oid: value.oid, type: value.type, client: value.client, port: value.port });
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => { value[i] = revive(v, seen); });
  } else if (value instanceof Map) {
    for (const [k, v] of [...value]) { const r = revive(v, seen); if (r !== v) value.set(k, r); }
  } else if (value instanceof Set) {
    for (const v of [...value]) { const r = revive(v, seen); if (r !== v) { value.delete(v); value.add(r); } }
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const k of Object.keys(value)) value[k] = revive(value[k], seen);
  }
  return value;
}

// -- the wrapped functions -----------------------------------------------------------------
function wrapPost(proto, transferOf, withTransfer) {
  if (!proto || !proto.postMessage || proto.postMessage.msepy) return;
  const native = proto.postMessage;
  const wrapped = function postMessage(message, ...rest) {
    const s = serialize(message, transferOf(rest));
    if (!s) return native.call(this, message, ...rest);
    const result = native.call(this, s.message, ...withTransfer(rest, s.transfer));
    s.commit();
    return result;
  };
  wrapped.msepy = native;
  proto.postMessage = wrapped;
}

// (message, transfer) or (message, {transfer, ...})
const optionsTransfer = (rest) => (Array.isArray(rest[0]) ? rest[0] : rest[0]?.transfer);
const withOptionsTransfer = (rest, transfer) =>
  (Array.isArray(rest[0]) || rest[0] === undefined ? [transfer, ...rest.slice(1)] : [{ ...rest[0], transfer }, ...rest.slice(1)]);

let installed = false;
export function installTransfer() {
  if (installed) return;
  installed = true;
  const g = globalThis;
  wrapPost(g.MessagePort?.prototype, optionsTransfer, withOptionsTransfer);
  wrapPost(g.Worker?.prototype, optionsTransfer, withOptionsTransfer);
  // A global's operations are its own properties ([Global]).
  if (g.Window && g instanceof g.Window) {
    // window.postMessage(message, targetOrigin, transfer) or (message, options)
    wrapPost(g,
      (rest) => (typeof rest[0] === "string" ? rest[1] : rest[0]?.transfer),
      (rest, transfer) => (typeof rest[0] === "string" ? [rest[0], transfer, ...rest.slice(2)] : [{ ...rest[0], transfer }]));
  } else {
    wrapPost(g, optionsTransfer, withOptionsTransfer);  // DedicatedWorkerGlobalScope
  }
  // BroadcastChannel has no transfer list: a handle in its message is a DataCloneError.
  wrapPost(g.BroadcastChannel?.prototype, () => [], (rest) => rest);
  if (g.structuredClone && !g.structuredClone.msepy) {
    const native = g.structuredClone;
    const wrapped = function structuredClone(value, options) {
      const s = serialize(value, options?.transfer);
      if (!s) return native.call(this, value, options);
      const out = native.call(this, s.message, { ...options, transfer: s.transfer });
      s.commit();
      return revive(out, new Set());
    };
    wrapped.msepy = native;
    g.structuredClone = wrapped;
  }
  const desc = g.MessageEvent && Object.getOwnPropertyDescriptor(g.MessageEvent.prototype, "data");
  if (desc?.get && !desc.get.msepy) {
    const cache = new WeakMap();
    const get = function () {
      const data = desc.get.call(this);
      if (data === null || typeof data !== "object" || !this.ports?.length) return data;
      if (!cache.has(this)) cache.set(this, revive(data, new Set()));
      return cache.get(this);
    };
    get.msepy = desc.get;
    Object.defineProperty(g.MessageEvent.prototype, "data", { ...desc, get });
  }
}

// The native postMessage of a port (msepy's own messages carry no handles).
export function postNative(port, message, transfer) {
  const native = MessagePort.prototype.postMessage.msepy || MessagePort.prototype.postMessage;
  native.call(port, message, transfer);
}
