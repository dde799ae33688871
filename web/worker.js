// The msepy worker: boots Pyodide, installs the msepy wheel, and runs the engine.
//
// Boot is staged (each step awaited, each reported to the page as a "progress"
// message): runtime -> micropip -> msepy wheel -> engine.  After that every message
// from the page is a batch of operations (web/PROTOCOL.md); batches are run strictly
// in their `mseq` order whichever port they came on, and every reply carries the next
// `wseq`, so the page sees one total order across the worker channel and the
// attachment ports.
//
// URL parameters (set by msepy.js): pyodide= the folder of pyodide.mjs,
// wheels= the folder holding index.json and the msepy wheel, snapshot=off: no boot
// snapshot (web/src/boot-snapshot.js), every boot cold.

import { BootSnapshot } from "./src/boot-snapshot.js";

const params = new URL(self.location.href).searchParams;
const pyodideURL = new URL(params.get("pyodide") || "/pyodide/", self.location.href).href;
const wheelsURL = new URL(params.get("wheels") || "/wheels/", self.location.href).href;
const useSnapshot = params.get("snapshot") !== "off";
const MICROPIP = "micropip-0.11.1-py3-none-any.whl";
const WARM_UP_SECONDS = 0.3;
const IDLE_WARM_MS = 600;     // after a boot snapshot: warmWhileIdle
const PRIME_MS = 800;         // after a cold boot: primeCodeCache, the warm-up's rounds
const BALLAST_MS = 800;       // ... then the ballast's
const IDLE_SLICE_MS = 4;
const IDLE_QUIET_MS = 50;
const SNAPSHOT_DELAY_MS = 3000;

let handle = null;        // msepy.bridge.handle_js, once booted
let lastBatchAt = 0;      // when the last batch arrived (the idle warm-up waits for quiet)
let nextMseq = 1;         // the next batch to run
let wseq = 0;             // replies sent
const waiting = new Map(); // mseq -> {ops, port} arrived early
const ports = new Map();  // element id -> MessagePort (the MediaSource's [[port to main]])

function progress(stage, detail, fraction) {
  self.postMessage({ kind: "progress", stage, detail, fraction });
}

async function boot() {
  const t0 = performance.now();
  progress("runtime", "loading Pyodide", 0.05);
  const [{ loadPyodide, version: pyodideVersion }, wheel] = await Promise.all([
    import(pyodideURL + "pyodide.mjs"), fetchWheel()]);
  const snapshot = useSnapshot ? await BootSnapshot.find(pyodideURL, pyodideVersion, wheel.bytes) : null;
  let pyodide = await snapshot?.restore(loadPyodide, wheel.bytes);
  const fromSnapshot = !!pyodide;
  if (!pyodide) {
    pyodide = await loadPyodide({ indexURL: pyodideURL, packages: [], _makeSnapshot: !!snapshot });
    progress("micropip", "loading micropip", 0.6);
    // micropip's wheel sits beside Pyodide's files; its hash is not pyodide-lock.json's,
    // so it is loaded by URL.
    await pyodide.loadPackage(pyodideURL + MICROPIP, { messageCallback: () => {} });
    progress("msepy", "installing the msepy wheel", 0.75);
    // From the bytes fetched above (one download), by way of Pyodide's file system.
    const path = `/tmp/${wheel.name}`;
    pyodide.FS.writeFile(path, wheel.bytes);
    const micropip = pyodide.pyimport("micropip");
    await micropip.install(`emfs:${path}`, { deps: false });
    micropip.destroy();
    pyodide.FS.unlink(path);
    await new Promise((resolve) => setTimeout(resolve, 0));  // Pyodide's event loop settles
    // micropip's work is done: unloaded, it leaves Python holding no JavaScript object
    // (its references to Pyodide's loader go with it), which a snapshot needs.
    pyodide.runPython("import gc, sys\nfor name in [m for m in sys.modules if m.split('.')[0] == 'micropip']:\n" +
      "    del sys.modules[name]\ngc.collect()");
  }
  progress("engine", "starting the engine", 0.9);
  const bridge = pyodide.pyimport("msepy.bridge");
  handle = bridge.handle_js;
  // Run the append path a while, so the first appends are not cold (msepy/warmup.py):
  // now on a cold boot; after a restore, between the page's batches (warmWhileIdle).
  if (!fromSnapshot) bridge.warm_up(WARM_UP_SECONDS);
  // The engine installed and warmed, before any page call: what the next boot restores.
  if (snapshot && !fromSnapshot) snapshot.take(pyodide);
  bridge.reserve_heap();
  const support = bridge.support_js();
  const version = pyodide.runPython("import msepy, sys; f'msepy {msepy.__version__}, Python {sys.version.split()[0]}'");
  self.postMessage({
    kind: "ready", support, version, bootMs: performance.now() - t0, fromSnapshot,
    crossOriginIsolated: self.crossOriginIsolated,
  });
  pump();
  // Stored a while later, not among the page's first appends (a 30 MB copy and write).
  if (snapshot?.taken) setTimeout(() => snapshot.store(), SNAPSHOT_DELAY_MS);
  if (fromSnapshot) warmWhileIdle(bridge);
  else primeCodeCache(bridge);
}

