// MediaSource in a dedicated worker: the application's own DedicatedWorker imports
// msepy.js, constructs the MediaSource, posts its MediaSourceHandle to the Window, and
// <msepy-video>.srcObject = handle plays it.  The handle rules; tracks mirrored in the
// Window; a terminated worker leaves buffered and seekable empty.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { repo, setup } from "./lib.mjs";

const H264 = { url: "/e2e/fixtures/frames_h264.mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' };

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(() => {
    // A worker running e2e/fixtures/mse-worker.js; `reply(worker, cmd)` waits for its answer.
    window.startWorker = async () => {
      const worker = new Worker("/e2e/fixtures/mse-worker.js", { type: "module" });
      await window.reply(worker, "loaded");
      return worker;
    };
    window.reply = (worker, cmd, timeout = 60_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker: no ${cmd}`)), timeout);
      worker.addEventListener("message", function on(e) {
        if (e.data.cmd !== cmd && e.data.cmd !== "error") return;
        worker.removeEventListener("message", on);
        clearTimeout(timer);
        if (e.data.cmd === "error") reject(new Error(e.data.message));
        else resolve(e.data);
      });
    });
  });
});
after(async () => { await env?.close(); });

describe("MediaSource in a dedicated worker", () => {
  test("the worker's MediaSource plays in <msepy-video> through its handle; tracks are mirrored", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const worker = await startWorker();
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      const events = [];
      h.record(events, "el", video, ["loadstart", "loadedmetadata", "canplay", "ended", "error"]);
      worker.postMessage({ cmd: "play", url, type });
      const { handle } = await reply(worker, "handle");
      video.srcObject = handle;
      const done = await reply(worker, "log");
      if (video.readyState < 4) await h.once(video, "canplaythrough");
      const ended = h.once(video, "ended", 20_000);
      await video.play();
      await ended;
      const out = {
        isHandle: handle instanceof msepy.MediaSourceHandle, srcObject: video.srcObject === handle,
        tag: Object.prototype.toString.call(handle), worker: done, events,
        tracks: [...video.audioTracks, ...video.videoTracks].map((t) => ({ kind: t.kind, id: t.id, sourceBuffer: t.sourceBuffer, type: t.constructor.name })),
        enabled: video.audioTracks[0]?.enabled, selected: video.videoTracks[0]?.selected,
        t: video.currentTime, d: video.duration, frames: video.getVideoPlaybackQuality().totalVideoFrames,
      };
      worker.terminate();
      video.remove();
      return out;
    }, H264);
    assert.ok(r.isHandle && r.srcObject);
    assert.equal(r.tag, "[object MediaSourceHandle]");
    assert.deepEqual(r.worker.log.slice(0, 7), ["canConstructInDedicatedWorker:true", "sameHandle:true", "supported:true",
      "ms:sourceopen", "sb:updatestart", "sb:update", "sb:updateend"]);
    assert.deepEqual(r.worker.tracks, [{ kind: "AudioTrack", id: "1", ownBuffer: true }, { kind: "VideoTrack", id: "2", ownBuffer: true }]);
    assert.equal(r.worker.readyState, "ended");
    // The Window's mirrors of the worker's tracks: no SourceBuffer in this realm.
    assert.deepEqual(r.tracks, [{ kind: "main", id: "1", sourceBuffer: null, type: "AudioTrack" },
      { kind: "main", id: "2", sourceBuffer: null, type: "VideoTrack" }]);
    assert.ok(r.enabled && r.selected);
    assert.deepEqual(r.events.slice(0, 3), ["el:loadstart", "el:loadedmetadata", "el:canplay"]);
    assert.equal(r.events.at(-1), "el:ended");
    assert.ok(Math.abs(r.d - 4.08) < 0.01 && r.t === r.d, `${r.t} / ${r.d}`);
    assert.ok(r.frames >= 95, `${r.frames} frames`);
  });

  test("a ManagedMediaSource in a worker streams and reports bufferedchange", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const worker = await startWorker();
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      worker.postMessage({ cmd: "play", url, type, managed: true });
      video.srcObject = (await reply(worker, "handle")).handle;
      const done = await reply(worker, "log");
      worker.terminate();
      video.remove();
      return done.log;
    }, H264);
    assert.ok(r.includes("ms:startstreaming") && r.includes("sb:bufferedchange"), r.join(" "));
    assert.ok(r.indexOf("sb:bufferedchange") < r.indexOf("sb:update"), r.join(" "));
  });

  test("handles transfer once, only in the transfer list, never twice nor once assigned", async () => {
    const r = await page.evaluate(async () => {
      const worker = await startWorker();
      worker.postMessage({ cmd: "rules" });
      const inWorker = (await reply(worker, "rules")).results;
      // The Window's copy, once assigned to srcObject, cannot be transferred.
      worker.postMessage({ cmd: "handle" });
      const { handle } = await reply(worker, "handle");
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      video.srcObject = handle;
      await h.once(video, "loadstart");
      let assigned;
      try { worker.postMessage(handle, [handle]); assigned = "ok"; } catch (e) { assigned = e.name; }
      // A handle transferred away from the Window is detached: MEDIA_ERR_SRC_NOT_SUPPORTED.
      worker.postMessage({ cmd: "handle" });
      const second = (await reply(worker, "handle")).handle;
      const channel = new MessageChannel();
      const arrived = new Promise((res) => { channel.port2.onmessage = (e) => res(e.data); });
      channel.port1.postMessage({ second }, [second]);
      const moved = (await arrived).second;
      const other = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(other);
      const failed = h.once(other, "error");
      other.srcObject = second;
      await failed;
      const out = { inWorker, assigned, moved: moved instanceof msepy.MediaSourceHandle && moved !== second,
        detachedError: other.error.code, detachedState: other.networkState };
      worker.terminate();
      video.remove();
      other.remove();
      return out;
    });
    assert.deepEqual(r.inWorker, {
      notInTransferList: "DataCloneError", listedTwice: "DataCloneError", structuredClone: "DataCloneError",
      broadcast: "DataCloneError", first: "ok", again: "DataCloneError", detachedOnAPort: "DataCloneError",
      detachedId: true, windowHandle: true,
    });
    assert.equal(r.assigned, "DataCloneError");
    assert.ok(r.moved);
    assert.equal(r.detachedError, 4);
    assert.equal(r.detachedState, 3);
  });

  test("a terminated worker leaves the element's buffered and seekable empty", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const worker = await startWorker();
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      worker.postMessage({ cmd: "play", url, type });
      video.srcObject = (await reply(worker, "handle")).handle;
      await reply(worker, "log");
      if (video.readyState < 4) await h.once(video, "canplaythrough");
      const before = { buffered: h.ranges(video.buffered), seekable: h.ranges(video.seekable) };
      worker.terminate();
      const t0 = performance.now();
      while ((video.buffered.length || video.seekable.length) && performance.now() - t0 < 10_000) {
        await new Promise((res) => setTimeout(res, 50));
      }
      const out = { before, buffered: h.ranges(video.buffered), seekable: h.ranges(video.seekable),
        error: video.error, networkState: video.networkState };
      video.remove();
      return out;
    }, H264);
    assert.ok(r.before.buffered.length === 1 && r.before.seekable.length === 1, JSON.stringify(r.before));
    assert.deepEqual(r.buffered, []);
    assert.deepEqual(r.seekable, []);
    assert.equal(r.error, null);
  });

  test("canConstructInDedicatedWorker is true; the page side never disagreed with the engine", async () => {
    const r = await page.evaluate(() => ({
      can: msepy.MediaSource.canConstructInDedicatedWorker && msepy.ManagedMediaSource.canConstructInDedicatedWorker,
      mismatches: msepy.engine.stats.mismatches || 0,
    }));
    assert.ok(r.can);
    assert.equal(r.mismatches, 0, page.logs.filter((l) => l.includes("the page side")).join("\n"));
  });
});

// (Last: the engine numbers tracks page-wide, and the tests above read their ids.)
describe("msepy.record() in a dedicated worker", () => {
  test("msepy.record() in the worker: its session replays in CPython to the worker's state", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const worker = await startWorker();
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      worker.postMessage({ cmd: "play", url, type, record: true });
      video.srcObject = (await reply(worker, "handle")).handle;
      const done = await reply(worker, "log");
      worker.terminate();
      video.remove();
      let binary = "";
      for (let i = 0; i < done.data.length; i += 0x8000) binary += String.fromCharCode(...done.data.subarray(i, i + 0x8000));
      return { script: done.script, data: btoa(binary), buffered: done.buffered, duration: done.duration, readyState: done.readyState };
    }, H264);
    assert.deepEqual(r.script.ops.map((o) => o.op), ["add", "append", "eos"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "msepy-worker-"));
    fs.writeFileSync(path.join(dir, "session.json"), JSON.stringify(r.script));
    fs.writeFileSync(path.join(dir, "session.bin"), Buffer.from(r.data, "base64"));
    const python = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
    const last = JSON.parse(execFileSync(python, ["-m", "msepy", "replay", path.join(dir, "session.json")],
      { cwd: repo, env: { ...process.env, PYTHONPATH: path.join(repo, "py") }, encoding: "utf8" }).trim().split("\n").at(-1));
    fs.rmSync(dir, { recursive: true, force: true });
    const round = (x) => Math.round(x * 1e6) / 1e6;
    assert.deepEqual(last.buffered.sb0, r.buffered.map(([s, e]) => [round(s), round(e)]));
    assert.equal(last.duration, round(r.duration));
    assert.equal(last.readyState, r.readyState);
  });
});
