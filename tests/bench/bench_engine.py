"""Engine benchmark: append throughput on the fixtures, as a table.

    python tests/bench/bench_engine.py            # CPython
    node tests/bench/run.mjs                      # CPython and Pyodide, one table

Each fixture is appended the way a player appends it - the initialization segment,
then one ``appendBuffer()`` per media segment (a ``moof``+``mdat`` pair, a WebM
Cluster) - into a fresh MediaSource attached to an element model, draining the task
queue after every append (so every event is fired, as in a page).  Figures: appends per
second, MB/s, and x realtime (media seconds buffered per wall-clock second).  The
target in the engine issue: at least 1000x realtime for 720p30 H.264+AAC in Pyodide.

The last row, "512 KiB page", is the browser benchmark's appends (``e2e/bench.mjs``)
without the browser: what the worker's Python runs per ``appendBuffer()`` there, with
its p50 printed below the table.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if os.environ.get("MSEPY_USE_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(REPO, "py"))

from msepy import HTMLMediaElement, MediaSource, TaskQueue  # noqa: E402

FIXTURES = [
    ("720p30 H.264+AAC", "tests/fixtures/mp4/bench_720p.mp4", 'video/mp4; codecs="avc1.64001f,mp4a.40.2"'),
    ("H.264+AAC (small)", "tests/fixtures/mp4/h264_aac.mp4", 'video/mp4; codecs="avc1.64001f,mp4a.40.2"'),
    ("AAC 44.1 kHz", "tests/fixtures/mp4/aac_44k.mp4", "audio/mp4"),
    ("VP9+Opus WebM", "tests/fixtures/webm/vp9_opus.webm", "video/webm"),
    ("VP8+Vorbis WebM", "tests/fixtures/webm/vp8_vorbis.webm", "video/webm"),
]


def split_segments(data: bytes, mime: str) -> list[memoryview]:
    """The appends a player would make: init segment, then one per media segment."""
    view = memoryview(data)
    cuts = [0]
    if "mp4" in mime:
        pos = 0
        while pos + 8 <= len(data):
            size = int.from_bytes(data[pos:pos + 4], "big")
            kind = data[pos + 4:pos + 8]
            if size == 1:
                size = int.from_bytes(data[pos + 8:pos + 16], "big")
            if size < 8:
                break
            if kind in (b"moof", b"styp") and cuts[-1] != pos:
                # styp+moof+mdat is one append
                if not (kind == b"moof" and data[cuts[-1] + 4:cuts[-1] + 8] == b"styp"
                        and cuts[-1] != 0):
                    cuts.append(pos)
            pos += size
    else:
        pos = data.find(b"\x1f\x43\xb6\x75")
        while pos != -1:
            cuts.append(pos)
            pos = data.find(b"\x1f\x43\xb6\x75", pos + 4)
    cuts = sorted(set(cuts)) + [len(data)]
    return [view[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def run_once(segments: list[memoryview], mime: str) -> tuple[float, float]:
    queue = TaskQueue()
    ms = MediaSource(queue=queue)
    element = HTMLMediaElement(queue=queue)
    element.src_object = ms
    queue.run_until_idle()
    sb = ms.add_source_buffer(mime)
    start = time.perf_counter()
    for segment in segments:
        sb.append_buffer(segment)
        queue.run_until_idle()
    wall = time.perf_counter() - start
    if sb.last_error:
        raise RuntimeError(f"append error: {sb.last_error}")
    buffered = sb.buffered
    media = sum(e - s for s, e in buffered.as_floats())
    return wall, media


def bench(min_seconds: float = 1.0) -> list[dict]:
    rows = []
    for name, rel, mime in FIXTURES:
        path = os.path.join(REPO, rel)
        if not os.path.exists(path):
            continue
        data = open(path, "rb").read()
        segments = split_segments(data, mime)
        run_once(segments, mime)  # warm up
        total = media_total = 0.0
        runs = 0
        while total < min_seconds or runs < 3:
            wall, media = run_once(segments, mime)
            total += wall
            media_total += media
            runs += 1
        appends = runs * len(segments)
        rows.append({
            "fixture": name, "bytes": len(data), "appends_per_run": len(segments),
            "runs": runs, "appends_per_s": appends / total,
            "mb_per_s": runs * len(data) / total / 1e6,
            "x_realtime": media_total / total,
            "ms_per_append": total / appends * 1000,
        })
    return rows


PAGE_PIECE = 512 * 1024


def page_session(data: bytes, mime: str) -> tuple[list[float], float]:
    """The browser benchmark's appends (e2e/bench.mjs) without the browser: six copies
    of the file in 512 KiB pieces, in "sequence" mode, into a MediaSource attached to a
    playing element, each piece one ``Bridge.handle`` batch with its snapshot - what the
    worker runs for each appendBuffer().  Returns each append's ms and the media s."""
    from msepy.bridge import Bridge
    from msepy.warmup import open_session
    run = Bridge().handle
    open_session(run, mime)
    times = []
    for _ in range(6):
        for i in range(0, len(data), PAGE_PIECE):
            piece = data[i:i + PAGE_PIECE]  # a fresh copy, as the worker gets
            start = time.perf_counter()
            run([{"op": "call", "target": "sb", "method": "appendBuffer", "args": [piece]}],
                ["sb", "el"])
            times.append((time.perf_counter() - start) * 1000)
    reply = run([], ["sb"])
    media = sum(e - s for s, e in reply["snapshot"]["sb"]["buffered"])
    return times, media


