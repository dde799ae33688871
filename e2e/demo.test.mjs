// The demo page in a real browser: boots, plays the bundled sample beside a native
// <video>, fills the stats, timeline and logs; a screenshot is kept for a person to
// look at (test-results/demo.png).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
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

  // "Save as replay script": the session so far as a script and its data, which
  // python -m msepy replay runs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "msepy-demo-"));
  const downloads = [];
  page.on("download", (d) => downloads.push(d));
  await page.click("#save-script");
  for (let i = 0; i < 50 && downloads.length < 2; i++) await page.waitForTimeout(100);
  assert.deepEqual(downloads.map((d) => d.suggestedFilename()).sort(), ["msepy-session.bin", "msepy-session.json"]);
  for (const d of downloads) await d.saveAs(path.join(dir, d.suggestedFilename()));
  const script = JSON.parse(fs.readFileSync(path.join(dir, "msepy-session.json"), "utf8"));
  assert.deepEqual(script.ops.slice(0, 2).map((o) => o.op), ["add", "append"]);
  const lines = execFileSync(fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3",
    ["-m", "msepy", "replay", path.join(dir, "msepy-session.json")],
    { cwd: repo, env: { ...process.env, PYTHONPATH: path.join(repo, "py") }, encoding: "utf8" }).trim().split("\n");
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(lines.length, script.ops.length);
  assert.ok(lines.every((l) => JSON.parse(l).exc === null), lines.find((l) => JSON.parse(l).exc !== null));
});
