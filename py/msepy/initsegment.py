""""Initialization Segment Received": checks, track creation, track buffers."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from .bytestream import InitSegment, TrackInfo
from .processing import AppendError
from .trackbuffer import TrackBuffer
from .tracks import AudioTrack, TextTrack, VideoTrack, new_track_id

if TYPE_CHECKING:
    from .sourcebuffer import SourceBuffer

__all__ = ["initialization_segment_received"]

_TRACK_CLASS = {"audio": AudioTrack, "video": VideoTrack, "text": TextTrack}


def initialization_segment_received(sb: "SourceBuffer", init: InitSegment) -> None:
    source = sb._source
    assert source is not None
    # 1. Update the duration if it is NaN (loadedmetadata's durationchange announces it).
    if source._duration != source._duration:
        if init.duration is not None:
            ticks, scale = init.duration
            source._duration_change(Fraction(ticks, scale), announce=False)
        else:
            source._duration_change(float("inf"), announce=False)
    # 2. No audio, video or text tracks.
    if not init.tracks:
        raise AppendError("initialization segment has no audio, video or text tracks")
    ids = [t.track_id for t in init.tracks]
    if len(set(ids)) != len(ids):
        raise AppendError(f"initialization segment repeats a Track ID: {ids}")
    for t in init.tracks:
        if t.encrypted:
            raise AppendError(f"track {t.track_id} is encrypted; msepy has no CDM "
                              "(Encrypted Media Extensions)")
    if sb._first_init_received:
        _check_later_init_segment(sb, init)  # 3.
        return _finish(sb, active=False)
    # 4-5. First initialization segment: create tracks and track buffers.
    active = False
    for kind in ("audio", "video", "text"):
        for info in (t for t in init.tracks if t.kind == kind):
            active |= _create_tracks(sb, info)
            tb = TrackBuffer(info)
            _audio_timescale(tb)
            sb._track_buffers[info.track_id] = tb
    if active:  # 5.5
        source._activate(sb)
    sb._first_init_received = True  # 5.6
    _finish(sb, active)


def _finish(sb: "SourceBuffer", active: bool) -> None:
    source = sb._source
    sb._pending_init_for_change_type = False  # 6.
    if active:  # 7.
        source._active_track_added()
    if all(b._first_init_received for b in source._source_buffers):  # 8.
        source._sourcebuffers_ready()


def _check_later_init_segment(sb: "SourceBuffer", init: InitSegment) -> None:
    """Step 3.1: the same number of tracks of each type; the same Track IDs where a
    type has several; then (3.2-3.3) new descriptions and need-RAP on every buffer."""
    old = {tb.track_id: tb for tb in sb._track_buffers.values()}
    mapping: dict[int, TrackBuffer] = {}
    for kind in ("audio", "video", "text"):
        old_k = [tb for tb in old.values() if tb.kind == kind]
        new_k = [t for t in init.tracks if t.kind == kind]
        if len(old_k) != len(new_k):
            raise AppendError(f"initialization segment has {len(new_k)} {kind} tracks; "
                              f"the first one had {len(old_k)}")
        if len(new_k) == 1:
            mapping[new_k[0].track_id] = old_k[0]
        else:
            for t in new_k:
                if t.track_id not in old or old[t.track_id].kind != kind:
                    raise AppendError(f"{kind} Track ID {t.track_id} is not one of the "
                                      "first initialization segment's")
                mapping[t.track_id] = old[t.track_id]
    # 3.2 Add the new track descriptions; the buffers are now keyed by the new IDs.
    sb._track_buffers = {}
    for info in init.tracks:
        tb = mapping[info.track_id]
        tracks = sb._tracks.pop(tb.track_id, [])
        tb.info = info
        tb.track_id = info.track_id
        tb.ensure_timescale(info.timescale)
        _audio_timescale(tb)
        sb._track_buffers[info.track_id] = tb
        sb._tracks[info.track_id] = tracks
        for track in tracks:
            track.byte_stream_track_id = info.track_id
        tb.need_random_access_point = True  # 3.3


def _audio_timescale(tb: TrackBuffer) -> None:
    """Keep audio in a timescale that counts samples and 5 ms splices exactly."""
    if tb.kind == "audio" and tb.info.config and tb.info.config.sample_rate:
        tb.ensure_timescale(tb.info.config.sample_rate)
        tb.ensure_timescale(200)


def _create_tracks(sb: "SourceBuffer", info: TrackInfo) -> bool:
    """Steps 5.2-5.4 for one track; returns the active track flag it sets."""
    source = sb._source
    language = "" if info.language in ("", "und") else info.language  # 5.x.2-3
    kinds = info.kinds or (_default_kind(sb, info),)  # 5.x.5
    lists = {"audio": sb.audio_tracks, "video": sb.video_tracks, "text": sb.text_tracks}
    own = lists[info.kind]
    active = False
    made = sb._tracks.setdefault(info.track_id, [])
    for kind in kinds:  # 5.x.6
        track = _TRACK_CLASS[info.kind](id=new_track_id(), kind=kind, label=info.label,
                                        language=language, source_buffer=sb,
                                        byte_stream_track_id=info.track_id)
        if info.kind == "audio" and len(own) == 0:
            track._enabled = True
            active = True
        elif info.kind == "video" and len(own) == 0:
            track._selected = True
            active = True
        elif info.kind == "text":
            # 5.4.6.7: text tracks start "disabled" unless default (HTML's automatic
            # text track selection shows a default captions/subtitles track); Chromium
            # makes in-band text tracks "hidden" when default.
            if info.default:
                track._mode = "hidden"
            if track.mode in ("showing", "hidden"):  # 5.4.6.8
                active = True
        own._add(track)  # 5.x.6.8
        made.append(track)
        source._add_track_to_element(track)  # 5.x.6.9
    return active


def _default_kind(sb: "SourceBuffer", info: TrackInfo) -> str:
    """HTML's kind for a track the byte stream gives no kind: "main" for the first
    audio/video track, "" for text (Chromium reports "main" / "subtitles")."""
    if info.kind == "text":
        return "subtitles"
    return "main"
