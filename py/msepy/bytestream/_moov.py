"""ISO BMFF initialization segment: ``moov`` → track descriptions and fragment defaults.

``movie_from_moov`` turns a parsed ``moov`` into the ``InitSegment`` event plus, per
track, what reading the movie fragments needs (``MovieTrack``): the ``trex``
defaults, the edit-list time shift, and whether samples are length-prefixed
H.264/HEVC NAL units (for the keyframe check).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from . import _boxes as B
from . import codecs as C
from ._types import DecoderConfig, InitSegment, ParseError, TrackInfo, TrackKind

HANDLER_KINDS: dict[str, TrackKind] = {
    "vide": "video", "soun": "audio", "text": "text", "sbtl": "text", "subt": "text",
}
"""hdlr handler_type → track kind; tracks of other handlers (hint, meta, ...) are
not exposed and their samples are dropped (as Chromium does)."""

DASH_ROLE_SCHEME = "urn:mpeg:dash:role:2011"

TEXT_ROLE_KINDS = {"caption": "captions", "subtitle": "subtitles",
                   "description": "descriptions", "captions": "captions",
                   "subtitles": "subtitles", "descriptions": "descriptions",
                   "chapters": "chapters", "metadata": "metadata"}
"""A text track's DASH role (udta/kind) → HTML TextTrack kind; roles that name no
text kind ("main", "alternate", ...) are dropped, and a text track left with none is
"subtitles" (the kind HTML gives an in-band WebVTT track that says nothing)."""


@dataclass(frozen=True, slots=True)
class MovieTrack:
    """What reading a track's fragments needs."""

    track_id: int
    info: TrackInfo | None
    """``None`` for a track the byte stream does not expose (its samples are dropped)."""
    trex: B.Trex | None
    scale: int
    """Frame times are ``media_time * scale + shift`` (see ``edit_list_shift``)."""
    shift: int
    nal_unit_format: tuple[int, bool] | None
    """``(NAL length size, is HEVC)`` for unencrypted H.264/HEVC, else ``None``."""

    @property
    def kind(self) -> str | None:
        return self.info.kind if self.info else None


def edit_list_shift(elst: B.Elst | None, movie_timescale: int,
                    media_timescale: int) -> tuple[int, int]:
    """``(scale, shift)``: a track's frame times become ``t * scale + shift`` in a
    timescale of ``media_timescale * scale`` ticks.

    The byte stream format requires an ``elst`` holding a single edit of media rate 1
    to be honoured: the edit's ``media_time`` (media timescale) becomes presentation
    time 0, so every time moves by ``-media_time``.  A leading empty edit
    (``media_time == -1``) delays the track by its ``segment_duration`` (movie
    timescale); when that is not a whole number of media ticks the track timescale
    is multiplied by ``scale`` so that it is, and times stay exact integers.  Only the
    first non-empty edit counts; one whose rate is not 1 shifts nothing.

    Chromium (``TrackRunIterator::Init``) reads ``edits[0].media_time`` alone, ignores
    an empty edit, and subtracts ``media_time`` from the composition time only,
    leaving the decode time at ``tfdt``.  Here pts and dts both move (as in ffmpeg),
    which keeps dts <= pts; decode-time deltas, and every decode-order check, are the
    same either way.
    """
    if elst is None or not elst.entries:
        return 1, 0
    entries = list(elst.entries)
    empty = 0
    if entries[0].media_time == -1:
        empty = entries.pop(0).segment_duration
    media_time = 0
    if entries and entries[0].media_time >= 0 and entries[0].media_rate_integer == 1:
        media_time = entries[0].media_time
    if not empty:
        return 1, -media_time
    if movie_timescale <= 0:
        raise ParseError("mvhd: timescale 0, cannot convert the empty edit's duration")
    scale = movie_timescale // gcd(empty * media_timescale, movie_timescale)
    delay = empty * media_timescale * scale // movie_timescale
    return scale, delay - media_time * scale


