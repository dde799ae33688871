"""The state records: what each page-side mirror holds.

Every object the page has a mirror of (a MediaSource, a SourceBuffer, a media
element, a track, a list) has a *state record*: a plain dict of what its getters
return - doubles, strings, lists of ``[start, end]`` ranges - and of what the page
needs to run the IDL's synchronous steps itself (``appendQuota`` for
QuotaExceededError, ``bufferedOther`` for the readyState changes the page makes in
its own task, ``bufferedWithout`` for ``removeSourceBuffer()``).  This module only
*makes* records; ``msepy.bridge`` decides when they are made and sent (its state
step, before every event), and sends only what changed.

A record is recomputed whenever its object may have changed, so the values behind it
are memoized where they are made (``SourceBuffer._buffered_ranges`` and the
MediaSource's ranges by track buffer generation, the quota here by what it depends
on, cue records by cue list).
"""

from __future__ import annotations

import math
from typing import Any, Callable

from . import bridge_extras as extras
from .element import HTMLMediaElement
from .eviction import (_current_position, _parser_backlog, freeable_bytes, memory_usage,
                       pending_seek_at)
from .feed import active_track_buffers
from .mediasource import MediaSource, SourceBufferList
from .sourcebuffer import PARSING_MEDIA_SEGMENT, SourceBuffer
from .timeranges import TimeRanges
from .tracks import AudioTrack, TextTrack, VideoTrack, _Track, _TrackList
from .webvtt import VTTCue, cue_list_of

__all__ = ["StateRecords", "append_quota", "cue_record"]

_TRACK_STATE = {AudioTrack: "enabled", VideoTrack: "selected", TextTrack: "mode"}


