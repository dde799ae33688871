// The paint worker (web/src/painter.js): draws the frames the renderers post onto their
// elements' OffscreenCanvases, and reads pixels back.  Messages:
//   {attach: id, canvas}               an element's canvas (transferred)
//   {draw: id, frame, width, height}   draw (and close) a VideoFrame on the whole canvas
//   {read: rid, canvas: id, rect}      reply {read: rid, pixels} (RGBA, transferred)
//   {detach: id}                       the element is gone

const canvases = new Map();  // id -> {canvas, g}

self.onmessage = (e) => {
  const m = e.data;
  if (m.attach !== undefined) {
    canvases.set(m.attach, { canvas: m.canvas, g: m.canvas.getContext("2d") });
  } else if (m.draw !== undefined) {
    const c = canvases.get(m.draw);
    try {
      if (c) {
        if (c.canvas.width !== m.width || c.canvas.height !== m.height) {
          c.canvas.width = m.width;
          c.canvas.height = m.height;
        }
        c.g.drawImage(m.frame, 0, 0, m.width, m.height);
      }
    } finally {
      m.frame.close();
    }
  } else if (m.read !== undefined) {
    const c = canvases.get(m.canvas);
    const pixels = c ? c.g.getImageData(...m.rect).data : new Uint8ClampedArray(0);
    self.postMessage({ read: m.read, pixels }, [pixels.buffer]);
  } else if (m.detach !== undefined) {
    canvases.delete(m.detach);
  }
};
