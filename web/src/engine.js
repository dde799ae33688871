// The page side of the worker protocol (web/PROTOCOL.md).
//
// Page calls become ops; the ops one page task makes are sent as one batch after that
// task (a macrotask later), so the worker runs their synchronous steps together and
// only then the tasks they queued - as "queue a task" means.  Replies come back as
// ordered steps (state, internal message, event); the pump applies state and internal
// messages at once and dispatches each event in a task of its own.
//
// Mirrors keep the state the page changed itself as *pending* (field -> the batch
// that changed it) and ignore older state for those fields until that batch's reply.

import { domError, queueTask } from "./dom.js";

const APPEND_GRACE_MS = 20;  // see `appending`

// The task each re-dispatched event after a reply's first runs in (#pump).  Where the
// Prioritized Task Scheduling API exists, a "user-blocking" task: it does not wait
// behind the renderer's decoder and frame callbacks (a native media event does not
// either: it is fired from the media pipeline's own thread hops).  Order among these
// tasks is FIFO either way.
const eventTask = globalThis.scheduler?.postTask
  ? (fn) => { globalThis.scheduler.postTask(fn, { priority: "user-blocking" }); }
  : queueTask;

export class Engine {
  // client: an application's DedicatedWorker (web/src/client.js): no engine worker of
  // its own; batches go to `this.worker` once a Window connects it (a MessagePort).
  constructor({ workerURL, pyodideURL, wheelsURL, snapshot = true, client = false } = {}) {
    const url = new URL(workerURL || "../worker.js", import.meta.url);
    if (pyodideURL) url.searchParams.set("pyodide", pyodideURL);
    if (wheelsURL) url.searchParams.set("wheels", wheelsURL);
    if (!snapshot) url.searchParams.set("snapshot", "off");
    this.worker = client ? null : new Worker(url, { type: "module", name: "msepy" });
    // Mirrors by id, held weakly: a mirror the page can no longer reach is collected,
    // and its engine object is then let go ("release": an element detaches its
    // MediaSource, whose media is freed), as a browser collects its own.  What must
    // live on is held elsewhere: by the DOM, a playing element's frame loop, an
    // element's MediaSource, a MediaSource's lists, a list's tracks, an object URL.
    this.objects = new Map();      // id -> WeakRef(mirror)
    this.collected = new FinalizationRegistry((id) => this.#collected(id));
    this.released = [];            // ids collected since the last release op
    this.factories = [];           // (id, state) -> mirror, for engine-made objects
    this.ids = new Map();          // prefix -> counter
    this.mseq = 1;                 // the batch being built
    this.batch = null;
    this.calls = new Map();        // mseq -> [{resolve, reject}] per op
    this.nextWseq = 1;
    this.early = new Map();        // wseq -> message that arrived early
    this.items = [];               // the pump's queue
    this.pumping = false;
    this.fresh = false;            // in the task a reply arrived in, no event fired yet (#pump)
    this.support = null;
    this.progress = [];
    this.listeners = new Set();    // boot progress / ready observers
    this.stats = { batches: 0, ops: 0, events: 0 };
    this.timings = [];             // per batch: worker wait/run/post, Python toPy/handle/toJs (ms)
    this.sentAt = new Map();
    this.touched = new Set();      // ids of mirrors with fields pending on the batch being built
    this.appendsInFlight = 0;      // appends called whose reply has not come yet
    this.appendDoneAt = -Infinity; // when the last reply to an append came
    this.appendBatches = new Map(); // mseq -> appends in that batch
    this.opKinds = new Map();
    this.buffers = [];             // appendBuffer() copies the worker handed back, for reuse
    this.ready = client ? null : new Promise((resolve, reject) => {
      this.worker.onmessage = (e) => this.#received(e.data, resolve, reject);
      this.worker.onerror = (e) => reject(new Error(`msepy worker failed: ${e.message || "error"}`));
    });
  }

  newId(prefix) {
    const n = (this.ids.get(prefix) || 0) + 1;
    this.ids.set(prefix, n);
    return `${prefix}${n}`;
  }

  register(id, mirror) {
    this.objects.set(id, new WeakRef(mirror));
    this.collected.register(mirror, id);
  }

  mirror(id) { return this.objects.get(id)?.deref(); }

  #collected(id) {
    if (this.mirror(id)) return;  // the id has a new mirror (a track made again)
    this.objects.delete(id);
    if (this.released.push(id) === 1) {
      setTimeout(() => this.op({ op: "release", ids: this.released.splice(0) }), 0);
    }
  }

