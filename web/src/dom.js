// Small DOM helpers: exceptions with the spec's names, on<type> handler attributes,
// index properties for list objects, and TimeRanges.

export function domError(name, message) {
  if (name === "TypeError") return new TypeError(message);
  if (name === "RangeError") return new RangeError(message);
  return new DOMException(message, name);
}

// on<type> event handler IDL attributes, registered as a listener where first set
// (the DOM's ordering of handlers among listeners).
export function defineHandlers(cls, types) {
  for (const type of types) {
    const slot = Symbol(`on${type}`);
    Object.defineProperty(cls.prototype, `on${type}`, {
      configurable: true,
      enumerable: true,
      get() { return this[slot]?.fn ?? null; },
      set(fn) {
        if (!this[slot]) {
          const box = { fn: null };
          this[slot] = box;
          this.addEventListener(type, (event) => {
            if (typeof box.fn === "function") box.fn.call(this, event);
          });
        }
        this[slot].fn = typeof fn === "function" ? fn : null;
      },
    });
  }
}

// An EventTarget that knows whether anything listens for an event type: the engine
// skips the task of an event nobody would hear (dispatching it would run nothing; these
// objects are not in the DOM, so only their own listeners hear their events).  A
// listener that `once` or an AbortSignal removed still counts: such an event is then
// dispatched to nobody, as any event was before.
export class ListenedTarget extends EventTarget {
  #listeners = new Map();  // type -> [bubble-phase listeners, capture-phase listeners]

  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (listener == null) return;
    type = String(type);
    let phases = this.#listeners.get(type);
    if (!phases) this.#listeners.set(type, phases = [new Set(), new Set()]);
    phases[+capture(options)].add(listener);
  }

  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
    this.#listeners.get(String(type))?.[+capture(options)].delete(listener);
  }

  _heard(type) {
    const phases = this.#listeners.get(type);
    return phases !== undefined && (phases[0].size > 0 || phases[1].size > 0);
  }
}

const capture = (options) => (typeof options === "boolean" ? options : Boolean(options?.capture));

// Numeric index properties (list[0], list[1] ...) kept in step with `items`.
export function syncIndices(list, items, previous) {
  for (let i = items.length; i < previous; i++) delete list[i];
  items.forEach((item, i) => {
    Object.defineProperty(list, i, { value: item, configurable: true, enumerable: true });
  });
}

// A list of engine objects, mirrored (SourceBufferList, the track lists): the engine's
// record names its items by id (`items`); indexed like an array, iterable.
export class MirrorList extends ListenedTarget {
  constructor(engine, oid) {
    super();
    this._engine = engine;
    this._oid = oid;
    this._items = [];
    this._pending = new Map();
    engine.register(oid, this);
  }
  get length() { return this._items.length; }
  [Symbol.iterator]() { return this._items[Symbol.iterator](); }
  _apply(state) {
    if (state.items) this._set(state.items.map((id) => this._engine.mirror(id)).filter(Boolean));
  }
  _set(items) {
    const previous = this._items.length;
    this._items = items;
    syncIndices(this, items, previous);
  }
}

// -- WebIDL: argument conversions, with Chromium's messages --------------------------------
// `fewer than n arguments` is a TypeError before any step runs.
export function requireArgs(args, n, method, iface) {
  if (args.length < n) {
    throw new TypeError(`Failed to execute '${method}' on '${iface}': ${n} argument${n > 1 ? "s" : ""} required, but only ${args.length} present.`);
  }
}
// `double` (restricted): ToNumber - a Symbol or a BigInt throws - and no NaN or infinity.
export function toDouble(value, what) {
  const n = +value;
  if (!Number.isFinite(n)) throw new TypeError(`${what}: the provided double value is non-finite.`);
  return n;
}
// `unrestricted double`: ToNumber only.
export const toUnrestrictedDouble = (value) => +value;
// `DOMString`: ToString (a Symbol throws).
export const toDOMString = (value) => `${value}`;
// Object.prototype.toString's name for instances of `cls` ([object MediaSource]).
export function toStringTag(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
}

export class TimeRanges {
  #ranges;
  constructor(ranges = []) {
    this.#ranges = ranges.map(([s, e]) => [s, e]);
    Object.freeze(this.#ranges);
  }
  get length() { return this.#ranges.length; }
  start(index) { requireArgs(arguments, 1, "start", "TimeRanges"); return this.#at(index, "start")[0]; }
  end(index) { requireArgs(arguments, 1, "end", "TimeRanges"); return this.#at(index, "end")[1]; }
  #at(index, what) {
    index = Number(index) >>> 0;
    if (index >= this.#ranges.length) {
      throw new DOMException(`TimeRanges.${what}(${index}): index out of range (length ${this.#ranges.length})`, "IndexSizeError");
    }
    return this.#ranges[index];
  }
  toArray() { return this.#ranges.map(([s, e]) => [s, e]); }
}
toStringTag(TimeRanges, "TimeRanges");

export function sameRanges(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  return a.every(([s, e], i) => s === b[i][0] && e === b[i][1]);
}

// A fast macrotask: runs after the current task and its microtasks.
const channel = new MessageChannel();
const macrotasks = [];
channel.port1.onmessage = () => {
  const fn = macrotasks.shift();
  if (fn) fn();
};
export function queueTask(fn) {
  macrotasks.push(fn);
  channel.port2.postMessage(0);
}