def bench_page(min_seconds: float = 1.0) -> dict:
    name, rel, mime = FIXTURES[0]
    data = open(os.path.join(REPO, rel), "rb").read()
    page_session(data, mime)  # warm up
    times: list[float] = []
    media_total = 0.0
    while sum(times) < min_seconds * 1000 or len(times) < 54:
        t, media = page_session(data, mime)
        times += t
        media_total += media
    total = sum(times) / 1000
    ordered = sorted(times)
    return {"fixture": f"{name.split()[0]} 512 KiB page", "bytes": len(data),
            "appends_per_run": len(t), "runs": len(times) // len(t),
            "appends_per_s": len(times) / total, "mb_per_s": len(times) // len(t) * 6 * len(data) / total / 1e6,
            "x_realtime": media_total / total, "ms_per_append": total / len(times) * 1000,
            "p50_ms": ordered[len(ordered) // 2]}


LONG_COPIES = 160
"""Copies of the 10 s file a long session appends before it is measured: 27 minutes of
media, 166 MB - past Chromium's default limits (150 MB video, 12 MB audio), so every
append then evicts."""


def bench_long(measured: int = 10) -> dict:
    """A long session through the bridge: the 720p file appended whole, again and
    again, in "sequence" mode, the playhead 30 s behind the live edge (a player keeping
    its back buffer); then ``measured`` more appends, each evicting GOPs from the front
    of both tracks.  What one such append costs with about 117,000 frames held."""
    from msepy.bridge import Bridge
    from msepy.warmup import open_session
    name, rel, mime = FIXTURES[0]
    data = open(os.path.join(REPO, rel), "rb").read()
    bridge = Bridge()
    run = bridge.handle
    open_session(run, mime)
    times = []
    for copy in range(LONG_COPIES + measured):
        run([{"op": "call", "target": "el", "method": "setPlaybackPosition",
              "args": [max(0.0, copy * 10.0 - 30)]}])
        start = time.perf_counter()
        run([{"op": "call", "target": "sb", "method": "appendBuffer", "args": [data]}],
            ["sb", "el"])
        if copy >= LONG_COPIES:
            times.append(time.perf_counter() - start)
    if bridge.get("sb").last_error:
        raise RuntimeError(f"append error: {bridge.get('sb').last_error}")
    times.sort()
    p50 = times[len(times) // 2]
    return {"fixture": f"{name.split()[0]} long, evicting", "bytes": len(data),
            "appends_per_run": measured, "runs": 1, "appends_per_s": 1 / p50,
            "mb_per_s": len(data) / p50 / 1e6, "x_realtime": 10 / p50,
            "ms_per_append": p50 * 1000, "long_p50_ms": p50 * 1000}


def runtime_name() -> str:
    if sys.platform == "emscripten":
        return f"Pyodide {platform.python_version()}"
    return f"CPython {platform.python_version()}"


def print_table(rows: list[dict]) -> None:
    head = f"{'runtime':<16} {'fixture':<20} {'appends/s':>10} {'ms/append':>10} {'MB/s':>8} {'x realtime':>11}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['runtime']:<16} {r['fixture']:<20} {r['appends_per_s']:>10.0f} "
              f"{r['ms_per_append']:>10.3f} {r['mb_per_s']:>8.1f} {r['x_realtime']:>11.0f}")
    for r in rows:
        if "p50_ms" in r:
            print(f"{r['runtime']}: the browser benchmark's 512 KiB appends, p50 {r['p50_ms']:.2f} ms")
        if "long_p50_ms" in r:
            print(f"{r['runtime']}: a 1 MB append after {LONG_COPIES} copies, evicting, "
                  f"p50 {r['long_p50_ms']:.2f} ms")


def main(argv: list[str]) -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", "1.0"))
    rows = bench(seconds) + [bench_page(seconds), bench_long()]
    for r in rows:
        r["runtime"] = runtime_name()
    if "--json" in argv:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
