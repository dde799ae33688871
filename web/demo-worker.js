// The demo's worker modes: this DedicatedWorker owns the msepy MediaSource (or
// ManagedMediaSource), posts its MediaSourceHandle to the page for
// <msepy-video>.srcObject, and appends what the page sends it.
//
//   page -> worker: {cmd: "open", managed} | {cmd: "append", type, chunk} | {cmd: "end"} | {cmd: "inspect"}
//   worker -> page: {cmd: "handle", handle} | {cmd: "opened"} | {cmd: "log", text, cls} | {cmd: "streaming", value}
//                   | {cmd: "appended", ms} | {cmd: "inspect", info}

import * as msepy from "./msepy.js";

let ms = null, sb = null, opening = null;
const log = (text, cls = "") => self.postMessage({ cmd: "log", text: `[worker] ${text}`, cls });
const once = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));
const ranges = (tr) => [...Array(tr.length).keys()].map((i) => `[${tr.start(i).toFixed(2)}, ${tr.end(i).toFixed(2)})`).join(" ");

async function open(managed) {
  await msepy.ready;
  const MS = managed ? msepy.ManagedMediaSource : msepy.MediaSource;
  ms = new MS();
  sb = null;
  for (const type of ["sourceopen", "sourceended", "sourceclose"]) ms.addEventListener(type, () => log(`${MS.name}: ${type}`, "ms"));
  if (managed) {
    for (const type of ["startstreaming", "endstreaming"]) {
      ms.addEventListener(type, () => {
        log(`ManagedMediaSource: ${type}`, "ms");
        self.postMessage({ cmd: "streaming", value: ms.streaming });
      });
    }
  }
  const opened = once(ms, "sourceopen");
  const handle = ms.handle;
  self.postMessage({ cmd: "handle", handle }, [handle]);
  await opened;
  self.postMessage({ cmd: "opened" });
}

async function append(type, chunk) {
  await opening;
  if (!sb) {
    sb = ms.addSourceBuffer(type);
    for (const t of ["updatestart", "updateend", "error", "abort"]) sb.addEventListener(t, () => log(`SourceBuffer: ${t}`, t === "error" ? "err" : "sb"));
    sb.addEventListener("bufferedchange", (e) => log(`bufferedchange +${ranges(e.addedRanges) || "∅"} −${ranges(e.removedRanges) || "∅"}`, "sb"));
  }
  // A ManagedMediaSource says when to fetch: wait while it is not streaming.
  if (ms instanceof msepy.ManagedMediaSource && !ms.streaming) await once(ms, "startstreaming");
  const t0 = performance.now();
  const done = once(sb, "updateend");
  sb.appendBuffer(chunk);
  await done;
  self.postMessage({ cmd: "appended", ms: performance.now() - t0 });
}

self.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.cmd === "open") await (opening = open(m.managed));
    else if (m.cmd === "append") await append(m.type, m.chunk);
    else if (m.cmd === "end" && ms?.readyState === "open") ms.endOfStream();
    else if (m.cmd === "inspect") self.postMessage({ cmd: "inspect", info: sb ? await sb.msepyInspect() : null });
  } catch (err) {
    log(`${err.name}: ${err.message}`, "err");
    if (m.cmd === "append") self.postMessage({ cmd: "appended", ms: NaN });
  }
};
