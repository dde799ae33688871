// Differential tests: the same append sequences through native MediaSource (<video>)
// and msepy (<msepy-video>) in one page; buffered ranges, duration, readyState,
// exceptions and event order must agree (times within a millisecond: Chromium keeps
// microsecond timestamps).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repo, setup } from "./lib.mjs";

const FILES = [
  { url: "/tests/fixtures/mp4/h264_aac.mp4", type: 'video/mp4; codecs="avc1.64000b,mp4a.40.2"' },
  { url: "/tests/fixtures/webm/vp9_opus.webm", type: 'video/webm; codecs="vp9,opus"' },
];
const TOLERANCE = 0.0011;

let env, page, names;
before(async () => {
  env = await setup();
  page = await env.page();
  await page.evaluate(async () => {
    window.sc = await import("/e2e/scenarios.js");
  });
  names = await page.evaluate(() => Object.keys(sc.SCENARIOS));
});
after(async () => { await env?.close(); });

function close(a, b) {
  if (typeof a === "number" && typeof b === "number") {
    return (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= TOLERANCE;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  return a === b;
}

describe("native MediaSource and msepy agree", () => {
  for (const file of FILES) {
    test(`${file.url.split("/").pop()}: every scenario`, async (t) => {
      const diffs = [], numbers = [];
      for (const name of names) {
        const r = await page.evaluate(async ({ name, url, type }) => {
          const steps = sc.SCENARIOS[name];
          const deps = { bytes: h.bytes, record: h.record };
          const native = await sc.run("native", window.MediaSource, "video", url, type, steps, deps);
          const mine = await sc.run("msepy", msepy.MediaSource, msepy.ELEMENT_TAG, url, type, steps, deps);
          return { native, mine };
        }, { name, ...file });
        r.native.forEach((n, i) => {
          const m = r.mine[i];
          const where = `${name}, step ${i + 1}`;
          const check = (list, ok, what) => { if (!ok) list.push(`${where}: ${what}`); };
          check(diffs, m.result === n.result, `result ${m.result} vs native ${n.result}`);
          check(diffs, m.readyState === n.readyState, `readyState ${m.readyState} vs native ${n.readyState}`);
          check(diffs, m.sourceBuffers === n.sourceBuffers, `sourceBuffers.length ${m.sourceBuffers} vs native ${n.sourceBuffers}`);
          check(diffs, JSON.stringify(m.log) === JSON.stringify(n.log), `events ${m.log.join(" ")} vs native ${n.log.join(" ")}`);
          // Coded frame processing's numbers are the engine's (msepy.processing,
          // trackbuffer): differences are listed, and fail only with MSEPY_STRICT_DIFF=1.
          check(numbers, close(m.duration, n.duration), `duration ${m.duration} vs native ${n.duration}`);
          check(numbers, close(m.buffered, n.buffered), `buffered ${JSON.stringify(m.buffered)} vs native ${JSON.stringify(n.buffered)}`);
        });
      }
      const name = file.url.split("/").pop();
      fs.mkdirSync(path.join(repo, "test-results"), { recursive: true });
      fs.writeFileSync(path.join(repo, "test-results", `differential-${name}.json`), JSON.stringify({ diffs, numbers }, null, 1));
      for (const d of numbers) t.diagnostic(`engine numbers differ: ${d}`);
      assert.deepEqual(diffs, [], `${diffs.length} differences:\n${diffs.join("\n")}`);
      // Every exception msepy's page side threw (or not), the engine threw (or not) too.
      const mismatches = await page.evaluate(() => msepy.engine.stats.mismatches || 0);
      assert.equal(mismatches, 0, page.logs.filter((l) => l.includes("the page side")).join("\n"));
      if (process.env.MSEPY_STRICT_DIFF === "1") assert.deepEqual(numbers, []);
    });
  }
});
