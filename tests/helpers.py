"""Test helpers: a media element ⇄ MediaSource pair in memory, and a text byte stream.

``Pair`` (after h11's ConnectionPair) attaches a MediaSource to an element model on a
fresh TaskQueue and logs every event as ``"target:type"``.

``FrameScript`` is a line-based stand-in byte stream so the algorithm tests can state
coded frames exactly (one line per segment boundary or frame)::

    I v1/1000 a2/48000:44100      init segment: kind+TrackID/timescale[:sample rate]
    M                             a media segment starts
    F 1 K 0 0 33                  frame of track 1, K=keyframe (or .), pts dts duration
    E                             the media segment ends
    X bad bytes                   a byte stream violation with that message

It is fed through ``append_buffer`` like real bytes (appends may split lines anywhere).
With ``runs`` set, a batch's frames of one track whose decode timestamps follow from
their durations are handed out as ``FrameRun`` columns, as the ISO BMFF parser's are.
"""

from __future__ import annotations

from itertools import accumulate

from msepy import HTMLMediaElement, MediaSource, TaskQueue
from msepy.bytestream import (CodedFrame, CodedFrames, DecoderConfig, FrameRun, InitSegment,
                              MediaSegmentEnd, MediaSegmentStart, ParseError, TrackInfo)

KIND = {"v": "video", "a": "audio", "t": "text"}


class FrameScriptParser:
    generate_timestamps = False

    def __init__(self, runs: bool = False) -> None:
        self._buf = b""
        self.runs = runs

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf)

    def feed(self, data) -> None:
        self._buf += bytes(data)

    def reset(self) -> None:
        self._buf = b""

    def parse(self):
        batch = []
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            parts = line.decode().split()
            if not parts:
                continue
            op = parts[0]
            if op == "F":
                tid, key, pts, dts, dur = parts[1:6]
                size = int(parts[6]) if len(parts) > 6 else 100
                batch.append(CodedFrame(track_id=int(tid), pts=int(pts), dts=int(dts),
                                        duration=int(dur), is_rap=key == "K",
                                        data=memoryview(bytes(size))))
                continue
            if batch:
                yield CodedFrames(as_runs(batch) if self.runs else batch)
                batch = []
            if op == "I":
                tracks = []
                for spec in parts[1:]:
                    kind, rest = KIND[spec[0]], spec[1:]
                    tid, ts = rest.split("/")
                    rate = None
                    if ":" in ts:
                        ts, rate = ts.split(":")
                    cfg = DecoderConfig(codec="test", sample_rate=int(rate) if rate else None)
                    tracks.append(TrackInfo(track_id=int(tid), kind=kind, codec="test",
                                            timescale=int(ts), config=cfg))
                yield InitSegment(tracks=tuple(tracks), duration=None)
            elif op == "M":
                yield MediaSegmentStart()
            elif op == "E":
                yield MediaSegmentEnd()
            elif op == "X":
                raise ParseError(" ".join(parts[1:]))
        if batch:
            yield CodedFrames(as_runs(batch) if self.runs else batch)


def as_runs(frames: list[CodedFrame]) -> list[FrameRun]:
    """Consecutive frames of one track, each decoded where the one before ends, as one
    ``FrameRun`` (``pts is dts`` when they are equal throughout)."""
    groups: list[list[CodedFrame]] = []
    for f in frames:
        last = groups[-1][-1] if groups else None
        if last is not None and last.track_id == f.track_id and f.dts == last.dts + last.duration:
            groups[-1].append(f)
        else:
            groups.append([f])
    runs = []
    for g in groups:
        sizes = [len(f.data) for f in g]
        dts = [f.dts for f in g]
        pts = [f.pts for f in g]
        runs.append(FrameRun(g[0].track_id, dts if pts == dts else pts, dts,
                             [f.duration for f in g], [f.is_rap for f in g],
                             memoryview(b"".join(bytes(f.data) for f in g)), 0,
                             list(accumulate(sizes, initial=0))[:-1], sizes))
    return runs


class Pair:
    """An element model with a MediaSource attached (sourceopen already fired)."""

    def __init__(self, **ms_kwargs) -> None:
        self.queue = TaskQueue()
        self.ms = MediaSource(queue=self.queue, **ms_kwargs)
        self.el = HTMLMediaElement(queue=self.queue)
        self.log: list[str] = []
        self.names = {id(self.ms): "ms", id(self.el): "el",
                      id(self.ms.source_buffers): "sbl",
                      id(self.ms.active_source_buffers): "asbl"}
        self.queue.observers.append(self._observe)
        self.el.src_object = self.ms
        self.run()
        assert self.ms.ready_state == "open"
        self.log.clear()

    def _observe(self, target, event) -> None:
        self.log.append(f"{self.names.get(id(target), type(target).__name__)}:{event.type}")

    def run(self) -> list[str]:
        """Drain the task queue; return (and clear) the events fired."""
        self.queue.run_until_idle()
        out = list(self.log)
        self.log.clear()
        return out

    def add(self, name: str = "sb", type_: str = 'video/mp4; codecs="avc1.64001f"',
            script: bool = True, runs: bool = False):
        if script:
            import msepy.sourcebuffer as module
            real, module.parser_for = module.parser_for, lambda essence: FrameScriptParser(runs)
            try:
                sb = self.ms.add_source_buffer(type_)
            finally:
                module.parser_for = real
        else:
            sb = self.ms.add_source_buffer(type_)
        self.names[id(sb)] = name
        self.run()  # sbl:addsourcebuffer
        return sb

    def append(self, sb, data: str | bytes) -> list[str]:
        sb.append_buffer(data.encode() if isinstance(data, str) else data)
        return self.run()


