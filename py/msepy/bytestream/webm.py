"""WebM byte stream parser (MSE WebM byte stream format; byte-streams.md "WebM").

Theory of operation
-------------------
The input is read one element header at a time (``_ebml.read_header``), at one of two
levels:

* **Segment level** (``_segment_step``).  The EBML header and the Segment header
  start an initialization segment; Info then Tracks complete it (→ ``InitSegment``).
  A Cluster starts a media segment (→ ``MediaSegmentStart``).  SeekHead, Void, Cues,
  Chapters, Tags, Attachments, CRC-32 and unknown elements are skipped as their bytes
  arrive (``_skip``), never buffered.  The top level and the Segment's children are
  read as one level and the Segment's size is not enforced: apps append the Clusters
  of a file in any order (seeking), so stream positions say nothing about it.
* **Cluster level** (``_cluster_step``).  Timestamp, SimpleBlock and BlockGroup are
  read whole (a block is the unit a frame comes from); everything else is skipped.
  The Cluster ends at its size (→ ``MediaSegmentEnd``), or, for an unknown size, at
  the header of any Segment-level element (a Cluster, Cues, an EBML header, ...),
  which is left in the input for the Segment level.

Frames are ``CodedFrame``s with ``dts = pts`` (VP8/VP9/AV1/Opus/Vorbis have no
reordering) in the track timescale ``1e9 / gcd(1e9, TimestampScale)``, so Matroska
ticks convert exactly (×``TimestampScale / gcd``).  A frame's duration is, in order:
BlockDuration, the track's DefaultDuration, the coded duration (Opus TOC; Vorbis mode
block sizes), else estimated: the block is held back until the next block of its track
(duration = the timestamp gap) or the Cluster's end (the track's last known duration,
else Chromium's defaults 23 ms audio / 63 ms video).  Laced frames follow each other by
DefaultDuration, else coded durations, else an even share of BlockDuration or of the
gap to the next block.

Choices where WebM or MSE leave room (Chromium's where it has one):
* DocType ``matroska`` is accepted as well as ``webm`` (same element syntax).
* TrackTypes other than video (1), audio (2) and subtitle (17, WebVTT codecs only) are
  ignored, as Matroska readers ignore what they cannot play; their blocks are dropped.
* WebVTT text frames are D_WEBVTT blocks (``identifier LF settings LF payload``);
  Matroska's S_TEXT/WEBVTT blocks, whose identifier and settings are in
  BlockAdditional, are rewritten into that layout (``_webvtt_block``).
* Every audio and text frame is a random access point (Chromium's frame processor
  forces this for audio); video keyframes are the SimpleBlock keyframe flag or a
  BlockGroup without ReferenceBlock.
* Opus CodecDelay is not subtracted from timestamps (Chromium does not either); the
  decoder drops the pre-skip its OpusHead (``description``) announces.
* An absent Language is Matroska's default ``"eng"`` (Chromium reports ``""``);
  LanguageBCP47 wins over Language.  FlagEnabled and DiscardPadding are not read.
* Info's Duration (a float) becomes the nearest whole tick.
* Blocks of one track may not go back in time within a Cluster; interleaving across
  tracks is not checked.  ``reset`` drops held-back frames with the partial segment.
* V_MPEG4/ISO/AVC is not supported: WebM blocks carry presentation times only, and
  H.264's decode order cannot be recovered without reading the bitstream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

from ._ebml import (ID, MAX_BLOCK_SIZE, MAX_ELEMENT_SIZE, Block, read_block, read_header,
                    read_master, one)
from ._driver import StreamingParser
from ._input import InputBuffer
from ._types import (CodedFrame, DecoderConfig, InitSegment, MediaSegmentEnd,
                     MediaSegmentStart, ParseError, SegmentEvent, TrackInfo)
from .codecs import OPUS_SAMPLE_RATE, av1_codec_string, opus_from_opushead
from .codecs_webm import (VorbisSetup, opus_packet_samples, vorbis_packet_blocksize,
                          vorbis_setup, vp9_codec)

NS = 10**9
MAX_NS = 2**63 - 1
"""Matroska times are signed 64-bit nanoseconds; anything beyond is an overflow."""

# Elements that live directly in a Segment (or at the top level): they end an
# unknown-size Cluster (MSE WebM byte stream format, "Media Segments").
_SEGMENT_LEVEL = frozenset(ID[n] for n in (
    "EBML", "Segment", "SeekHead", "Info", "Tracks", "Cluster", "Cues", "Attachments",
    "Chapters", "Tags"))
_CLUSTER_ONLY = frozenset(ID[n] for n in ("Timestamp", "SimpleBlock", "BlockGroup"))
_READ_WHOLE = frozenset(ID[n] for n in ("EBML", "Info", "Tracks"))

_TRACK_TYPES = {1: "video", 2: "audio", 17: "text"}
_CODEC_KINDS = {"V_VP8": "video", "V_VP9": "video", "V_AV1": "video",
                "A_OPUS": "audio", "A_VORBIS": "audio"}
_TEXT_KINDS = {"D_WEBVTT/SUBTITLES": "subtitles", "D_WEBVTT/CAPTIONS": "captions",
               "D_WEBVTT/DESCRIPTIONS": "descriptions", "D_WEBVTT/METADATA": "metadata",
               "S_TEXT/WEBVTT": "subtitles"}
_DEFAULT_FRAME_MS = {"audio": 23, "video": 63, "text": 63}  # Chromium's estimates


def _rounded_div(a: int, b: int) -> int:
    """``a / b`` rounded to the nearest integer (halves up), ints only."""
    return (2 * a + b) // (2 * b)


@dataclass(frozen=True, slots=True)
class _TimeBase:
    """From Info: TimestampScale as an exact track timescale, and Duration."""

    timestamp_scale: int
    """Nanoseconds per Matroska tick."""
    timescale: int
    factor: int
    """Track ticks per Matroska tick."""
    duration: int | None


@dataclass(frozen=True, slots=True)
class _Track:
    number: int
    kind: str
    default_duration: int | None
    """DefaultDuration in track ticks (nearest)."""
    opus: bool = False
    vorbis: VorbisSetup | None = None
    matroska_webvtt: bool = False
    """S_TEXT/WEBVTT: blocks are rewritten into the D_WEBVTT layout (``_webvtt_block``)."""


@dataclass(frozen=True, slots=True)
class _Active:
    """The last complete initialization segment: what Clusters are read against."""

    time: _TimeBase
    tracks: dict[int, _Track | None]
    """TrackNumber → track; ``None`` for an ignored track."""


@dataclass(slots=True)
class _Pending:
    """A block held back until its frames' duration can be estimated."""

    track: _Track
    pts: int
    is_rap: bool
    frames: list[memoryview]


