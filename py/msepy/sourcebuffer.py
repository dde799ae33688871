"""SourceBuffer: the IDL surface and the append-side algorithms.

Theory of operation
-------------------
This module is the one home of a SourceBuffer's state machine: ``updating`` and the
``[[append state]]`` (WAITING_FOR_SEGMENT → PARSING_INIT_SEGMENT / PARSING_MEDIA_SEGMENT
→ WAITING_FOR_SEGMENT).  ``append_buffer`` and ``remove`` run their synchronous steps,
set ``updating`` and queue the asynchronous rest (buffer append / range removal) as a
task on the shared ``TaskQueue``; ``abort`` cancels a queued task that has not run.

The byte stream parser reports segment boundaries and complete coded frames
(``msepy.bytestream``); the segment parser loop here maps them onto the append state,
runs "Initialization Segment Received" (``initsegment.py``) and "Coded Frame
Processing" (``processing.py``).  A ``ParseError`` from the parser, or an
``AppendError`` from those algorithms, runs "Append Error" with its message, which
reaches the element's ``MediaError.message``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

from ._time import INF, ZERO, fmt, from_double
from .bytestream import (CodedFrames, InitSegment, MediaSegmentEnd, MediaSegmentStart,
                         ParseError, generates_timestamps, parser_for, support)
from .errors import AbortError, InvalidStateError, NotSupportedError, QuotaExceededError
from .eviction import coded_frame_eviction, memory_usage
from .events import EventTarget, Promise, TaskQueue
from .initsegment import initialization_segment_received
from .processing import AppendError, coded_frame_processing, coded_frame_removal
from .timeranges import TimeRanges
from .trackbuffer import TrackBuffer
from .tracks import AudioTrackList, TextTrackList, VideoTrackList, note_track_change

if TYPE_CHECKING:
    from .mediasource import MediaSource

__all__ = ["SourceBuffer", "AppendMode"]

AppendMode = ("segments", "sequence")
WAITING_FOR_SEGMENT = "WAITING_FOR_SEGMENT"
PARSING_INIT_SEGMENT = "PARSING_INIT_SEGMENT"
PARSING_MEDIA_SEGMENT = "PARSING_MEDIA_SEGMENT"

MiB = 1024 * 1024
DEFAULT_LIMITS = {"video": 150 * MiB, "audio": 12 * MiB, "text": 12 * MiB}
"""Per track buffer memory limits (Chromium's defaults for a SourceBuffer stream)."""


class SourceBuffer(EventTarget):
    _event_types = ("updatestart", "update", "updateend", "error", "abort")

    def __init__(self, source: "MediaSource", essence: str | None, type_: str | None,
                 queue: TaskQueue, limits: dict[str, int] | None = None,
                 chunk_config: tuple[str, Any] | None = None) -> None:
        super().__init__()
        self._source: MediaSource | None = source
        """The parent media source; None once removed from ``sourceBuffers``."""
        self._queue = queue
        self._type = type_
        self._essence = essence
        # Bytes (a parser) or WebCodecs chunks (a SourceBufferConfig): addSourceBuffer 6.
        self._parser = parser_for(essence) if essence is not None else None
        self._expects_chunks = essence is None
        self._chunk_config = chunk_config
        """The unprocessed SourceBufferConfig of [[input webcodecs configs and chunks]]."""
        self._chunk_kind: str | None = None
        self._input_chunks: list[Any] = []
        self._pending_chunks_promise: Promise | None = None
        self._generate_timestamps = generates_timestamps(essence) if essence else False
        # addSourceBuffer steps 6-7.
        self._mode = "sequence" if self._generate_timestamps else "segments"
        self._updating = False
        self._timestamp_offset: Fraction = ZERO
        self._append_window_start: Fraction = ZERO
        self._append_window_end: Fraction | float = INF
        self._append_state = WAITING_FOR_SEGMENT
        self._first_init_received = False
        self._pending_init_for_change_type = False
        self._buffer_full = False
        self._group_start: Fraction | None = None
        self._group_end: tuple[int, int] = (0, 1)
        """[[group end timestamp]] as (ticks, timescale): compared per frame, exactly."""
        self._track_buffers: dict[int, TrackBuffer] = {}
        self._group_firsts: list[tuple[TrackBuffer, int]] = []
        """First frame (track buffer, pts) of each track in the current coded frame
        group: their ranges start at the group's start time (processing.py)."""
        self._tracks: dict[int, list[Any]] = {}
        """Byte stream Track ID → the AudioTrack/VideoTrack/TextTrack objects made."""
        self._pending_task: list[bool] | None = None
        """The queued asynchronous step of the running append/remove ([cancelled])."""
        self._range_removal_running = False
        self._limits = dict(DEFAULT_LIMITS, **(limits or {}))
        self._buffered = TimeRanges()
        self._ranges_memo: dict[bool, tuple[Any, TimeRanges]] = {
            False: ([], TimeRanges()), True: ([], TimeRanges())}
        """Per ended state: (the track buffers' generations it was computed from,
        ``_buffered_ranges()``)."""
        self.audio_tracks = AudioTrackList(queue)
        self.video_tracks = VideoTrackList(queue)
        self.text_tracks = TextTrackList(queue)
        self.last_error: str | None = None
        """The message of the last append error (also the element's MediaError)."""

    def __repr__(self) -> str:
        state = "updating" if self._updating else "idle"
        return (f"<SourceBuffer {self._type!r} {state} {self._mode} "
                f"{self._append_state} buffered={self.buffered if self._source else '-'}>")

    # -- attributes ----------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, new_mode: str) -> None:
        if new_mode not in AppendMode:
            return  # WebIDL: an invalid enum value is ignored on setting
        self._check_attached_idle()  # steps 1-2
        # 4. Generated timestamps forbid "segments".
        if self._generate_timestamps and new_mode == "segments":
            raise TypeError('mode "segments" is not allowed for a byte stream that '
                            "generates timestamps")
        self._source._reopen_if_ended()  # 5.
        if self._append_state == PARSING_MEDIA_SEGMENT:  # 6.
            raise InvalidStateError("cannot change mode while parsing a media segment")
        if new_mode == "sequence":  # 7.
            self._group_start = self.group_end_timestamp
        self._mode = new_mode  # 8.

    @property
    def updating(self) -> bool:
        return self._updating

    @property
    def buffered(self) -> TimeRanges:
        """"buffered" getter steps: intersection of the audio/video track ranges."""
        if self._source is None:
            raise InvalidStateError("this SourceBuffer was removed from its MediaSource")
        ranges = self._buffered_ranges()
        if ranges != self._buffered:  # 5. keep the same object while unchanged
            self._buffered = ranges
        return self._buffered

    def _buffered_ranges(self, ended: bool | None = None) -> TimeRanges:
        """The buffered getter's ranges; with ``ended``, as they are in that state
        (True: the MediaSource's readyState "ended", step 4.2) whatever it is now."""
        # Asked for often (every state snapshot, the element's buffered/seekable):
        # recomputed only when a track buffer changed (``TrackBuffer.generation``).
        tbs = list(self._track_buffers.values())
        if ended is None:
            ended = self._source is not None and self._source._ready_state == "ended"
        key = [tb.generation for tb in tbs]
        memo = self._ranges_memo[ended]
        if key == memo[0]:
            return memo[1]
        result = self._compute_buffered(tbs, ended)
        self._ranges_memo[ended] = (key, result)
        return result

    def _compute_buffered(self, tbs: list[TrackBuffer], ended: bool) -> TimeRanges:
        ends = [e for e in (tb.highest_end() for tb in tbs) if e is not None]
        if not ends:
            return TimeRanges()
        highest = max(ends)  # 2.
        single = _single_range_intersection(tbs, highest, ended)
        if single is not None:
            return single
        result = TimeRanges([(ZERO, highest)])  # 3.
        for tb in tbs:  # 4.
            if tb.kind == "text":
                continue
            track = tb.ranges_seconds()
            if ended and track:  # 4.2
                track[-1] = (track[-1][0], highest)
            result = result.intersection(TimeRanges(track))
        return result

    @property
    def timestamp_offset(self) -> float:
        return float(self._timestamp_offset)

    @timestamp_offset.setter
    def timestamp_offset(self, value: float) -> None:
        value = _finite(value, "timestampOffset")
        new = from_double(value)  # 1.
        self._check_attached_idle()  # 2-3.
        self._source._reopen_if_ended()  # 4.
        if self._append_state == PARSING_MEDIA_SEGMENT:  # 5.
            raise InvalidStateError("cannot set timestampOffset while parsing a media segment")
        if self._mode == "sequence":  # 6.
            self._group_start = new
        self._timestamp_offset = new  # 7.
        self._parser_timestamp_offset_set()

    @property
    def append_window_start(self) -> float:
        return float(self._append_window_start)

    @append_window_start.setter
    def append_window_start(self, value: float) -> None:
        value = _finite(value, "appendWindowStart")
        self._check_attached_idle()
        new = from_double(value)
        if new < 0 or new >= self._append_window_end:
            raise TypeError("appendWindowStart must be >= 0 and < appendWindowEnd")
        self._append_window_start = new

    @property
    def append_window_end(self) -> float:
        return float(self._append_window_end)

    @append_window_end.setter
    def append_window_end(self, value: float) -> None:
        self._check_attached_idle()
        if math.isnan(value):
            raise TypeError("appendWindowEnd cannot be NaN")
        new = from_double(value)
        if new <= self._append_window_start:
            raise TypeError("appendWindowEnd must be > appendWindowStart")
        self._append_window_end = new

    @property
    def group_end_timestamp(self) -> Fraction:
        ticks, scale = self._group_end
        return Fraction(ticks, scale)

    def _set_group_end(self, t: Fraction) -> None:
        self._group_end = (t.numerator, t.denominator)

    # -- methods -------------------------------------------------------------------------
    def append_buffer(self, data: Any) -> None:
        """appendBuffer(): ``data`` is bytes-like (bytes, bytearray, memoryview, array)."""
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        if not view.readonly:
            # WebIDL BufferSource: the caller may reuse its buffer after the call, so
            # take the one copy the engine ever makes of appended bytes.
            view = memoryview(bytes(view))
        self._prepare_append(len(view))  # 1.
        self._updating = True  # 3.
        self._queue.fire(self, "updatestart")  # 4.
        cancelled = [False]
        self._pending_task = cancelled

        def buffer_append() -> None:  # 5. Asynchronously run the buffer append algorithm.
            if cancelled[0]:
                return
            self._pending_task = None
            if self._parser is not None:
                self._parser.feed(view)  # 2. (added to the input buffer here: see abort())
            self._buffer_append()

        self._queue.queue(buffer_append, "buffer append", self)

    def abort(self) -> None:
        if self._source is None:  # 1.
            raise InvalidStateError("this SourceBuffer was removed from its MediaSource")
        if self._source._ready_state != "open":  # 2.
            raise InvalidStateError("the MediaSource is not open")
        if self._range_removal_running:  # 3.
            raise InvalidStateError("a remove() is in progress")
        if self._updating:  # 4.
            self._abort_pending()
            self._settle_or_fire("abort")
        self._reset_parser_state()  # 5.
        self._append_window_start = ZERO  # 6.
        self._append_window_end = INF  # 7.

    def change_type(self, type_or_config: Any) -> None:
        """changeType(): a MIME type string, or a SourceBufferConfig (a dict with
        ``audioConfig`` or ``videoConfig``) to switch to appendEncodedChunks()."""
        from .chunks import config_supported, parse_source_buffer_config
        is_type = isinstance(type_or_config, str)
        if is_type and type_or_config == "":  # 1.
            raise TypeError("changeType() needs a non-empty MIME type")
        config = None if is_type else parse_source_buffer_config(type_or_config)  # 2.
        if self._source is None:  # 3.
            raise InvalidStateError("this SourceBuffer was removed from its MediaSource")
        if self._updating:  # 4.
            raise InvalidStateError("changeType() while updating")
        essence = support(type_or_config) if is_type else None
        if is_type and essence is None:  # 5.
            raise NotSupportedError(f"unsupported type {type_or_config!r}")
        if config is not None and not config_supported(*config):  # 6.
            raise NotSupportedError(f"unsupported decoder configuration {config[1].codec!r}")
        self._source._reopen_if_ended()  # 7.
        self._reset_parser_state()  # 8.
        if essence is not None:  # 9.
            # A new parser even for the same type: the next bytes must start with an
            # initialization segment (11.), and an MPEG audio parser reports one only
            # when the frame header's configuration changes - after changeType() to the
            # same audio/mpeg or audio/aac, it must report the first frame's again, as
            # Chromium does (e2e differential "changeType, then an initialization
            # segment").
            self._parser = parser_for(essence)
            self._essence = essence
            self._type = type_or_config
            self._expects_chunks = False
            self._chunk_config = None
            self._generate_timestamps = generates_timestamps(essence)
        else:
            self._parser = None
            self._essence = None
            self._type = None
            self._expects_chunks = True
            self._generate_timestamps = False  # 9.1
            self._chunk_config = config  # 9.2-9.3
        if self._generate_timestamps:  # 10.
            self.mode = "sequence"
        self._pending_init_for_change_type = True  # 11.

    def append_encoded_chunks(self, chunks: Any) -> Promise:
        """appendEncodedChunks(): returns a Promise settled in place of update events."""
        from .chunks import flatten_chunks
        chunk_list = flatten_chunks(chunks)
        self._prepare_append(sum(len(c.data) for c in chunk_list))  # 1.
        if any(c.duration is None for c in chunk_list):  # 2.
            raise TypeError("appendEncodedChunks() needs every chunk to have a duration")
        self._input_chunks.extend(chunk_list)  # 3.
        self._updating = True  # 4.
        promise = Promise(self._queue)  # 5.
        self._pending_chunks_promise = promise  # 6.
        cancelled = [False]
        self._pending_task = cancelled

        def run() -> None:  # 7-8. the rest asynchronously
            if cancelled[0]:
                return
            self._pending_task = None
            self._chunks_append()

        self._queue.queue(run, "chunks append", self)
        return promise

    def _chunks_append(self) -> None:
        from .chunks import chunks_append
        try:
            chunks_append(self)
        except AppendError as exc:
            self._append_error(str(exc))
            return
        self._buffered_changed_hook()
        self._updating = False  # 5.
        promise, self._pending_chunks_promise = self._pending_chunks_promise, None
        if promise is not None:
            promise.resolve(None)  # 6.

    def _settle_or_fire(self, event: str) -> None:
        """Append error 3 / abort 4.4 / removeSourceBuffer 2.4: reject the pending
        chunks promise with AbortError, or queue ``event`` then ``updateend``."""
        promise, self._pending_chunks_promise = self._pending_chunks_promise, None
        if promise is not None:
            promise.reject(AbortError(f"appendEncodedChunks() ended by {event}"))
        else:
            self._queue.fire(self, event)
            self._queue.fire(self, "updateend")

    def remove(self, start: float, end: float) -> None:
        start = _finite(start, "remove() start")  # WebIDL ``double``: before step 1
        self._check_attached_idle()  # 1-2.
        duration = self._source._duration
        if duration != duration:  # 3.
            raise TypeError("remove() while the duration is NaN")
        if math.isnan(start) or start < 0 or start > duration:  # 4.
            raise TypeError(f"remove() start {start} is negative or past the duration")
        if math.isnan(end) or end <= start:  # 5.
            raise TypeError(f"remove() end {end} must be greater than start")
        self._source._reopen_if_ended()  # 6.
        self._range_removal(from_double(start), from_double(end))  # 7.

    # -- "Range Removal" ---------------------------------------------------------------
    def _range_removal(self, start: Fraction, end: Fraction | float) -> None:
        self._updating = True  # 3.
        self._queue.fire(self, "updatestart")  # 4.
        self._range_removal_running = True
        cancelled = [False]
        self._pending_task = cancelled

        def rest() -> None:  # 5. run the rest asynchronously
            if cancelled[0]:
                return
            self._pending_task = None
            coded_frame_removal(self, start, end)  # 6.
            self._buffered_changed_hook()
            self._range_removal_running = False
            self._updating = False  # 7.
            self._queue.fire(self, "update")  # 8.
            self._queue.fire(self, "updateend")  # 9.
            self._source._buffered_changed()

        self._queue.queue(rest, "range removal", self)

    # -- "Prepare Append" / "Buffer Append" / "Append Error" ---------------------------------
    def _prepare_append(self, new_bytes: int) -> None:
        if self._source is None:  # 1.
            raise InvalidStateError("this SourceBuffer was removed from its MediaSource")
        if self._updating:  # 2.
            raise InvalidStateError("appendBuffer() while updating")
        if self._source._element_error():  # 3-4.
            raise InvalidStateError("the media element has an error")
        self._source._reopen_if_ended()  # 5.
        coded_frame_eviction(self, new_bytes)  # 6.
        if self._buffer_full:  # 7.
            raise QuotaExceededError("the SourceBuffer is full and could not free enough "
                                     "space; remove() buffered media or append less")

    def _buffer_append(self) -> None:
        if self._expects_chunks:  # 1.
            self._append_error("this SourceBuffer expects appendEncodedChunks(); use "
                               "changeType() with a MIME type to append bytes")
            return
        if not self._segment_parser_loop():  # 2-3.
            return
        self._buffered_changed_hook()
        self._updating = False  # 4.
        self._queue.fire(self, "update")  # 5.
        self._queue.fire(self, "updateend")  # 6.

    def _append_error(self, message: str) -> None:
        self.last_error = message
        self._reset_parser_state()  # 1.
        self._buffered_changed_hook()
        self._updating = False  # 2.
        self._settle_or_fire("error")  # 3.
        self._source._end_of_stream("decode", message)  # 4.

    # -- "Segment Parser Loop" ------------------------------------------------------------
    def _segment_parser_loop(self) -> bool:
        """Returns False if it ran the append error algorithm (and so aborted)."""
        processed = False
        try:
            for event in self._parser.parse():
                kind = type(event)
                if kind is CodedFrames:
                    coded_frame_processing(self, event.items, order=self._decode_order)  # 6.2
                    processed = True
                    if self._over_limit(0):  # 6.3
                        self._buffer_full = True
                elif kind is MediaSegmentStart:  # 4.2 / 6.1
                    if not self._first_init_received or self._pending_init_for_change_type:
                        raise AppendError("media segment before an initialization segment"
                                          if not self._first_init_received else
                                          "media segment before the initialization segment "
                                          "that changeType() requires")
                    self._append_state = PARSING_MEDIA_SEGMENT
                elif kind is MediaSegmentEnd:  # 6.5-6.6
                    self._append_state = WAITING_FOR_SEGMENT
                    if processed:
                        self._after_coded_frames()
                        processed = False
                elif kind is InitSegment:  # 4.1, 5.
                    self._append_state = PARSING_INIT_SEGMENT
                    initialization_segment_received(self, event)
                    self._append_state = WAITING_FOR_SEGMENT
        except (ParseError, AppendError) as exc:
            message = str(exc)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not escape either
            message = f"internal error while parsing: {type(exc).__name__}: {exc}"
        else:
            if processed:
                self._after_coded_frames()
            return True
        if processed:
            self._after_coded_frames()
        self._append_error(message)
        return False

    def _decode_order(self, frames: list[Any]) -> list[Any]:
        """A batch's frames in decode order across tracks, audio before video before
        text on ties: the order Chromium's frame processor sees them in (it merges the
        parser's per-track queues by decode timestamp), which decides, e.g., which
        frame anchors timestampOffset in "sequence" mode (step 3)."""
        key = self._decode_key(frames)
        return frames if key is None else sorted(frames, key=key)

    def _decode_key(self, batch: list[Any]) -> Callable[[Any], int] | None:
        """The sort key of ``_decode_order`` for a batch (of frames or ``FrameRun``s),
        or None when the batch stays in byte order (one track)."""
        tbs = self._track_buffers
        if len(tbs) < 2 or len(batch) < 2:
            return None
        first = batch[0].track_id
        if all(f.track_id == first for f in batch):
            return None
        # One exact integer per frame: its decode time in a timescale every track's
        # divides, times 4, plus the kind's rank (3: a track the buffers lack).
        rank = {"audio": 0, "video": 1, "text": 2}
        common = math.lcm(*(tb.info.timescale for tb in tbs.values()))
        keys = {tid: (common // tb.info.timescale * 4, rank[tb.kind]) for tid, tb in tbs.items()}
        other = (common * 4, 3)

        def key(f: Any) -> int:
            scale, r = keys.get(f.track_id, other)
            return f.dts * scale + r

        return key

    def _after_coded_frames(self) -> None:
        """"Coded Frame Processing" steps 2-5, once per batch of frames."""
        source = self._source
        if source is None:
            return
        source._frames_processed(self)  # 2-4. (element readyState)
        group_end = self.group_end_timestamp
        if group_end > source._duration_or_zero():  # 5.
            source._duration_change(max(source._duration_or_zero(), group_end))

    # -- "Reset Parser State" ---------------------------------------------------------------
    def _reset_parser_state(self) -> None:
        if self._append_state == PARSING_MEDIA_SEGMENT:  # 1.
            self._process_complete_frames()
        for tb in self._track_buffers.values():  # 2-5.
            tb.reset_group_state()
        if self._mode == "sequence":  # 6.
            self._group_start = self.group_end_timestamp
        if self._parser is not None:
            self._parser.reset()  # 7.
        self._input_chunks = []  # 8. (any SourceBufferConfig is kept)
        self._append_state = WAITING_FOR_SEGMENT  # 9.

    def _process_complete_frames(self) -> None:
        """Reset parser state step 1: process the complete coded frames still in the
        input buffer (the rest of the media segment is dropped)."""
        processed = False
        if self._parser is None:
            return
        try:
            for event in self._parser.parse():
                if type(event) is not CodedFrames:
                    break
                coded_frame_processing(self, event.items)
                processed = True
        except (ParseError, AppendError):
            pass  # the partial segment is being discarded anyway
        if processed:
            self._after_coded_frames()

    def _destroy_resources(self) -> None:
        """removeSourceBuffer() step 11, "Destroy all resources for sourceBuffer": the
        coded frames, the parser's state, the pending input.  Detaching runs it too (as
        Chromium frees a detached source's buffers): no attribute or method of a
        SourceBuffer out of its sourceBuffers can reach them again."""
        self._source = None
        note_track_change()  # its tracks' sourceBuffer is null from now on
        self._track_buffers = {}
        self._group_firsts = []
        self._input_chunks = []
        if self._parser is not None:
            self._parser.reset()

    def _abort_pending(self) -> None:
        """Abort the buffer append / range removal task if it has not run yet, and
        set updating to false."""
        if self._pending_task is not None:
            self._pending_task[0] = True
            self._pending_task = None
        self._range_removal_running = False
        self._updating = False

    def _parser_timestamp_offset_set(self) -> None:
        hook = getattr(self._parser, "timestamp_offset_set", None)
        if hook is not None:
            hook()  # MPEG-2 TS resets its rollover state (byte-streams.md)

    def _buffered_changed_hook(self) -> None:
        """After an operation may have changed ``buffered`` (ManagedSourceBuffer fires
        bufferedchange here; a plain SourceBuffer has nothing to do)."""

    # -- memory ------------------------------------------------------------------------------
    def _over_limit(self, new_bytes: int) -> bool:
        """Would ``new_bytes`` more overflow a track buffer's limit?"""
        return any(memory_usage(tb) + share > limit for tb, share, limit in self._shares(new_bytes))

    def _shares(self, new_bytes: int) -> list[tuple[TrackBuffer, int, int]]:
        """Each track buffer with its share of ``new_bytes`` and its limit.  As Chromium
        (SourceBufferState::EvictCodedFrames), the new bytes are charged to the track
        buffers in proportion to what each is charged already (msepy.eviction)."""
        tbs = list(self._track_buffers.values())
        usage = [memory_usage(tb) for tb in tbs]
        total = sum(usage)
        return [(tb, new_bytes * used // total if total else 0, self._limit(tb))
                for tb, used in zip(tbs, usage)]

    def _limit(self, tb: TrackBuffer) -> int:
        """What ``tb`` may be charged (its kind's memory limit)."""
        return self._limits.get(tb.kind, DEFAULT_LIMITS["video"])

    @property
    def memory_used(self) -> int:
        return sum(tb.size for tb in self._track_buffers.values())

    # -- helpers -------------------------------------------------------------------------------
    def _check_attached_idle(self) -> None:
        if self._source is None:
            raise InvalidStateError("this SourceBuffer was removed from its MediaSource")
        if self._updating:
            raise InvalidStateError("the SourceBuffer is updating")

    def track_buffer_summary(self) -> list[str]:
        return [repr(tb) for tb in self._track_buffers.values()]


def _finite(value: float, name: str) -> float:
    """WebIDL ``double`` (restricted): NaN and infinities throw TypeError."""
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise TypeError(f"{name} must be a finite number, not {fmt(value)}")
    return value


def _single_range_intersection(tbs: list[TrackBuffer], highest: Fraction,
                               ended: bool) -> TimeRanges | None:
    """The "buffered" getter's steps 3-4 when every audio and video track buffer holds
    one range (the usual case, recomputed after every append): the intersection is
    then the latest start to the earliest end, clipped to [0, highest end time] -
    found in ticks (cross-multiplied), with one Fraction per bound.  None: another
    case, for the general steps."""
    start, start_ts = 0, 1
    end: tuple[int, int] | None = None
    for tb in tbs:
        if tb.kind == "text":
            continue
        ranges = tb.ranges()
        if len(ranges) != 1:
            return None
        (s, e), ts = ranges[0][:2], tb.timescale
        if s * start_ts > start * ts:
            start, start_ts = s, ts
        if not ended and (end is None or e * end[1] < end[0] * ts):
            end = (e, ts)
    # Ended (4.2: every last range ends at the highest end time), or no audio or video
    # track buffer (3: the range from 0 to it).  Else one track's end: not above it.
    top = highest if end is None else Fraction(*end)
    low = Fraction(start, start_ts)
    return TimeRanges._of(((low, top),)) if low < top else TimeRanges()
