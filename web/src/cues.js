// Text track rendering for <msepy-video>: the cues of its "showing" text tracks that
// hold the playback position, drawn as DOM boxes over the video (WebVTT "rules for
// updating the display of WebVTT text tracks", simplified: one box per cue, at the
// line/position/size/align its settings give; cues without a line stack up from the
// bottom, the first cue lowest - or, for vertical cues, from the right edge (vertical
// growing left, "rl") or the left edge ("lr"), the first cue outermost).
//
// The cues to show are worked out here from each track's cue list and the renderer's
// clock, every frame - so a cue appears at its start time to the frame, not at the
// engine's next "time marches on" (which drives activeCues and cuechange).

const STYLE = `
  .cues { position: absolute; pointer-events: none; overflow: hidden; }
  .stack { position: absolute; left: 0; right: 0; bottom: 2%; display: flex; flex-direction: column-reverse; }
  .cue { position: absolute; box-sizing: border-box; padding: 0 0.2em; white-space: pre-line; }
  .stack-rl, .stack-lr { position: absolute; top: 0; bottom: 0; display: flex; }
  .stack-rl { right: 2%; flex-direction: row-reverse; }
  .stack-lr { left: 2%; flex-direction: row; }
  .stack .cue, .stack-rl .cue, .stack-lr .cue { position: relative; }
  .cue.rl { writing-mode: vertical-rl; }
  .cue.lr { writing-mode: vertical-lr; }
  .cue-text { background: rgba(0, 0, 0, 0.8); color: #fff; font-family: sans-serif; line-height: 1.25; }
`;

export class CueOverlay {
  constructor(root, element) {
    this.element = element;
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.box = document.createElement("div");
    this.box.className = "cues";
    this.box.setAttribute("part", "cues");
    root.append(style, this.box);
    this.shown = [];        // the cues on screen, in order
    this.layoutKey = "";
    // The element's size, as layout last found it: read here, not from clientWidth /
    // clientHeight every frame (that forces a synchronous layout in each frame's tick).
    this.size = null;
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => {  // layout is fresh here: reading it costs nothing
        this.size = { width: element.clientWidth, height: element.clientHeight };
      }).observe(element);
    }
  }

  // The cues of showing tracks whose [startTime, endTime) holds t, in text track cue
  // order (track by track, as the tracks are listed).
  cuesAt(t) {
    const out = [];
    for (const track of this.element.textTracks) {
      // (HTML renders showing subtitles and captions; a metadata track's cues are data.)
      if (track.mode !== "showing" || (track.kind !== "subtitles" && track.kind !== "captions")) continue;
      for (const cue of track._cueList) {
        if (cue.startTime > t) break;   // the list is in start time order
        if (t < cue.endTime) out.push(cue);
      }
    }
    return out;
  }

  update(t) {
    const cues = this.cuesAt(t);
    if (!cues.length && !this.shown.length) return;  // nothing shown, nothing to show
    const rect = this.#videoRect();
    const key = `${rect.x},${rect.y},${rect.w},${rect.h}`;
    if (key === this.layoutKey && cues.length === this.shown.length && cues.every((c, i) => c === this.shown[i])) return;
    this.shown = cues;
    this.layoutKey = key;
    Object.assign(this.box.style, { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.w}px`, height: `${rect.h}px`,
      fontSize: `${Math.max(10, rect.h * 0.05)}px` });
    const stacks = { "": "stack", rl: "stack-rl", lr: "stack-lr" };
    for (const [dir, name] of Object.entries(stacks)) {
      stacks[dir] = document.createElement("div");
      stacks[dir].className = name;
    }
    const boxes = [];
    for (const cue of cues) {
      const div = this.#cueBox(cue, rect);
      if (cue.line === "auto") stacks[vertical(cue)].append(div);
      else boxes.push(div);
    }
    this.box.replaceChildren(...Object.values(stacks).filter((d) => d.childElementCount), ...boxes);
  }

  // The content box of the video inside the element (object-fit: contain).
  #videoRect() {
    const W = this.size ? this.size.width : this.element.clientWidth;
    const H = this.size ? this.size.height : this.element.clientHeight;
    const vw = this.element.videoWidth, vh = this.element.videoHeight;
    if (!vw || !vh || !W || !H) return { x: 0, y: 0, w: W, h: H };
    const scale = Math.min(W / vw, H / vh);
    const w = Math.round(vw * scale), h = Math.round(vh * scale);
    return { x: Math.round((W - w) / 2), y: Math.round((H - h) / 2), w, h };
  }

  #cueBox(cue, rect) {
    const div = document.createElement("div");
    div.className = "cue";
    div.setAttribute("part", "cue");
    div.dataset.id = cue.id;
    div.dataset.start = cue.startTime;
    const text = document.createElement("span");
    text.className = "cue-text";
    text.append(typeof cue.getCueAsHTML === "function" ? cue.getCueAsHTML() : cue.text);
    div.append(text);
    // WebVTT "apply WebVTT cue settings": the box's position and size along the
    // writing direction (x and width; for vertical cues y and height) from position /
    // positionAlign / size / align, and its line across it.
    const dir = vertical(cue);
    if (dir) div.classList.add(dir);
    const align = cue.align || "center";
    let position = cue.position;
    if (position === "auto" || position === undefined) {
      position = align === "left" || align === "start" ? 0 : align === "right" || align === "end" ? 100 : 50;
    }
    let anchor = cue.positionAlign;
    if (!anchor || anchor === "auto") {
      anchor = align === "left" || align === "start" ? "line-left" : align === "right" || align === "end" ? "line-right" : "center";
    }
    const room = anchor === "line-left" ? 100 - position : anchor === "line-right" ? position : 2 * Math.min(position, 100 - position);
    const size = Math.min(cue.size ?? 100, room);
    const left = anchor === "line-left" ? position : anchor === "line-right" ? position - size : position - size / 2;
    div.style[dir ? "top" : "left"] = `${left}%`;
    div.style[dir ? "height" : "width"] = `${size}%`;
    div.style.textAlign = align;  // (CSS has all five; in vertical writing, left is the top)
    if (cue.line !== "auto") {
      if (cue.snapToLines === false) {
        // A percentage of the video's height, or (vertical cues) of its width from the
        // left, for either direction ("apply WebVTT cue settings": x-position is the
        // computed line); line alignment moves the box up / left.
        div.style[dir ? "left" : "top"] = `${cue.line}%`;
        const shift = cue.lineAlign === "center" ? -50 : cue.lineAlign === "end" ? -100 : 0;
        if (shift) div.style.transform = `translate${dir ? "X" : "Y"}(${shift}%)`;
      } else {
        // Line numbers: lines follow each other downwards (horizontal), leftwards from
        // the right edge ("rl") or rightwards from the left edge ("lr"); negative ones
        // count from the other side.
        const [near, far] = dir === "rl" ? ["right", "left"] : dir === "lr" ? ["left", "right"] : ["top", "bottom"];
        const lineHeight = Math.max(10, rect.h * 0.05) * 1.25;
        if (cue.line >= 0) div.style[near] = `${cue.line * lineHeight}px`;
        else div.style[far] = `${(-cue.line - 1) * lineHeight}px`;
      }
    }
    return div;
  }
}

// "rl" or "lr" for a vertical cue, "" for a horizontal one.
function vertical(cue) {
  return cue.vertical === "rl" || cue.vertical === "lr" ? cue.vertical : "";
}
