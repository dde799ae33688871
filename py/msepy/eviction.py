""""Coded Frame Eviction", the way Chromium chooses what to evict.

The spec leaves the choice of removal ranges to the implementation (step 3).  As
Chromium (byte-streams.md): predict whether the new data fits (the note under step 1:
"at least one implementation already does this"), then free whole GOPs — first from the
front, up to the GOP holding the current playback position, then from the back, never
the GOP being appended to — and run "Coded Frame Removal" on each range.  If the new
data still does not fit, the buffer full flag stays set and ``appendBuffer()`` throws
QuotaExceededError.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ._time import floor_ticks
from .processing import coded_frame_removal

if TYPE_CHECKING:
    from .bytestream import CodedFrame
    from .sourcebuffer import SourceBuffer
    from .trackbuffer import TrackBuffer

__all__ = ["coded_frame_eviction", "freeable_bytes"]


def coded_frame_eviction(sb: "SourceBuffer", new_bytes: int) -> None:
    # 1. Predict: would the new data (plus what the parser holds) overflow a limit?
    pending = new_bytes + _parser_backlog(sb)
    if sb._over_limit(pending):
        sb._buffer_full = True
    if not sb._buffer_full:  # 2.
        return
    position = _current_position(sb)
    for tb, excess in sb._excess(pending):
        if excess <= 0:
            continue
        for start, end in _joined(_removal_ranges(tb, position, excess)):  # 3.
            coded_frame_removal(sb, start, end)  # 4.
    sb._buffer_full = sb._over_limit(pending)
    sb._buffered_changed_hook()


def _joined(ranges: list[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """Ranges that touch (one ends where the next starts) as one.  "Coded Frame
    Removal" of the two is that of their union: the frames starting in either (step
    3.3), up to the next random access point after the later end (3.2, 3.4).  An audio
    track's every frame is a GOP: freeing a megabyte of AAC ran the removal thousands
    of times."""
    out: list[tuple[Fraction, Fraction]] = []
    for start, end in ranges:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _parser_backlog(sb: "SourceBuffer") -> int:
    return getattr(sb._parser, "buffered_bytes", 0) or 0


def _current_position(sb: "SourceBuffer") -> Fraction:
    source = sb._source
    element = source._element if source is not None else None
    if element is None:
        return Fraction(0)
    return getattr(element, "_position", Fraction(0))


def _removal_ranges(tb: "TrackBuffer", position: Fraction, excess: int | float
                    ) -> list[tuple[Fraction, Fraction]]:
    """Whole-GOP presentation ranges freeing at least ``excess`` bytes if possible."""
    return [(Fraction(s, tb.timescale), Fraction(e, tb.timescale))
            for s, e in (_pts_span(tb.frames, a, b) for a, b in _chosen_gops(tb, position, excess))]


def freeable_bytes(tb: "TrackBuffer", position: Fraction) -> int:
    """What eviction could free at ``position`` with no bound on the excess: every GOP
    but the one played and the one appended to (``appendQuota``, msepy.bridge)."""
    frames = tb.frames
    if not frames:
        return 0
    keep = {_gop_at(frames, len(frames) - 1)}
    playing = _playing_gop(tb, frames, position)
    if playing is not None:
        keep.add(playing)
    return tb.size - sum(_bytes(frames, a, b) for a, b in keep)


def _chosen_gops(tb: "TrackBuffer", position: Fraction, excess: int | float
                 ) -> list[tuple[int, int]]:
    """The GOPs (decode-order index spans) to remove: from the front up to the GOP
    holding ``position``, then from the back; never the GOP appended to (the last in
    decode order).  Only the GOPs taken and those two are walked, not every frame (an
    audio track buffer's every frame is a GOP)."""
    frames = tb.frames
    if not frames:
        return []
    last = _gop_at(frames, len(frames) - 1)
    playing = _playing_gop(tb, frames, position)
    chosen: list[tuple[int, int]] = []
    freed = 0
    a = 0
    front_end = playing[0] if playing is not None else len(frames)
    while a < front_end and freed < excess:  # the front, up to the playing GOP
        gop = (a, _next_rap(frames, a + 1))
        if gop != last:
            chosen.append(gop)
            freed += _bytes(frames, *gop)
        a = gop[1]
    b = len(frames)
    back_end = playing[1] if playing is not None else a
    while b > back_end and freed < excess:  # then the back
        gop = _gop_at(frames, b - 1)
        if gop != last:
            chosen.append(gop)
            freed += _bytes(frames, *gop)
        b = gop[0]
    return sorted(chosen)


def _playing_gop(tb: "TrackBuffer", frames: list["CodedFrame"], position: Fraction
                 ) -> tuple[int, int] | None:
    """The GOP whose presentation span holds ``position``, else the first one after it;
    None when every GOP ends at or before it."""
    pos = floor_ticks(position, tb.timescale) if isinstance(position, Fraction) else 0
    rap = tb.rap_index_for(pos)
    gop = _gop_at(frames, rap if rap is not None else 0)
    while True:
        if pos < _pts_span(frames, *gop)[1]:  # holds it, or starts after it
            return gop
        if gop[1] == len(frames):
            return None
        gop = (gop[1], _next_rap(frames, gop[1] + 1))


def _gop_at(frames: list["CodedFrame"], i: int) -> tuple[int, int]:
    """The GOP holding frame ``i``: from the random access point at or before it (or
    the first frame: a leading run without one counts as a GOP) to the next one."""
    a = i
    while a > 0 and not frames[a].is_rap:
        a -= 1
    return a, _next_rap(frames, i + 1)


def _next_rap(frames: list["CodedFrame"], i: int) -> int:
    while i < len(frames) and not frames[i].is_rap:
        i += 1
    return i


def _bytes(frames: list["CodedFrame"], a: int, b: int) -> int:
    return sum(len(f.data) for f in frames[a:b])


def _pts_span(frames: list["CodedFrame"], a: int, b: int) -> tuple[int, int]:
    gop = frames[a:b]
    return min(f.pts for f in gop), max(f.pts + f.duration for f in gop)
