// The demo page: the msepy player beside a native <video>, both fed the same appends.

import * as msepy from "./msepy.js";

const $ = (id) => document.getElementById(id);
const mine = $("mine"), native = $("native");
const MEDIA_EVENTS = ["loadstart", "durationchange", "loadedmetadata", "loadeddata", "canplay",
  "canplaythrough", "play", "playing", "waiting", "seeking", "seeked", "pause", "ended",
  "emptied", "error", "ratechange", "volumechange", "resize", "stalled"];
const CHUNK = 256 * 1024;

// -- modes: MediaSource, ManagedMediaSource, and either one in a DedicatedWorker --------
const mode = () => $("mode").value;
const managedMode = () => mode() === "managed" || mode() === "worker-managed";
const workerMode = () => mode().startsWith("worker");
function showStreaming(value) {
  $("streaming").textContent = value === null ? "—" : value ? "on (fetch)" : "off (enough buffered)";
  $("streaming").className = value ? "on" : "off";
}
const rangesText = (tr) => [...Array(tr.length).keys()].map((i) => `[${tr.start(i).toFixed(2)}, ${tr.end(i).toFixed(2)})`).join(" ");

// -- boot progress ----------------------------------------------------------------------
msepy.onProgress((p) => {
  $("boot-fill").style.width = `${Math.round((p.kind === "ready" ? 1 : p.fraction) * 100)}%`;
  $("boot-text").textContent = p.kind === "ready" ? `${p.version} · booted in ${(p.bootMs / 1000).toFixed(1)} s${p.fromSnapshot ? " (from the boot snapshot)" : ""}` : p.detail;
});

// -- event logs ---------------------------------------------------------------------------
const t0 = performance.now();
function log(which, text, cls = "") {
  const ol = $(which === "mine" ? "log-mine" : "log-native");
  const li = document.createElement("li");
  li.textContent = `${((performance.now() - t0) / 1000).toFixed(3)}  ${text}`;
  if (cls) li.className = cls;
  ol.append(li);
  while (ol.children.length > 400) ol.firstChild.remove();
  ol.scrollTop = ol.scrollHeight;
}
for (const [which, el] of [["mine", mine], ["native", native]]) {
  for (const type of MEDIA_EVENTS) {
    if (type === "timeupdate") continue;
    el.addEventListener(type, () => log(which, `video: ${type}${type === "error" && el.error ? ` (${el.error.code}: ${el.error.message})` : ""}`, type === "error" ? "err" : ""));
  }
}
mine.addEventListener("msepy-internal", (e) => log("mine", `internal message: ${e.detail.name} ${JSON.stringify(e.detail.payload).slice(0, 80)}`, "internal"));

// -- players ----------------------------------------------------------------------------------
let session = 0;
const players = { mine: null, native: null };

function makePlayer(which, MS, video) {
  const ms = new MS();
  const p = { which, ms, video, sb: null, latencies: [], bytes: 0, appendMs: 0 };
  for (const type of ["sourceopen", "sourceended", "sourceclose"]) ms.addEventListener(type, () => log(which, `MediaSource: ${type}`, "ms"));
  if (ms instanceof msepy.ManagedMediaSource) {
    for (const type of ["startstreaming", "endstreaming"]) {
      ms.addEventListener(type, () => { log(which, `ManagedMediaSource: ${type}`, "ms"); showStreaming(ms.streaming); });
    }
  }
  p.opened = new Promise((r) => ms.addEventListener("sourceopen", r, { once: true }));
  video.srcObject = null;  // (the worker modes set it)
  video.src = URL.createObjectURL(ms);
  return p;
}

// The worker modes' msepy player: web/demo-worker.js owns the MediaSource and sends
// its handle; the page sets srcObject and passes the bytes on.
function makeWorkerPlayer(video, managed) {
  const worker = new Worker(new URL("demo-worker.js", import.meta.url), { type: "module", name: "demo worker" });
  const p = { which: "mine", worker, video, sb: null, latencies: [], bytes: 0, appendMs: 0, waiting: new Map() };
  p.request = (message, reply, transfer = []) => new Promise((resolve) => {
    p.waiting.set(reply, resolve);
    worker.postMessage(message, transfer);
  });
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.cmd === "log") log("mine", m.text, m.cls);
    else if (m.cmd === "streaming") showStreaming(m.value);
    else if (m.cmd === "handle") video.srcObject = m.handle;  // a MediaSourceHandle
    const resolve = p.waiting.get(m.cmd);
    if (resolve) { p.waiting.delete(m.cmd); resolve(m); }
  };
  p.opened = p.request({ cmd: "open", managed }, "opened");
  return p;
}

