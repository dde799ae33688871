// Static server for the demo: `npm start` (PORT overrides 8000).
//
// Serves the repo root, plus node_modules/pyodide/ at /pyodide/ and build/wheels/ at
// /wheels/ (with /wheels/index.json listing the wheels, for the worker).  Sends COOP
// same-origin + COEP require-corp so the page is cross-origin
// isolated (SharedArrayBuffer, precise timers).  Development use only.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 8000);
const mounts = [  // URL prefix -> folder; the first match wins
  ["/pyodide/", path.join(root, "node_modules", "pyodide")],
  ["/wheels/", path.join(root, "build", "wheels")],
  ["/", root],
];
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8", ".map": "application/json; charset=utf-8",
  ".py": "text/x-python; charset=utf-8", ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
  ".ico": "image/x-icon", ".wasm": "application/wasm", ".whl": "application/zip",
  ".zip": "application/zip", ".mp4": "video/mp4", ".m4s": "video/iso.segment",
  ".m4a": "audio/mp4", ".webm": "video/webm", ".mkv": "video/x-matroska",
};
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function resolve(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (urlPath.startsWith(prefix)) {
      const file = path.join(dir, urlPath.slice(prefix.length));
      return file === dir || file.startsWith(dir + path.sep) ? file : null;  // no ../ escapes
    }
  }
  return null;
}

const server = http.createServer((req, res) => {
  let urlPath, isolation = ISOLATION;
  try {
    const url = new URL(req.url, "http://x");
    urlPath = decodeURIComponent(url.pathname);
    // ?isolation=off on a page: serve it without COOP/COEP (not cross-origin isolated:
    // no SharedArrayBuffer, so msepy's audio ring falls back to messages).
    if (url.searchParams.get("isolation") === "off") isolation = {};
  } catch {
    res.writeHead(400, ISOLATION).end("bad request\n");
    return;
  }
  if (urlPath === "/") {
    res.writeHead(302, { ...isolation, Location: "/web/" }).end();
    return;
  }
  if (urlPath === "/wheels/index.json") {  // the wheels the worker may install
    const dir = path.join(root, "build", "wheels");
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".whl")) : [];
    const body = JSON.stringify(names);
    res.writeHead(200, { ...ISOLATION, "Content-Type": "application/json", "Cache-Control": "no-cache" });
    res.end(body);
    return;
  }
  let file = resolve(urlPath);
  try {
    if (file && fs.statSync(file).isDirectory()) {
      if (!urlPath.endsWith("/")) {
        res.writeHead(301, { ...isolation, Location: urlPath + "/" }).end();
        return;
      }
      file = path.join(file, "index.html");
    }
    const stat = file && fs.statSync(file);
    if (!stat || !stat.isFile()) throw new Error("not a file");
    // A validator, as any static server sends: "no-cache" makes the browser ask every
    // time (an edited file is seen at once) and a 304 keeps its cached copy - and with
    // it what Chromium caches beside a script or a WebAssembly module: the compiled
    // code (Pyodide's hot functions optimized in an earlier visit, see README).
    const etag = `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    const head = { ...isolation, "Cache-Control": "no-cache", ETag: etag };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, head).end();
      return;
    }
    res.writeHead(200, {
      ...head,
      "Content-Type": types[path.extname(file).toLowerCase()] || "application/octet-stream",
      "Content-Length": stat.size,
    });
    if (req.method === "HEAD") res.end();
    else fs.createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404, { ...isolation, "Content-Type": "text/plain" }).end(`not found: ${urlPath}\n`);
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`msepy demo: http://localhost:${port}/web/  (Ctrl-C to stop)`);
});
