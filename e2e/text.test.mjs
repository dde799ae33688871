// Timed text through <msepy-video>: WebVTT in fragmented MP4 (wvtt) and in WebM become
// TextTracks whose cues follow the track buffer; activeCues and cuechange follow the
// position; the cues of "showing" tracks are drawn over the video at their times.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./lib.mjs";

// tests/fixtures/text/subs.vtt: what every text fixture carries.
const SUBS = [
  { id: "intro", start: 0, end: 0.8, text: "Hello world" },
  { id: "", start: 0.5, end: 1.2, text: "Overlapping\nsecond line" },
  { id: "last", start: 1.5, end: 1.9, text: "Grüße ♪" },
];
const at = (t) => SUBS.filter((c) => c.start <= t && t < c.end).map((c) => c.text);

const FIXTURES = [
  { name: "WebVTT in fragmented MP4 (wvtt), beside an H.264 SourceBuffer",
    text: { url: "/tests/fixtures/text/wvtt.mp4", type: 'video/mp4; codecs="wvtt"' },
    video: { url: "/e2e/fixtures/frames_h264.mp4", type: 'video/mp4; codecs="avc1.64000c,mp4a.40.2"' } },
  { name: "WebVTT in WebM (D_WEBVTT), muxed with VP8",
    text: { url: "/tests/fixtures/text/webvtt.webm", type: 'video/webm; codecs="vp8"' } },
  { name: "Matroska S_TEXT/WEBVTT, text only",
    text: { url: "/tests/fixtures/text/s_text.mkv", type: "video/webm" } },
];

let env, page;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(() => {
    // Loads the fixture (and the video beside it), ends the stream, shows the track.
    window.loadText = async ({ text, video }) => {
      const p = h.make("msepy");
      p.video.style.width = "640px";
      p.video.style.height = "360px";
      await h.open(p.video, p.ms);
      if (video) {
        const vsb = p.ms.addSourceBuffer(video.type);
        await h.append(vsb, await h.bytes(video.url));
      }
      p.sb = p.ms.addSourceBuffer(text.type);
      await h.append(p.sb, await h.bytes(text.url));
      p.ms.endOfStream();
      p.track = [...p.video.textTracks].find((t) => t.sourceBuffer === p.sb);
      p.track.mode = "showing";
      return p;
    };
    // The overlay's cue texts, lowest start time first.
    window.overlay = (video) => [...video.shadowRoot.querySelectorAll("[part~=cue]")]
      .sort((a, b) => a.dataset.start - b.dataset.start || (a.dataset.id ? -1 : 1))
      .map((d) => d.textContent);
    window.frames = (n = 2) => new Promise((r) => { const f = () => (--n ? requestAnimationFrame(f) : r()); requestAnimationFrame(f); });
  });
});
after(async () => { await env?.close(); });

