// The demo's ManagedMediaSource and worker modes: streaming on/off and bufferedchange as
// they happen, memory pressure from the button, and the sample playing from a worker's
// MediaSource through its handle.  Screenshots: test-results/demo-managed.png,
// test-results/demo-worker.png.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { repo, setup } from "./lib.mjs";

let env, page;
before(async () => {
  env = await setup();
  page = await env.page("/web/", { boot: false });
  await page.waitForFunction(() => document.getElementById("mine").currentTime > 1, null, { timeout: 120_000 });
});
after(async () => { await env?.close(); });

const logText = () => page.evaluate(() => [...document.querySelectorAll("#log-mine li")].map((li) => li.textContent));

// Switch modes (the demo replays the sample) and wait until it plays again.
async function switchTo(mode) {
  await page.evaluate((m) => {
    document.querySelectorAll("#log-mine li").forEach((li) => li.remove());
    const select = document.getElementById("mode");
    select.value = m;
    select.dispatchEvent(new Event("change"));
  }, mode);
  try {
    await page.waitForFunction(() => [...document.querySelectorAll("#log-mine li")].some((li) => /video: playing/.test(li.textContent)) &&
      document.getElementById("mine").currentTime > 2, null, { timeout: 60_000 });
  } catch (e) {
    // What the player was doing, for a failure that does not happen again.
    const state = await page.evaluate(() => {
      const v = document.getElementById("mine");
      const b = [...Array(v.buffered.length).keys()].map((i) => [v.buffered.start(i), v.buffered.end(i)]);
      return { readyState: v.readyState, currentTime: v.currentTime, paused: v.paused, buffered: b,
        error: v.error?.message ?? null, log: [...document.querySelectorAll("#log-mine li")].map((li) => li.textContent) };
    });
    throw new Error(`${mode} mode did not play: ${JSON.stringify(state)}\npage: ${page.logs.join("\n")}`, { cause: e });
  }
}

test("ManagedMediaSource mode shows streaming and bufferedchange; memory pressure evicts", async () => {
  await switchTo("managed");
  const panel = await page.evaluate(() => ({ hidden: document.getElementById("managed-panel").hidden, streaming: document.getElementById("streaming").textContent }));
  assert.equal(panel.hidden, false);
  assert.match(panel.streaming, /^(on|off)/);
  await page.click("#pressure");
  await page.waitForFunction(() => [...document.querySelectorAll("#log-mine li")].some((li) => /bufferedchange \+∅ −\[/.test(li.textContent)), null, { timeout: 10_000 });
  const log = await logText();
  await page.screenshot({ path: path.join(repo, "test-results", "demo-managed.png"), fullPage: true });
  assert.ok(log.some((l) => l.includes("ManagedMediaSource: startstreaming")), log.join("\n"));
  assert.ok(log.some((l) => /bufferedchange \+\[0\.00, /.test(l)), log.join("\n"));
  assert.ok(log.some((l) => l.includes("memory pressure")));
});

test("worker mode plays the sample from a DedicatedWorker's MediaSource", async () => {
  await switchTo("worker");
  const r = await page.evaluate(() => {
    const mine = document.getElementById("mine");
    return { handle: mine.srcObject?.constructor.name,
      log: [...document.querySelectorAll("#log-mine li")].map((li) => li.textContent), stats: document.getElementById("stats-mine").textContent };
  });
  await page.screenshot({ path: path.join(repo, "test-results", "demo-worker.png"), fullPage: true });
  assert.equal(r.handle, "MediaSourceHandle");
  assert.ok(r.log.some((l) => l.includes("[worker] MediaSource: sourceopen")), r.log.join("\n"));
  assert.ok(r.log.some((l) => l.includes("[worker] SourceBuffer: updateend")), r.log.join("\n"));
  assert.match(r.stats, /append latency/);
  const errors = page.logs.filter((l) => /pageerror|warn/.test(l));
  assert.deepEqual(errors, []);
});
