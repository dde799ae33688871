"""ManagedMediaSource and ManagedSourceBuffer (000_3f80cd5a6eef0c23.txt).

A ManagedMediaSource tells the page when to fetch: ``streaming`` turns true (and
``startstreaming`` fires) when the media element's ``[currentTime, currentTime + 10 s]``
is not buffered, and false (``endstreaming``) once ``[currentTime, currentTime + 30 s]``
is — WebKit's marks (byte-streams.md), with the end of the presentation counting as
buffered to the end.  Its ManagedSourceBuffers fire ``bufferedchange`` (a
BufferedChangeEvent with ``added_ranges`` = new − old and ``removed_ranges`` =
old − new) after every change to ``buffered``: appends, removals, and evictions the user
agent makes at any time (``memory_pressure()``: inactive buffers are emptied, active
ones lose what lies before the GOP at the current position).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ._time import floor_ticks
from .events import Event
from .mediasource import MediaSource
from .processing import coded_frame_removal
from .sourcebuffer import SourceBuffer
from .timeranges import TimeRanges

__all__ = ["ManagedMediaSource", "ManagedSourceBuffer", "BufferedChangeEvent"]

LOW_WATER = Fraction(10)
"""Seconds ahead of currentTime that must be buffered, or streaming starts."""
HIGH_WATER = Fraction(30)
"""Seconds ahead of currentTime buffered before streaming ends."""


class BufferedChangeEvent(Event):
    __slots__ = ("added_ranges", "removed_ranges")

    def __init__(self, type: str, added_ranges: TimeRanges, removed_ranges: TimeRanges) -> None:
        super().__init__(type)
        self.added_ranges = added_ranges
        self.removed_ranges = removed_ranges


class ManagedSourceBuffer(SourceBuffer):
    _event_types = SourceBuffer._event_types + ("bufferedchange",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reported = TimeRanges()

    def _buffered_changed_hook(self) -> None:
        """Queue ``bufferedchange`` if ``buffered`` differs from what was last reported."""
        if self._source is None:
            return
        now = self._buffered_ranges()
        if now != self._reported:
            added, removed = now.difference(self._reported), self._reported.difference(now)
            self._reported = now
            self._queue.fire(self, BufferedChangeEvent("bufferedchange", added, removed))


class ManagedMediaSource(MediaSource):
    _event_types = MediaSource._event_types + ("startstreaming", "endstreaming")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._streaming = False

    @property
    def streaming(self) -> bool:
        return self._streaming

    def _make_source_buffer(self, essence: str | None, type_: str | None,
                            config: Any) -> SourceBuffer:
        return ManagedSourceBuffer(self, essence, type_, self._queue, self._memory_limits,
                                   chunk_config=config)

    def _set_ready_state(self, new: str) -> None:
        super()._set_ready_state(new)
        if new == "open":
            self._update_streaming()

    def _position_changed(self) -> None:
        self._update_streaming()

    def _buffered_changed(self) -> None:
        super()._buffered_changed()
        self._update_streaming()

    def _frames_processed(self, sb: SourceBuffer) -> None:
        super()._frames_processed(sb)
        self._update_streaming()

    def _update_streaming(self) -> None:
        element = self._element
        if element is None or self._ready_state == "closed":
            return
        duration = self._duration
        ended = self._ready_state == "ended"
        buffered = self._element_buffered()
        # Where the element looks data up: a position before a first range that starts
        # within Chromium's start fudge room plays from that range (element.py).
        pos = element._effective_position(buffered)
        rng = buffered.range_containing(pos)
        ahead_end = rng[1] if rng is not None else pos
        to_end = duration == duration and ahead_end >= duration

        def covered(mark: Fraction) -> bool:
            return ended or to_end or ahead_end >= pos + mark

        if not self._streaming and not covered(LOW_WATER):
            self._streaming = True
            self._queue.fire(self, "startstreaming")
        elif self._streaming and covered(HIGH_WATER):
            self._streaming = False
            self._queue.fire(self, "endstreaming")

    def memory_pressure(self) -> None:
        """The user agent evicts: inactive buffers entirely, active ones up to the random
        access point before the current position.  Fires bufferedchange."""
        element = self._element
        pos = element._position if element is not None else Fraction(0)
        for sb in self._source_buffers:
            if sb.updating:
                continue
            if sb not in self._active:
                coded_frame_removal(sb, Fraction(0), float("inf"))
            else:
                keep_from = min((_gop_start(tb, pos) for tb in sb._track_buffers.values()),
                                default=None)
                if keep_from is not None and keep_from > 0:
                    coded_frame_removal(sb, Fraction(0), keep_from)
            sb._buffered_changed_hook()
        self._buffered_changed()


def _gop_start(tb: Any, pos: Fraction) -> Fraction:
    idx = tb.rap_index_for(floor_ticks(pos, tb.timescale))
    if idx is None:
        return Fraction(0)
    return Fraction(tb.frames_upto(idx + 1)[idx].pts, tb.timescale)