// A restored engine has Python's state, and V8's code cache for Pyodide's WebAssembly
// holds the code optimized before it was written (primeCodeCache); the rest runs cold
// until V8 optimizes it as it gets hot.  Warming for 0.5 s before `ready` put the first
// frame of a page that plays at once at 1.1 s after navigation, so the warm-up runs
// after `ready`, a round (3-6 ms) at a time while the page has been quiet for
// IDLE_QUIET_MS, until IDLE_WARM_MS of rounds ran.  A page that appends at once appends
// as warm as the code cache makes it; one that first fetches its media, warmer still.
function warmWhileIdle(bridge) {
  inSlices((s) => bridge.warm_idle(s), IDLE_WARM_MS, true).then(() => bridge.warm_idle_end());
}

// After a cold boot (a first visit): make V8's code cache for Pyodide's WebAssembly hold
// the append path, for every later visit.  Chromium writes that cache only during the
// page that compiled the module, at V8's "chunks" of new optimized code: 1 MB of it, or
// 2 s without any - and in a page that plays, the code the page's own appends and
// frame pulls make hot comes in a trickle, so the last chunk came at about `ready`:
// later visits restored a cache without the append path and ran their first appends
// half cold (Python's part of a 512 KiB append 1.5-2.0 ms, against 1.0 ms).  So the
// warm-up's rounds run (PRIME_MS, while the page is quiet, as warmWhileIdle's), making
// the append path hot, and then the ballast
// (msepy.warmup.code_cache_ballast) makes the next megabyte of optimized code, whose
// chunk takes the append path along.  Measured with Chromium's traces
// (e2e/diag-code-cache.mjs), first visits that play at once: run without waiting for
// quiet, the ballast sent a chunk after `ready` in 5 first visits of 6 (none in 3
// without the ballast), and the next visits appended at p50 1.7-2.0 ms, renderer
// stopped (3.0-4.5 ms with no priming); but the first visit's batches then waited
// behind the rounds.  Waiting for quiet: the chunk after `ready` in 1 first visit of 3,
// the next visits at p50 1.8-2.0 ms all the same (the chunk at about `ready` held the
// boot's warm-up); six benchmark runs, three each way, told the two apart no better
// than their noise.  (A dash.js failure once put on the rounds was the timeupdate
// cadence: web/src/renderer.js.)  Only a first visit pays: 1.6 s of one core, while
// its page is quiet.
function primeCodeCache(bridge) {
  inSlices((s) => bridge.warm_idle(s), PRIME_MS, true)
    .then(() => { bridge.warm_idle_end(); return inSlices((s) => bridge.code_cache_ballast(s), BALLAST_MS, true); })
    .catch((e) => console.warn("msepy: code cache priming stopped:", e.message || e));
}

// Runs `slice(seconds)` (true: go on) IDLE_SLICE_MS at a time until `budgetMs` of them
// ran, each in a task of its own, so the page's batches run between two; with `quiet`,
// only while no batch came for IDLE_QUIET_MS.  Best effort: an error ends it.
function inSlices(slice, budgetMs, quiet) {
  return new Promise((resolve) => {
    let left = budgetMs;
    const step = () => {
      if (left <= 0) return resolve();
      const wait = quiet ? lastBatchAt + IDLE_QUIET_MS - performance.now() : 0;
      if (wait > 0 || waiting.size) {
        setTimeout(step, Math.max(wait, 1));
        return;
      }
      const start = performance.now();
      let going = false;
      try {
        going = slice(IDLE_SLICE_MS / 1000);
      } catch (e) {  // warming is best effort: the engine does not need it
        console.warn("msepy: warm-up stopped:", e.message || e);
      }
      left = going ? left - (performance.now() - start) : 0;
      yieldThen(step);
    };
    yieldThen(step);
  });
}