class StateRecords:
    """The record makers of ``msepy.bridge.Bridge`` (a mixin): they read the bridge's
    ``_objects``, ``_state_of``, ``_track_lists`` and ``name_of``, and
    keep their memos in ``_quotas`` and ``_cue_records``."""

    _objects: dict[str, Any]
    _state_of: dict[str, Callable[[str, Any], dict[str, Any]]]
    _track_lists: dict[str, None]
    _quotas: dict[str, tuple[Any, float]]
    _cue_records: dict[int, tuple[Any, list[list[Any]]]]
    name_of: Callable[[Any], str | None]

    def _states(self, only: set[str] | None = None) -> dict[str, dict[str, Any]]:
        objects, state_of = self._objects, self._state_of
        lists = self._track_lists if only is None else [o for o in only if o in self._track_lists]
        # The lists' tracks are named first (their records follow); a list in scope
        # brings its tracks into it.
        tracks = [self.name_of(track) for oid in lists for track in objects[oid]]
        ids = list(state_of) if only is None else dict.fromkeys([*only, *tracks])
        return {oid: state_of[oid](oid, objects[oid]) for oid in ids if oid in state_of}

    def _state_function(self, obj: Any) -> Callable[[str, Any], dict[str, Any]] | None:
        """How ``obj``'s state record is made (None: it has none)."""
        if isinstance(obj, MediaSource):
            return lambda oid, ms: self._ms_dict(ms)
        if isinstance(obj, SourceBuffer):
            return self._sb_dict
        if isinstance(obj, HTMLMediaElement):
            return self._element_dict
        if isinstance(obj, _Track):
            return lambda oid, track: self._track_dict(track)
        if isinstance(obj, (_TrackList, SourceBufferList)):
            return lambda oid, lst: {"items": [self.name_of(x) for x in lst]}
        return None

    def _ms_dict(self, ms: MediaSource) -> dict[str, Any]:
        sbs = list(ms.source_buffers)
        # With several SourceBuffers, also the values without each of them: the page's
        # removeSourceBuffer() changes them in its own task ("highestWithout").
        return {"readyState": ms.ready_state, "duration": ms.duration,
                **_highest_of(ms, sbs),
                "highestWithout": {self.name_of(sb): list(_highest_of(
                    ms, [x for x in sbs if x is not sb]).values()) for sb in sbs}
                if len(sbs) > 1 else None,
                "liveSeekableRange": ms._live_seekable_range.doubles(), **extras.ms_state(ms)}

    def _sb_dict(self, oid: str, sb: SourceBuffer) -> dict[str, Any]:
        removed = sb._source is None
        return {"removed": removed, "updating": sb.updating, "mode": sb.mode,
                "timestampOffset": sb.timestamp_offset,
                "appendWindowStart": sb.append_window_start,
                "appendWindowEnd": sb.append_window_end,
                "buffered": [] if removed else sb.buffered.doubles(),
                "bufferedOther": None if removed else _other_state_ranges(
                    sb._source, sb._buffered_ranges),
                "parsingMediaSegment": sb._append_state == PARSING_MEDIA_SEGMENT,
                "generateTimestamps": sb._generate_timestamps,
                "appendQuota": None if removed else self._append_quota(oid, sb),
                "type": sb._type, "lastError": sb.last_error}

    def _append_quota(self, oid: str, sb: SourceBuffer) -> float:
        """``append_quota``, again only when the buffer, the position, a seek or the
        parser's backlog changed (a playing element's records come with every
        position report; the SourceBuffer's, whenever any field changed)."""
        element = sb._source._element if sb._source is not None else None
        key = (*[tb.generation for tb in sb._track_buffers.values()], _parser_backlog(sb),
               getattr(element, "_position", None), getattr(element, "seeking", None))
        memo = self._quotas.get(oid)
        if memo is not None and memo[0] == key:
            return memo[1]
        quota = append_quota(sb)
        self._quotas[oid] = (key, quota)
        return quota

    def _element_dict(self, oid: str, el: HTMLMediaElement) -> dict[str, Any]:
        error = el.error
        width = height = 0
        for track in el.video_tracks:
            if track.selected and track._source_buffer is not None:
                tb = track._source_buffer._track_buffers.get(track.byte_stream_track_id)
                cfg = tb.info.config if tb is not None else None
                if cfg is not None:
                    width = cfg.display_width or cfg.coded_width or 0
                    height = cfg.display_height or cfg.coded_height or 0
        ms = el._ms
        source = ms if isinstance(ms, MediaSource) else None
        buffered = el.buffered
        return {
            "readyState": el.ready_state, "networkState": el.network_state,
            "currentTime": el.current_time, "seeking": el.seeking, "paused": el.paused,
            "ended": el.ended, "duration": el.duration,
            "error": None if error is None else {"code": error.code, "message": error.message},
            "buffered": buffered.doubles(), "seekable": el.seekable.doubles(),
            "bufferedOther": None if source is None
            else _other_state_ranges(source, source._element_buffered),
            "bufferedWithout": None if source is None else self._buffered_without(source),
            "played": el.played.doubles(), "playbackRate": el.playback_rate,
            "volume": el.volume, "muted": el.muted, "autoplay": el.autoplay, "loop": el.loop,
            "potentiallyPlaying": el.potentially_playing(),
            "playableUntil": float(el._playable_until(buffered)) if el.ready_state else 0.0,
            "videoWidth": width, "videoHeight": height,
            "feedTracks": [{"key": track.id, "kind": tb.kind}
                           for _, tb, track in active_track_buffers(el)],
        }

    def _buffered_without(self, ms: MediaSource) -> dict[str, list[list[float]]] | None:
        """With several active SourceBuffers, the element's buffered ranges without
        each of them, where they differ: removeSourceBuffer() takes it out of
        activeSourceBuffers, and the element's buffered with it, in the page's task."""
        active = list(ms._active)
        if len(active) < 2:
            return None
        now = ms._element_buffered()
        out = {}
        for sb in active:
            ranges = ms._element_buffered(without=sb)
            if ranges != now:
                out[self.name_of(sb)] = ranges.doubles()
        return out or None

    def _track_dict(self, track: _Track) -> dict[str, Any]:
        kind = {AudioTrack: "audio", VideoTrack: "video", TextTrack: "text"}[type(track)]
        state = {"type": kind, "id": track.id, "kind": track.kind, "label": track.label,
                 "language": track.language,
                 "sourceBuffer": self.name_of(track.source_buffer)}
        state[_TRACK_STATE[type(track)]] = getattr(track, _TRACK_STATE[type(track)])
        if isinstance(track, TextTrack):
            # The text track list of cues and the active cues (msepy.webvtt), also while
            # disabled (where the page's getters say null), so that turning a track on
            # shows its cues at once.
            state["cues"] = self._cue_list(cue_list_of(track))
            state["activeCues"] = self._cue_list(track._active_cues)
        return state

    def _cue_list(self, cues: tuple[VTTCue, ...]) -> list[list[Any]]:
        """Cue records ``[id, startTime, endTime, text, settings(, key)]``: the same list
        object while the cue tuple is the same (the cue lists are memoized)."""
        if not cues:
            return []
        hit = self._cue_records.get(id(cues))
        if hit is not None and hit[0] is cues:
            return hit[1]
        if len(self._cue_records) > 64:
            self._cue_records.clear()
        # (A cue the page added has its handle there too: the page's own cue object.)
        records = [cue_record(c) for c in cues]
        self._cue_records[id(cues)] = (cues, records)
        return records


