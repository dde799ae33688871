"""AudioTrack, VideoTrack, TextTrack and their lists (HTML, with MSE's extensions).

A track made by a SourceBuffer lives in two lists: the SourceBuffer's and the media
element's.  Changing ``enabled`` / ``selected`` / ``mode`` fires ``change`` at every
list holding the track and tells the MediaSource, which runs "Changes to
selected/enabled track state" to update ``active_source_buffers``.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .events import EventTarget, TaskQueue, TrackEvent
from .errors import NotFoundError, NotSupportedError
from .webvtt import TextTrackCueList, VTTCue, cue_list_of, cue_order, update_active_cues

if TYPE_CHECKING:
    from .sourcebuffer import SourceBuffer

__all__ = ["AudioTrack", "VideoTrack", "TextTrack", "AudioTrackList", "VideoTrackList",
           "TextTrackList"]

_ids = itertools.count(1)
_changes = 0
"""Track changes so far, anywhere: a track added to or removed from a list, its
enabled/selected/mode changed, or its SourceBuffer removed (``change_count``)."""


def change_count() -> int:
    """A number that every track change makes new (msepy.bridge: a task that changed a
    track has every track list and track in its state steps' scope)."""
    return _changes


def note_track_change() -> None:
    global _changes
    _changes += 1


def new_track_id() -> str:
    """"Generate a unique ID" (initialization segment received, step 5.2.6.3)."""
    return str(next(_ids))


class _Track:
    kind_default = ""

    def __init__(self, *, id: str, kind: str, label: str, language: str,
                 source_buffer: "SourceBuffer | None", byte_stream_track_id: int) -> None:
        self.id = id
        self.kind = kind
        self.label = label
        self.language = language
        self._source_buffer = source_buffer
        self.byte_stream_track_id = byte_stream_track_id
        self._lists: list[_TrackList] = []
        self._on_change: Callable[[Any], None] | None = None
        """Set by the MediaSource: runs "Changes to selected/enabled track state"."""

    media_resource_specific = True
    """A track of the media resource (a SourceBuffer's), which the media element load
    algorithm forgets (TextTrack: not one ``addTextTrack()`` made)."""

    @property
    def source_buffer(self) -> "SourceBuffer | None":
        """The SourceBuffer that created this track, or None once it was removed."""
        sb = self._source_buffer
        return sb if sb is not None and sb._source is not None else None

    def _changed(self) -> None:
        note_track_change()
        for lst in self._lists:
            lst._queue.fire(lst, "change")
        if self._on_change is not None:
            self._on_change(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id} kind={self.kind!r} lang={self.language!r}>"


class AudioTrack(_Track):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        value = bool(value)
        if value != self._enabled:
            self._enabled = value
            self._changed()


class VideoTrack(_Track):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._selected = False

    @property
    def selected(self) -> bool:
        return self._selected

    @selected.setter
    def selected(self, value: bool) -> None:
        value = bool(value)
        if value == self._selected:
            return
        self._selected = value
        if value:
            # Selecting one video track unselects the others in the same lists (HTML).
            for lst in self._lists:
                for other in lst._tracks:
                    if other is not self and other._selected:
                        other._selected = False
                        if other._on_change is not None:
                            other._on_change(other)
        self._changed()


class TextTrack(_Track, EventTarget):
    _event_types = ("cuechange",)

    def __init__(self, **kw: Any) -> None:
        EventTarget.__init__(self)
        _Track.__init__(self, **kw)
        self._mode = "disabled"
        self.in_band_metadata_track_dispatch_type = ""
        self._active_cues: tuple[VTTCue, ...] = ()
        """Set by "time marches on" (``msepy.webvtt.update_active_cues``)."""
        self._cue_list = TextTrackCueList(lambda: cue_list_of(self))
        self._active_cue_list = TextTrackCueList(lambda: self._active_cues)
        self._own_cues: tuple[VTTCue, ...] | None = None
        """The cues of a track made by ``addTextTrack()`` (``HTMLMediaElement.
        add_text_track``), in text track cue order; None for a SourceBuffer's, whose
        cues come from its track buffer."""
        self._element: Any = None
        """The element of an ``addTextTrack()`` track (its cue changes run "time
        marches on" there)."""

    @property
    def media_resource_specific(self) -> bool:  # type: ignore[override]
        return self._own_cues is None

    def add_cue(self, cue: VTTCue) -> None:
        """HTML ``addCue()``: the cue joins the text track list of cues (a track made
        by ``addTextTrack()``; a SourceBuffer's cues come from its media).  A cue
        already in the list is moved to the end of its place in cue order (HTML:
        "remove it ... then add")."""
        self._set_cues([*(c for c in self._own() if not _same_cue(c, cue)), cue])

    def remove_cue(self, cue: VTTCue) -> None:
        """HTML ``removeCue()``: NotFoundError unless the cue is in the list."""
        own = self._own()
        kept = [c for c in own if not _same_cue(c, cue)]
        if len(kept) == len(own):
            raise NotFoundError("the cue is not in this TextTrack's list of cues")
        # An active cue removed is no longer active, with no cuechange of its own
        # (Chromium's CueTimeline::RemoveCueInternal).
        self._active_cues = tuple(c for c in self._active_cues if not _same_cue(c, cue))
        self._set_cues(kept)

    def cue_changed(self, cue: VTTCue) -> None:
        """A cue of the page's own whose start or end time was set (HTML's
        ``startTime``/``endTime`` setters: the list keeps text track cue order, and
        "time marches on" runs with the new times; ``cue`` is the new record, with the
        key of the cue it replaces).  The cue stays active if it still holds the
        position: no ``cuechange`` for it."""
        own = self._own()
        if not any(_same_cue(c, cue) for c in own):
            raise NotFoundError("the cue is not in this TextTrack's list of cues")
        self._set_cues([cue if _same_cue(c, cue) else c for c in own])

    def _own(self) -> tuple[VTTCue, ...]:
        if self._own_cues is None:
            raise NotSupportedError("the cues of a SourceBuffer's text track come from its media")
        return self._own_cues

    def _set_cues(self, cues: list[VTTCue]) -> None:
        # Text track cue order; a stable sort keeps the order they were added in ties.
        self._own_cues = tuple(sorted(cues, key=cue_order))
        self._time_marches_on()  # HTML: a changed cue list

    def _time_marches_on(self) -> None:
        """For a track of the page's own: "time marches on" at its element once the
        show poster flag is cleared (Chromium runs none before playback or a seek)."""
        element = self._element
        if element is not None and not element._show_poster:
            update_active_cues(element)

    @property
    def cues(self) -> TextTrackCueList | None:
        """The text track list of cues, live from the track buffer; None (HTML's null)
        while the mode is "disabled"."""
        return None if self._mode == "disabled" else self._cue_list

    @property
    def active_cues(self) -> TextTrackCueList | None:
        """The cues active at the last "time marches on"; None while disabled."""
        return None if self._mode == "disabled" else self._active_cue_list

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in ("disabled", "hidden", "showing"):
            return  # an invalid enum value is ignored, as WebIDL enums are on setting
        if value != self._mode:
            self._mode = value
            if value == "disabled":
                self._active_cues = ()  # no cue of a disabled track is active
            else:
                # Shown again: a page track's time marches on at once, its cuechange
                # before the lists' change (Chromium's order).
                self._time_marches_on()
            self._changed()


def _same_cue(a: VTTCue, b: VTTCue) -> bool:
    """The same cue: a page's by its handle (its times may have changed since), else
    by value."""
    return a.key == b.key if b.key is not None else a == b


class _TrackList(EventTarget):
    _event_types = ("change", "addtrack", "removetrack")

    def __init__(self, queue: TaskQueue) -> None:
        super().__init__()
        self._queue = queue
        self._tracks: list[_Track] = []

    @property
    def length(self) -> int:
        return len(self._tracks)

    def __len__(self) -> int:
        return len(self._tracks)

    def __getitem__(self, index: int) -> _Track:
        return self._tracks[index]

    def __iter__(self) -> Iterator[_Track]:
        return iter(self._tracks)

    def get_track_by_id(self, id: str) -> _Track | None:
        return next((t for t in self._tracks if t.id == id), None)

    def _add(self, track: _Track, at: int | None = None) -> None:
        """Add a track (at the end, or at index ``at``) and queue ``addtrack`` (HTML
        track list logic)."""
        note_track_change()
        self._tracks.insert(len(self._tracks) if at is None else at, track)
        track._lists.append(self)
        self._queue.fire(self, TrackEvent("addtrack", track))

    def _remove(self, track: _Track) -> None:
        """Remove a track; queue ``removetrack`` (and ``change`` if it was active)."""
        if track not in self._tracks:
            return
        note_track_change()
        self._tracks.remove(track)
        track._lists.remove(self)
        self._queue.fire(self, TrackEvent("removetrack", track))
        if _is_active(track):
            self._queue.fire(self, "change")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._tracks}>"


def _is_active(track: _Track) -> bool:
    if isinstance(track, AudioTrack):
        return track.enabled
    if isinstance(track, VideoTrack):
        return track.selected
    if isinstance(track, TextTrack):
        return track.mode in ("showing", "hidden")
    return False


class AudioTrackList(_TrackList):
    pass


class VideoTrackList(_TrackList):
    @property
    def selected_index(self) -> int:
        return next((i for i, t in enumerate(self._tracks) if t.selected), -1)


class TextTrackList(_TrackList):
    pass


def is_active(track: _Track) -> bool:
    """Enabled audio, selected video, or a showing/hidden text track."""
    return _is_active(track)
