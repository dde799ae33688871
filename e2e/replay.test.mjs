// MSE replay scripts in the browser (the format: "MSE replay scripts"): the example
// scripts run by web/src/replay.js on msepy give the records python -m msepy replay
// gives in CPython, and on the native MediaSource the same MSE state; a session a page
// made, recorded by msepy.record(), replays in CPython to the state the page saw.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { repo, setup } from "./lib.mjs";

const SCRIPTS = fs.readdirSync(path.join(repo, "tests/replay")).filter((f) => f.endsWith(".json")).sort();
const python = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
const golden = (name) => fs.readFileSync(path.join(repo, "tests/replay", name.replace(/\.json$/, ".jsonl")), "utf8")
  .trim().split("\n").map((line) => JSON.parse(line));

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
});
after(async () => { await env?.close(); });

// Runs /tests/replay/<name> in the page on `impl`'s MediaSource; the records.
function runInPage(name, impl) {
  return page.evaluate(async ({ name, impl }) => {
    const { runScript } = await import("/web/src/replay.js");
    const url = new URL(`/tests/replay/${name}`, location.href);
    const script = await (await fetch(url)).json();
    const { video } = h.make(impl);
    video.muted = true;
    const MS = impl === "native" ? window.MediaSource : msepy.MediaSource;
    const load = async (p) => {
      const response = await fetch(new URL(p, url));
      if (!response.ok) throw new Error(`${p}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    };
    const out = [];
    // (msepy's events have all come once its engine is idle; native's take a while.)
    const settle = impl === "native" ? null : () => msepy.engine.whenIdle();
    for await (const record of runScript(script, { MediaSource: MS, element: video, load, settle })) out.push(record);
    video.remove();
    return out;
  }, { name, impl });
}

// Events the page side makes that a CPython replay has no host for: `resize` (the
// bridge fires it from the video size the page learns) and `progress` (the page's
// timer asks the engine for it while appends come in).
const hostless = (records) => records.map((r) => ({ ...r, events: r.events.filter((e) => e !== "el:resize" && e !== "el:progress") }));

// Two records agree on the MediaSource's state: the exception, the MediaSource's and
// SourceBuffers' events, readyState, duration and buffered ranges (within 1.1 ms:
// Chromium truncates to microseconds).  The element's events and readyState are its
// pipeline's (a task or more later there) - the differential tests compare those.
const near = (a, b) => (typeof a === "number" && typeof b === "number" ? Math.abs(a - b) <= 0.0011
  : Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => near(x, b[i])) : a === b);
function mseState(r) {
  return { op: r.op, exc: r.exc, events: r.events.filter((e) => !e.startsWith("el:")), readyState: r.readyState,
    duration: r.duration, buffered: r.buffered, value: r.value };
}

describe("replay scripts in the browser", () => {
  test("a malformed script is a TypeError naming the op, before any op runs", async () => {
    const out = await page.evaluate(async () => {
      const { runScript } = await import("/web/src/replay.js");
      const { video } = h.make("msepy");
      const made = [];
      class Counting extends msepy.MediaSource { constructor() { super(); made.push(this); } }
      const tryRun = async (script) => {
        try {
          for await (const r of runScript(script, { MediaSource: Counting, element: video, load: null })) void r;
          return "ran";
        } catch (e) { return `${e.name}: ${e.message}`; }
      };
      const out = [await tryRun({ ops: [{ op: "add", sb: "v", type: "audio/aac" }, { op: "jump" }] }),
        await tryRun({ ops: [{ op: "append", sb: "v", hex: "00", bytes: [0] }] }),
        await tryRun({ ops: [{ op: "set", attr: "mode", value: "sequence" }] }),
        await tryRun({ ops: [{ op: "remove", sb: "v", start: 0 }] }),
        await tryRun({ opz: [] })];
      video.remove();
      return { out, made: made.length };
    });
    assert.equal(out.made, 0);
    assert.deepEqual(out.out.map((m) => m.split(":")[0]), Array(5).fill("TypeError"));
    assert.match(out.out[0], /op 1 \(jump\): unknown op/);
    assert.match(out.out[3], /op 0 \(remove\): missing field end/);
  });

  for (const name of SCRIPTS) {
    test(`${name}: on msepy, CPython's records; on native MediaSource, the same MSE state`, async () => {
      const records = await runInPage(name, "msepy");
      assert.deepEqual(hostless(records), hostless(golden(name)));
      const native = (await runInPage(name, "native")).map(mseState);
      golden(name).map(mseState).forEach((want, i) => {
        const got = native[i];
        const where = `${name}, op ${i} (${want.op})`;
        assert.deepEqual({ ...got, duration: 0, buffered: 0, value: 0 }, { ...want, duration: 0, buffered: 0, value: 0 }, where);
        assert.ok(near(got.duration, want.duration) && near(got.value, want.value), `${where}: ${JSON.stringify([got, want])}`);
        assert.deepEqual(Object.keys(got.buffered), Object.keys(want.buffered), where);
        for (const k of Object.keys(want.buffered)) assert.ok(near(got.buffered[k], want.buffered[k]), `${where}: ${k} ${JSON.stringify(got.buffered[k])} vs ${JSON.stringify(want.buffered[k])}`);
      });
    });
  }
});

