// Running an MSE replay script in a browser, on any MediaSource - msepy's or the
// browser's own - with the records `python -m msepy replay` prints (msepy/replay.py:
// the same keys, times rounded to whole microseconds, non-finite numbers as strings),
// so the runs compare record by record.
//
//   for await (const record of runScript(script, { MediaSource, element, load })) ...
//
// A malformed script (an unknown op or field, a field missing) is a TypeError naming
// the op, before any op runs (`checkScript`).
//
// `element`: a media element in the document, not yet attached (the runner attaches the
// MediaSource by an object URL and waits for sourceopen, as the format says before op
// 0).  `load(path)`: the bytes of a data file, `path` being the script's `base` and the
// op's `file` joined (the caller resolves it against the script's URL).  After each op
// the runner waits until no SourceBuffer is updating, then for the events the op
// queued: `settle()` (msepy's: `() => msepy.engine.whenIdle()`), else `settleMs` (a
// native element's come from its media pipeline, a while later).

export const NO_SOURCE_BUFFER = "NoSourceBuffer";

const ELEMENT_EVENTS = ["loadstart", "progress", "suspend", "abort", "error", "emptied", "stalled",
  "loadedmetadata", "loadeddata", "canplay", "canplaythrough", "playing", "waiting", "seeking", "seeked",
  "ended", "durationchange", "timeupdate", "play", "pause", "ratechange", "resize", "volumechange"];
const SB_EVENTS = ["updatestart", "update", "updateend", "error", "abort"];
const NON_FINITE = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

// op -> [required fields, optional fields] (msepy/replay.py's FIELDS).
const FIELDS = {
  add: [["sb", "type"], []], append: [["sb"], ["file", "range", "hex", "bytes"]],
  remove: [["sb", "start", "end"], []], set: [["attr", "value"], ["sb"]], get: [["attr"], ["sb"]],
  abort: [["sb"], []], changeType: [["sb", "type"], []], removeSourceBuffer: [["sb"], []],
  seek: [["time"], []], eos: [[], ["error"]],
};
const ATTRS = { sb: ["mode", "timestampOffset", "appendWindowStart", "appendWindowEnd"], ms: ["duration"] };

/** Checks a whole script, as the CPython tool does before it runs one: a TypeError
 * naming the first op that is malformed. */
export function checkScript(script) {
  const fail = (message) => { throw new TypeError(`replay script: ${message}`); };
  if (!script || typeof script !== "object" || !Array.isArray(script.ops)) fail('a script is an object with "ops" (a list)');
  for (const key of Object.keys(script)) if (key !== "base" && key !== "ops") fail(`unknown top-level field ${key}`);
  script.ops.forEach((op, i) => {
    const where = `op ${i} (${op?.op})`;
    const fields = FIELDS[op?.op];
    if (!fields) fail(`${where}: unknown op; known ops: ${Object.keys(FIELDS).join(", ")}`);
    const [required, optional] = fields;
    for (const f of required) if (!(f in op)) fail(`${where}: missing field ${f}`);
    for (const f of Object.keys(op)) if (f !== "op" && !required.includes(f) && !optional.includes(f)) fail(`${where}: unknown field ${f}`);
    if (["ms", "el", "sbl", "asbl"].includes(op.sb)) fail(`${where}: sb name ${op.sb} is reserved for an event target`);
    if (op.op === "append" && ["file", "hex", "bytes"].filter((f) => f in op).length !== 1) fail(`${where}: needs exactly one of file, hex, bytes`);
    if ((op.op === "set" || op.op === "get") && !ATTRS[op.sb === undefined ? "ms" : "sb"].includes(op.attr)) fail(`${where}: attr ${op.attr}`);
  });
}

/** A time as the format writes it: whole microseconds (Python's round: half to even). */
export function number(x) {
  x = Number(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  const scaled = x * 1e6;
  if (!Number.isFinite(scaled)) return x;
  let r = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5 && r % 2 !== 0) r -= 1;
  return r / 1e6;
}

const ranges = (tr) => Array.from({ length: tr.length }, (_, i) => [number(tr.start(i)), number(tr.end(i))]);
const value = (v) => (typeof v === "string" && v in NON_FINITE ? NON_FINITE[v] : v);