def movie_from_moov(payload: memoryview) -> tuple[dict[int, MovieTrack], InitSegment]:
    """The tracks of a ``moov`` box (its payload, after the header)."""
    moov = B.children(B.Reader(payload, "moov"))
    mvhd: B.Mvhd | None = moov.first("mvhd")
    if mvhd is None:
        raise ParseError("moov: no mvhd")
    mvex: B.Boxes | None = moov.first("mvex")
    if mvex is None:
        raise ParseError("moov: no mvex (the movie is not fragmented)")
    trex = {t.track_ID: t for t in mvex.all("trex")}
    tracks: dict[int, MovieTrack] = {}
    for trak in moov.all("trak"):
        track = _track(trak, mvhd, trex)
        if track.track_id in tracks:
            raise ParseError(f"moov: two tracks with track_ID {track.track_id}")
        tracks[track.track_id] = track
    infos = tuple(t.info for t in tracks.values() if t.info is not None)
    return tracks, InitSegment(tracks=infos, duration=_duration(mvhd, mvex.first("mehd")))


def _duration(mvhd: B.Mvhd, mehd: B.Mehd | None) -> tuple[int, int] | None:
    """mehd fragment_duration, else mvhd duration (movie timescale); ``None`` when
    zero or all ones ("unknown")."""
    if mvhd.timescale <= 0:
        return None
    if mehd is not None and mehd.fragment_duration and not mehd.all_ones:
        return mehd.fragment_duration, mvhd.timescale
    if mvhd.duration and not mvhd.duration_all_ones:
        return mvhd.duration, mvhd.timescale
    return None


def _track(trak: B.Boxes, mvhd: B.Mvhd, trex: dict[int, B.Trex]) -> MovieTrack:
    tkhd: B.Tkhd | None = trak.first("tkhd")
    mdhd: B.Mdhd | None = trak.path("mdia", "mdhd")
    hdlr: B.Hdlr | None = trak.path("mdia", "hdlr")
    stbl: B.Boxes | None = trak.path("mdia", "minf", "stbl")
    for box, found in (("tkhd", tkhd), ("mdhd", mdhd), ("hdlr", hdlr), ("stbl", stbl)):
        if found is None:
            raise ParseError(f"trak: no {box}")
    assert tkhd and mdhd and hdlr and stbl
    track_id = tkhd.track_ID
    if mdhd.timescale <= 0:
        raise ParseError(f"mdhd: timescale 0 in track {track_id}")
    for box in ("stts", "stsc", "stco", "co64"):
        table: B.EntryCount | None = stbl.first(box)
        if table is not None and table.entry_count:
            raise ParseError(f"{box}: track {track_id} has samples in the moov "
                             f"(entry_count {table.entry_count}); MSE needs an empty moov")
    dref: B.Dref | None = trak.path("mdia", "minf", "dinf", "dref")
    if dref is not None and not dref.self_contained:
        raise ParseError(f"dref: track {track_id} uses external data references")
    scale, shift = edit_list_shift(trak.path("edts", "elst"), mvhd.timescale, mdhd.timescale)
    kind = HANDLER_KINDS.get(hdlr.handler_type)
    if kind is None:
        return MovieTrack(track_id, None, trex.get(track_id), scale, shift, None)
    entries: tuple[B.SampleEntry, ...] | None = stbl.first("stsd")
    if not entries:
        raise ParseError(f"stsd: track {track_id} has no sample entry")
    codec, config, encrypted, nal = _sample_entry(kind, entries[0])
    elng: B.Text | None = trak.path("mdia", "elng")
    name: B.Text | None = trak.path("udta", "name")
    udta: B.Boxes | None = trak.first("udta")
    kinds = tuple(k.value for k in (udta.all("kind") if udta else ())
                  if k.schemeURI == DASH_ROLE_SCHEME and k.value)
    if kind == "text":
        text_kinds = (TEXT_ROLE_KINDS.get(k) for k in kinds)
        kinds = tuple(dict.fromkeys(k for k in text_kinds if k)) or ("subtitles",)
    info = TrackInfo(
        track_id=track_id, kind=kind, codec=codec, timescale=mdhd.timescale * scale,
        config=config, language=elng.value if elng and elng.value else mdhd.language,
        label=name.value if name else "",   # hdlr name is not a label (as Chromium)
        default=tkhd.track_enabled, kinds=kinds, encrypted=encrypted)
    return MovieTrack(track_id, info, trex.get(track_id), scale, shift, nal)


