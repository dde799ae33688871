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
    from .sourcebuffer import SourceBuffer
    from .trackbuffer import TrackBuffer

__all__ = ["coded_frame_eviction"]


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
        for start, end in _removal_ranges(tb, position, excess):  # 3.
            coded_frame_removal(sb, start, end)  # 4.
    sb._buffer_full = sb._over_limit(pending)
    sb._buffered_changed_hook()


def _parser_backlog(sb: "SourceBuffer") -> int:
    return getattr(sb._parser, "buffered_bytes", 0) or 0


def _current_position(sb: "SourceBuffer") -> Fraction:
    source = sb._source
    element = source._element if source is not None else None
    if element is None:
        return Fraction(0)
    return getattr(element, "_position", Fraction(0))


def _removal_ranges(tb: "TrackBuffer", position: Fraction, excess: int
                    ) -> list[tuple[Fraction, Fraction]]:
    """Whole-GOP presentation ranges freeing at least ``excess`` bytes if possible."""
    gops = tb.gops()
    if not gops:
        return []
    pos = floor_ticks(position, tb.timescale) if isinstance(position, Fraction) else 0
    sizes = [sum(len(f.data) for f in tb.frames[a:b]) for a, b in gops]
    spans = [tb.pts_span(a, b) for a, b in gops]
    last_appended = max(range(len(gops)), key=lambda i: max(
        f.dts for f in tb.frames[gops[i][0]:gops[i][1]]))
    # The GOP holding the current position (or the first one after it).
    playing = next((i for i, (s, e) in enumerate(spans) if s <= pos < e),
                   next((i for i, (s, _) in enumerate(spans) if s > pos), len(spans)))
    chosen: list[int] = []
    freed = 0
    for i in range(len(gops)):  # front, up to the playing GOP
        if freed >= excess or i >= playing:
            break
        if i != last_appended:
            chosen.append(i)
            freed += sizes[i]
    for i in range(len(gops) - 1, playing, -1):  # then the back
        if freed >= excess:
            break
        if i != last_appended and i not in chosen:
            chosen.append(i)
            freed += sizes[i]
    ts = tb.timescale
    return [(Fraction(spans[i][0], ts), Fraction(spans[i][1], ts)) for i in sorted(chosen)]