function bytesOf(op, load, base) {
  if ("hex" in op) {
    const hex = op.hex.replace(/\s+/g, "");
    return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  }
  if ("bytes" in op) return Promise.resolve(Uint8Array.from(op.bytes));
  return load(base && !base.endsWith("/") ? `${base}/${op.file}` : base + op.file).then((data) => {
    const [offset, length] = op.range ?? [0, data.length];
    return data.subarray(offset, offset + length);
  });
}

export async function* runScript(script, { MediaSource, element, load, settleMs = 40, settle = null }) {
  checkScript(script);
  const base = script.base ?? "";
  const files = new Map();  // (each data file loaded once)
  const loadOnce = (path) => files.get(path) ?? files.set(path, load(path)).get(path);
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  let events = [];
  const listen = (target, name, types) => {
    for (const type of types) target.addEventListener(type, () => events.push(`${name}:${type}`));
  };

  const ms = new MediaSource();
  listen(ms, "ms", ["sourceopen", "sourceended", "sourceclose"]);
  listen(ms.sourceBuffers, "sbl", ["addsourcebuffer", "removesourcebuffer"]);
  listen(ms.activeSourceBuffers, "asbl", ["addsourcebuffer", "removesourcebuffer"]);
  listen(element, "el", ELEMENT_EVENTS);
  const opened = new Promise((done) => ms.addEventListener("sourceopen", done, { once: true }));
  element.src = URL.createObjectURL(ms);
  settle ??= () => sleep(settleMs);
  await opened;
  await settle();
  events = [];  // the attach is not an op

  const sbs = new Map();   // script name -> SourceBuffer (kept after removeSourceBuffer)
  const sb = (name) => {
    if (!sbs.has(name)) throw Object.assign(new Error(name), { name: NO_SOURCE_BUFFER });
    return sbs.get(name);
  };
  for (const op of script.ops) {
    let exc = null, got;
    // (The bytes are read first: loading is not part of the op.)
    const data = op.op === "append" ? await bytesOf(op, loadOnce, base) : null;
    try {
      switch (op.op) {
        case "add": {
          sbs.delete(op.sb);
          const made = ms.addSourceBuffer(op.type);
          sbs.set(op.sb, made);
          listen(made, op.sb, SB_EVENTS);
          break;
        }
        case "append": sb(op.sb).appendBuffer(data); break;
        case "remove": sb(op.sb).remove(value(op.start), value(op.end)); break;
        case "set":
          if (op.sb === undefined) ms[op.attr] = value(op.value);
          else sb(op.sb)[op.attr] = value(op.value);
          break;
        case "get": got = op.sb === undefined ? ms[op.attr] : sb(op.sb)[op.attr]; break;
        case "abort": sb(op.sb).abort(); break;
        case "changeType": sb(op.sb).changeType(op.type); break;
        case "removeSourceBuffer": ms.removeSourceBuffer(sb(op.sb)); break;
        case "seek": element.currentTime = value(op.time); break;
        case "eos": if (op.error === undefined) ms.endOfStream(); else ms.endOfStream(op.error); break;
        default: throw new Error(`unknown op ${JSON.stringify(op.op)}`);
      }
    } catch (e) {
      if (!(e instanceof DOMException || e instanceof TypeError || e.name === NO_SOURCE_BUFFER)) throw e;
      exc = e.name;
    }
    // Append and remove run to updateend (or the append error) before the next op.
    for (let i = 0; i < 500 && [...sbs.values()].some((s) => { try { return s.updating; } catch { return false; } }); i++) {
      await sleep(5);
    }
    await settle();
    const buffered = {};
    for (const [name, s] of sbs) {
      try { buffered[name] = ranges(s.buffered); } catch (e) { buffered[name] = e.name; }
    }
    const record = { op: op.op === "set" || op.op === "get" ? `${op.op}:${op.attr}` : op.op, exc, events,
      readyState: ms.readyState, duration: number(ms.duration), buffered,
      elBuffered: ranges(element.buffered), elReadyState: element.readyState };
    if (op.op === "get") record.value = exc !== null ? null : typeof got === "string" ? got : number(got);
    events = [];
    yield record;
  }
}
