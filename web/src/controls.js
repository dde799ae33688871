// The control bar of <msepy-video controls>: play/pause, a seek bar that shows the
// buffered ranges and the playhead, the time, mute and volume.  It only reads the
// element's public attributes and calls its public methods.

const STYLE = `
  .bar { position: absolute; left: 0; right: 0; bottom: 0; display: flex; gap: 6px; align-items: center;
         padding: 4px 8px; background: linear-gradient(transparent, rgba(0,0,0,.75)); color: #fff;
         font: 12px/1.2 system-ui, sans-serif; user-select: none; }
  button { background: none; border: 0; color: inherit; font: inherit; cursor: pointer; padding: 2px 4px; min-width: 22px; }
  .seek { position: relative; flex: 1; height: 10px; background: rgba(255,255,255,.2); border-radius: 3px; cursor: pointer; }
  .seek .range { position: absolute; top: 0; bottom: 0; background: rgba(255,255,255,.5); border-radius: 3px; }
  .seek .head { position: absolute; top: -3px; width: 3px; height: 16px; background: #e33; border-radius: 1px; }
  .time { font-variant-numeric: tabular-nums; white-space: nowrap; }
  input[type=range] { width: 60px; }
`;

function fmt(t) {
  if (!Number.isFinite(t)) return t === Infinity ? "live" : "--:--";
  const m = Math.floor(t / 60), s = t - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

export class Controls {
  constructor(element, root) {
    this.element = element;
    this.root = root;
    this.style = document.createElement("style");
    this.style.textContent = STYLE;
    this.bar = document.createElement("div");
    this.bar.className = "bar";
    this.bar.setAttribute("part", "controls");
    this.bar.innerHTML = `<button class="play" title="play / pause">▶</button>
      <div class="seek" title="seek"><div class="ranges"></div><div class="head"></div></div>
      <span class="time">0:00.0 / --:--</span>
      <button class="mute" title="mute">mute</button><input class="volume" type="range" min="0" max="1" step="0.05" value="1">`;
    root.append(this.style, this.bar);
    this.q = (sel) => this.bar.querySelector(sel);
    this.q(".play").onclick = () => (element.paused ? element.play().catch(() => {}) : element.pause());
    this.q(".mute").onclick = () => { element.muted = !element.muted; };
    this.q(".volume").oninput = (e) => { element.volume = Number(e.target.value); };
    this.q(".seek").onclick = (e) => {
      const r = e.currentTarget.getBoundingClientRect();
      const span = this.#span();
      if (span > 0) element.currentTime = ((e.clientX - r.left) / r.width) * span;
    };
    this.update();
  }

  #span() {
    const d = this.element.duration;
    if (Number.isFinite(d)) return d;
    const s = this.element.seekable;
    return s.length ? s.end(s.length - 1) : 0;
  }

  update() {
    const el = this.element;
    this.q(".play").textContent = el.paused ? "▶" : "❚❚";
    this.q(".mute").textContent = el.muted || el.volume === 0 ? "unmute" : "mute";
    const span = this.#span();
    const b = el.buffered;
    const ranges = this.q(".ranges");
    let html = "";
    for (let i = 0; i < b.length && span > 0; i++) {
      const l = (b.start(i) / span) * 100, w = ((b.end(i) - b.start(i)) / span) * 100;
      html += `<div class="range" style="left:${l.toFixed(2)}%;width:${w.toFixed(2)}%"></div>`;
    }
    if (ranges.innerHTML !== html) ranges.innerHTML = html;
    this.frame();
  }

  frame() {
    const el = this.element;
    const span = this.#span();
    const t = el.currentTime;
    this.q(".head").style.left = span > 0 ? `${Math.min(100, (t / span) * 100).toFixed(2)}%` : "0";
    this.q(".time").textContent = `${fmt(t)} / ${fmt(el.duration)}`;
  }

  remove() { this.style.remove(); this.bar.remove(); }
}