  // Queue one op into the current batch (the page-visible effects are the mirrors' and
  // the events).
  //
  // `expect`: the exception name the page side threw for this call (null: none).  The
  // engine runs the same steps; a different outcome is a front-end bug, counted in
  // stats.mismatches and logged.
  // `result: true` returns the promise of the engine's result instead.
  op(op, { port = null, transfer = [], expect = null, result = false } = {}) {
    if (!this.batch) {
      this.batch = { ops: [], calls: [], transfer: [], port: null };
      queueMicrotask(() => this.flush());  // after this task's script, with what it queued
    }
    const b = this.batch;
    b.ops.push(op);
    if (op.method === "appendBuffer" || op.method === "appendEncodedChunks") {
      b.appends = (b.appends || 0) + 1;
      this.appendsInFlight += 1;  // from the call: the renderer holds back at once
    }
    b.transfer.push(...transfer);
    if (port && !b.port) b.port = port;
    this.stats.ops += 1;
    const promise = new Promise((resolve, reject) => b.calls.push({ resolve, reject }));
    if (result) return promise;
    promise.then(() => this.#check(op, expect, null), (e) => this.#check(op, expect, e.name));
    return undefined;
  }

  #check(op, expected, actual) {
    if (expected === actual) return;
    this.stats.mismatches = (this.stats.mismatches || 0) + 1;
    console.warn(`msepy: the page side ${expected ? `threw ${expected}` : "did not throw"} for ` +
      `${op.method || op.name} but the engine ${actual ? `threw ${actual}` : "did not"}`, op);
  }

  // An ArrayBuffer of at least `size` bytes (and at most twice that) that an earlier
  // appendBuffer() copy left, or null: appendBuffer() copies into it (a fresh 512 KiB
  // buffer costs 0.2 ms to allocate and fault in; copying into a used one 0.01 ms).
  takeBuffer(size) {
    const i = this.buffers.findIndex((b) => b.byteLength >= size && b.byteLength <= 2 * size);
    return i < 0 ? null : this.buffers.splice(i, 1)[0];
  }

  // Appends are in flight, or one finished a moment ago (a player appending piece after
  // piece calls the next appendBuffer() in its updateend handler, a few tasks after the
  // reply): the renderer then decodes only to its low marks (web/src/renderer.js).
  get appending() {
    return this.appendsInFlight > 0 || performance.now() - this.appendDoneAt < APPEND_GRACE_MS;
  }

  // Resolves once nothing is in flight: no batch being built or awaiting its reply, no
  // event waiting for its task (a replay script's runner settles an op by it).
  async whenIdle() {
    while (this.batch || this.calls.size || this.items.length || this.pumping) {
      await new Promise((done) => setTimeout(done, 2));
    }
  }

  // The sequence number state changed now will be confirmed by.
  get seq() { return this.mseq; }

  flush() {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    if (!this.worker) {  // a worker's MediaSource before any Window attached it
      this.appendsInFlight -= b.appends || 0;
      return;
    }
    const mseq = this.mseq++;
    this.calls.set(mseq, b.calls);
    if (b.appends) this.appendBatches.set(mseq, b.appends);
    this.stats.batches += 1;
    // A detach travels on the old port - unless the batch also transfers a port (a new
    // attachment), which may be that port's own partner.  Order is kept by mseq anyway.
    const port = b.port && !b.transfer.some((x) => x instanceof MessagePort) ? b.port : null;
    this.sentAt.set(mseq, performance.now());
    this.opKinds.set(mseq, b.ops.map((o) => o.method || o.op).join(","));
    // The objects the page changed locally since the last batch: the reply's snapshot
    // carries their full state (it settles their pending fields).
    const touched = [...this.touched];
    this.touched.clear();
    (port || this.worker).postMessage({ kind: "batch", mseq, ops: b.ops, touched }, b.transfer);
  }

  onMessage(port) {  // replies arriving on an attachment port
    port.onmessage = (e) => this.#received(e.data);
  }