async function inspectMine() {
  const p = players.mine;
  if (p?.worker) return (await p.request({ cmd: "inspect" }, "inspect")).info;
  if (p?.sb && !p.sb._state.removed) return p.sb.msepyInspect();
  return null;
}

function addBuffer(p, type) {
  if (p.worker) { p.type = type; return; }  // the worker adds it at the first append
  p.sb = p.ms.addSourceBuffer(type);
  p.sb.addEventListener("bufferedchange", (e) => {
    log(p.which, `bufferedchange +${rangesText(e.addedRanges) || "∅"} −${rangesText(e.removedRanges) || "∅"}`, "sb");
  });
  for (const type of ["updatestart", "updateend", "error", "abort"]) {
    p.sb.addEventListener(type, () => log(p.which, `SourceBuffer: ${type}`, type === "error" ? "err" : "sb"));
  }
}

async function append(p, chunk) {
  if (p.worker) {
    const copy = chunk.slice();  // only this chunk's bytes, transferred
    const { ms } = await p.request({ cmd: "append", type: p.type, chunk: copy }, "appended", [copy.buffer]);
    p.latencies.push(ms); p.appendMs += ms; p.bytes += chunk.byteLength;
    return;
  }
  // A ManagedMediaSource says when to fetch: wait while it is not streaming.
  if (p.ms instanceof msepy.ManagedMediaSource && !p.ms.streaming) {
    await new Promise((resolve) => p.ms.addEventListener("startstreaming", resolve, { once: true }));
  }
  return new Promise((resolve, reject) => {
    const start = performance.now();
    p.sb.addEventListener("updateend", () => {
      const ms = performance.now() - start;
      p.latencies.push(ms); p.appendMs += ms; p.bytes += chunk.byteLength;
      resolve();
    }, { once: true });
    try { p.sb.appendBuffer(chunk); } catch (e) { reject(e); }
  });
}

function sniff(bytes) {
  const webm = bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
  return webm ? "video/webm" : "video/mp4";
}

let last = null;
let recording = null;     // msepy.record() of the msepy player's session
async function play(bytes, name) {
  const my = ++session;
  last = { bytes, name };
  players.mine?.worker?.terminate();
  showStreaming(managedMode() ? false : null);
  $("managed-panel").hidden = !managedMode();
  $("source-info").textContent = `${name}: ${(bytes.length / 1024).toFixed(0)} KiB`;
  await msepy.ready;
  const essence = sniff(bytes);
  const chunks = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));
  players.mine = workerMode() ? makeWorkerPlayer(mine, managedMode())
    : makePlayer("mine", managedMode() ? msepy.ManagedMediaSource : msepy.MediaSource, mine);
  // The session, recorded as a replay script (the worker modes' MediaSource is the
  // worker's: not recorded here).
  recording?.stop();
  recording = workerMode() ? null : msepy.record(players.mine.ms);
  $("save-script").disabled = !recording;
  const withNative = $("native-on").checked;
  players.native = withNative ? makePlayer("native", window.MediaSource, native) : null;
  await players.mine.opened;
  addBuffer(players.mine, essence);
  await append(players.mine, chunks[0]);
  // msepy's parser names the codecs the native SourceBuffer needs.
  const info = await inspectMine();
  const codecs = info.tracks.map((t) => t.codec).join(",");
  const type = `${essence}; codecs="${codecs}"`;
  $("source-info").textContent += ` · ${type}`;
  if (players.native) {
    await players.native.opened;
    try {
      addBuffer(players.native, type);
      await append(players.native, chunks[0]);
    } catch (e) {
      log("native", `native cannot play it: ${e.name}: ${e.message}`, "err");
      players.native = null;
    }
  }
  mine.play().catch((e) => log("mine", `play(): ${e.name}`, "err"));
  players.native?.video.play().catch((e) => log("native", `play(): ${e.name}`, "err"));
  for (const chunk of chunks.slice(1)) {
    if (my !== session) return;
    await Promise.all([append(players.mine, chunk), players.native ? append(players.native, chunk).catch(() => {}) : null]);
  }
  for (const p of [players.mine, players.native]) {
    if (p?.worker) p.worker.postMessage({ cmd: "end" });
    else if (p && p.ms.readyState === "open") p.ms.endOfStream();
  }
}

async function playURL(url) {
  const r = await fetch(url);
  play(new Uint8Array(await r.arrayBuffer()), url.split("/").pop());
}

