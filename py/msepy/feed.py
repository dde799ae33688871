"""The frame feed: what the renderer decodes next, per active track.

Theory of operation
-------------------
MSE's "Seeking" step 3: after a seek the decoders are reset and fed coded frames from
the active track buffers "starting with the closest random access point before the new
playback position".  During playback they are fed the following frames in decode
order.  ``FrameFeed`` keeps one cursor per active track (the last frame handed out) and
answers ``pull(key)`` with the next frames.

The track buffer keeps changing while the renderer reads it (appends, removals,
eviction, a new initialization segment).  Frames after the cursor may change freely:
they were never handed out.  If anything at or before the cursor changed
(``TrackBuffer.modified_from_dts``), what the decoder holds may be stale: the batch says
``reset`` and restarts from the random access point for the element's current position
— the "track buffer" of the early draft (003, §2.8) that must be "kept right as appends
and removals land near the playhead".  A new track description brings ``config``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from ._time import floor_ticks
from .bytestream import CodedFrame, DecoderConfig
from .trackbuffer import TrackBuffer
from .tracks import _Track, is_active

if TYPE_CHECKING:
    from .element import HTMLMediaElement
    from .sourcebuffer import SourceBuffer

__all__ = ["FrameFeed", "FeedTrack", "FeedBatch"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedTrack:
    key: str
    """The AudioTrack/VideoTrack/TextTrack ``id``."""
    kind: str
    config: DecoderConfig | None
    timescale: int
    track_buffer: TrackBuffer
    source_buffer: "SourceBuffer"


@dataclass(slots=True, kw_only=True)
class FeedBatch:
    reset: bool = False
    """Flush the decoder before these frames (what it holds may be stale)."""
    config: DecoderConfig | None = None
    """Configure the decoder with this before these frames (first pull, new init)."""
    timescale: int = 1
    frames: list[CodedFrame] = field(default_factory=list)
    """The next frames in decode order (times in ``timescale`` ticks)."""

    def seconds(self, ticks: int) -> float:
        return ticks / self.timescale


@dataclass(slots=True)
class _Cursor:
    config: DecoderConfig | None = None
    """The configuration last handed to the decoder."""
    last: CodedFrame | None = None
    """The last frame handed out, or None: start from the position's RAP."""
    needs_reset: bool = True
    start_at: Fraction | None = None
    """Where to restart when ``last`` is None (None: the element's position)."""


def active_track_buffers(element: "HTMLMediaElement"
                         ) -> list[tuple["SourceBuffer", TrackBuffer, _Track]]:
    """``(SourceBuffer, track buffer, track)`` of each active track of ``element``'s
    MediaSource: enabled audio, selected video, showing/hidden text."""
    ms = element._ms
    if ms is None:
        return []
    out = []
    for sb in ms.active_source_buffers:
        for tid, tb in sb._track_buffers.items():
            for track in sb._tracks.get(tid, ()):
                if is_active(track):
                    out.append((sb, tb, track))
                    break
    return out


class FrameFeed:
    def __init__(self, element: "HTMLMediaElement") -> None:
        self._element = element
        self._cursors: dict[str, _Cursor] = {}
        self._seek_at: Fraction | None = None
        """The last seek() time, for tracks first pulled after it."""

    def __repr__(self) -> str:
        return f"<FrameFeed {[t.key for t in self.tracks()]}>"

    def tracks(self) -> list[FeedTrack]:
        """The active track buffers: enabled audio, selected video, showing/hidden text."""
        return [FeedTrack(key=track.id, kind=tb.kind, config=tb.info.config,
                          timescale=tb.timescale, track_buffer=tb, source_buffer=sb)
                for sb, tb, track in active_track_buffers(self._element)]

    def seek(self, t: float | Fraction | None = None) -> None:
        """Restart every track from the random access point for ``t`` (default: the
        element's current position) — "Seeking" steps 2-3."""
        at = None if t is None else Fraction(t)
        self._seek_at = at
        for cursor in self._cursors.values():
            cursor.last = None
            cursor.needs_reset = True
            cursor.start_at = at

    def pull(self, key: str, max_frames: int = 30) -> FeedBatch:
        track = next((t for t in self.tracks() if t.key == key), None)
        if track is None:
            return FeedBatch()
        tb = track.track_buffer
        cursor = self._cursors.get(key)
        if cursor is None:
            cursor = self._cursors[key] = _Cursor(start_at=self._seek_at)
        batch = FeedBatch(timescale=tb.timescale)
        if cursor.last is not None and tb.modified_from_dts <= cursor.last.dts:
            cursor.last = None  # something already decoded changed under us
            cursor.needs_reset = True
        tb.modified_from_dts = math.inf
        if cursor.last is None:
            start = self._start_index(tb, cursor.start_at)
        else:
            start = tb.index_after(cursor.last)
        if start is None:
            if cursor.config is None:
                batch.config = cursor.config = tb.info.config
            return batch
        frames = tb.frames_upto(start + max_frames)[start:start + max_frames]
        # Each frame carries the track description it was appended under: a batch
        # starts with a configure wherever that changes (a new initialization segment,
        # changeType to another codec or to WebCodecs chunks), and never spans two.
        config = _config_of(frames[0], tb) if frames else tb.info.config
        if cursor.needs_reset or cursor.config is None or config != cursor.config:
            batch.config = cursor.config = config  # after a reset the decoder is unconfigured
        for i, frame in enumerate(frames):
            if i and _config_of(frame, tb) != config:
                frames = frames[:i]
                break
        batch.reset = cursor.needs_reset
        cursor.needs_reset = False
        batch.frames = frames
        if frames:
            cursor.last = frames[-1]
            cursor.start_at = None
        return batch

    def _start_index(self, tb: TrackBuffer, at: Fraction | None) -> int | None:
        t = at if at is not None else self._element._position
        ticks = floor_ticks(Fraction(t), tb.timescale)  # a lookup: never rescale the buffer
        idx = tb.rap_index_for(ticks)
        if idx is None:
            # Nothing at or before t: the first random access point after it.
            idx = next((i for i, f in enumerate(tb.frames) if f.is_rap and f.pts >= ticks), None)
        return idx


def _config_of(frame: CodedFrame, tb: TrackBuffer) -> DecoderConfig | None:
    info = frame.info if frame.info is not None else tb.info
    return info.config