describe("timed text", () => {
  for (const fx of FIXTURES) {
    test(`${fx.name}: the overlay at t shows the cues active at t (seeks)`, async () => {
      const times = [0, 0.3, 0.499, 0.5, 0.79, 0.8, 1.0, 1.199, 1.2, 1.4, 1.5, 1.7, 1.899];
      const seen = await page.evaluate(async ({ fx, times }) => {
        const p = await loadText(fx);
        const out = [];
        for (const t of times) {
          const seeked = h.once(p.video, "seeked");
          p.video.currentTime = t;
          await seeked;
          await frames();
          out.push([t, overlay(p.video), [...p.track.activeCues].map((c) => c.startTime)]);
        }
        p.video.remove();
        return out;
      }, { fx, times });
      for (const [t, shown, active] of seen) {
        assert.deepEqual(shown, at(t), `overlay at ${t}`);
        assert.deepEqual(active, SUBS.filter((c) => c.start <= t && t < c.end).map((c) => c.start), `activeCues at ${t}`);
      }
    });
  }

  for (const fx of FIXTURES.slice(0, 2)) {
    test(`${fx.name}: during playback the overlay follows the clock; enter, exit and cuechange in order`, async () => {
      const r = await page.evaluate(async (fx) => {
        const p = await loadText(fx);
        const samples = [], changes = [];
        await new Promise((r) => setTimeout(r, 200));   // the mode change's own cuechange
        p.track.addEventListener("cuechange", () => {
          changes.push([p.video.currentTime, [...p.track.activeCues].map((c) => c.id)]);
          order.push("cuechange");
        });
        // The cues' own enter and exit (fired at the page's cue objects), before their
        // track's cuechange.
        const order = [];
        for (const cue of p.track.cues) {
          cue.onenter = () => order.push(`enter ${cue.id}`);
          cue.onexit = () => order.push(`exit ${cue.id}`);
        }
        await p.video.play();
        while (p.video.currentTime < 2.0 && !p.video.ended) {
          await frames(1);
          samples.push([p.video._renderer.position, overlay(p.video)]);
        }
        p.video.pause();
        p.video.remove();
        return { samples, changes, order };
      }, fx);
      assert.deepEqual(r.order, ["enter ", "cuechange", "exit intro", "cuechange", "exit ", "cuechange",
        "enter last", "cuechange", "exit last", "cuechange"]);
      assert.ok(r.samples.length > 40, `${r.samples.length} samples`);
      for (const [t, shown] of r.samples) assert.deepEqual(shown, at(t), `overlay at ${t}`);
      // Every boundary, once, in order; each soon after its time (the renderer reports
      // the position as it crosses a cue boundary).
      assert.deepEqual(r.changes.map(([, ids]) => ids), [["intro", ""], [""], [], ["last"], []]);
      r.changes.forEach(([t], i) => {
        const boundary = [0.5, 0.8, 1.2, 1.5, 1.9][i];
        assert.ok(t >= boundary - 1e-6 && t < boundary + 0.1, `cuechange ${i} at ${t}, boundary ${boundary}`);
      });
    });
  }

  test("TextTrack API: cues, activeCues, mode from the page, the same track in both lists", async () => {
    const r = await page.evaluate(async () => {
      const p = h.make("msepy");
      await h.open(p.video, p.ms);
      const added = h.once(p.video.textTracks, "addtrack");
      const sb = p.ms.addSourceBuffer("video/webm");
      await h.append(sb, await h.bytes("/tests/fixtures/text/captions.webm"));  // FlagDefault 0
      const event = await added;
      const track = p.video.textTracks[0];
      const out = {
        same: sb.textTracks[0] === track && event.track === track && track.sourceBuffer === sb,
        kind: track.kind, mode: track.mode, cuesWhileDisabled: track.cues, activeWhileDisabled: track.activeCues,
        active: p.ms.activeSourceBuffers.length,
      };
      const shownAt0 = h.once(track, "cuechange");   // intro, active at 0
      track.mode = "hidden";
      out.cuesAtOnce = track.cues && track.cues.length;
      await h.once(p.ms.activeSourceBuffers, "addsourcebuffer");
      await shownAt0;
      out.activeAt0 = [...track.activeCues].map((c) => c.id);
      out.activeAfter = p.ms.activeSourceBuffers.length;
      const cues = track.cues;
      out.sameList = cues === track.cues;
      out.cue = { isVTTCue: cues[0] instanceof VTTCue, id: cues[0].id, start: cues[0].startTime, end: cues[0].endTime,
        text: cues[0].text, line: cues[0].line, snap: cues[0].snapToLines, align: cues[0].align, track: cues[0].track === track,
        html: cues[0].getCueAsHTML().textContent };
      out.byId = cues.getCueById("last")?.text;
      out.position = cues.getCueById("last")?.position;
      out.sameCue = track.cues[0] === cues[0];
      const change = h.once(track, "cuechange");
      let handler = 0;
      track.oncuechange = () => { handler += 1; };
      p.video.currentTime = 0.6;
      await change;
      out.activeIds = [...track.activeCues].map((c) => c.id);
      out.activeSame = track.activeCues[0] === cues[0];
      out.handler = handler;
      out.drawnWhileHidden = overlay(p.video).length;
      try { track.addCue(new VTTCue(0, 1, "x")); out.addCue = "no"; } catch (e) { out.addCue = e.name; }
      track.mode = "disabled";
      out.cuesDisabled = track.cues;
      await h.once(p.ms.activeSourceBuffers, "removesourcebuffer");
      p.video.remove();
      return out;
    });
    assert.equal(r.same, true);
    assert.equal(r.kind, "captions");
    assert.equal(r.mode, "disabled");
    assert.equal(r.cuesWhileDisabled, null);
    assert.equal(r.activeWhileDisabled, null);
    assert.equal(r.active, 0);
    assert.equal(r.cuesAtOnce, 3);
    assert.equal(r.activeAfter, 1);
    assert.equal(r.sameList, true);
    assert.deepEqual(r.cue, { isVTTCue: true, id: "intro", start: 0, end: 0.8, text: "Hello <b>world</b>", line: 10,
      snap: false, align: "start", track: true, html: "Hello world" });
    assert.equal(r.byId, "Grüße ♪");
    assert.equal(r.position, 20);
    assert.equal(r.sameCue, true);
    assert.deepEqual(r.activeAt0, ["intro"]);
    assert.deepEqual(r.activeIds, ["intro", ""]);
    assert.equal(r.activeSame, true);
    assert.equal(r.handler, 1);
    assert.equal(r.drawnWhileHidden, 0);
    assert.equal(r.addCue, "NotSupportedError");
    assert.equal(r.cuesDisabled, null);
  });

  test("remove() takes cues out of the list, the active cues and the overlay", async () => {
    const r = await page.evaluate(async () => {
      const p = await loadText({ text: { url: "/tests/fixtures/text/wvtt.mp4", type: 'video/mp4; codecs="wvtt"' } });
      const seeked = h.once(p.video, "seeked");
      p.video.currentTime = 1.6;
      await seeked;
      await frames();
      const before = { n: p.track.cues.length, shown: overlay(p.video) };
      const change = h.once(p.track, "cuechange");
      p.sb.remove(1.5, 1.9);
      await h.once(p.sb, "updateend");
      await change;
      await frames();
      const out = { before, n: p.track.cues.length, active: p.track.activeCues.length, shown: overlay(p.video) };
      p.video.remove();
      return out;
    });
    assert.deepEqual(r.before, { n: 3, shown: ["Grüße ♪"] });
    assert.deepEqual([r.n, r.active, r.shown], [2, 0, []]);
  });

  test("vertical cues are laid out vertically: rl from the right edge, lr at line 0 with its position and size", async () => {
    // tests/fixtures/text/vertical.webm: "rl" (vertical:rl) and "lr" (vertical:lr line:0
    // position:10% size:50% align:start), both from 0 to 1 s.
    const r = await page.evaluate(async () => {
      const p = await loadText({ text: { url: "/tests/fixtures/text/vertical.webm", type: "video/webm" } });
      await frames();
      const area = p.video.shadowRoot.querySelector("[part~=cues]").getBoundingClientRect();
      const box = (id) => {
        const d = p.video.shadowRoot.querySelector(`[part~=cue][data-id="${id}"]`);
        const b = d.getBoundingClientRect();
        return { mode: getComputedStyle(d).writingMode, left: b.left - area.left, right: area.right - b.right,
          top: b.top - area.top, width: b.width, height: b.height, text: d.textContent };
      };
      const cue = [...p.track.cues].find((c) => c.id === "rl");
      const out = { area: [area.width, area.height], rl: box("rl"), lr: box("lr"), vertical: cue.vertical };
      p.video.remove();
      return out;
    });
    const [W, H] = r.area;
    assert.equal(r.vertical, "rl");
    assert.deepEqual([r.rl.mode, r.rl.text], ["vertical-rl", "縦書き"]);
    assert.ok(r.rl.height > r.rl.width, `rl box ${r.rl.width}x${r.rl.height}`);
    assert.ok(Math.abs(r.rl.right - 0.02 * W) < 2, `rl box ${r.rl.right}px from the right edge`);
    assert.deepEqual([r.lr.mode, r.lr.text], ["vertical-lr", "左から"]);
    assert.ok(Math.abs(r.lr.left) < 1, `lr box at ${r.lr.left}px from the left edge (line 0)`);
    assert.ok(Math.abs(r.lr.top - 0.1 * H) < 1, `lr box top ${r.lr.top}px (position 10%)`);
    assert.ok(Math.abs(r.lr.height - 0.5 * H) < 1, `lr box height ${r.lr.height}px (size 50%)`);
  });
});

