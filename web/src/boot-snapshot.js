// The engine worker's boot snapshot (web/worker.js).
//
// A cold boot - Pyodide's runtime, micropip, the msepy wheel, the imports, the warm-up -
// takes 2-3 s of a core, and its end state is the same every time for one Pyodide and
// one wheel.  So the first boot keeps its WebAssembly heap as it is after the warm-up
// (Pyodide's memory snapshot: `makeMemorySnapshot`, about 30 MB) in the Cache API, and
// later boots with the same Pyodide and the same wheel (its SHA-256 is in the key) start
// from it: the runtime is up in 0.2-0.4 s instead of 1.5 s, and micropip is not needed.
// The heap holds Python's state, including the bytecode CPython specialized during the
// warm-up; not Pyodide's files (they live in JavaScript), so the wheel is unpacked
// again, and not V8's compiled code (its code cache keeps that, next to the module).
//
// A snapshot that does not restore (another Pyodide build, a short write) is dropped and
// the boot goes the cold way.  Where the Cache API or Web Crypto is missing (an opaque
// origin, an insecure context) every boot is cold; so with ?snapshot=off on msepy.js.

const CACHE = "msepy-boot";
const FORMAT = 1;  // bump when what a snapshot holds changes
const LOADED = "X-Msepy-Loaded";

export class BootSnapshot {
  // The snapshot slot for this Pyodide and this wheel: `restorable` if one is stored.
  static async find(pyodideURL, pyodideVersion, wheelBytes) {
    if (!self.caches || !self.crypto?.subtle || !pyodideVersion) return null;
    try {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", wheelBytes));
      const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      const key = new URL(`/msepy-boot-snapshot?format=${FORMAT}&pyodide=${encodeURIComponent(pyodideVersion)}` +
        `&wheel=${hex}`, self.location.href).href;
      const cache = await caches.open(CACHE);
      const response = await cache.match(key);
      const saved = response && {
        bytes: new Uint8Array(await response.arrayBuffer()),
        loaded: JSON.parse(response.headers.get(LOADED) || "{}"),
      };
      return new BootSnapshot(cache, key, pyodideURL, saved);
    } catch (e) {
      return null;  // no cache here (storage blocked, say): cold boots
    }
  }

  constructor(cache, key, pyodideURL, saved) {
    this.cache = cache;
    this.key = key;
    this.pyodideURL = pyodideURL;
    this.saved = saved;   // {bytes, loaded} found in the cache, or null
    this.taken = null;    // {bytes, loaded} made by take()
  }

  // A Pyodide started from the stored snapshot, or null (none, or it did not restore:
  // then it is dropped).
  async restore(loadPyodide, wheelBytes) {
    const saved = this.saved;
    if (!saved) return null;
    try {
      // The heap may have grown past the module's initial memory before the snapshot:
      // the new instance's memory grows to the snapshot's size before Pyodide copies
      // it in (Emscripten's instantiateWasm hook, which Pyodide's loader fills in).
      const { default: createModule } = await import(this.pyodideURL + "pyodide.asm.mjs");
      const size = saved.bytes.byteLength;  // (Pyodide keeps its settings: no bytes in them)
      const createPyodideModule = (settings) => {
        const instantiate = settings.instantiateWasm;
        if (instantiate) {
          settings.instantiateWasm = (imports, receive) => instantiate(imports, (instance, module) => {
            const memory = instance.exports.memory;
            const short = size - memory.buffer.byteLength;
            if (short > 0) memory.grow(Math.ceil(short / 65536));
            receive(instance, module);
          });
        }
        return createModule(settings);
      };
      const pyodide = await loadPyodide({
        indexURL: this.pyodideURL, packages: [], _loadSnapshot: saved.bytes, createPyodideModule,
      });
      Object.assign(pyodide.loadedPackages, saved.loaded);
      if (pyodide._api?.config) delete pyodide._api.config._loadSnapshot;  // or it keeps the 30 MB
      this.saved = null;
      const site = pyodide.runPython("import site; site.getsitepackages()[0]");
      pyodide.unpackArchive(wheelBytes, "wheel", { extractDir: site });
      pyodide.runPython("import importlib; importlib.invalidate_caches()");
      return pyodide;
    } catch (e) {
      console.warn("msepy: the boot snapshot did not restore; booting cold:", e.message || e);
      this.cache.delete(this.key).catch(() => {});
      return null;
    }
  }

  // Snapshot a cold boot's Pyodide (loaded with `_makeSnapshot`) now, before the page's
  // first call; `store()` writes it.  Then Python sees JavaScript's globals plain again.
  take(pyodide) {
    // Which packages Pyodide loaded is JavaScript state, which a snapshot must not
    // hold: it is put back at once, and after a restore.
    const loaded = { ...pyodide.loadedPackages };
    for (const name of Object.keys(loaded)) delete pyodide.loadedPackages[name];
    try {
      this.taken = { bytes: pyodide.makeMemorySnapshot(), loaded };
    } catch (e) {  // Python holds a JavaScript object (a snapshot cannot name those)
      console.warn("msepy: no boot snapshot:", e.message || e);
    } finally {
      Object.assign(pyodide.loadedPackages, loaded);
    }
    // A `_makeSnapshot` boot shows Python JavaScript's globals through proxies that
    // note each object's path (so that a snapshot can name them); they cost every call
    // into JavaScript (1-2 ms an append, measured), so the plain globals from here on.
    pyodide.registerJsModule("js", self);
    pyodide.runPython("import sys\nsys.modules.pop('js', None)");
  }

  // Write the snapshot take() made, in place of any other (one Pyodide and wheel at a time).
  async store() {
    const { bytes, loaded } = this.taken;
    this.taken = null;
    try {
      for (const old of await this.cache.keys()) await this.cache.delete(old);
      await this.cache.put(this.key, new Response(bytes, { headers: { [LOADED]: JSON.stringify(loaded) } }));
    } catch (e) {
      console.warn("msepy: boot snapshot not stored:", e.message || e);
    }
  }
}
