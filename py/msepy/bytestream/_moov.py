"""ISO BMFF initialization segment: ``moov`` → track descriptions and fragment defaults.

``movie_from_moov`` turns a parsed ``moov`` into the ``InitSegment`` event plus, per
track, what reading the movie fragments needs (``MovieTrack``): the ``trex``
defaults, the edit-list time shift, and whether samples are length-prefixed
H.264/HEVC NAL units (for the keyframe check).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    shift: int
    """Frame times are ``media_time + shift`` (see ``edit_list_shift``)."""
    nal_unit_format: tuple[int, bool] | None
    """``(NAL length size, is HEVC)`` for unencrypted H.264/HEVC, else ``None``."""

    @property
    def kind(self) -> str | None:
        return self.info.kind if self.info else None


def edit_list_shift(elst: B.Elst | None) -> int:
    """The ticks (media timescale) a track's frame times move by: ``-media_time`` of
    the edit list's first entry, the edit whose ``media_time`` becomes presentation
    time 0 (the byte stream format requires a single edit of media rate 1 to be
    honoured; one of another rate shifts nothing).

    An empty first edit (``media_time == -1``, a delay) and every entry after the
    first are ignored, as Chromium's ``TrackRunIterator`` does ("Empty edit list entry
    ignored"; the format leaves longer lists open): a track delayed by an empty edit
    plays from its ``tfdt`` times, in Chromium and here (e2e differential, on
    tests/fixtures/mp4/h264_aac_elst.mp4: its audio's 478 ms empty edit).  The shift
    moves the presentation times only, leaving the decode times at the ``tfdt``'s, as
    Chromium's does (ffmpeg moves both): a muxed fragment's frames are processed in
    decode order across its tracks, and moving one track's decode times changes which
    frame starts a coded frame group (checked on the same file, "sequence mode with
    an append window").  A frame may then present before it decodes.
    """
    if elst is None or not elst.entries:
        return 0
    edit = elst.entries[0]
    if edit.media_time < 0 or edit.media_rate_integer != 1:
        return 0
    return -edit.media_time


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
    shift = edit_list_shift(trak.path("edts", "elst"))
    kind = HANDLER_KINDS.get(hdlr.handler_type)
    if kind is None:
        return MovieTrack(track_id, None, trex.get(track_id), shift, None)
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
        track_id=track_id, kind=kind, codec=codec, timescale=mdhd.timescale,
        config=config, language=elng.value if elng and elng.value else mdhd.language,
        label=name.value if name else "",   # hdlr name is not a label (as Chromium)
        default=tkhd.track_enabled, kinds=kinds, encrypted=encrypted)
    return MovieTrack(track_id, info, trex.get(track_id), shift, nal)


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
