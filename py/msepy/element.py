"""The HTMLMediaElement side that MSE depends on, as a model without rendering.

Theory of operation
-------------------
This module is the one home of the element's ``readyState`` (HAVE_NOTHING …
HAVE_ENOUGH_DATA) and of the events HTML fires when it changes (``_set_ready_state``
walks the HTML "ready states" rules one level at a time, so a jump from HAVE_METADATA to
HAVE_ENOUGH_DATA fires loadeddata, canplay and canplaythrough in order).  It also owns
network state, the current playback position, seeking, paused/ended, duration and the
error state.

Nothing here renders.  A host advances the clock with ``advance(seconds)`` (the CPython
replay tool, tests) or ``set_playback_position(t)`` (the browser renderer, whose audio
clock is the master); the element then runs "SourceBuffer Monitoring" and HTML's
time-marches-on steps.  The MediaSource calls the ``_ms_*`` methods; each cites the
MSE step that calls it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ._time import from_double
from .errors import NotSupportedError
from .events import EventTarget, TaskQueue, default_queue
from .timeranges import IndexSizeError, TimeRanges
from .tracks import AudioTrackList, TextTrackList, VideoTrackList
from .webvtt import update_active_cues

MIN_RATE, MAX_RATE = 0.0625, 16.0  # playbackRate range (Chromium's HTMLMediaElement)

__all__ = ["HTMLMediaElement", "MediaError"]

HAVE_NOTHING, HAVE_METADATA, HAVE_CURRENT_DATA, HAVE_FUTURE_DATA, HAVE_ENOUGH_DATA = range(5)
NETWORK_EMPTY, NETWORK_IDLE, NETWORK_LOADING, NETWORK_NO_SOURCE = range(4)

TEXT_TRACK_KINDS = ("subtitles", "captions", "descriptions", "chapters", "metadata")
"""HTML's TextTrackKind."""
START_FUDGE = Fraction(1)
"""Chromium's kSeekToStartFudgeRoom (byte-streams.md, "Seeking to the very start")."""

ENOUGH_DATA_AHEAD = Fraction(1, 2)
""""Enough data to ensure uninterrupted playback" (implementation-defined): half a
second buffered ahead of the current position, or buffered to the end of the stream.
The spec's own example: drop below HAVE_ENOUGH_DATA 500 ms before the buffered end."""


class MediaError:
    MEDIA_ERR_ABORTED = 1
    MEDIA_ERR_NETWORK = 2
    MEDIA_ERR_DECODE = 3
    MEDIA_ERR_SRC_NOT_SUPPORTED = 4

    def __init__(self, code: int, message: str = "") -> None:
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"MediaError(code={self.code}, message={self.message!r})"


