// msepy in the browser: Media Source Extensions whose engine is Python (Pyodide, in a
// Web Worker).  A page uses it exactly as it uses native MSE:
//
//   import * as msepy from "/web/msepy.js";
//   await msepy.ready;                 // the engine has booted
//   msepy.install();                   // globals where the browser lacks them (or {force: true})
//   const video = document.createElement(msepy.ELEMENT_TAG);
//   const ms = new msepy.MediaSource();       // or msepy.ManagedMediaSource
//   video.src = URL.createObjectURL(ms);
//
// In an application's DedicatedWorker the same import gives MediaSource (and
// ManagedMediaSource) whose `handle` the worker posts to the Window for
// <msepy-video>.srcObject (web/src/client.js, web/src/handle.js; the Window must have
// loaded msepy.js too: its engine does the work).
//
// Query parameters of this module's URL configure the worker: ?pyodide=<folder>&wheels=<folder>,
// and ?snapshot=off boots cold every time (no boot snapshot: web/src/boot-snapshot.js).

import { Engine } from "./src/engine.js";
import { ClientEngine, answerWorkers } from "./src/client.js";
import { MediaSourceHandle, installTransfer, setAttachHook, postNative } from "./src/handle.js";
import {
  MediaSource as MirrorSource, SourceBuffer as MirrorBuffer, SourceBufferList as MirrorList,
  ManagedMediaSource as MirrorManaged, ManagedSourceBuffer, BufferedChangeEvent,
} from "./src/mse.js";
import { requireArgs, TimeRanges as MirrorRanges, toDOMString } from "./src/dom.js";
import { trackFactory, AudioTrack, VideoTrack, TextTrack, AudioTrackList, VideoTrackList, TextTrackList } from "./src/tracks.js";
import { defineElement, ELEMENT_TAG as TAG, MediaError } from "./src/element.js";
import { record as startRecording } from "./src/recorder.js";
export { runScript } from "./src/replay.js";

const inWindow = typeof document !== "undefined";
const config = new URL(import.meta.url).searchParams;
export const engine = inWindow
  ? new Engine({ pyodideURL: config.get("pyodide") || undefined, wheelsURL: config.get("wheels") || undefined,
    snapshot: config.get("snapshot") !== "off" })
  : new ClientEngine();
engine.factories.push(trackFactory(engine));
installTransfer();

/** Resolves once the worker has booted Pyodide and installed msepy. */
export const ready = engine.ready;

/** Boot progress: fn({kind: "progress", stage, detail, fraction} | {kind: "ready", ...}). */
export function onProgress(fn) {
  for (const p of engine.progress) fn(p);
  engine.listeners.add(fn);
  return () => engine.listeners.delete(fn);
}

// WebIDL: isTypeSupported(DOMString type) - one argument, converted to a string.
function isTypeSupported(args) {
  requireArgs(args, 1, "isTypeSupported", "MediaSource");
  return MirrorSource._isTypeSupported(engine, toDOMString(args[0]));
}

export class MediaSource extends MirrorSource {
  constructor() { super(engine); }
  static isTypeSupported(type) { return isTypeSupported(arguments); }
  static get canConstructInDedicatedWorker() { return true; }
}

export class ManagedMediaSource extends MirrorManaged {
  constructor() { super(engine); }
  static isTypeSupported(type) { return isTypeSupported(arguments); }
  static get canConstructInDedicatedWorker() { return true; }
}

export { MirrorBuffer as SourceBuffer, MirrorList as SourceBufferList, MirrorRanges as TimeRanges };
export { ManagedSourceBuffer, BufferedChangeEvent, MediaSourceHandle };
export { AudioTrack, VideoTrack, TextTrack, AudioTrackList, VideoTrackList, TextTrackList, MediaError };
export const ELEMENT_TAG = TAG;

// MediaSource object URLs: URL.createObjectURL(msepyMediaSource) -> url -> MediaSource.
// (A Window's only: a worker's MediaSource is attached through its handle.)
const mediaSources = new Map();
if (inWindow) {
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
}

export const MsePyVideoElement = inWindow ? defineElement(engine, customElements, { mediaSources }) : null;
if (MsePyVideoElement) MsePyVideoElement._mediaSource = MediaSource;

// -- worker MediaSources, seen from the Window ------------------------------------------------
if (inWindow) {
  answerWorkers(engine);
  const connected = new Set(), created = new Set();
  // A handle assigned to <msepy-video>.srcObject: its worker gets a port to the engine
  // (once), its MediaSource is created in the engine (once); the attach op follows in
  // the same batch.  The worker's lock is granted to us when the worker is terminated.
  setAttachHook((h) => {
    if (!connected.has(h.client)) {
      connected.add(h.client);
      const channel = new MessageChannel();
      engine.op({ op: "connect", client: h.client, clientPort: channel.port1 }, { transfer: [channel.port1] });
      postNative(h.port, { kind: "connect", port: channel.port2 }, [channel.port2]);
      navigator.locks?.request(`msepy-client-${h.client}`, () => {
        engine.op({ op: "terminated", client: h.client });
      });
    }
    if (!created.has(h.oid)) {
      created.add(h.oid);
      engine.op({ op: "create", type: h.type, id: h.oid });
    }
  });
}

// -- user agent eviction for ManagedMediaSource ----------------------------------------------
// A hidden page is under memory pressure: every ManagedMediaSource of this engine (the
// Window's and its workers') evicts what it can (msepy.managed.memory_pressure).  The
// engine also evicts by itself after a batch leaves them over a byte budget.
if (inWindow) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") engine.op({ op: "memoryPressure" });
  });
}

/**
 * Records the page's calls on a MediaSource (`target`: a MediaSource, or an
 * <msepy-video> whose MediaSource to record; else the next one the page calls) as an
 * MSE replay script, for `python -m msepy replay` (web/src/recorder.js; `options.positions`:
 * the playback position before each append too, as a seek):
 * `rec = record(); ...; rec.stop(); rec.download("session")`.
 */
export function record(target, options) {
  return startRecording({ MediaSource: MirrorSource, SourceBuffer: MirrorBuffer, Element: MsePyVideoElement }, target, options);
}

/** The user agent's memory pressure, now (what a hidden page gets). */
export function memoryPressure() { engine.op({ op: "memoryPressure" }); }

/** Bytes the ManagedMediaSources may hold before the engine evicts (default 256 MiB). */
export function setManagedMemoryBudget(bytes) { engine.op({ op: "configure", managedBudget: bytes }); }

/**
 * Defines the MSE globals on `target` where it lacks them (all of them with force):
 * MediaSource, ManagedMediaSource, SourceBuffer, ManagedSourceBuffer, SourceBufferList,
 * BufferedChangeEvent, MediaSourceHandle, TimeRanges.  Returns the names defined.
 */
export function install(target = globalThis, { force = false } = {}) {
  const globals = { MediaSource, ManagedMediaSource, SourceBuffer: MirrorBuffer, ManagedSourceBuffer,
    SourceBufferList: MirrorList, BufferedChangeEvent, MediaSourceHandle, TimeRanges: MirrorRanges };
  const defined = [];
  for (const [name, value] of Object.entries(globals)) {
    if (force || !(name in target)) {
      Object.defineProperty(target, name, { value, configurable: true, writable: true });
      defined.push(name);
    }
  }
  return defined;
}
