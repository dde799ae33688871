// Shared e2e helpers: the demo server on a free port, and Chromium via playwright-core.

import { spawn } from "node:child_process";
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
    args: CHROMIUM_FLAGS,
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