// Run `fn` in a task of its own, after what is queued now (the page's batches): a
// message to ourselves, as a setTimeout(0) chain is held to 4 ms a step once nested.
const yieldChannel = new MessageChannel();
const yielded = [];
yieldChannel.port1.onmessage = () => yielded.shift()();
function yieldThen(fn) {
  yielded.push(fn);
  yieldChannel.port2.postMessage(null);
}

async function fetchWheel() {
  const index = await (await fetch(wheelsURL + "index.json")).json();
  const name = index.find((n) => /^msepy-.*\.whl$/.test(n));
  if (!name) throw new Error(`no msepy wheel in ${wheelsURL}`);
  const response = await fetch(wheelsURL + name);
  if (!response.ok) throw new Error(`${wheelsURL + name}: HTTP ${response.status}`);
  return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
}

function arrived(msg, port) {
  msg.arrivedAt = lastBatchAt = performance.now();
  waiting.set(msg.mseq, { msg, port });
  pump();
}

function pump() {
  if (!handle) return;
  while (waiting.has(nextMseq)) {
    const { msg } = waiting.get(nextMseq);
    waiting.delete(nextMseq);
    nextMseq += 1;
    run(msg);
  }
}

function run(msg, client = null) {
  for (const op of msg.ops) {
    if (op.port) {  // attach: the transferred port2 becomes [[port to main]]
      ports.set(op.target, op.port);
      op.port.onmessage = (e) => arrived(e.data, op.port);
      delete op.port;
    }
    if (op.clientPort) {  // a worker's MediaSources reach the engine on this port
      connectClient(op.client, op.clientPort);
      delete op.clientPort;
    }
  }
  let reply;
  const start = performance.now();
  try {
    reply = handle(msg.ops, msg.touched);
  } catch (e) {
    reply = { results: msg.ops.map(() => ({ exception: { name: "EngineError", message: String(e.message || e) } })), steps: [], snapshot: {} };
    console.error("msepy engine error", e);
  }
  for (const op of msg.ops) {
    if (op.op === "set" && op.name === "srcObject" && !op.value) ports.delete(op.target);
  }
  routeToClients(reply, client, msg.mseq);
  for (const op of msg.ops) if (op.op === "terminated") clients.delete(op.client);
  const handled = performance.now();
  const timing = { wait: start - msg.arrivedAt, run: handled - start, py: reply.timing, handled,
    arrivedAt: performance.timeOrigin + msg.arrivedAt };
  if (client) sendToClient(client, msg.mseq, reply);
  else send(msg.mseq, reply, timing, appendBuffers(msg.ops));
}

// The buffers appendBuffer() transferred: Python copied their bytes (to_py), so they go
// back to the page, whose next appendBuffer() copies into one instead of allocating.
function appendBuffers(ops) {
  const out = [];
  for (const op of ops) {
    const data = op.method === "appendBuffer" ? op.args?.[0] : null;
    if (data?.buffer instanceof ArrayBuffer) out.push(data.buffer);
  }
  return out;
}

// Element-bound steps (internal messages, the element's events and state) go on that
// element's port, the others on the worker channel - and a batch is one message where
// it can be: when its steps are bound to one element at most, "done" carries them all
// (and the results), on that element's port if any; the page orders by `wseq`,
// whichever channel.  A message more costs the worker 0.1-0.2 ms and the page a task
// (an append that re-appends an initialization segment posts a sourceBuffersReady
// message, Initialization Segment Received 8: it paid about 0.4 ms for it).  Steps for
// several elements go in runs per channel, up to the last element-bound one; "done"
// carries the rest.
function send(mseq, reply, timing, recycled = []) {
  const steps = reply.steps || [];
  const bound = new Set(steps.map(portFor));
  bound.delete(null);
  let channel = self, tail = 0;
  if (bound.size === 1) [channel] = bound;
  else if (bound.size > 1) {
    tail = steps.length;
    while (tail > 0 && portFor(steps[tail - 1]) === null) tail -= 1;
    postSteps(mseq, steps.slice(0, tail));
  }
  const transfer = [...recycled];
  for (const r of reply.results) {
    const payload = r.result && r.result.payload;
    if (payload && payload.buffer) transfer.push(payload.buffer);
  }
  timing.post = performance.now() - timing.handled;
  timing.postedAt = performance.timeOrigin + performance.now();
  delete timing.handled;
  channel.postMessage({ kind: "done", wseq: ++wseq, mseq, steps: steps.slice(tail), results: reply.results,
    snapshot: reply.snapshot, timing, recycled }, transfer);
}

