// The demo page in a real browser: boots, plays the bundled sample beside a native
// <video>, fills the stats, timeline and logs; a screenshot is kept for a person to
// look at (test-results/demo.png).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { repo, setup } from "./lib.mjs";

let env;
before(async () => { env = await setup(); });
after(async () => { await env?.close(); });

test("the demo plays the bundled sample beside native, with stats, timeline and logs", async () => {
  const page = await env.page("/web/", { boot: false });
  await page.waitForFunction(() => document.getElementById("mine").currentTime > 3, null, { timeout: 120_000 });
  await page.waitForTimeout(500);
  const r = await page.evaluate(() => {
    const mine = document.getElementById("mine"), native = document.getElementById("native");
    return {
      boot: document.getElementById("boot-text").textContent,
      mineTime: mine.currentTime, nativeTime: native.currentTime,
      mineFrames: mine.getVideoPlaybackQuality().totalVideoFrames,
      stats: document.getElementById("stats-mine").textContent,
      logMine: document.getElementById("log-mine").children.length,
      logNative: document.getElementById("log-native").children.length,
      internal: document.querySelectorAll("#log-mine li.internal").length,
      canvas: mine._renderer.canvasSize,
    };
  });
  await page.screenshot({ path: path.join(repo, "test-results", "demo.png"), fullPage: true });
  assert.match(r.boot, /booted/);
  assert.ok(Math.abs(r.mineTime - r.nativeTime) < 0.5, `msepy ${r.mineTime} vs native ${r.nativeTime}`);
  assert.ok(r.mineFrames > 60);
  assert.deepEqual(r.canvas, [640, 360]);
  assert.match(r.stats, /append latency/);
  assert.ok(r.logMine > 10 && r.logNative > 10 && r.internal > 0);
  const logs = page.logs.filter((l) => /pageerror|warn/.test(l));
  assert.deepEqual(logs, []);
});