@dataclass(slots=True)
class _Cluster:
    end: int | None
    """Stream position of the Cluster's end; ``None`` for an unknown size."""
    timestamp: int | None = None
    last_pts: dict[int, int] = field(default_factory=dict)
    pending: dict[int, _Pending] = field(default_factory=dict)
    vorbis_blocksize: dict[int, int] = field(default_factory=dict)


class WebmParser(StreamingParser):
    """``ByteStreamParser`` for ``video/webm`` and ``audio/webm``."""

    generate_timestamps = False

    def __init__(self) -> None:
        self._buf = InputBuffer()
        self._active: _Active | None = None
        self._last_duration: dict[int, int] = {}
        self.reset()

    def __repr__(self) -> str:
        where = "cluster" if self._cluster else "segment"
        return f"<WebmParser {where} skip={self._skip} {self._buf!r}>"

    def reset(self) -> None:
        self._buf.clear()
        self._skip = 0
        self._cluster: _Cluster | None = None
        self._ready: list[CodedFrame] = []
        self._need_tracks = False
        self._info: _TimeBase | None = self._active.time if self._active else None
        self._error: ParseError | None = None

    def _format_name(self) -> str:
        return "WebM"

    def _events(self, frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        self._ready = frames                   # complete frames go here (``_emit``)
        while True:
            if self._skip:
                n = min(self._skip, len(self._buf))
                self._buf.skip(n)
                self._skip -= n
                if self._skip:
                    return
            events = self._cluster_step() if self._cluster else self._segment_step()
            if events is None:
                return
            yield from events

    # --- Segment level -----------------------------------------------------------------

    def _segment_step(self) -> list[SegmentEvent] | None:
        header = read_header(self._buf, "WebM")
        if header is None:
            return None
        name, size = header.name, header.size
        if header.id == ID["Segment"]:  # descend: its children follow (any size)
            self._buf.skip(header.header_size)
            self._new_segment()
            return []
        if header.id == ID["Cluster"]:
            return self._start_cluster(header.header_size, size)
        if header.id in _CLUSTER_ONLY:
            raise ParseError(f"{name} outside a Cluster")
        if size is None:
            raise ParseError(f"{name} with unknown size")
        if size > MAX_ELEMENT_SIZE:
            raise ParseError(f"{name} of {size} bytes is too large")
        if header.id not in _READ_WHOLE:   # SeekHead, Cues, Tags, Void, unknown...
            self._buf.skip(header.header_size)
            self._skip = size
            return []
        element = self._buf.peek(header.header_size + size)
        if element is None:
            return None
        body = element[header.header_size:]
        if header.id == ID["EBML"]:
            self._ebml_header(body)
            events: list[SegmentEvent] = []
        elif header.id == ID["Info"]:
            self._segment_info(body)
            events = []
        else:
            events = [self._tracks(body)]
        self._buf.skip(header.header_size + size)
        return events

    def _new_segment(self) -> None:
        self._info = None
        self._need_tracks = False

    def _ebml_header(self, body: memoryview) -> None:
        """RFC 8794 §11.2.  Only EBML version 1, 4-byte IDs, 8-byte sizes are readable."""
        ebml = read_master(body, "EBML")
        if one(ebml, "EBMLReadVersion", 1) > 1:
            raise ParseError("EBML: EBMLReadVersion above 1")
        if one(ebml, "EBMLMaxIDLength", 4) > 4 or one(ebml, "EBMLMaxSizeLength", 8) > 8:
            raise ParseError("EBML: IDs above 4 bytes or sizes above 8 bytes")
        doc_type = one(ebml, "DocType")
        if doc_type not in ("webm", "matroska"):
            raise ParseError(f"EBML: DocType {doc_type!r} is not webm")
        self._new_segment()

    def _segment_info(self, body: memoryview) -> None:
        if self._need_tracks:
            raise ParseError("Info: a second Info before Tracks")
        info = read_master(body, "Info")
        scale = one(info, "TimestampScale", 1_000_000)
        if not scale:
            raise ParseError("Info: TimestampScale is 0")
        g = math.gcd(NS, scale)
        timescale, factor = NS // g, scale // g
        duration = one(info, "Duration")   # float, in TimestampScale units
        ticks = None
        if duration is not None and math.isfinite(duration) and 0 < duration * scale <= MAX_NS:
            ticks = round(duration * factor) or None   # nearest tick
        self._info = _TimeBase(scale, timescale, factor, ticks)
        self._need_tracks = True

    def _tracks(self, body: memoryview) -> InitSegment:
        if self._info is None:
            raise ParseError("Tracks: no Info before Tracks")
        time = self._info
        table: dict[int, _Track | None] = {}
        infos = []
        for entry in read_master(body, "Tracks").get("TrackEntry", []):
            number, track, info = _track_entry(entry, time.timescale)
            if number in table:
                raise ParseError(f"Tracks: two TrackEntry with TrackNumber {number}")
            table[number] = track
            if info is not None:
                infos.append(info)
        self._active = _Active(time, table)
        self._last_duration = {}
        self._need_tracks = False
        duration = (time.duration, time.timescale) if time.duration else None
        return InitSegment(tracks=tuple(infos), duration=duration)

    # --- Cluster level -----------------------------------------------------------------

    def _start_cluster(self, header_size: int, size: int | None) -> list[SegmentEvent]:
        if self._need_tracks:
            raise ParseError("Cluster after Info without Tracks")
        if self._active is None:
            raise ParseError("Cluster before the initialization segment (Info, Tracks)")
        self._buf.skip(header_size)
        end = None if size is None else self._buf.consumed + size
        self._cluster = _Cluster(end)
        return [MediaSegmentStart()]

    def _cluster_step(self) -> list[SegmentEvent] | None:
        cluster = self._cluster
        assert cluster is not None
        if cluster.end is not None and self._buf.consumed >= cluster.end:
            return self._end_cluster()
        header = read_header(self._buf, "Cluster")
        if header is None:
            return None
        name, size = header.name, header.size
        if header.id in _SEGMENT_LEVEL:
            if cluster.end is None:   # ends an unknown-size Cluster; read it next
                return self._end_cluster()
            raise ParseError(f"Cluster: {name} inside a Cluster")
        if size is None:
            raise ParseError(f"Cluster: {name} with unknown size")
        total = header.header_size + size
        if cluster.end is not None and self._buf.consumed + total > cluster.end:
            raise ParseError(f"Cluster: {name} extends past the end of the Cluster")
        if header.id not in _CLUSTER_ONLY:   # Void, CRC-32, Position, PrevSize, ...
            if size > MAX_ELEMENT_SIZE:
                raise ParseError(f"Cluster: {name} of {size} bytes is too large")
            self._buf.skip(header.header_size)
            self._skip = size
            return []
        if size > MAX_BLOCK_SIZE:
            raise ParseError(f"Cluster: {name} of {size} bytes is too large")
        element = self._buf.peek(total)
        if element is None:
            return None
        body = element[header.header_size:]
        if header.id == ID["Timestamp"]:
            self._cluster_timestamp(body)
        elif header.id == ID["SimpleBlock"]:
            self._block(read_block(body, "SimpleBlock"), simple=True)
        else:
            group = read_master(body, "BlockGroup")
            block = one(group, "Block")
            if block is None:
                raise ParseError("BlockGroup without a Block")
            duration = one(group, "BlockDuration")
            self._block(read_block(block, "Block"), simple=False,
                        block_duration=duration,
                        referenced="ReferenceBlock" in group,
                        additional=_block_additional(group))
        self._buf.skip(total)
        return []

    def _cluster_timestamp(self, body: memoryview) -> None:
        cluster = self._cluster
        assert cluster is not None and self._active is not None
        if cluster.timestamp is not None:
            raise ParseError("Cluster: two Timestamps")
        if len(body) > 8:
            raise ParseError(f"Cluster: Timestamp of {len(body)} bytes")
        timestamp = int.from_bytes(body, "big")
        if timestamp * self._active.time.timestamp_scale > MAX_NS:
            raise ParseError("Cluster: Timestamp overflows 64-bit nanoseconds")
        cluster.timestamp = timestamp

    def _end_cluster(self) -> list[SegmentEvent]:
        cluster = self._cluster
        assert cluster is not None
        for pending in cluster.pending.values():
            self._release(pending, next_pts=None)
        self._cluster = None
        return [MediaSegmentEnd()]

    # --- blocks and frame durations ------------------------------------------------

    def _block(self, block: Block, *, simple: bool, block_duration: int | None = None,
               referenced: bool = False, additional: memoryview | None = None) -> None:
        what = "SimpleBlock" if simple else "Block"
        cluster, active = self._cluster, self._active
        assert cluster is not None and active is not None
        number = block.track_number
        if number not in active.tracks:
            raise ParseError(f"Cluster: {what} for track {number}, which Tracks does not list")
        track = active.tracks[number]
        if track is None:
            return   # a track type msepy ignores
        if cluster.timestamp is None:
            raise ParseError(f"Cluster: {what} before the Cluster's Timestamp")
        factor = active.time.factor
        pts = (cluster.timestamp + block.timestamp) * factor
        previous = cluster.last_pts.get(number)
        if previous is not None and pts < previous:
            raise ParseError(f"Cluster: track {number} goes back in time "
                             f"({what} at {pts} after {previous}, 1/{active.time.timescale} s)")
        cluster.last_pts[number] = pts
        pending = cluster.pending.pop(number, None)
        if pending is not None:
            self._release(pending, next_pts=pts)
        is_rap = (track.kind != "video" or
                  (bool(block.flags & 0x80) if simple else not referenced))
        duration = None if block_duration is None else block_duration * factor
        frames = block.frames
        if track.matroska_webvtt:
            frames = [_webvtt_block(f, additional) for f in frames]
        times = self._frame_times(track, pts, frames, duration)
        if times is None:
            cluster.pending[number] = _Pending(track, pts, is_rap, frames)
            return
        self._emit(track, times, is_rap, frames)

    def _frame_times(self, track: _Track, pts: int, frames: list[memoryview],
                     block_duration: int | None) -> list[int] | None:
        """Start times of the frames plus the end of the last one, or ``None`` when
        only the next block can tell."""
        n = len(frames)
        coded = self._coded_samples(track, frames)
        if n == 1 and block_duration is not None:
            return [pts, pts + block_duration]
        if track.default_duration:
            return [pts + i * track.default_duration for i in range(n + 1)]
        if coded is not None:
            samples, rate = coded
            timescale = self._active.time.timescale  # type: ignore[union-attr]
            times, total = [pts], 0
            for s in samples:
                total += s
                times.append(pts + _rounded_div(total * timescale, rate))
            return times
        if block_duration is not None:
            return [pts + block_duration * i // n for i in range(n + 1)]
        return None

    def _coded_samples(self, track: _Track, frames: list[memoryview]
                       ) -> tuple[list[int], int] | None:
        """Per-frame sample counts the codec itself gives, and their sample rate."""
        if track.opus:
            samples = [opus_packet_samples(f) for f in frames]
            return None if None in samples else (samples, 48000)  # type: ignore[return-value]
        setup = track.vorbis
        if setup is None:
            return None
        # A Vorbis packet yields prev_blocksize/4 + blocksize/4 samples (overlap-add,
        # Vorbis I §1.3.2); the first packet of a Cluster is assumed to follow one of
        # its own size, so a Cluster's durations never depend on what came before it.
        sizes = self._cluster.vorbis_blocksize  # type: ignore[union-attr]
        result = []
        for frame in frames:
            blocksize = vorbis_packet_blocksize(setup, frame)
            if blocksize is None:
                sizes.pop(track.number, None)
                return None
            result.append((sizes.get(track.number, blocksize) + blocksize) // 4)
            sizes[track.number] = blocksize
        return result, setup.audio_sample_rate

    def _release(self, pending: _Pending, next_pts: int | None) -> None:
        """Emit a held-back block: spread over the gap to the next block of its track,
        or at a Cluster's end by the track's last known frame duration."""
        n = len(pending.frames)
        if next_pts is not None:
            gap = next_pts - pending.pts
            times = [pending.pts + gap * i // n for i in range(n + 1)]
        else:
            step = self._last_duration.get(pending.track.number)
            if step is None:
                timescale = self._active.time.timescale  # type: ignore[union-attr]
                step = _DEFAULT_FRAME_MS[pending.track.kind] * timescale // 1000
            times = [pending.pts + step * i for i in range(n + 1)]
        self._emit(pending.track, times, pending.is_rap, pending.frames)

    def _emit(self, track: _Track, times: list[int], is_rap: bool,
              frames: list[memoryview]) -> None:
        for i, data in enumerate(frames):
            self._ready.append(CodedFrame(track.number, times[i], times[i], times[i + 1] - times[i],
                                          is_rap, data))
        last = times[-1] - times[-2]
        if last > 0:
            self._last_duration[track.number] = last


# --- Tracks → TrackInfo ------------------------------------------------------------------

def _track_entry(entry: dict, timescale: int) -> tuple[int, _Track | None, TrackInfo | None]:
    """One TrackEntry: ``(TrackNumber, track, TrackInfo)``; track and info are
    ``None`` for a track msepy ignores."""
    number = one(entry, "TrackNumber")
    if not number:
        raise ParseError("Tracks: TrackEntry without a TrackNumber")
    track_type, codec_id = one(entry, "TrackType"), one(entry, "CodecID")
    if track_type is None or codec_id is None:
        raise ParseError(f"Tracks: TrackEntry {number} without TrackType or CodecID")
    kind = _TRACK_TYPES.get(track_type)
    if kind is None or (kind == "text" and codec_id not in _TEXT_KINDS):
        return number, None, None
    what = f"Tracks: track {number} ({codec_id})"
    if kind != "text" and _CODEC_KINDS.get(codec_id) != kind:
        raise ParseError(f"Tracks: unsupported {kind} codec {codec_id}")
    encrypted = _content_encodings(entry, what)
    private = one(entry, "CodecPrivate")
    private = bytes(private) if private is not None else None
    default_duration = one(entry, "DefaultDuration")   # nanoseconds
    if default_duration:
        default_duration = _rounded_div(default_duration * timescale, NS) or None
    vorbis = None
    if kind == "video":
        config = _video_config(entry, codec_id, private)
    elif kind == "audio":
        config, vorbis = _audio_config(entry, codec_id, private, what)
    else:
        config = None
    track = _Track(number, kind, default_duration, opus=codec_id == "A_OPUS", vorbis=vorbis,
                   matroska_webvtt=codec_id == "S_TEXT/WEBVTT")
    info = TrackInfo(
        track_id=number, kind=kind,  # type: ignore[arg-type]
        codec=config.codec if config else "webvtt", timescale=timescale, config=config,
        language=one(entry, "LanguageBCP47") or one(entry, "Language") or "eng",
        label=one(entry, "Name", ""), default=bool(one(entry, "FlagDefault", 1)),
        kinds=(_TEXT_KINDS[codec_id],) if kind == "text" else (), encrypted=encrypted)
    return number, track, info


def _block_additional(group: dict) -> memoryview | None:
    """The BlockAdditional of BlockAddID 1 (the default) in a BlockGroup, if any."""
    for additions in group.get("BlockAdditions", []):
        for more in additions.get("BlockMore", []):
            if one(more, "BlockAddID", 1) == 1:
                return one(more, "BlockAdditional")
    return None


def _webvtt_block(payload: memoryview, additional: memoryview | None) -> memoryview:
    """An S_TEXT/WEBVTT block in the D_WEBVTT layout, ``identifier LF settings LF
    payload``, so text decoding (``msepy.webvtt``) has one WebM format to read.
    Matroska's WebVTT mapping keeps the cue text alone in the Block and, in
    BlockAdditional, the cue settings list, LF, the cue identifier, then any comment
    blocks (as mkvmerge writes them).  Cue text is small: this copy is the one place
    WebM frame data is not a view of the appended bytes."""
    settings = identifier = b""
    if additional is not None:
        lines = bytes(additional).replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        settings = lines[0]
        identifier = lines[1] if len(lines) > 1 else b""
    return memoryview(identifier + b"\n" + settings + b"\n" + bytes(payload))


def _content_encodings(entry: dict, what: str) -> bool:
    """True when a ContentEncoding encrypts; compression cannot be undone here."""
    encrypted = False
    for encodings in entry.get("ContentEncodings", []):
        for encoding in encodings.get("ContentEncoding", []):
            encoding_type = one(encoding, "ContentEncodingType", 0)
            if encoding_type == 0:
                raise ParseError(f"{what}: content compression is not supported")
            if encoding_type != 1:
                raise ParseError(f"{what}: unknown ContentEncodingType {encoding_type}")
            encrypted = True
    return encrypted


def _video_config(entry: dict, codec_id: str, private: bytes | None) -> DecoderConfig:
    video = one(entry, "Video", {})
    width, height = one(video, "PixelWidth") or None, one(video, "PixelHeight") or None
    display_width = one(video, "DisplayWidth", width) or None
    display_height = one(video, "DisplayHeight", height) or None
    if (display_width, display_height) == (width, height) or not (display_width and display_height):
        display_width = display_height = None
    description = None
    if codec_id == "V_VP8":
        codec = "vp8"
    elif codec_id == "V_VP9":
        colour = one(video, "Colour", {})
        horz, vert = one(colour, "ChromaSubsamplingHorz"), one(colour, "ChromaSubsamplingVert")
        codec = vp9_codec(private, one(colour, "BitsPerChannel") or None,
                          None if horz is None or vert is None else (horz, vert), width, height)
    elif private:   # V_AV1: CodecPrivate is the av1C record (and WebCodecs' description)
        codec, description = av1_codec_string(private), private
    else:   # no av1C: Main profile, level 4.0, 8 bits (Chromium also assumes Main)
        codec = "av01.0.08M.08"
    return DecoderConfig(codec=codec, description=description, coded_width=width,
                         coded_height=height, display_width=display_width,
                         display_height=display_height)


def _audio_config(entry: dict, codec_id: str, private: bytes | None, what: str
                  ) -> tuple[DecoderConfig, VorbisSetup | None]:
    audio = one(entry, "Audio", {})
    channels = one(audio, "Channels", 1)
    if not channels:
        raise ParseError(f"{what}: Channels is 0")
    if codec_id == "A_VORBIS":
        if not private:
            raise ParseError(f"{what}: no CodecPrivate (Vorbis headers)")
        setup = vorbis_setup(private)
        # description: the Xiph-laced identification, comment and setup headers, as
        # the CodecPrivate holds them (WebCodecs Vorbis registration).
        return DecoderConfig(codec="vorbis", description=private,
                             sample_rate=setup.audio_sample_rate,
                             channel_count=setup.audio_channels), setup
    # Opus: description is the OpusHead (RFC 7845 §5.1); decoding is always at 48 kHz.
    if private is None:
        return DecoderConfig(codec="opus", sample_rate=OPUS_SAMPLE_RATE,
                             channel_count=channels), None
    opus = opus_from_opushead(private)
    return DecoderConfig(codec=opus.codec, description=opus.description,
                         sample_rate=opus.sample_rate, channel_count=opus.channel_count), None