function postSteps(mseq, steps) {
  let run = [], runPort = null;
  const flush = () => {
    if (!run.length) return;
    const message = { kind: "steps", wseq: ++wseq, mseq, steps: run };
    (runPort || self).postMessage(message);
    run = [];
  };
  for (const step of steps) {
    const port = portFor(step);
    if (port !== runPort) { flush(); runPort = port; }
    run.push(step);
  }
  flush();
}

function portFor(step) {
  if (step[0] === "internal") return ports.get(step[1]) || null;
  if (step[0] === "event") {
    const owner = step[1].split(".")[0];
    return ports.get(owner) || null;
  }
  return null;
}

// -- application workers' MediaSources (web/PROTOCOL.md, "Worker MediaSources") --------
// A DedicatedWorker's msepy.js is a client with a port of its own, its own mseq/wseq
// order, and ids prefixed with its client id.  Its objects' events and state go on its
// port; tracks' state goes to everyone (the Window's element lists name them too).
const clients = new Map();  // client id -> {port, nextMseq, wseq, waiting}

function connectClient(id, port) {
  const c = { port, nextMseq: 1, wseq: 0, waiting: new Map() };
  clients.set(id, c);
  port.onmessage = (e) => {
    const msg = e.data;
    if (msg.kind !== "batch" || clients.get(id) !== c) return;
    msg.arrivedAt = lastBatchAt = performance.now();
    c.waiting.set(msg.mseq, msg);
    while (handle && c.waiting.has(c.nextMseq)) {
      const next = c.waiting.get(c.nextMseq);
      c.waiting.delete(c.nextMseq);
      c.nextMseq += 1;
      run(next, id);
    }
  };
}

// Moves the clients' steps out of reply.steps and posts them on the clients' ports.
function routeToClients(reply, sender, mseq) {
  if (!clients.size) return;
  const out = new Map();
  const to = (id) => { if (!out.has(id)) out.set(id, []); return out.get(id); };
  const mine = [];
  for (const step of reply.steps || []) {
    if (step[0] === "event" && clients.has(step[1].split(".")[0])) {
      to(step[1].split(".")[0]).push(step);
    } else if (step[0] === "state") {
      const main = {}, theirs = new Map();
      let any = false;
      for (const [oid, state] of Object.entries(step[1])) {
        const owner = oid.split(".")[0];
        if (clients.has(owner)) {
          if (!theirs.has(owner)) theirs.set(owner, {});
          theirs.get(owner)[oid] = state;
          continue;
        }
        main[oid] = state;
        any = true;
        if (oid.startsWith("track")) {
          for (const id of clients.keys()) {
            if (!theirs.has(id)) theirs.set(id, {});
            theirs.get(id)[oid] = state;
          }
        }
      }
      for (const [id, states] of theirs) to(id).push(["state", states]);
      if (any) mine.push(["state", main]);
    } else {
      mine.push(step);
    }
  }
  reply.steps = mine;
  for (const [id, steps] of out) {
    const c = clients.get(id);
    c.port.postMessage({ kind: "steps", wseq: ++c.wseq, mseq: id === sender ? mseq : c.nextMseq - 1, steps });
  }
}

// A client's batch: the Window gets its share of the steps (without results), the
// client its results.
function sendToClient(id, mseq, reply) {
  if (reply.steps?.length) postSteps(nextMseq - 1, reply.steps);
  const c = clients.get(id);
  if (c) c.port.postMessage({ kind: "done", wseq: ++c.wseq, mseq, results: reply.results, snapshot: reply.snapshot });
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.kind === "batch") arrived(msg, null);
};

boot().catch((e) => {
  self.postMessage({ kind: "failed", message: String(e && e.message || e) });
});