def _original_format(entry_format: str, boxes: B.Boxes) -> tuple[str, bool]:
    """encv/enca (14496-12 8.12, 23001-7): the original format from sinf/frma."""
    if entry_format not in ("encv", "enca"):
        return entry_format, False
    frma: B.Text | None = boxes.path("sinf", "frma")
    if frma is None:
        raise ParseError(f"{entry_format}: no sinf/frma original format")
    return frma.value, True


def _sample_entry(kind: TrackKind, entry: B.SampleEntry
                  ) -> tuple[str, DecoderConfig | None, bool, tuple[int, bool] | None]:
    """(codec, decoder config, encrypted, NAL unit format) of a sample entry."""
    if kind == "video":
        return _video_entry(B.visual_sample_entry(entry))
    if kind == "audio":
        return _audio_entry(B.audio_sample_entry(entry))
    return ("wvtt" if entry.format == "wvtt" else entry.format), None, False, None


def _required(boxes: B.Boxes, box: str, fmt: str) -> B.Payload:
    found = boxes.first(box)
    if found is None:
        raise ParseError(f"{fmt}: sample entry without its {box} (codec parameter sets)")
    return found


def _video_entry(e: B.VisualSampleEntry):
    fmt, encrypted = _original_format(e.format, e.boxes)
    description: bytes | None = None
    nal: tuple[int, bool] | None = None
    if fmt in ("avc1", "avc3"):
        avcC = _required(e.boxes, "avcC", fmt).data
        codec, description = C.avc_codec_string(fmt, avcC), bytes(avcC)
        nal = (C.avc_nal_length_size(avcC), False)
    elif fmt in ("hvc1", "hev1"):
        hvcC = _required(e.boxes, "hvcC", fmt).data
        codec, description = C.hevc_codec_string(fmt, hvcC), bytes(hvcC)
        nal = (C.hevc_nal_length_size(hvcC), True)
    elif fmt == "av01":
        av1C = _required(e.boxes, "av1C", fmt).data
        colr: B.Colr | None = e.boxes.first("colr")
        colour = None
        if colr is not None and colr.colour_type == "nclx":
            colour = (colr.colour_primaries, colr.transfer_characteristics,
                      colr.matrix_coefficients, colr.full_range_flag)
        codec, description = C.av1_codec_string(av1C, colour), bytes(av1C)
    elif fmt == "vp09":
        codec = C.vpcc_codec_string(_required(e.boxes, "vpcC", fmt).data)
    elif fmt == "vp08":
        codec = "vp8"
    else:
        codec = fmt
    display_width = display_height = None
    pasp: B.Pasp | None = e.boxes.first("pasp")
    if pasp and pasp.hSpacing and pasp.vSpacing and pasp.hSpacing != pasp.vSpacing:
        # Chromium's GetNaturalSize: the width is scaled by the pixel aspect ratio.
        display_width = (2 * e.width * pasp.hSpacing + pasp.vSpacing) // (2 * pasp.vSpacing)
        display_height = e.height
    config = DecoderConfig(codec=codec, description=description, coded_width=e.width,
                           coded_height=e.height, display_width=display_width,
                           display_height=display_height)
    return codec, config, encrypted, None if encrypted else nal


def _audio_entry(e: B.AudioSampleEntry):
    fmt, encrypted = _original_format(e.format, e.boxes)
    if fmt == "mp4a":
        audio = C.aac_from_esds(_required(e.boxes, "esds", fmt).data)
    elif fmt == "Opus":
        audio = C.opus_from_opushead(C.opus_head_from_dops(_required(e.boxes, "dOps", fmt).data))
    elif fmt == "fLaC":
        audio = C.flac_from_dfla(_required(e.boxes, "dfLa", fmt).data)
    else:
        audio = C.AudioConfig(fmt, None, None, None)
    config = DecoderConfig(codec=audio.codec, description=audio.description,
                           sample_rate=audio.sample_rate or e.samplerate or None,
                           channel_count=audio.channel_count or e.channelcount or None)
    return audio.codec, config, encrypted, None