$("save-script").onclick = () => recording?.download("msepy-session");
$("sample").onclick = () => playURL("media/sample.mp4");
$("mode").onchange = () => { if (last) play(last.bytes, last.name); };
$("pressure").onclick = () => { log("mine", "memory pressure (as when the page is hidden)", "internal"); msepy.memoryPressure(); };
$("file").onchange = async (e) => {
  const f = e.target.files[0];
  if (f) play(new Uint8Array(await f.arrayBuffer()), f.name);
};

// -- stats --------------------------------------------------------------------------------------
function pct(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
function ranges(tr) {
  const out = [];
  for (let i = 0; i < tr.length; i++) out.push(`[${tr.start(i).toFixed(2)}, ${tr.end(i).toFixed(2)})`);
  return out.join(" ") || "—";
}
function statsTable(id, p, video) {
  if (!p) { $(id).innerHTML = "<tr><td>not playing</td></tr>"; return; }
  const q = video.getVideoPlaybackQuality();
  const rows = [
    ["currentTime / duration", `${video.currentTime.toFixed(3)} / ${video.duration.toFixed(3)}`],
    ["readyState · paused · ended", `${video.readyState} · ${video.paused} · ${video.ended}`],
    ["buffered", ranges(video.buffered)],
    ["frames decoded / dropped", `${q.totalVideoFrames} / ${q.droppedVideoFrames}`],
    ["append latency p50 / p95", `${pct(p.latencies, 0.5).toFixed(1)} / ${pct(p.latencies, 0.95).toFixed(1)} ms`],
    ["append throughput", `${(p.bytes / 1024 / 1024 / Math.max(p.appendMs / 1000, 1e-3)).toFixed(2)} MiB/s`],
  ];
  if (video.msepyStats) {
    const s = video.msepyStats;
    rows.push(["A/V offset mean / max", `${(s.avOffsetMean * 1000).toFixed(1)} / ${(s.avOffsetMaxAbs * 1000).toFixed(1)} ms`]);
    rows.push(["audio output", s.audioMode]);
    rows.push(["engine batches / events", `${s.engine.batches} / ${s.engine.events}`]);
  }
  $(id).innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
}

// -- buffer timeline -------------------------------------------------------------------------------
let inspected = null;
async function inspect() {
  inspected = await inspectMine().catch(() => null) ?? inspected;
}
function drawTimeline() {
  const c = $("timeline"), g = c.getContext("2d");
  const w = c.width = c.clientWidth * devicePixelRatio, hgt = c.height = c.clientHeight * devicePixelRatio;
  g.clearRect(0, 0, w, hgt);
  const d = Number.isFinite(mine.duration) ? mine.duration : (inspected?.tracks?.[0]?.ranges.at(-1)?.[1] || 10);
  const x = (t) => 110 * devicePixelRatio + (t / d) * (w - 120 * devicePixelRatio);
  const rows = (inspected?.tracks || []).map((t) => ({ label: `msepy ${t.kind} ${t.codec}`, ranges: t.ranges, keys: t.keyframes }));
  if (players.native?.sb) {
    try { rows.push({ label: "native buffered", ranges: [...Array(players.native.sb.buffered.length).keys()].map((i) => [players.native.sb.buffered.start(i), players.native.sb.buffered.end(i)]), keys: [] }); } catch { /* removed */ }
  }
  const rh = Math.min(30 * devicePixelRatio, hgt / Math.max(rows.length, 1));
  g.font = `${11 * devicePixelRatio}px system-ui`;
  rows.forEach((r, i) => {
    const y = i * rh + 4;
    g.fillStyle = "#9aa"; g.fillText(r.label.slice(0, 18), 4, y + rh / 2 + 4);
    g.fillStyle = r.label.startsWith("native") ? "#4a7" : "#4ad";
    for (const [s, e] of r.ranges) g.fillRect(x(s), y, Math.max(1, x(e) - x(s)), rh - 8);
    g.fillStyle = "#fff";
    for (const k of r.keys) g.fillRect(x(k), y, 1 * devicePixelRatio, rh - 8);
  });
  for (const [video, color] of [[mine, "#f44"], [native, "#fa0"]]) {
    if (!video.src) continue;
    g.fillStyle = color;
    g.fillRect(x(video.currentTime), 0, 2 * devicePixelRatio, hgt);
  }
}

setInterval(() => {
  statsTable("stats-mine", players.mine, mine);
  statsTable("stats-native", players.native, native);
}, 250);
setInterval(inspect, 500);
(function frame() { drawTimeline(); requestAnimationFrame(frame); })();

// First load: the bundled sample, no network needed.
playURL("media/sample.mp4");
window.demo = { players, play, playURL };