def ranges(tr) -> list[tuple[float, float]]:
    return [(round(s, 6), round(e, 6)) for s, e in tr.as_floats()]


# -- Added for test_idl / test_algorithms / test_properties ------------------------------

def gop_lines(start: int, n: int = 3, dur: int = 100, track: int = 1,
              size: int = 100) -> str:
    """FrameScript lines for a closed GOP of ``n`` frames in presentation order
    (keyframe first, dts == pts), starting at tick ``start``."""
    return "".join(f"F {track} {'K' if i == 0 else '.'} {start + i * dur} "
                   f"{start + i * dur} {dur} {size}\n" for i in range(n))


def reordered_gop_lines(start: int, m: int = 2, dur: int = 100, track: int = 1,
                        size: int = 100) -> str:
    """A closed GOP of ``2m + 1`` frames with B-frame style reordering: presentation
    order I B P B P …, decode order I P B P B …, dts one frame behind (dts <= pts)."""
    order = [0] + [k for j in range(1, m + 1) for k in (2 * j, 2 * j - 1)]
    return "".join(f"F {track} {'K' if i == 0 else '.'} {start + k * dur} "
                   f"{start + (i - 1) * dur} {dur} {size}\n" for i, k in enumerate(order))


def add_generating_timestamps(pair: Pair, name: str = "sb",
                              type_: str = 'audio/mp4; codecs="mp4a.40.2"'):
    """A FrameScript SourceBuffer whose byte stream has the registry's generate
    timestamps flag set (as audio/mpeg and audio/aac have)."""
    import msepy.sourcebuffer as module
    real = module.generates_timestamps
    module.generates_timestamps = lambda essence: True
    try:
        return pair.add(name, type_)
    finally:
        module.generates_timestamps = real


def frames_of(sb, track_id: int = 1) -> list[tuple]:
    """``(pts, dts, duration, is_rap)`` of a track buffer's frames, in exact seconds."""
    from fractions import Fraction
    tb = sb._track_buffers[track_id]
    ts = tb.timescale
    return [(Fraction(f.pts, ts), Fraction(f.dts, ts), Fraction(f.duration, ts), f.is_rap)
            for f in tb.frames]


# -- byte stream parser tests -------------------------------------------------------------

def parse_pieces(parser, data, pieces=None) -> list:
    """Feed ``data`` to ``parser`` whole, or split at the given sizes (the rest in one
    last piece), parsing after every feed; all the events."""
    events, view, pos = [], memoryview(data), 0
    for size in pieces or [len(data)]:
        parser.feed(view[pos:pos + size])
        pos += size
        events += list(parser.parse())
    if pos < len(data):
        parser.feed(view[pos:])
        events += list(parser.parse())
    return events


def coded_frames(events, track_id=None) -> list:
    """The coded frames of ``events`` (of one track if given), in order."""
    return [f for e in events if isinstance(e, CodedFrames) for f in e.frames
            if track_id is None or f.track_id == track_id]


def init_segments(events) -> list:
    return [e for e in events if isinstance(e, InitSegment)]


def event_shape(events, markers: bool = False) -> list:
    """Init segments and frames (with their bytes) in order, CodedFrames batches merged:
    comparable however the bytes were split.  ``markers``: keep the media segment
    start/end events too (parsers that end a segment only at its next boundary)."""
    out = []
    for e in events:
        if isinstance(e, CodedFrames):
            out += [(f.track_id, f.pts, f.dts, f.duration, f.is_rap, bytes(f.data))
                    for f in e.frames]
        elif markers or isinstance(e, InitSegment):
            out.append(e)
    return out


def draw_pieces(data, length: int, max_cuts: int = 6, inner: bool = False) -> list[int]:
    """Hypothesis: sizes of pieces splitting ``length`` bytes at up to ``max_cuts``
    drawn points (``inner``: never at either end, so no piece is empty)."""
    from hypothesis import strategies as st
    lo, hi = (1, length - 1) if inner else (0, length)
    cuts = sorted(data.draw(st.lists(st.integers(lo, hi), max_size=max_cuts)))
    return [b - a for a, b in zip([0] + cuts, cuts + [length])]


def draw_mutation(data, seed: bytes, flips: int, words: list[bytes], rewrites: int = 1) -> bytes:
    """Hypothesis: ``seed`` with up to ``flips`` bit flips, maybe up to ``rewrites``
    4-byte fields overwritten by one of ``words``, and truncated anywhere."""
    from hypothesis import strategies as st
    raw = bytearray(seed)
    for _ in range(data.draw(st.integers(0, flips))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] ^= 1 << data.draw(st.integers(0, 7))
    if data.draw(st.booleans()):
        for _ in range(data.draw(st.integers(1, rewrites)) if rewrites > 1 else 1):
            pos = data.draw(st.integers(0, len(raw) - 4))
            raw[pos:pos + 4] = data.draw(st.sampled_from(words))
    return bytes(raw[:data.draw(st.integers(0, len(raw)))])