def cue_record(c: VTTCue) -> list[Any]:
    """A cue as the page gets it: ``[id, startTime, endTime, text, settings(, key)]``."""
    return [c.id, c.start_time, c.end_time, c.text, c.settings,
            *(() if c.key is None else (c.key,))]


def append_quota(sb: SourceBuffer) -> float:
    """The largest ``appendBuffer()`` that will not throw QuotaExceededError now, so
    the page side can throw synchronously: "Coded Frame Eviction" (msepy.eviction)
    charges the new bytes to the track buffers in proportion to what each holds, and
    a share fits if it is within the track's limit and what eviction could free at the
    current position makes room for it.  Nothing held: any size fits (as Chromium);
    -1: none does."""
    tbs = list(sb._track_buffers.values())
    usage = [memory_usage(tb) for tb in tbs]
    total = sum(usage)
    if not total:
        return math.inf
    position = _current_position(sb)
    quota = math.inf
    for tb, used in zip(tbs, usage):
        if not used:
            continue  # charged nothing
        limit = sb._limit(tb)
        room = limit - used + freeable_bytes(tb, position, pending_seek_at(sb, tb, position))
        cap = min(limit, room)
        # The share n * used // total fits while it is at most cap.
        quota = min(quota, -(-(cap + 1) * total // used) - 1)
    # (Below 0: every append throws, an empty one too - a track over its limit that
    # eviction cannot bring back under it.)
    return max(-1, quota - _parser_backlog(sb))


def _highest_of(ms: MediaSource, sbs: list[SourceBuffer]) -> dict[str, float | None]:
    """The MediaSource record's highest presentation timestamp and highest end time
    over the track buffers of ``sbs`` (duration change step 2, end of stream 3.1)."""
    pts, end = ms._highest_times(sbs)
    return {"highestPresentationTimestamp": None if pts is None else float(pts),
            "highestEndTime": None if end is None else float(end)}


def _other_state_ranges(source: MediaSource, ranges: Callable[[bool], TimeRanges]
                        ) -> list[list[float]] | None:
    """The buffered ranges of an open MediaSource's SourceBuffer or element as they
    are once it is "ended", or of an ended one's once it is "open" again (None: the
    same): the page's endOfStream() and the setters that reopen it change
    readyState in their own task, and the buffered getters with it (SourceBuffer
    buffered step 4.2, HTMLMediaElement.buffered step 5.2)."""
    state = source._ready_state
    if state == "closed":
        return None
    now, other = ranges(state == "ended"), ranges(state != "ended")
    return None if other == now else other.doubles()