// HTML addTextTrack(): what hls.js does for ID3 timed metadata, CEA-608 captions and
// subtitle playlists (renderTextTracksNatively) - a track of the page's own whose cues
// it adds.  The same calls on a native <video> and on <msepy-video>, compared.
describe("addTextTrack(): the page's own text tracks, as a native <video>", () => {
  test("kind, mode, cue order, addCue/removeCue, activeCues and cuechange", async () => {
    const out = await page.evaluate(async () => {
      const data = await h.bytes("/tests/fixtures/mp4/h264_aac.mp4");
      const res = {};
      for (const impl of ["native", "msepy"]) {
        const r = res[impl] = {};
        const { video, ms } = h.make(impl);
        video.muted = true;
        const log = [];
        const error = (f) => { try { f(); return "ok"; } catch (e) { return e.name; } };
        video.textTracks.addEventListener("addtrack", (e) => log.push(`addtrack ${e.track.kind}`));
        video.textTracks.addEventListener("change", () => log.push("change"));
        const t = video.addTextTrack("metadata", "id3", "en");
        r.made = [video.textTracks.length, video.textTracks[0] === t, t.mode, t.kind, t.label, t.language, t.id, t.cues.length];
        t.addEventListener("cuechange", () => log.push(`cuechange ${[...t.activeCues].map((c) => c.text)}`));
        const one = new VTTCue(0.5, 1.5, "one"), two = new VTTCue(0, 3, "two"), three = new VTTCue(0.5, 2.5, "three");
        for (const c of [one, two, three]) t.addCue(c);
        r.order = [...t.cues].map((c) => c.text);
        r.cueTrack = one.track === t;
        r.errors = [error(() => t.removeCue(new VTTCue(0, 1, "x"))), error(() => t.addCue({})),
          error(() => video.addTextTrack("lyrics")), error(() => video.addTextTrack())];
        const t2 = video.addTextTrack("subtitles");
        t2.addCue(one);  // moves it (HTML addCue 1)
        r.moved = [video.textTracks.length, t.cues.length, t2.cues.length, one.track === t2];
        await h.open(video, ms);
        const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64000b,mp4a.40.2"');
        await h.append(sb, data);
        ms.endOfStream();
        await new Promise((done) => setTimeout(done, 300));
        r.beforePlaying = [...t.activeCues].map((c) => c.text);  // the show poster flag
        video.currentTime = 1.0;
        await h.once(video, "seeked");
        await new Promise((done) => setTimeout(done, 300));
        r.at1 = [[...t.activeCues].map((c) => c.text), [...t2.activeCues].map((c) => c.text)];
        t.removeCue(three);
        await new Promise((done) => setTimeout(done, 300));
        r.removed = [t.cues.length, [...t.activeCues].map((c) => c.text), three.track];
        t.mode = "disabled";
        r.disabled = [t.cues, t.activeCues];
        t.mode = "showing"; t.mode = "showing"; t.mode = "bogus";  // one change; an invalid value is ignored
        r.mode = t.mode;
        await new Promise((done) => setTimeout(done, 100));
        r.log = log;
        video.remove();
      }
      return res;
    });
    assert.deepEqual(out.native.made, [1, true, "hidden", "metadata", "id3", "en", "", 0]);
    assert.deepEqual(out.native.order, ["two", "three", "one"]);
    assert.deepEqual(out.native.at1, [["two", "three"], ["one"]]);
    assert.deepEqual(out.msepy, out.native);
  });

  // HTML time marches on: enter and exit at the cues, then cuechange at the track, in
  // time order; a cue too short for any position report between two ("missed") still
  // enters and exits; pauseOnExit pauses the element as its cue exits.
  test("while playing: enter, exit and cuechange in order, a missed cue, pauseOnExit", async (t) => {
    const out = await page.evaluate(async () => {
      const data = await h.bytes("/tests/fixtures/mp4/h264_aac.mp4");
      const res = {};
      for (const impl of ["native", "msepy"]) {
        const r = res[impl] = {};
        const { video, ms } = h.make(impl);
        video.muted = true;
        await h.open(video, ms);
        const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64000b,mp4a.40.2"');
        await h.append(sb, data);
        ms.endOfStream();
        const t = video.addTextTrack("metadata", "marks");
        const log = [];
        t.addEventListener("cuechange", () => log.push(`cuechange ${[...t.activeCues].map((c) => c.text)}`));
        const cues = [new VTTCue(0.2, 0.4, "A"), new VTTCue(0.3, 0.5, "B"), new VTTCue(0.6, 0.6005, "short"),
          new VTTCue(0.8, 1.0, "C")];
        cues[3].pauseOnExit = true;
        for (const cue of cues) {
          cue.onenter = () => log.push(`enter ${cue.text}`);
          cue.addEventListener("exit", () => log.push(`exit ${cue.text}`));
          t.addCue(cue);
        }
        const paused = h.once(video, "pause", 5000);
        await video.play();
        await paused;
        r.pausedAt = Math.abs(video.currentTime - 1.0) < 0.1;
        await new Promise((done) => setTimeout(done, 200));
        r.log = log;
        r.active = [...t.activeCues].map((c) => c.text);
        video.remove();
      }
      return res;
    });
    t.diagnostic(`native: ${out.native.log.join(" | ")}; msepy: ${out.msepy.log.join(" | ")}`);
    assert.deepEqual(out.native.log.slice(0, 4), ["enter A", "cuechange A", "enter B", "cuechange A,B"]);
    assert.ok(out.native.log.includes("exit short") && out.native.pausedAt);
    // The 0.5 ms cue is missed (entered and exited in one run) unless a position report
    // happens to fall inside it - then it is active for a moment: either is HTML's.
    const alike = (r) => ({ ...r, log: r.log.join(" | ").replace("enter short | cuechange short | exit short", "enter short | exit short") });
    assert.deepEqual(alike(out.msepy), alike(out.native));
  });

  // HTML internal play steps 3.2: play() clears the show poster flag and runs time
  // marches on, before it queues play.
  test("play(): a cue at 0 enters before play and playing, as native", async () => {
    const out = await page.evaluate(async () => {
      const res = {};
      for (const impl of ["native", "msepy"]) {
        const p = await h.load(impl, "/tests/fixtures/mp4/h264_aac.mp4", 'video/mp4; codecs="avc1.64000b,mp4a.40.2"');
        p.video.muted = true;
        const t = p.video.addTextTrack("metadata");
        const log = [];
        const cue = new VTTCue(0, 1, "first");
        cue.onenter = () => log.push("enter");
        t.addCue(cue);
        t.oncuechange = () => log.push("cuechange");
        p.video.onplay = () => log.push("play");
        p.video.onplaying = () => log.push("playing");
        await new Promise((done) => setTimeout(done, 300));
        log.push("play()");
        await p.video.play();
        await new Promise((done) => setTimeout(done, 300));
        p.video.pause();
        res[impl] = log.join(" ");
        p.video.remove();
      }
      return res;
    });
    assert.equal(out.native, "play() enter cuechange play playing");
    assert.equal(out.msepy, out.native);
  });

  // hls.js bounds an ID3 cue's endTime (Infinity) once the next one comes, on cues
  // already in the track.  HTML: each setter keeps the list in cue order and runs "time
  // marches on" with the new time.  This Chromium instead takes the cue out of its
  // timeline (no event) and puts it back: a cue that ends before the position leaves
  // with no cuechange, one that stays active fires one, and so do id and text changes.
  test("a cue's startTime and endTime set while it is listed: cue order, activeCues, cuechange", async () => {
    const out = await page.evaluate(async () => {
      const data = await h.bytes("/tests/fixtures/mp4/h264_aac.mp4");
      const res = {};
      const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
      for (const impl of ["native", "msepy"]) {
        const r = res[impl] = {};
        const { video, ms } = h.make(impl);
        video.muted = true;
        await h.open(video, ms);
        const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64000b,mp4a.40.2"');
        await h.append(sb, data);
        const t = video.addTextTrack("metadata", "id3");
        const texts = (list) => [...list].map((c) => c.text).join(",");
        const log = [];
        t.addEventListener("cuechange", () => log.push(texts(t.activeCues)));
        const a = new VTTCue(0, Infinity, "a"), b = new VTTCue(0.1, Infinity, "b"), c = new VTTCue(5, 6, "c");
        for (const cue of [a, b, c]) t.addCue(cue);
        video.currentTime = 0.5;
        await h.once(video, "seeked");
        await sleep(150);
        const step = async (name, f) => {
          log.push(name);
          f();
          await sleep(150);
          r[name] = [texts(t.cues), texts(t.activeCues)];
        };
        await step("a ends at 0.3", () => { a.endTime = 0.3; });
        await step("b ends at 100", () => { b.endTime = 100; });
        await step("c starts at 0.4", () => { c.startTime = 0.4; });
        await step("c starts at 0", () => { c.startTime = 0; });
        r.nan = (() => { try { a.startTime = NaN; return "ok"; } catch (e) { return e.name; } })();
        t.removeCue(c);
        c.startTime = 0.2;  // (in no track: nothing to run)
        await sleep(150);
        r.removed = [texts(t.cues), texts(t.activeCues), c.startTime];
        r.log = log;
        video.remove();
      }
      return res;
    });
    // The lists agree with native after every step.
    for (const key of ["a ends at 0.3", "b ends at 100", "c starts at 0.4", "c starts at 0", "nan", "removed"]) {
      assert.deepEqual(out.msepy[key], out.native[key], key);
    }
    assert.deepEqual(out.msepy["c starts at 0.4"], ["a,b,c", "b,c"]);
    // The events: HTML's in msepy (a's exit is a change; b staying active is none).
    assert.deepEqual(out.msepy.log, ["a,b", "a ends at 0.3", "b", "b ends at 100", "c starts at 0.4", "b,c", "c starts at 0"]);
    assert.deepEqual(out.native.log, ["a,b", "a ends at 0.3", "b ends at 100", "b", "c starts at 0.4", "b,c", "c starts at 0", "c,b"]);
  });
});
