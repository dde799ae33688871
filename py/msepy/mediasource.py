"""MediaSource and SourceBufferList.

Theory of operation
-------------------
The MediaSource is the one home of ``readyState`` ("closed" → "open" ⇄ "ended" →
"closed"; see ``_TRANSITIONS``) and of the MediaSource-wide algorithms: duration change,
end of stream, attaching/detaching, and "Changes to selected/enabled track state".

It talks to its media element only through the ``_element`` link and the ``_ms_*``
methods the element model offers (``msepy.element``).  In the browser the bridge puts a
proxy there that posts the spec's internal messages (duration change, network/decode
error, active track added, sourcebuffers ready, create/remove track mirror) across the
port instead, so nothing here knows which context the element lives in.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterator

from ._time import INF, from_double
from .bytestream import support
from .errors import InvalidStateError, NotFoundError, NotSupportedError
from .events import EventTarget, TaskQueue, default_queue
from .sourcebuffer import SourceBuffer
from .timeranges import TimeRanges
from .tracks import is_active

if TYPE_CHECKING:
    from .element import HTMLMediaElement

__all__ = ["MediaSource", "SourceBufferList", "ReadyState", "EndOfStreamError"]

ReadyState = ("closed", "open", "ended")
EndOfStreamError = ("network", "decode")

# readyState transitions and the event each fires (the Event Summary table).
_TRANSITIONS = {
    ("closed", "open"): "sourceopen",
    ("ended", "open"): "sourceopen",
    ("open", "ended"): "sourceended",
    ("open", "closed"): "sourceclose",
    ("ended", "closed"): "sourceclose",
}


class SourceBufferList(EventTarget):
    _event_types = ("addsourcebuffer", "removesourcebuffer")

    def __init__(self) -> None:
        super().__init__()
        self._items: list[SourceBuffer] = []

    @property
    def length(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> SourceBuffer:
        return self._items[index]

    def __iter__(self) -> Iterator[SourceBuffer]:
        return iter(list(self._items))

    def __contains__(self, sb: object) -> bool:
        return sb in self._items

    def __repr__(self) -> str:
        return f"<SourceBufferList {self._items}>"


class MediaSource(EventTarget):
    _event_types = ("sourceopen", "sourceended", "sourceclose")

    can_construct_in_dedicated_worker = True

    def __init__(self, *, queue: TaskQueue | None = None,
                 memory_limits: dict[str, int] | None = None) -> None:
        super().__init__()
        self._queue = queue if queue is not None else default_queue()
        self._ready_state = "closed"
        self._duration: Fraction | float = math.nan
        self._source_buffers = SourceBufferList()
        self._active = SourceBufferList()
        self._live_seekable_range = TimeRanges()
        self._element: HTMLMediaElement | Any | None = None
        self._memory_limits = memory_limits
        self.error_message: str | None = None
        self._context_destroyed = False
        """The DedicatedWorker that constructed this MediaSource was terminated."""
        self._buffered_memo: dict[bool, tuple[Any, TimeRanges]] = {
            False: ((), TimeRanges()), True: ((), TimeRanges())}
        """Per ended state: (the SourceBuffer ranges it was computed from,
        ``_element_buffered()``)."""
        self._seekable_memo: tuple[Any, TimeRanges] = ((), TimeRanges())
        """(duration, element buffered, live seekable range; ``_element_seekable()``)."""

    def __repr__(self) -> str:
        return (f"<MediaSource {self._ready_state} duration={self.duration} "
                f"{len(self._source_buffers)} SourceBuffers>")

    # -- attributes -----------------------------------------------------------------------
    @property
    def ready_state(self) -> str:
        return self._ready_state

    @property
    def source_buffers(self) -> SourceBufferList:
        return self._source_buffers

    @property
    def active_source_buffers(self) -> SourceBufferList:
        return self._active

    @property
    def duration(self) -> float:
        if self._ready_state == "closed":  # 1.
            return math.nan
        return float(self._duration)  # 2.

    @duration.setter
    def duration(self, value: float) -> None:
        value = float(value)
        if math.isnan(value) or value < 0:  # 1.
            raise TypeError("duration must not be negative or NaN")
        if self._ready_state != "open":  # 2.
            raise InvalidStateError("the MediaSource is not open")
        if any(sb.updating for sb in self._source_buffers):  # 3.
            raise InvalidStateError("a SourceBuffer is updating")
        self._duration_change(from_double(value))  # 4.

    @staticmethod
    def is_type_supported(type_: str) -> bool:
        return bool(type_) and support(type_) is not None

    # -- methods --------------------------------------------------------------------------
    def add_source_buffer(self, type_or_config: Any) -> SourceBuffer:
        """addSourceBuffer(): a MIME type, or a SourceBufferConfig (a dict with
        ``audioConfig`` or ``videoConfig``) for appendEncodedChunks()."""
        from .chunks import config_supported, parse_source_buffer_config
        essence = config = None
        if isinstance(type_or_config, str):  # 1.
            if type_or_config == "":
                raise TypeError("addSourceBuffer() needs a non-empty MIME type")
            essence = support(type_or_config)
            if essence is None:  # 1.2
                raise NotSupportedError(f"unsupported MIME type {type_or_config!r}")
        else:  # 2.
            config = parse_source_buffer_config(type_or_config)
            if not config_supported(*config):  # 2.3
                raise NotSupportedError(f"unsupported decoder configuration {config[1].codec!r}")
        if self._ready_state != "open":  # 4.
            raise InvalidStateError("the MediaSource is not open")
        sb = self._make_source_buffer(essence, type_or_config if essence else None, config)  # 5-7.
        self._source_buffers._items.append(sb)  # 8.
        self._queue.fire(self._source_buffers, "addsourcebuffer")
        return sb  # 9.

    def _make_source_buffer(self, essence: str | None, type_: str | None,
                            config: Any) -> SourceBuffer:
        return SourceBuffer(self, essence, type_, self._queue, self._memory_limits,
                            chunk_config=config)

    def remove_source_buffer(self, sb: SourceBuffer) -> None:
        if sb not in self._source_buffers._items:  # 1.
            raise NotFoundError("that SourceBuffer is not in sourceBuffers")
        if sb.updating:  # 2.
            sb._abort_pending()
            sb._settle_or_fire("abort")
        # 3-8. Tracks leave the SourceBuffer's and the element's lists.
        for track_list in (sb.audio_tracks, sb.video_tracks, sb.text_tracks):
            for track in list(track_list):
                track._source_buffer = None
                track_list._remove(track)
                if self._element is not None:
                    self._element._ms_remove_track(track)
        if sb in self._active._items:  # 9.
            self._active._items.remove(sb)
            self._queue.fire(self._active, "removesourcebuffer")
        self._source_buffers._items.remove(sb)  # 10.
        self._queue.fire(self._source_buffers, "removesourcebuffer")
        sb._destroy_resources()  # 11.
        self._buffered_changed()

    def end_of_stream(self, error: str | None = None) -> None:
        if error is not None and error not in EndOfStreamError:
            raise TypeError(f"endOfStream() error must be 'network' or 'decode', not {error!r}")
        if self._ready_state != "open":  # 1.
            raise InvalidStateError("the MediaSource is not open")
        if any(sb.updating for sb in self._source_buffers):  # 2.
            raise InvalidStateError("a SourceBuffer is updating")
        self._end_of_stream(error)  # 3.

    def set_live_seekable_range(self, start: float, end: float) -> None:
        # WebIDL ``double`` conversion rejects NaN/Infinity before step 1 runs.
        if any(math.isnan(x) or math.isinf(x) for x in (start, end)):
            raise TypeError("setLiveSeekableRange() takes finite numbers")
        if self._ready_state != "open":  # 1.
            raise InvalidStateError("the MediaSource is not open")
        if start < 0 or start > end:  # 2.
            raise TypeError("setLiveSeekableRange() start must be >= 0 and <= end")
        self._live_seekable_range = TimeRanges([(from_double(start), from_double(end))])  # 3.

    def clear_live_seekable_range(self) -> None:
        if self._ready_state != "open":  # 1.
            raise InvalidStateError("the MediaSource is not open")
        self._live_seekable_range = TimeRanges()  # 2.

    # -- readyState --------------------------------------------------------------------------
    def _set_ready_state(self, new: str) -> None:
        event = _TRANSITIONS.get((self._ready_state, new))
        self._ready_state = new
        if event:
            self._queue.fire(self, event)

    def _reopen_if_ended(self) -> None:
        """The "if readyState is ended, set it to open and fire sourceopen" steps."""
        if self._ready_state == "ended":
            self._set_ready_state("open")

    # -- attaching / detaching -----------------------------------------------------------
    def _attach(self, element: Any) -> bool:
        """"Attaching to a media element" (Window case).  False if not closed."""
        if self._ready_state != "closed":
            return False
        self._element = element
        self._set_ready_state("open")
        return True

    def _detach(self) -> None:
        """"Detaching from a media element" steps 2-9."""
        if self._ready_state == "closed":
            self._element = None
            return
        self._ready_state = "closed"  # 3. (sourceclose is queued at step 9)
        self._duration = math.nan  # 4.
        # A SourceBuffer still updating stops as removeSourceBuffer() stops it (its
        # step 2: abort, then updateend), before the lists empty: the steps say only
        # "remove", and Chromium aborts the append so (e2e differential "detach while
        # appending": updatestart, abort, updateend, removesourcebuffer, sourceclose).
        for sb in self._source_buffers._items:
            if sb.updating:
                sb._abort_pending()
                sb._settle_or_fire("abort")
        self._active._items.clear()  # 5-6.
        self._queue.fire(self._active, "removesourcebuffer")
        for sb in list(self._source_buffers._items):  # 7-8.
            sb._destroy_resources()  # (memory: Chromium's choice, unobservable)
        self._source_buffers._items.clear()
        self._queue.fire(self._source_buffers, "removesourcebuffer")
        self._queue.fire(self, "sourceclose")  # 9.
        self._element = None

    # -- duration change / end of stream -------------------------------------------------
    def _duration_or_zero(self) -> Fraction | float:
        d = self._duration
        return 0 if d != d else d

    def _highest_times(self, source_buffers: Any = None
                       ) -> tuple[Fraction | None, Fraction | None]:
        """The highest presentation timestamp and the largest track buffer ranges end
        time across the track buffers of ``source_buffers`` (default: sourceBuffers);
        None where nothing is buffered."""
        sbs = self._source_buffers if source_buffers is None else source_buffers
        pairs = [(tb.highest_end(), tb.highest_pts())
                 for sb in sbs for tb in sb._track_buffers.values()]
        ends = [e for e, _ in pairs if e is not None]
        pts = [p for _, p in pairs if p is not None]
        return (max(pts) if pts else None), (max(ends) if ends else None)

    def _duration_change(self, new: Fraction | float, announce: bool = True) -> None:
        """"Duration change" (``announce``: see ``HTMLMediaElement._ms_duration_changed``)."""
        if new == self._duration:  # 1.
            return
        highest_pts, highest_end = self._highest_times()  # (highest_end: 3.)
        if highest_pts is not None and new < highest_pts:  # 2.
            raise InvalidStateError("the new duration would truncate buffered media; "
                                    "remove() it first")
        if highest_end is not None and new < highest_end:  # 4.
            new = highest_end
        self._duration = new  # 5.
        if self._element is not None:  # 6-7.
            self._element._ms_duration_changed(new, announce)

    def _end_of_stream(self, error: str | None, message: str | None = None) -> None:
        """"End of stream"."""
        self._set_ready_state("ended")  # 1-2.
        if error is None:  # 3.
            # 3.1: with no track buffer ranges there is no largest end time: the
            # duration stays, as Chromium's demuxer leaves it (e2e differential "remove
            # everything, then append again": native kept 2.021 s for WebM, +Infinity
            # for fragmented MP4; 0 would have been msepy's).
            _, highest = self._highest_times()
            if highest is not None:
                self._duration_change(highest)
            if self._element is not None:
                self._element._ms_all_data()
        elif error == "network":
            if self._element is not None:
                self._element._ms_network_error(message or "endOfStream('network')")
        else:
            self.error_message = message
            if self._element is not None:
                self._element._ms_decode_error(message or "endOfStream('decode')")

    # -- links to the element ------------------------------------------------------------
    def _element_error(self) -> bool:
        """Prepare append step 3: the element's error attribute is not null."""
        return self._element is not None and self._element.error is not None

    def _add_track_to_element(self, track: Any) -> None:
        track._on_change = self._track_state_changed
        if self._element is not None:
            self._element._ms_add_track(track)

    def _active_track_added(self) -> None:
        if self._element is not None:
            self._element._ms_active_track_added()

    def _sourcebuffers_ready(self) -> None:
        if self._element is not None:
            self._element._ms_sourcebuffers_ready()

    def _frames_processed(self, sb: SourceBuffer) -> None:
        if self._element is not None:
            self._element._ms_frames_processed()

    def _buffered_changed(self) -> None:
        if self._element is not None:
            self._element._ms_buffered_changed()

    def _position_changed(self) -> None:
        """The element's current playback position moved (ManagedMediaSource uses it)."""

    def _activate(self, sb: SourceBuffer) -> None:
        """Add ``sb`` to activeSourceBuffers, keeping sourceBuffers order."""
        if sb in self._active._items:
            return
        order = self._source_buffers._items
        self._active._items.append(sb)
        self._active._items.sort(key=order.index)
        self._queue.fire(self._active, "addsourcebuffer")

    def _track_state_changed(self, track: Any) -> None:
        """"Changes to selected/enabled track state"."""
        sb = track._source_buffer
        if sb is None or sb._source is not self:
            return
        if is_active(track):
            self._activate(sb)
        elif sb in self._active._items and not any(
                is_active(t) for tl in (sb.audio_tracks, sb.video_tracks, sb.text_tracks)
                for t in tl):
            self._active._items.remove(sb)
            self._queue.fire(self._active, "removesourcebuffer")
        self._buffered_changed()

    # -- what the element reads (HTMLMediaElement Extensions) ------------------------------
    def _element_buffered(self, ended: bool | None = None, without: Any = None) -> TimeRanges:
        """HTMLMediaElement.buffered, "Window" case step 2; with ``ended``, as it is
        in that state (True: readyState "ended") whatever the state is now; with
        ``without``, as it is once that SourceBuffer is no longer active."""
        if self._context_destroyed:  # 1. a terminated worker's MediaSource
            return TimeRanges()
        active = [sb for sb in self._active if sb is not without]
        if not active:
            return TimeRanges()
        if ended is None:
            ended = self._ready_state == "ended"
        source_ranges = [sb._buffered_ranges(ended) for sb in active]
        if without is not None:
            return self._intersect_buffered(source_ranges, ended)
        # Recomputed only when a SourceBuffer's ranges changed (they are memoized
        # objects: the comparison is by identity while unchanged).
        key = tuple(source_ranges)
        memo = self._buffered_memo[ended]
        if key == memo[0]:
            return memo[1]
        result = self._intersect_buffered(source_ranges, ended)
        self._buffered_memo[ended] = (key, result)
        return result

    def _intersect_buffered(self, source_ranges: list[TimeRanges], ended: bool) -> TimeRanges:
        ends = [r.highest_end for r in source_ranges if r]
        if not ends:
            return TimeRanges()
        if len(source_ranges) == 1 and source_ranges[0].ranges[0][0] >= 0:
            # [0, its highest end] ∩ its ranges: itself - ended too (its last range
            # already ends at the highest end time, the only source's own).
            return source_ranges[0]
        highest = max(ends)
        result = TimeRanges([(Fraction(0), highest)])
        for ranges in source_ranges:
            if ended and ranges:
                rs = list(ranges.ranges)
                rs[-1] = (rs[-1][0], highest)
                ranges = TimeRanges(rs)
            result = result.intersection(ranges)
        return result

    def _element_seekable(self) -> TimeRanges:
        """HTMLMediaElement.seekable steps 1-3."""
        if self._context_destroyed:  # 1.
            return TimeRanges()
        duration = self._duration
        if duration != duration:
            return TimeRanges()
        buffered = self._element_buffered() if duration == INF else None
        key = (duration, buffered, self._live_seekable_range)
        if key == self._seekable_memo[0]:
            return self._seekable_memo[1]
        result = self._compute_seekable(duration, buffered)
        self._seekable_memo = (key, result)
        return result

    def _compute_seekable(self, duration: Fraction | float, buffered: TimeRanges | None
                          ) -> TimeRanges:
        if buffered is not None:
            live = self._live_seekable_range
            if live:  # 3.1
                union = live.union(buffered)
                return TimeRanges([(union.ranges[0][0], union.highest_end)])
            if not buffered:  # 3.2
                return TimeRanges()
            return TimeRanges([(Fraction(0), buffered.highest_end)])  # 3.3
        return TimeRanges([(Fraction(0), duration)])