  #received(msg, resolveReady, rejectReady) {
    if (msg.kind === "progress") {
      this.progress.push(msg);
      for (const fn of this.listeners) fn(msg);
      return;
    }
    if (msg.kind === "ready") {
      this.support = msg.support;
      this.info = { version: msg.version, bootMs: msg.bootMs, fromSnapshot: !!msg.fromSnapshot, workerIsolated: msg.crossOriginIsolated };
      for (const fn of this.listeners) fn({ kind: "ready", ...this.info });
      resolveReady(this.info);
      return;
    }
    if (msg.kind === "failed") {
      rejectReady(new Error(`msepy failed to boot: ${msg.message}`));
      return;
    }
    this.early.set(msg.wseq, msg);
    this.fresh = true;  // see #pump
    while (this.early.has(this.nextWseq)) {
      const m = this.early.get(this.nextWseq);
      this.early.delete(this.nextWseq);
      this.nextWseq += 1;
      this.#inOrder(m);
    }
    this.fresh = false;
  }

  #inOrder(msg) {
    if (msg.kind === "steps") {
      for (const step of msg.steps) this.items.push({ step, mseq: msg.mseq });
    } else if (msg.kind === "done") {
      const appends = this.appendBatches.get(msg.mseq);
      if (appends) {
        this.appendsInFlight -= appends;
        this.appendBatches.delete(msg.mseq);
        this.appendDoneAt = performance.now();
      }
      if (msg.timing) {
        const sent = this.sentAt.get(msg.mseq);
        this.sentAt.delete(msg.mseq);
        const now = performance.now();
        const { arrivedAt, postedAt, ...timing } = msg.timing;
        this.timings.push({ mseq: msg.mseq, ops: this.opKinds.get(msg.mseq), roundTrip: sent === undefined ? null : now - sent,
          // transit: page post -> worker onmessage, worker post -> page onmessage (one clock)
          toWorker: sent === undefined ? null : arrivedAt - (performance.timeOrigin + sent),
          toPage: performance.timeOrigin + now - postedAt, arrived: arrivedAt - performance.timeOrigin, ...timing });
        this.opKinds.delete(msg.mseq);
        if (this.timings.length > 4000) this.timings.shift();
      }
      for (const b of msg.recycled || []) if (this.buffers.length < 4) this.buffers.push(b);
      for (const step of msg.steps || []) this.items.push({ step, mseq: msg.mseq });
      this.items.push({ step: ["snapshot", msg.snapshot], mseq: msg.mseq });
      const calls = this.calls.get(msg.mseq) || [];
      this.calls.delete(msg.mseq);
      msg.results.forEach((r, i) => {
        const call = calls[i];
        if (!call) return;
        if (r.exception) call.reject(domError(r.exception.name, r.exception.message));
        else call.resolve(r.result);
      });
    }
    this.#pump();
  }

  // In the task a reply arrives in (`fresh`: a message event is a task, as the one the
  // spec queues to fire an event) the first event is fired at once, each later one in a
  // task of its own, so the page's microtasks still run between two events.  A task hop
  // less per append: its updateend fires in the task its reply arrives in.
  #pump() {
    if (this.pumping) return;
    while (this.items.length) {
      const { step, mseq } = this.items.shift();
      const [kind] = step;
      if (kind === "state" || kind === "snapshot") {
        // Tracks first: the lists that follow name them.
        const entries = Object.entries(step[1]);
        entries.sort((a, b) => b[0].startsWith("track") - a[0].startsWith("track"));
        for (const [id, state] of entries) this.apply(id, state, mseq);
      } else if (kind === "internal") {
        const mirror = this.mirror(step[1]);
        mirror?._internal?.(step[2], step[3], mseq);
      } else if (kind === "event") {
        const [, id, type, detail] = step;
        // A cue's enter/exit comes at its track: fired at the page's cue object, whose
        // listeners the page cannot ask about (a task each).
        const target = detail?.cue ? this.mirror(id)?._cueOf?.(detail.cue) : this.mirror(id);
        if (!target || target._suppress?.(type, mseq)) continue;
        // No listener (msepy-* steps are not events: they always run): no task.
        if (target._heard && !target._heard(type) && !type.startsWith("msepy-")) continue;
        if (this.fresh) {
          this.fresh = false;
          this.#fire(target, type, detail);
          continue;
        }
        this.pumping = true;
        eventTask(() => {
          this.pumping = false;
          try {
            this.#fire(target, type, detail);
          } finally {
            this.#pump();
          }
        });
        return;
      }
    }
  }

  #fire(target, type, detail) {
    this.stats.events += 1;
    // A mirror may make its own event (BufferedChangeEvent) or consume the step
    // (null: a settled appendEncodedChunks promise).
    const event = target._event ? target._event(type, detail) : new Event(type);
    if (event && detail && "track" in detail) {
      Object.defineProperty(event, "track", { value: this.mirror(detail.track) ?? null });
    }
    if (event) target.dispatchEvent(event);
  }

  // Apply engine state to a mirror, skipping fields the page changed since `mseq`.
  apply(id, state, mseq) {
    let mirror = this.mirror(id);
    if (!mirror) {
      for (const make of this.factories) {
        mirror = make(id, state);
        if (mirror) { this.register(id, mirror); break; }
      }
      if (!mirror) return;
    }
    const pending = mirror._pending;
    let fresh = state;
    if (pending && pending.size) {
      fresh = {};
      for (const [k, v] of Object.entries(state)) {
        const p = pending.get(k);
        if (p === undefined || p <= mseq) {
          fresh[k] = v;
          if (p !== undefined) pending.delete(k);
        }
      }
    }
    mirror._apply(fresh);
  }

  // A mirror field the page just set: engine state older than this batch is stale.
  pend(mirror, ...fields) {
    for (const f of fields) mirror._pending.set(f, this.mseq);
    if (mirror._oid) this.touched.add(mirror._oid);
  }
}