// A player's session (hls.js on msepy's MediaSource, playing the HLS fixture at 4x with
// a seek), recorded by msepy.record() in the page (with the playback positions) and
// replayed by python -m msepy replay: the replay ends where the page did - each
// SourceBuffer's buffered ranges, the element's, the duration and readyState.
describe("msepy.record()", () => {
  test("hls.js's session, recorded in the page, replays in CPython to the state the page saw", async (t) => {
    const own = await env.page();  // (install({force}) below: a page of its own)
    const r = await own.evaluate(async () => {
      const { default: Hls } = await import("/node_modules/hls.js/dist/hls.mjs");
      msepy.install(window, { force: true });
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      // (The MediaSource hls.js attaches to it; with the playback position before each
      // append, as a seek.)
      const rec = msepy.record(video, { positions: true });
      const errors = [];
      const hls = new Hls({ preferManagedMediaSource: false });
      hls.on(Hls.Events.ERROR, (e, d) => errors.push(`${d.details}${d.fatal ? " (fatal)" : ""}`));
      hls.attachMedia(video);
      hls.loadSource("/e2e/fixtures/hls/index.m3u8");
      await new Promise((res) => hls.on(Hls.Events.MANIFEST_PARSED, res));
      video.muted = true;
      video.playbackRate = 4;
      const ended = h.once(video, "ended", 60_000);
      await video.play();
      await new Promise((done) => setTimeout(done, 1500));
      video.currentTime = 25;
      await ended;
      await new Promise((done) => setTimeout(done, 300));
      const ranges = (tr) => Array.from({ length: tr.length }, (_, i) => [tr.start(i), tr.end(i)]);
      const state = { buffered: {}, elBuffered: ranges(video.buffered), duration: rec.mediaSource.duration,
        readyState: rec.mediaSource.readyState };
      for (const [name, sb] of rec.sourceBuffers) state.buffered[name] = ranges(sb.buffered);
      rec.stop();
      hls.destroy();
      video.remove();
      const data = rec.data;
      let binary = "";
      for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
      // (Recording leaves the IDL's function names and lengths as they were.)
      const proto = msepy.SourceBuffer.prototype;
      const idl = [proto.appendBuffer.name, proto.appendBuffer.length, proto.remove.length,
        Object.getOwnPropertyDescriptor(proto, "timestampOffset").set.name];
      return { script: rec.script("session"), data: btoa(binary), state, errors, skipped: rec.skipped, idl };
    });
    await own.close();
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(r.idl, ["appendBuffer", 1, 2, "set timestampOffset"]);
    const ops = r.script.ops.map((o) => o.op);
    for (const op of ["add", "append", "set", "seek", "eos"]) assert.ok(ops.includes(op), `${op} in ${ops.join(",")}`);
    assert.ok(ops.filter((op) => op === "seek").length >= 2, "the positions as seeks, besides the page's own");
    const counts = {};
    for (const op of ops) counts[op] = (counts[op] || 0) + 1;
    t.diagnostic(`${ops.length} ops ${JSON.stringify(counts)}, ${Buffer.from(r.data, "base64").length} bytes; the page ended at ${JSON.stringify(r.state)}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "msepy-record-"));
    fs.writeFileSync(path.join(dir, "session.json"), JSON.stringify(r.script));
    fs.writeFileSync(path.join(dir, "session.bin"), Buffer.from(r.data, "base64"));
    const lines = execFileSync(python, ["-m", "msepy", "replay", path.join(dir, "session.json")],
      { cwd: repo, env: { ...process.env, PYTHONPATH: path.join(repo, "py") }, encoding: "utf8" }).trim().split("\n");
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(lines.length, r.script.ops.length);
    const last = JSON.parse(lines.at(-1));
    const round = (x) => (typeof x === "number" ? Math.round(x * 1e6) / 1e6 : x);
    const roundAll = (v) => (Array.isArray(v) ? v.map(roundAll) : round(v));
    assert.deepEqual(last.buffered, Object.fromEntries(Object.entries(r.state.buffered).map(([k, v]) => [k, roundAll(v)])));
    assert.deepEqual(last.elBuffered, roundAll(r.state.elBuffered));
    assert.equal(last.duration, round(r.state.duration));
    assert.equal(last.readyState, r.state.readyState);
  });
});
