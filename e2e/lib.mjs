// Shared e2e helpers: the demo server on a free port, Chromium via playwright-core,
// frame times read by msepy's own parser, and Chromium's per-thread CPU time.

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

export async function startServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(repo, "web", "serve.mjs")], {
    env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => { if (String(d).includes("http://")) resolve(); });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "msepy-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // MSEPY_CHROMIUM_FLAGS: extra flags for an experiment ("--js-flags=...").
    args: [...CHROMIUM_FLAGS, ...(process.env.MSEPY_CHROMIUM_FLAGS || "").split(" ").filter(Boolean)],
    ignoreDefaultArgs: ["--mute-audio"],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// One server + one browser for a test file; `page()` opens a fresh page that has
// booted msepy (the harness page e2e/harness.html).
export async function setup() {
  const server = await startServer();
  const browser = await launch();
  const pages = [];
  return {
    server,
    browser,
    async page(pathname = "/e2e/harness.html", { boot = true } = {}) {
      const page = await browser.context.newPage();
      page.logs = [];
      page.on("console", (m) => page.logs.push(`${m.type()}: ${m.text()}`));
      page.on("pageerror", (e) => page.logs.push(`pageerror: ${e.message}`));
      await page.goto(server.url + pathname);
      if (boot) await page.waitForFunction(() => window.msepyBooted === true || window.msepyBootError, null, { timeout: 120_000 });
      const err = await page.evaluate(() => window.msepyBootError || null);
      if (err) throw new Error(`boot failed: ${err}`);
      pages.push(page);
      return page;
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
}

// Video frame presentation times, in seconds, read by msepy's own parser (CPython).
export function videoTimes(file, essence) {
  const py = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
  const code = `
import json, sys
sys.path.insert(0, "py")
from msepy.bytestream import parser_for, InitSegment, CodedFrames
p = parser_for(sys.argv[2]); p.feed(memoryview(open(sys.argv[1], "rb").read()))
track, pts = None, []
for ev in p.parse():
    if isinstance(ev, InitSegment):
        track = next(t for t in ev.tracks if t.kind == "video")
    elif isinstance(ev, CodedFrames):
        pts += [f.pts / track.timescale for f in ev.frames if f.track_id == track.track_id]
print(json.dumps(sorted(pts)))`;
  return JSON.parse(execFileSync(py, ["-c", code, file, essence], { cwd: repo }));
}

// The frame index a position shows: the last frame starting at or before it.
export function expectedIndex(times, t) {
  let n = 0;
  for (let i = 0; i < times.length; i++) if (times[i] <= t + 1e-9) n = i;
  return n;
}

// The browser benchmark's appends (e2e/bench.mjs: the 10 s 720p file six times in
// 512 KiB pieces, "sequence" mode) in `sessions` msepy players in turn, after `waitMs`:
// with `playing`, play() first and the renderer on, as the benchmark's; else the
// renderer stopped (the appends alone).  Per append: its size, the latency the page saw
// and the worker's timing record (web/worker.js; ms).  For the diag-*.mjs scripts.
export function benchmarkAppends(page, { sessions = 1, waitMs = 0, playing = false } = {}) {
  return page.evaluate(async ([sessions, wait, playing]) => {
    const data = await h.bytes("/tests/fixtures/mp4/bench_720p.mp4");
    await new Promise((r) => setTimeout(r, wait));
    const out = [];
    for (let s = 0; s < sessions; s++) {
      const { video, ms } = h.make("msepy");
      if (!playing) {
        video._renderer.tick = () => {};
        video._renderer.update = () => {};
      }
      video.muted = true;
      await h.open(video, ms);
      const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"');
      sb.mode = "sequence";
      if (playing) video.play().catch(() => {});
      for (let c = 0; c < 6; c++) {
        for (let i = 0; i < data.length; i += 512 * 1024) {
          const piece = data.subarray(i, i + 512 * 1024);
          const a = performance.now();
          await h.append(sb, piece);
          // (The first append shares its batch with addSourceBuffer() and the mode.)
          const timing = msepy.engine.timings.filter((t) => t.ops?.endsWith("appendBuffer")).at(-1);
          out.push({ size: piece.length, lat: performance.now() - a, timing: timing ?? {} });
        }
      }
      video.remove();
    }
    return out;
  }, [sessions, waitMs, playing]);
}

// `benchmarkAppends` with the renderer stopped: [latency, the worker's Python (handle)].
export async function rendererlessAppends(page, sessions = 1, waitMs = 0) {
  const rows = await benchmarkAppends(page, { sessions, waitMs });
  return rows.map((r) => [r.lat, r.timing.py?.handle ?? NaN]);
}

// CPU time per thread of the browser's processes (Linux: /proc/<pid>/task/<tid>/schedstat,
// ns on a core), keyed "pid/tid": a trace's durations are wall time, and on 2 busy cores
// a thread is often waiting for one.  Empty where there is no /proc.
export function cpuTimes() {
  const out = new Map();
  if (!fs.existsSync("/proc/self/task")) return out;
  for (const pid of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!/chrom/.test(cmd.split("\0")[0])) continue;
      const type = (cmd.match(/--type=([a-z-]+)/) || [null, "browser"])[1];
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        out.set(`${pid}/${tid}`, { name: `${type} ${name}`, ns });
      }
    } catch (e) { /* the process or thread ended */ }
  }
  return out;
}

// The CPU time (ns) each thread name got between two `cpuTimes()` samples, added into
// `into` (a Map: name -> ns), which is returned.
export function cpuSpent(before, after, into = new Map()) {
  for (const [key, { name, ns }] of after) {
    const d = ns - (before.get(key)?.ns || 0);
    if (d > 0) into.set(name, (into.get(name) || 0) + d);
  }
  return into;
}
