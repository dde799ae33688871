// msepy inside an application's DedicatedWorker (MSE "MediaSource in a dedicated worker").
//
// A worker has no engine of its own: the engine (Python, in Pyodide) runs in the engine
// worker the Window's msepy.js started, beside the media element model, whose frame feed
// reads the track buffers directly.  A worker's MediaSource mirrors talk to that engine
// over a MessagePort of their own, which the Window hands over when it first attaches
// one of this worker's MediaSources (through the MediaSourceHandle's port): appends go
// from this worker to the engine worker without passing through the main thread.
//
// Until then nothing here needs the engine: a closed MediaSource's every operation
// throws on the synchronous checks, and isTypeSupported() needs only the engine's
// support tables, which the Window's msepy.js broadcasts (BroadcastChannel "msepy") when
// it has booted and whenever a worker asks.
//
// A Web Lock named after this client is held for the worker's lifetime: the Window
// requests it too, is granted it when the worker is terminated, and tells the engine
// (the element's buffered and seekable are empty from then on).

import { Engine } from "./engine.js";

const BOOT_TIMEOUT_MS = 180_000;
export const CHANNEL = "msepy";
export const lockName = (client) => `msepy-client-${client}`;

export class ClientEngine extends Engine {
  constructor() {
    super({ client: true });
    // Ids are the engine's, shared with the Window's: this worker's are prefixed.
    this.client = `wk${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    this.ready = this.#boot();
    this.connected = false;
  }

  newId(prefix) { return `${this.client}.${super.newId(prefix)}`; }

  /** The Window attached one of this worker's MediaSources: `port` reaches the engine. */
  connect(port) {
    if (this.connected) { port.close(); return; }  // one engine per worker
    this.connected = true;
    this.worker = port;
    this.onMessage(port);
  }

  async #boot() {
    const held = holdLock(lockName(this.client));
    const answer = await askWindow();
    this.support = answer.support;
    this.info = { version: answer.version, client: this.client };
    await held;
    for (const fn of this.listeners) fn({ kind: "ready", ...this.info });
    return this.info;
  }
}

// Resolves once the lock is held; the lock is kept until the worker ends.
function holdLock(name) {
  if (!globalThis.navigator?.locks) return Promise.resolve();
  return new Promise((held) => {
    navigator.locks.request(name, () => { held(); return new Promise(() => {}); });
  });
}

function askWindow() {
  const channel = new BroadcastChannel(CHANNEL);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close();
      reject(new Error("msepy in a worker: no Window answered with the engine's tables " +
        "(the page must load /web/msepy.js, which boots the engine)"));
    }, BOOT_TIMEOUT_MS);
    channel.onmessage = (e) => {
      if (e.data?.kind !== "support") return;
      clearTimeout(timer);
      channel.close();
      resolve(e.data);
    };
    channel.postMessage({ kind: "support?" });
  });
}

/** The Window side: answer workers' questions with the booted engine's tables. */
export function answerWorkers(engine) {
  const channel = new BroadcastChannel(CHANNEL);
  const announce = () => channel.postMessage({ kind: "support", support: engine.support, version: engine.info.version });
  engine.ready.then(() => {
    announce();
    channel.onmessage = (e) => { if (e.data?.kind === "support?") announce(); };
  }, () => channel.close());
  return channel;
}
