// Painting decoded video frames onto an element's canvas, off the main thread.
//
// Drawing a VideoFrame onto a 2D canvas converts the whole picture (YUV -> RGB) in the
// thread that draws: 1.5-5 ms of a 720p frame in Chromium without a GPU.  On the main
// thread that is a tenth of it at 30 frames/s, and every draw holds up the page's own
// tasks (a player's appends wait behind it).  So each element's canvas is handed to
// one paint worker shared by the page (`transferControlToOffscreen`) and the renderer
// posts the frames there (a VideoFrame is transferred, not copied); the worker's
// drawings reach the screen without the main thread.  Where OffscreenCanvas is missing,
// the frames are drawn on the main thread as before.  `read` gives the pixels back (a
// test reading the frame shown).

let worker = null;
let nextId = 1;
const reads = new Map();  // read id -> resolve
const detach = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry((id) => worker?.postMessage({ detach: id })) : null;

// The worker starts while the engine boots: started with the first element, its thread
// and module load fell inside the player's first append.
export function warmUpPainter() {
  if (typeof OffscreenCanvas !== "function" || typeof Worker !== "function") return;
  try {
    paintWorker();
  } catch (e) { /* createPainter falls back to the main thread */ }
}

function paintWorker() {
  if (!worker) {
    worker = new Worker(new URL("./paint-worker.js", import.meta.url), { type: "module", name: "msepy paint" });
    worker.onmessage = (e) => {
      const resolve = reads.get(e.data.read);
      reads.delete(e.data.read);
      resolve?.(e.data.pixels);
    };
    worker.onerror = (e) => console.error("msepy paint worker:", e.message || e);
  }
  return worker;
}

export function createPainter(canvas) {
  const offscreen = typeof canvas.transferControlToOffscreen === "function" &&
    typeof Worker === "function" && typeof OffscreenCanvas === "function";
  if (offscreen) {
    try {
      return new OffscreenPainter(canvas, paintWorker());
    } catch (e) {  // no worker here (a CSP, say): the canvas is still the page's
      console.warn("msepy: no paint worker, drawing on the main thread:", e);
    }
  }
  return new MainThreadPainter(canvas);
}

class OffscreenPainter {
  constructor(canvas, painter) {
    this.id = nextId++;
    const offscreen = canvas.transferControlToOffscreen();
    painter.postMessage({ attach: this.id, canvas: offscreen }, [offscreen]);
    detach?.register(this, this.id);
  }

  // Draw `frame` (given away: closed by the worker) on the whole canvas, sized
  // `width` x `height`.
  draw(frame, width, height) {
    worker.postMessage({ draw: this.id, frame, width, height }, [frame]);
  }

  // The canvas's RGBA pixels in a rectangle, once every frame posted before is drawn.
  read(x, y, width, height) {
    const id = nextId++;
    return new Promise((resolve) => {
      reads.set(id, resolve);
      worker.postMessage({ read: id, canvas: this.id, rect: [x, y, width, height] });
    });
  }
}

class MainThreadPainter {
  constructor(canvas) {
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
  }

  draw(frame, width, height) {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.g.drawImage(frame, 0, 0, width, height);
    frame.close();
  }

  read(x, y, width, height) {
    return Promise.resolve(this.g.getImageData(x, y, width, height).data);
  }
}
