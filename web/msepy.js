// msepy in the browser: Media Source Extensions whose engine is Python (Pyodide, in a
// Web Worker).  A page uses it exactly as it uses native MSE:
//
//   import * as msepy from "/web/msepy.js";
//   await msepy.ready;                 // the engine has booted
//   msepy.install();                   // globals where the browser lacks them (or {force: true})
//   const video = document.createElement(msepy.ELEMENT_TAG);
//   const ms = new msepy.MediaSource();
//   video.src = URL.createObjectURL(ms);
//
// Query parameters of this module's URL configure the worker: ?pyodide=<folder>&wheels=<folder>.

import { Engine } from "./src/engine.js";
import { MediaSource as MirrorSource, SourceBuffer as MirrorBuffer, SourceBufferList as MirrorList } from "./src/mse.js";
import { TimeRanges as MirrorRanges } from "./src/dom.js";
import { trackFactory, AudioTrack, VideoTrack, TextTrack, AudioTrackList, VideoTrackList, TextTrackList } from "./src/tracks.js";
import { defineElement, ELEMENT_TAG as TAG, MediaError } from "./src/element.js";

const config = new URL(import.meta.url).searchParams;
export const engine = new Engine({
  pyodideURL: config.get("pyodide") || undefined,
  wheelsURL: config.get("wheels") || undefined,
});
engine.factories.push(trackFactory(engine));

/** Resolves once the worker has booted Pyodide and installed msepy. */
export const ready = engine.ready;

/** Boot progress: fn({kind: "progress", stage, detail, fraction} | {kind: "ready", ...}). */
export function onProgress(fn) {
  for (const p of engine.progress) fn(p);
  engine.listeners.add(fn);
  return () => engine.listeners.delete(fn);
}

export class MediaSource extends MirrorSource {
  constructor() { super(engine); }
  static isTypeSupported(type) { return MirrorSource._isTypeSupported(engine, type); }
  static get canConstructInDedicatedWorker() { return false; }
}

/** ManagedMediaSource has its own issue: not yet. */
export class ManagedMediaSource extends MediaSource {
  constructor() {
    throw new DOMException("ManagedMediaSource is not implemented by msepy yet", "NotSupportedError");
  }
  static isTypeSupported() { return false; }
}

export { MirrorBuffer as SourceBuffer, MirrorList as SourceBufferList, MirrorRanges as TimeRanges };
export { AudioTrack, VideoTrack, TextTrack, AudioTrackList, VideoTrackList, TextTrackList, MediaError };
export const ELEMENT_TAG = TAG;

// MediaSource object URLs: URL.createObjectURL(msepyMediaSource) -> url -> MediaSource.
const mediaSources = new Map();
const nativeCreate = URL.createObjectURL;
const nativeRevoke = URL.revokeObjectURL;
URL.createObjectURL = function createObjectURL(obj) {
  if (obj instanceof MirrorSource) {
    const url = `blob:${location.origin}/msepy-${crypto.randomUUID()}`;
    mediaSources.set(url, obj);
    return url;
  }
  return nativeCreate.call(URL, obj);
};
URL.revokeObjectURL = function revokeObjectURL(url) {
  if (mediaSources.delete(String(url))) return;
  return nativeRevoke.call(URL, url);
};

export const MsePyVideoElement = defineElement(engine, customElements, { mediaSources });
MsePyVideoElement._mediaSource = MediaSource;

/**
 * Defines the MSE globals on `target` where it lacks them (all of them with force):
 * MediaSource, ManagedMediaSource, SourceBuffer, SourceBufferList, TimeRanges.
 * Returns the names defined.
 */
export function install(target = globalThis, { force = false } = {}) {
  const globals = { MediaSource, ManagedMediaSource, SourceBuffer: MirrorBuffer,
    SourceBufferList: MirrorList, TimeRanges: MirrorRanges };
  const defined = [];
  for (const [name, value] of Object.entries(globals)) {
    if (force || !(name in target)) {
      Object.defineProperty(target, name, { value, configurable: true, writable: true });
      defined.push(name);
    }
  }
  return defined;
}