class HTMLMediaElement(EventTarget):
    _event_types = ("loadstart", "progress", "suspend", "abort", "error", "emptied",
                    "stalled", "loadedmetadata", "loadeddata", "canplay", "canplaythrough",
                    "playing", "waiting", "seeking", "seeked", "ended", "durationchange",
                    "timeupdate", "play", "pause", "ratechange", "resize", "volumechange")

    HAVE_NOTHING, HAVE_METADATA, HAVE_CURRENT_DATA = 0, 1, 2
    HAVE_FUTURE_DATA, HAVE_ENOUGH_DATA = 3, 4
    NETWORK_EMPTY, NETWORK_IDLE, NETWORK_LOADING, NETWORK_NO_SOURCE = 0, 1, 2, 3

    def __init__(self, *, queue: TaskQueue | None = None) -> None:
        super().__init__()
        self._queue = queue if queue is not None else default_queue()
        self.audio_tracks = AudioTrackList(self._queue)
        self.video_tracks = VideoTrackList(self._queue)
        self.text_tracks = TextTrackList(self._queue)
        self.autoplay = False
        self.loop = False
        self._src_object: Any = None
        self._ms: Any = None
        self._selection = 0
        """Resource selections started (a pending one runs only if still the last)."""
        self._on_attach: Any = None
        """Called with the MediaSource once attached (msepy.bridge links its port)."""
        self._seek_id = 0
        """Seeks started: a seek's completion task runs only if no later seek (or load)
        aborted it (HTML seek 3)."""
        self._seek_resumed = 0
        """The seek whose completion is queued (one task a seek)."""
        self._reset_media_state()
        self.network_state = NETWORK_EMPTY
        self._playback_rate = 1.0
        self._volume = 1.0
        self._muted = False

    def _reset_media_state(self) -> None:
        self.ready_state = HAVE_NOTHING
        self._position = Fraction(0)
        self._default_start = Fraction(0)
        """HTML's default playback start position: a currentTime set before metadata."""
        self.seeking = False
        self._seek_id += 1  # (a pending seek's completion is dropped)
        self.paused = True
        self.error: MediaError | None = None
        self._duration: Fraction | float = math.nan
        self._loadeddata_fired = False
        self._all_data = False
        self._played = TimeRanges()
        self._show_poster = True
        """HTML's show poster flag: until playback starts or a seek (a page's cue
        changes run "time marches on" only once it is cleared, as in Chromium)."""

    def __repr__(self) -> str:
        return (f"<HTMLMediaElement readyState={self.ready_state} "
                f"networkState={self.network_state} t={float(self._position):.6g} "
                f"{'paused' if self.paused else 'playing'}{' seeking' if self.seeking else ''}>")

    # -- source ------------------------------------------------------------------------------
    @property
    def src_object(self) -> Any:
        return self._src_object

    @src_object.setter
    def src_object(self, source: Any) -> None:
        self._src_object = source
        self.load()

    def load(self) -> None:
        """The media element load algorithm, then resource selection for srcObject."""
        if self.network_state in (NETWORK_LOADING, NETWORK_IDLE):
            self._queue.fire(self, "abort")
        if self.network_state != NETWORK_EMPTY:
            self._detach()  # MSE "Detaching from a media element", before emptied
            self._queue.fire(self, "emptied")
            # "Forget the media element's media-resource-specific tracks" (those of
            # addTextTrack() stay).
            for lst in (self.audio_tracks, self.video_tracks, self.text_tracks):
                for track in list(lst):
                    if track.media_resource_specific:
                        lst._remove(track)
            self.network_state = NETWORK_EMPTY
            self._reset_media_state()  # readyState returns to HAVE_NOTHING silently
        if self._src_object is None:
            return
        # The resource selection algorithm: 1. NETWORK_NO_SOURCE, then (4.) "await a
        # stable state" - a task of its own, as Chromium's load timer: the abort and
        # emptied queued above see NETWORK_NO_SOURCE, and loadstart and the attach
        # come after them.
        self.network_state = NETWORK_NO_SOURCE
        self._selection += 1
        selection = self._selection
        self._queue.queue(lambda: self._select_resource(selection), "resource selection", self)

    def _select_resource(self, selection: int) -> None:
        """Resource selection after the stable state, and the resource fetch
        algorithm's MSE "Attaching to a media element" (the srcObject, or the object
        URL's MediaSource: "local" mode)."""
        if selection != self._selection or self._src_object is None:
            return  # a later load() took over
        self.network_state = NETWORK_LOADING  # 8.
        self._queue.fire(self, "loadstart")
        ms = self._src_object
        if not hasattr(ms, "_attach"):
            # Not a MediaSource (an empty src attribute, a URL msepy cannot fetch):
            # "failed with attribute".
            self._media_source_failure("the src attribute is empty" if ms == ""
                                       else f"not a MediaSource: {ms!r}")
            return
        if not ms._attach(self):
            # A MediaSource that is not "closed" cannot attach: the resource fetch
            # algorithm fails (MSE "Attaching to a media element").
            self._media_source_failure("the MediaSource is already attached or not closed")
            return
        self._ms = ms
        if self._on_attach is not None:
            self._on_attach(ms)

    def _detach(self) -> None:
        if self._ms is not None:
            self._ms._detach()
            self._ms = None

    # -- attributes ----------------------------------------------------------------------------
    @property
    def current_time(self) -> float:
        # HTML: the default playback start position, unless that is zero.
        return float(self._default_start or self._position)

    @current_time.setter
    def current_time(self, value: float) -> None:
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise TypeError("currentTime must be a finite number")
        if self.ready_state == HAVE_NOTHING:
            self._default_start = from_double(value)  # sought at loadedmetadata
            return
        self._seek(from_double(value))

    @property
    def duration(self) -> float:
        return float(self._duration)

    @property
    def ended(self) -> bool:
        return self._ended_playback() and self._playback_rate >= 0

    @property
    def buffered(self) -> TimeRanges:
        return self._ms._element_buffered() if self._ms is not None else TimeRanges()

    @property
    def seekable(self) -> TimeRanges:
        return self._ms._element_seekable() if self._ms is not None else TimeRanges()

    @property
    def played(self) -> TimeRanges:
        return self._played

    @property
    def playback_rate(self) -> float:
        return self._playback_rate

    @playback_rate.setter
    def playback_rate(self, value: float) -> None:
        # HTML: a rate the user agent does not support throws NotSupportedError.
        # Chromium's range: 0 (the position holds, not paused), or 1/16 to 16 forwards.
        if value != 0 and not MIN_RATE <= value <= MAX_RATE:
            raise NotSupportedError(f"The provided playback rate ({value}) is not in the "
                                    f"supported playback range.")
        if value != self._playback_rate:
            self._playback_rate = float(value)
            self._queue.fire(self, "ratechange")

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        if not 0 <= value <= 1:
            raise IndexSizeError("volume must be in [0, 1]")
        if value != self._volume:
            self._volume = float(value)
            self._queue.fire(self, "volumechange")

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        if bool(value) != self._muted:
            self._muted = bool(value)
            self._queue.fire(self, "volumechange")

    # -- play / pause ---------------------------------------------------------------------
    def play(self) -> None:
        """HTML play() (the promise is the browser front end's; here it returns None)."""
        if self.network_state == NETWORK_EMPTY:
            self.load()
        if self._ended_playback():
            self._seek(Fraction(0))
        if self.paused:
            self.paused = False
            if self._show_poster:  # HTML internal play steps 3.2
                self._show_poster = False
                update_active_cues(self)
            self._queue.fire(self, "play")
            if self.ready_state <= HAVE_CURRENT_DATA:
                self._queue.fire(self, "waiting")
            else:
                self._queue.fire(self, "playing")

    def loading_progress(self) -> None:
        """HTML: "while the load is not suspended", about every 350 ms in which media
        data arrived, fire ``progress`` (the host's timer calls this: a sans-IO engine
        has no clock; msepy.js's element runs it for the appends it saw)."""
        if self.network_state == NETWORK_LOADING:
            self._queue.fire(self, "progress")

    def pause(self) -> None:
        if self.network_state == NETWORK_EMPTY:
            self.load()
        self.internal_pause()

    def internal_pause(self) -> None:
        """HTML "internal pause steps" (pause() without its load step).  They also run
        when the element is removed from its document (HTML "removal steps" of a media
        element: a removed element pauses, and keeps its resource)."""
        if not self.paused:
            self.paused = True
            self._queue.fire(self, "timeupdate")
            self._queue.fire(self, "pause")

    # -- the clock ------------------------------------------------------------------------------
    def potentially_playing(self) -> bool:
        return (not self.paused and not self._ended_playback() and self.error is None
                and self.ready_state >= HAVE_FUTURE_DATA and not self.seeking)

    def advance(self, seconds: float | Fraction) -> None:
        """Play for ``seconds`` of wall time (if potentially playing): the position moves
        by ``seconds × playbackRate``, but not past the buffered data or the duration."""
        if not self.potentially_playing():
            return
        step = Fraction(seconds) * from_double(self._playback_rate)
        target = self._position + step
        limit = self._playable_until()
        self.set_playback_position(min(target, limit))

    def set_playback_position(self, t: Fraction | float) -> None:
        """The renderer reports the current playback position (time marches on)."""
        t = from_double(t) if isinstance(t, float) else Fraction(t)
        if not math.isnan(float(self._duration)) and t > self._duration:
            t = self._duration  # type: ignore[assignment]
        since = None
        if t != self._position:
            # Normalized as it grows (a few ranges), not per read of a long list.
            step = (min(self._position, t), max(self._position, t))
            self._played = TimeRanges(self._played.ranges + (step,))
            if t > self._position and not self.paused and not self.seeking:
                since = self._position  # normal playback: time marches on's missed cues
            self._position = t
            self._queue.fire(self, "timeupdate")
        self._monitor(since)
        if self._ended_playback() and not self.paused and not self.loop:
            # HTML "reaches the end": timeupdate was queued; pause then ended.
            self.paused = True
            self._queue.fire(self, "pause")
            self._queue.fire(self, "ended")
        elif self._ended_playback() and self.loop and not self.paused:
            self._seek(Fraction(0))

    def _playable_until(self, buffered: TimeRanges | None = None) -> Fraction | float:
        """The end of the buffered range the playback position is in (or the position:
        none), within the duration; ``buffered``: the element's, if already at hand."""
        if buffered is None:
            buffered = self.buffered
        pos = self._effective_position(buffered)
        rng = buffered.range_containing(pos)
        end = rng[1] if rng else self._position
        if not math.isnan(float(self._duration)):
            end = min(end, self._duration)
        return end

    def _ended_playback(self) -> bool:
        d = self._duration
        return (self.ready_state >= HAVE_METADATA and not math.isnan(float(d))
                and d != math.inf and self._position >= d and self._all_data)

    # -- seeking ----------------------------------------------------------------------------
    def _seek(self, new: Fraction) -> None:
        """HTML's seek algorithm, with MSE's "Seeking" steps for the wait.  Steps 1-11
        run in the caller's task; 12's wait ends at once (the position is buffered) or
        when an append buffers it; 13-16 follow as a task of their own (``_resume_seek``)."""
        if self.ready_state == HAVE_NOTHING:  # 2.
            return
        self._seek_id += 1  # 3. a seek still running is aborted: its completion is dropped
        self.seeking = True  # 4.
        self._show_poster = False  # 5.
        d = self._duration
        if not math.isnan(float(d)) and new > d:  # 6.
            new = d  # type: ignore[assignment]
        if new < 0:
            new = Fraction(0)
        seekable = self.seekable  # 7. nearest seekable position
        if seekable and not any(s <= new <= e for s, e in seekable):
            candidates = [b for r in seekable for b in r]
            new = min(candidates, key=lambda b: (abs(b - new), b))  # type: ignore[assignment]
        self._queue.fire(self, "seeking")  # 9.
        self._position = new  # 10.
        if self._ms is not None:
            buffered = self.buffered
            if not self._position_playable(buffered):  # MSE Seeking 1.
                if self.ready_state > HAVE_METADATA:
                    self._set_ready_state(HAVE_METADATA)
                return  # wait for an append (see _ms_frames_processed)
        self._resume_seek()

    def _effective_position(self, buffered: TimeRanges) -> Fraction:
        """The position data is looked up at.  As Chromium (SourceBufferStream's
        seek-to-start fudge room): a position at or before the first buffered range,
        when that range starts within 1 s of zero, plays from the range start."""
        pos = self._position
        if buffered and pos <= buffered.ranges[0][0] < START_FUDGE:
            return buffered.ranges[0][0]  # type: ignore[return-value]
        return pos

    def _position_playable(self, buffered: TimeRanges) -> bool:
        if buffered.contains(self._effective_position(buffered)):
            return True
        # The ended stream's final position: at the end of the last range.
        return bool(buffered) and self._all_data and self._position == buffered.highest_end

    def _resume_seek(self) -> None:
        """MSE Seeking 4: "resume the seek algorithm at the await a stable state step":
        13-16 run as a task of their own, once a seek (two currentTime sets in one task
        complete one seek, as in Chromium: seeking, seeking, timeupdate, seeked)."""
        if self._seek_resumed == self._seek_id:
            return
        self._seek_resumed = seek_id = self._seek_id
        self._queue.queue(lambda: self._finish_seek(seek_id), "seek: stable state", self)

    def _finish_seek(self, seek_id: int) -> None:
        if seek_id != self._seek_id or not self.seeking:
            return  # aborted by a later seek or a load() (3.)
        self.seeking = False  # 13.
        self._queue.fire(self, "timeupdate")  # 15.
        self._queue.fire(self, "seeked")  # 16.
        self._monitor()

    # -- readyState ---------------------------------------------------------------------------
    def _set_ready_state(self, new: int) -> None:
        """Apply HTML's ready state change rules, one level at a time upwards."""
        old = self.ready_state
        if new == old:
            return
        fire = self._queue.fire
        if new < old:
            self.ready_state = new
            if old >= HAVE_FUTURE_DATA and new <= HAVE_CURRENT_DATA:
                if not self.paused and not self._ended_playback() and self.error is None:
                    fire(self, "timeupdate")
                    fire(self, "waiting")
            return
        for level in range(old + 1, new + 1):
            prev, self.ready_state = self.ready_state, level
            if prev == HAVE_NOTHING and level == HAVE_METADATA:
                fire(self, "durationchange")  # the duration is known (Chromium order)
                fire(self, "loadedmetadata")
            elif level == HAVE_CURRENT_DATA and not self._loadeddata_fired:
                self._loadeddata_fired = True
                fire(self, "loadeddata")
            elif level == HAVE_FUTURE_DATA:
                fire(self, "canplay")
                if not self.paused:
                    fire(self, "playing")
            elif level == HAVE_ENOUGH_DATA:
                if self.autoplay and self.paused:
                    self.paused = False
                    self._show_poster = False
                    fire(self, "play")
                    fire(self, "playing")
                fire(self, "canplaythrough")
        if self.ready_state > HAVE_CURRENT_DATA and not self._loadeddata_fired:
            self._loadeddata_fired = True
        if old == HAVE_NOTHING:
            # HTML, media data processing once the metadata is known, 7-9: after
            # loadedmetadata, seek to the default playback start position if it is
            # greater than zero, then let it be zero.
            start, self._default_start = self._default_start, Fraction(0)
            if start > 0:
                self._seek(start)

    def _monitor(self, since: Fraction | None = None) -> None:
        """"SourceBuffer Monitoring": readyState from what is buffered at the position
        (``since``: the position normal playback moved from, for time marches on)."""
        if self._ms is not None:
            self._ms._position_changed()
        update_active_cues(self, since)  # HTML "time marches on" for text tracks
        if self.ready_state == HAVE_NOTHING or self._ms is None or self.seeking:
            return
        self._set_ready_state(self._buffered_ready_state(self.buffered))

    def _buffered_ready_state(self, buffered: TimeRanges) -> int:
        pos = self._effective_position(buffered)
        rng = buffered.range_containing(pos)
        if rng is None:
            if self._position_playable(buffered):
                return HAVE_ENOUGH_DATA if self._all_data else HAVE_CURRENT_DATA
            if any(e == pos for _, e in buffered):
                # SourceBuffer Monitoring, last case: a range ends at the current
                # position and none covers the time after it: HAVE_CURRENT_DATA.
                return HAVE_CURRENT_DATA
            return HAVE_METADATA
        end = rng[1]
        at_end = self._all_data and end == buffered.highest_end
        if end - pos >= ENOUGH_DATA_AHEAD or at_end:
            return HAVE_ENOUGH_DATA
        if end > pos:
            return HAVE_FUTURE_DATA
        return HAVE_CURRENT_DATA

    # -- called by the MediaSource --------------------------------------------------------------
    def _ms_duration_changed(self, new: Fraction | float, announce: bool = True) -> None:
        """"Duration change" steps 6-7: update the element's duration and run HTML's
        duration change ("when the length of the media resource changes to a known
        value ... fire durationchange"): before metadata too, as Chromium does for a
        ``duration`` set then.  Not ``announce``: the duration an initialization segment
        gives (Initialization Segment Received 1), which loadedmetadata's durationchange
        announces (HTML's "once enough of the media data has been fetched to determine
        the duration"; Chromium fires the one)."""
        old = self._duration
        self._duration = new
        # (Changed as the attribute shows it: an exact duration a fraction of a
        # microsecond away is the same double, and no durationchange, as in Chromium.)
        before, after = float(old), float(new)
        if before == after or (math.isnan(before) and math.isnan(after)):
            return
        if not announce and self.ready_state == HAVE_NOTHING:
            return
        self._queue.fire(self, "durationchange")
        if self.ready_state >= HAVE_METADATA and not math.isnan(after) and self._position > new:
            self._seek(new)  # type: ignore[arg-type]

    def _ms_active_track_added(self) -> None:
        """"Initialization Segment Received" step 7."""
        if self.ready_state > HAVE_CURRENT_DATA:
            self._set_ready_state(HAVE_METADATA)

    def _ms_sourcebuffers_ready(self) -> None:
        """"Initialization Segment Received" step 8."""
        if self.ready_state == HAVE_NOTHING:
            self._set_ready_state(HAVE_METADATA)

    def _ms_frames_processed(self) -> None:
        """"Coded Frame Processing" steps 2-4, and the wait in "Seeking" step 1.2."""
        update_active_cues(self)  # HTML: newly introduced cues run time marches on
        self._all_data = False if self._ms is not None and \
            self._ms.ready_state == "open" else self._all_data
        if self.ready_state < HAVE_METADATA:
            return
        if self.ready_state == HAVE_ENOUGH_DATA and not self.seeking:
            return  # 2-4 only raise readyState: nothing to do (and no buffered to compute)
        buffered = self.buffered
        if self.seeking:
            if self._position_playable(buffered):
                self._set_ready_state(max(HAVE_CURRENT_DATA, self._buffered_ready_state(buffered)))
                self._resume_seek()
            return
        target = self._buffered_ready_state(buffered)
        if target > self.ready_state:
            self._set_ready_state(target)

    def _ms_buffered_changed(self) -> None:
        self._monitor()

    def _data_removed(self, start: Fraction, end: Fraction | float) -> None:
        """"Coded Frame Removal" step 3.5: the current position lost its data."""
        if start <= self._position < end and self.ready_state > HAVE_METADATA:
            self._set_ready_state(HAVE_METADATA)

    def _ms_all_data(self) -> None:
        """"End of stream" step 3.2: the element has all the media data."""
        self._all_data = True
        if self.ready_state == HAVE_NOTHING and self.error is None:
            # All the media data, and none of it made metadata: HTML's resource fetch
            # algorithm, "can otherwise not be rendered at all" - the dedicated media
            # source failure steps, as Chromium runs them (its demuxer fails to open;
            # e2e differential "remove() and endOfStream() with nothing buffered").
            self._media_source_failure("endOfStream() before any initialization segment: "
                                       "there is no media to play")
            return
        if self.seeking and self._position_playable(self.buffered):
            self._resume_seek()
        self._monitor()

    def _ms_network_error(self, message: str) -> None:
        if self.ready_state == HAVE_NOTHING:
            self._media_source_failure(message)
        else:  # "connection is interrupted after some media data has been received"
            self.error = MediaError(MediaError.MEDIA_ERR_NETWORK, message)
            self.network_state = NETWORK_IDLE
            self._queue.fire(self, "error")

    def _ms_decode_error(self, message: str) -> None:
        if self.ready_state == HAVE_NOTHING:
            self._media_source_failure(message)
        else:  # "the media data is corrupted"
            self.error = MediaError(MediaError.MEDIA_ERR_DECODE, message)
            self.network_state = NETWORK_IDLE
            self._queue.fire(self, "error")

    def _media_source_failure(self, message: str) -> None:
        """HTML's "dedicated media source failure steps" - and then "Detaching from a
        media element", which the MSE spec allows on resource fetch algorithm failures
        ("MAY be called on ... resource fetch algorithm failures") and Chromium runs
        (e2e differential "remove() and endOfStream() with nothing buffered":
        sourceended, removesourcebuffer, sourceclose)."""
        self.error = MediaError(MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED, message)
        self.network_state = NETWORK_NO_SOURCE
        self._queue.fire(self, "error")
        self._detach()

    def add_text_track(self, kind: str, label: str = "", language: str = "") -> Any:
        """HTML ``addTextTrack()``: a new text track of the page's own (mode "hidden",
        no cues; ``TextTrack.add_cue`` fills it), listed after the other tracks
        addTextTrack() made and before the media resource's, and ``addtrack`` queued."""
        from .tracks import TextTrack
        if kind not in TEXT_TRACK_KINDS:  # 1. (WebIDL: TextTrackKind)
            raise TypeError(f"{kind!r} is not a valid TextTrackKind")
        track = TextTrack(id="", kind=kind, label=label, language=language,  # 2-4.
                          source_buffer=None, byte_stream_track_id=0)
        track._own_cues = ()
        track._element = self
        tracks = self.text_tracks
        at = next((i for i, t in enumerate(tracks) if t.media_resource_specific), None)
        tracks._add(track, at)  # 5. (queues addtrack)
        # Its mode "hidden": set once it is listed, as Chromium does, so a change event
        # follows the addtrack.
        track.mode = "hidden"
        return track

    def _ms_add_track(self, track: Any) -> None:
        from .tracks import AudioTrack, VideoTrack
        lst = self.audio_tracks if isinstance(track, AudioTrack) else \
            self.video_tracks if isinstance(track, VideoTrack) else self.text_tracks
        lst._add(track)

    def _ms_remove_track(self, track: Any) -> None:
        for lst in (self.audio_tracks, self.video_tracks, self.text_tracks):
            lst._remove(track)
