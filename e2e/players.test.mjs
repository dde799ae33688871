// Real DASH players on msepy's ManagedMediaSource with <msepy-video> as their media
// element: dash.js and shaka-player each prefer ManagedMediaSource where the window has
// one (msepy.install() defines it: Chromium lacks it), fetch e2e/fixtures/dash/ and play
// it to the end.  (hls.js is e2e/managed.test.mjs's.)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./lib.mjs";

const MPD = "/e2e/fixtures/dash/index.mpd";

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
});
after(async () => { await env?.close(); });

// In the page: msepy's ManagedMediaSource as the global, wrapped so the test sees every
// instance the player constructs and its streaming and bufferedchange events; the player
// on a <msepy-video>, muted at 4x to the end; what happened.
async function playThrough(page, playerName) {
  return page.evaluate(async ({ playerName, mpd }) => {
    msepy.install();
    const Managed = window.ManagedMediaSource;
    const created = [], log = [], errors = [];
    let changes = 0;
    // Streaming and bufferedchange as the player's ManagedMediaSource reports them.
    window.ManagedMediaSource = class extends Managed {
      constructor() {
        super();
        created.push(this);
        for (const t of ["startstreaming", "endstreaming"]) this.addEventListener(t, () => log.push(t));
        this.sourceBuffers.addEventListener("addsourcebuffer", () => {
          for (const sb of this.sourceBuffers) sb.onbufferedchange = () => { changes += 1; };
        });
      }
    };
    const video = document.createElement(msepy.ELEMENT_TAG);
    document.body.append(video);
    const script = (src) => new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(s);
    });

    let destroy, playerEnded = null;
    if (playerName === "dash.js") {
      const dashjs = await import("/node_modules/dashjs/dist/modern/esm/dash.all.min.js");
      const player = dashjs.MediaPlayer().create();
      player.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
      player.on(dashjs.MediaPlayer.events.ERROR, (e) => errors.push(JSON.stringify(e.error)));
      player.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (e) => errors.push(`playback: ${e.error}`));
      const initialized = new Promise((res) => player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, res));
      // dash.js's own end: after the element's `ended`, or - when its 200 ms check
      // finds the position past the MPD's end (40.0; the audio runs to 40.008) before
      // the element's `ended` has come, as it may with a native element too - after it
      // seeked to the period's end and paused ("PLAYBACK_ENDED but native video element
      // didn't fire ended").
      playerEnded = new Promise((res) => player.on(dashjs.MediaPlayer.events.PLAYBACK_ENDED, () => res({
        t: video.currentTime, ended: video.ended, paused: video.paused })));
      player.initialize(video, mpd, false);
      await initialized;
      destroy = () => player.destroy();
    } else {
      await script("/node_modules/shaka-player/dist/shaka-player.compiled.js");
      shaka.polyfill.installAll();
      if (!shaka.Player.isBrowserSupported()) throw new Error("shaka: browser not supported");
      const player = new shaka.Player();
      player.addEventListener("error", (e) => errors.push(`shaka ${e.detail.code}: ${e.detail.message || ""}`));
      await player.attach(video);
      await player.load(mpd);
      destroy = () => player.destroy();
    }
    video.muted = true;
    video.playbackRate = 4;
    const ended = playerEnded
      ? Promise.race([playerEnded, new Promise((_, reject) => setTimeout(() => reject(new Error("dash.js did not end")), 90_000))])
      : h.once(video, "ended", 90_000);
    await video.play();
    const end = await ended;
    const out = {
      end: playerEnded ? end : null,
      created: created.length, managed: created.every((m) => m instanceof msepy.ManagedMediaSource),
      names: [video.nodeName, video.localName], remote: video.disableRemotePlayback, log, errors, changes,
      t: video.currentTime, d: video.duration, frames: video.getVideoPlaybackQuality().totalVideoFrames,
      mediaError: video.error && `${video.error.code}: ${video.error.message}`,
    };
    await destroy();
    video.remove();
    window.ManagedMediaSource = Managed;
    return out;
  }, { playerName, mpd: new URL(MPD, env.server.url).href });
}

function check(r) {
  assert.equal(r.created, 1, "the player constructed one ManagedMediaSource");
  assert.ok(r.managed, "msepy's ManagedMediaSource");
  // dash.js takes a media element whose nodeName is VIDEO or AUDIO; the DOM's name stays.
  assert.deepEqual(r.names, ["VIDEO", "msepy-video"]);
  assert.equal(r.remote, true, "a ManagedMediaSource player disables remote playback");
  assert.deepEqual(r.errors, []);
  assert.equal(r.mediaError, null);
  assert.equal(r.log[0], "startstreaming", JSON.stringify(r.log));
  assert.ok(r.log.includes("endstreaming"), JSON.stringify(r.log));
  assert.ok(r.changes >= 10, `${r.changes} bufferedchange events`);
  if (r.end && !r.end.ended) {
    // dash.js ended it itself: the position had passed the MPD's end, where it seeked.
    assert.ok(r.end.t === 40 && r.end.paused, JSON.stringify(r.end));
  } else {
    assert.ok(Math.abs(r.d - 40) < 0.2 && r.t === r.d, `${r.t} / ${r.d}`);
  }
  assert.ok(r.frames > 550, `${r.frames} frames`);
}

describe("DASH players on ManagedMediaSource and <msepy-video>", () => {
  test("dash.js prefers ManagedMediaSource and plays the MPD to the end", async () => {
    const r = await playThrough(page, "dash.js");
    check(r);
  });

  test("shaka-player prefers ManagedMediaSource and plays the MPD to the end", async () => {
    const r = await playThrough(page, "shaka");
    check(r);
  });

  test("detaching closes the MediaSource at once: a later removeSourceBuffer() throws NotFoundError", async () => {
    // What dash.js's reset does: removeAttribute("src") + load(), then (a microtask
    // later) removeSourceBuffer() for each of its SourceBuffers, as natively.
    const r = await page.evaluate(async (init) => {
      const video = document.createElement(msepy.ELEMENT_TAG);
      document.body.append(video);
      const ms = new msepy.ManagedMediaSource();
      await h.open(video, ms);
      const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.4d400a"');
      await h.append(sb, await h.bytes(init));
      const closed = h.once(ms, "sourceclose");
      video.removeAttribute("src");
      video.load();
      const now = { readyState: ms.readyState, duration: ms.duration, buffers: ms.sourceBuffers.length,
        active: ms.activeSourceBuffers.length };
      const thrown = (fn) => { try { fn(); return null; } catch (e) { return e.name; } };
      const remove = thrown(() => ms.removeSourceBuffer(sb));
      const append = thrown(() => sb.appendBuffer(new Uint8Array(8)));
      await closed;
      const later = { readyState: ms.readyState, buffers: ms.sourceBuffers.length };
      video.remove();
      return { now, remove, append, later };
    }, "/e2e/fixtures/dash/init-0.mp4");
    assert.deepEqual(r, {
      now: { readyState: "closed", duration: NaN, buffers: 0, active: 0 },
      remove: "NotFoundError", append: "InvalidStateError",
      later: { readyState: "closed", buffers: 0 },
    });
  });

  test("the page side never disagreed with the engine", async () => {
    const mismatches = await page.evaluate(() => msepy.engine.stats.mismatches || 0);
    assert.equal(mismatches, 0, page.logs.filter((l) => l.includes("the page side")).join("\n"));
  });
});
