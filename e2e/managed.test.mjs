// ManagedMediaSource on <msepy-video>: the MDN example as written, streaming and
// bufferedchange as they happen, the user agent's eviction (memory pressure, a hidden
// page, the byte budget), and hls.js preferring ManagedMediaSource.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./lib.mjs";

const MANAGED = { url: "/e2e/fixtures/managed.mp4", type: 'video/mp4; codecs="avc1.64001f,mp4a.40.2"' };

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
});
after(async () => { await env?.close(); });

describe("ManagedMediaSource", () => {
  test("the MDN example works as written, with <msepy-video> in place of <video>", async () => {
    const mdn = await env.page("/e2e/fixtures/managed-mdn.html");
    await mdn.waitForFunction(() => /endstreaming/.test(document.querySelector("#log").textContent), null, { timeout: 30_000 });
    const r = await mdn.evaluate(() => ({
      log: document.querySelector("#log").textContent.trim().split("\n"),
      installed: window.ManagedMediaSource === msepy.ManagedMediaSource,
      remote: document.querySelector("msepy-video").disableRemotePlayback,
      readyState: document.querySelector("msepy-video").readyState,
    }));
    await mdn.close();
    assert.ok(r.installed, "install() defines ManagedMediaSource (Chromium lacks it)");
    assert.equal(r.log[0], "startstreaming — fetching media data…");
    assert.ok(r.log.includes("canplay — video is ready"), r.log.join("\n"));
    assert.ok(r.log.includes("endstreaming — enough data buffered"), r.log.join("\n"));
    assert.ok(r.log.some((l) => /^Buffered: 0\.00s – 6\.\d\ds$/.test(l)), r.log.join("\n"));
    assert.equal(r.remote, true);
    assert.equal(r.readyState, 4);
  });

  test("streaming and bufferedchange as they happen; eviction under memory pressure and when hidden", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      const ms = new msepy.ManagedMediaSource();
      const log = [];
      for (const t of ["sourceopen", "startstreaming", "endstreaming"]) ms.addEventListener(t, () => log.push(`${t}:${ms.streaming}`));
      await h.open(video, ms);
      await new Promise((res) => setTimeout(res, 0));
      const sb = ms.addSourceBuffer(type);
      const changes = [];
      sb.onbufferedchange = (e) => changes.push({
        cls: e instanceof msepy.BufferedChangeEvent, added: h.ranges(e.addedRanges), removed: h.ranges(e.removedRanges),
        buffered: h.ranges(sb.buffered), updating: sb.updating,
      });
      const ended = h.once(ms, "endstreaming");
      await h.append(sb, await h.bytes(url));
      await ended;
      const afterAppend = { streaming: ms.streaming, managedBuffer: sb instanceof msepy.ManagedSourceBuffer };
      // Memory pressure: what lies before the GOP at the current position goes.
      video.currentTime = 3.5;
      await h.once(video, "seeked");
      let change = h.once(sb, "bufferedchange");
      msepy.memoryPressure();
      await change;
      // A hidden page is under memory pressure.
      video.currentTime = 5.2;
      await h.once(video, "seeked");
      change = h.once(sb, "bufferedchange");
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
      await change;
      delete document.visibilityState;
      const out = { log, changes, afterAppend, buffered: h.ranges(sb.buffered) };
      video.remove();
      return out;
    }, MANAGED);
    assert.deepEqual(r.log, ["sourceopen:true", "startstreaming:true", "endstreaming:false"]);
    assert.deepEqual(r.afterAppend, { streaming: false, managedBuffer: true });
    assert.equal(r.changes.length, 3, JSON.stringify(r.changes));
    const [append, pressure, hidden] = r.changes;
    assert.ok(append.cls && append.removed.length === 0 && append.added.length === 1);
    assert.deepEqual(append.added, append.buffered, "buffered reads the new ranges in the listener");
    assert.equal(append.added[0][0], 0);
    assert.ok(Math.abs(append.added[0][1] - 6.08) < 0.05, `${append.added[0][1]}`);
    // Keyframes every second: the GOP holding the position stays (the audio track's
    // removal ends at its next frame boundary, a little later).
    const near = (x, y) => Math.abs(x - y) < 0.1;
    assert.deepEqual(pressure.added, []);
    assert.ok(pressure.removed.length === 1 && pressure.removed[0][0] === 0 && near(pressure.removed[0][1], 3), JSON.stringify(pressure));
    assert.ok(hidden.removed.length === 1 && near(hidden.removed[0][0], 3) && near(hidden.removed[0][1], 5), JSON.stringify(hidden));
    assert.ok(near(r.buffered[0][0], 5), JSON.stringify(r.buffered));
  });

  test("over the byte budget the engine evicts behind the playhead by itself", async () => {
    const r = await page.evaluate(async ({ url, type }) => {
      msepy.setManagedMemoryBudget(1);
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      const ms = new msepy.ManagedMediaSource();
      await h.open(video, ms);
      const sb = ms.addSourceBuffer(type);
      const removed = [];
      sb.addEventListener("bufferedchange", (e) => { if (e.removedRanges.length) removed.push(h.ranges(e.removedRanges)); });
      await h.append(sb, await h.bytes(url));
      video.currentTime = 2.5;
      await h.once(video, "seeked");
      await new Promise((res) => setTimeout(res, 300));
      msepy.setManagedMemoryBudget(256 * 1024 * 1024);
      const out = { removed, buffered: h.ranges(sb.buffered) };
      video.remove();
      return out;
    }, MANAGED);
    assert.equal(r.removed.length, 1, JSON.stringify(r.removed));
    assert.ok(r.removed[0][0][0] === 0 && Math.abs(r.removed[0][0][1] - 2) < 0.1, JSON.stringify(r.removed));
    assert.ok(Math.abs(r.buffered[0][0] - 2) < 0.1);
  });

  test("hls.js with preferManagedMediaSource plays on msepy's ManagedMediaSource", async () => {
    const r = await page.evaluate(async () => {
      const { default: Hls } = await import("/node_modules/hls.js/dist/hls.mjs");
      msepy.install();  // ManagedMediaSource where the browser lacks it
      const Managed = window.ManagedMediaSource;
      const created = [];
      window.ManagedMediaSource = class extends Managed { constructor() { super(); created.push(this); } };
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      const log = [], errors = [];
      let changes = 0;
      const hls = new Hls({ preferManagedMediaSource: true });
      hls.on(Hls.Events.ERROR, (e, d) => errors.push(`${d.details}${d.fatal ? " (fatal)" : ""}`));
      hls.on(Hls.Events.MEDIA_ATTACHED, () => {
        const ms = created[0];
        for (const t of ["startstreaming", "endstreaming"]) ms.addEventListener(t, () => log.push(t));
        // (hls.js reports MEDIA_ATTACHED at sourceopen, before adding SourceBuffers.)
        ms.sourceBuffers.addEventListener("addsourcebuffer", () => {
          for (const sb of ms.sourceBuffers) sb.onbufferedchange = () => { changes += 1; };
        });
      });
      hls.attachMedia(video);
      hls.loadSource("/e2e/fixtures/hls/index.m3u8");
      await new Promise((res) => hls.on(Hls.Events.MANIFEST_PARSED, res));
      video.muted = true;
      video.playbackRate = 4;
      const ended = h.once(video, "ended", 60_000);
      await video.play();
      await ended;
      const out = { created: created.length, managed: created[0] instanceof msepy.ManagedMediaSource, log, errors, changes,
        t: video.currentTime, d: video.duration, frames: video.getVideoPlaybackQuality().totalVideoFrames,
        forced: hls.config.preferManagedMediaSource };
      hls.destroy();
      video.remove();
      window.ManagedMediaSource = Managed;
      return out;
    });
    assert.equal(r.created, 1);
    assert.ok(r.managed && r.forced);
    assert.deepEqual(r.errors, []);
    // Streams until 30 s are ahead, pauses, resumes under 10 s ahead, ends at the end.
    assert.deepEqual(r.log, ["startstreaming", "endstreaming", "startstreaming", "endstreaming"]);
    assert.ok(r.changes >= 10, `${r.changes} bufferedchange events`);
    assert.ok(Math.abs(r.d - 40) < 0.2 && r.t === r.d, `${r.t} / ${r.d}`);
    assert.ok(r.frames > 550, `${r.frames} frames`);
  });

  test("the page side never disagreed with the engine", async () => {
    const mismatches = await page.evaluate(() => msepy.engine.stats.mismatches || 0);
    assert.equal(mismatches, 0, page.logs.filter((l) => l.includes("the page side")).join("\n"));
  });
});
