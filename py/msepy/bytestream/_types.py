"""Boundary types between the byte stream parsers and the engine.

Theory of operation
-------------------
A byte stream parser (one per SourceBuffer, chosen by MIME type in
``msepy.bytestream.parser_for``) is sans-IO: the engine feeds it the bytes of each
``appendBuffer()`` call (``feed``) and then pulls *segment events* from it
(``parse``).  The engine owns the spec's ``[[append state]]`` and the segment parser
loop; the parser only says what the bytes are:

    InitSegment        a complete initialization segment was parsed
    MediaSegmentStart  the input buffer now starts a media segment
    CodedFrames        one or more complete coded frames of the current media segment
    MediaSegmentEnd    the current media segment is complete

A parser hands coded frames out as ``CodedFrame`` objects or, where it holds the frames'
fields as lists anyway (ISO BMFF: a ``trun``'s samples), as ``FrameRun`` columns: the
engine then takes the usual run whole and makes the frame objects only when something
needs them (the renderer's frame feed, a removal, the full coded frame processing
steps).

``parse`` yields as many events as the buffered bytes allow and stops when it needs more
data.  Bytes that violate the format raise ``ParseError`` (the engine then runs the
append error algorithm); nothing else may escape a parser.  ``reset`` is the byte stream
side of the spec's "reset parser state" algorithm: drop every partial segment.

Time is exact: every timestamp here is an integer count of ``timescale`` ticks
(``pts / timescale`` seconds).  Frame payloads are ``memoryview`` slices of the appended
buffers: a payload is copied at most once, and only when it straddles two appends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import Iterator, Literal, Protocol

TrackKind = Literal["audio", "video", "text"]


class ParseError(Exception):
    """The appended bytes violate the byte stream format.

    The message is what a developer reads in ``MediaError.message``: say which
    structure was wrong and why (``"moof: traf without tfdt"``).
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class DecoderConfig:
    """What WebCodecs needs to configure a decoder for one track."""

    codec: str
    """WebCodecs codec string derived from the bitstream, e.g. ``"avc1.64001f"``,
    ``"mp4a.40.2"``, ``"vp09.00.10.08"``, ``"opus"``, ``"flac"``, ``"vorbis"``."""
    description: bytes | None = None
    """Codec private data as WebCodecs wants it: avcC/hvcC/av1C box payload, AAC
    AudioSpecificConfig, FLAC ``fLaC`` + metadata blocks, Vorbis Xiph-laced headers,
    Opus ``OpusHead``.  ``None`` where the codec needs none (VP8, VP9, Annex-B)."""
    coded_width: int | None = None
    coded_height: int | None = None
    display_width: int | None = None
    """Display aspect width (from pasp / DisplayWidth); ``None`` when equal to coded."""
    display_height: int | None = None
    sample_rate: int | None = None
    channel_count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackInfo:
    """One track description of an initialization segment."""

    track_id: int
    """The byte stream's Track ID (tkhd track_ID, TrackNumber, PID)."""
    kind: TrackKind
    codec: str
    """The codec as a MIME ``codecs`` parameter would name it (same as
    ``config.codec`` for audio/video; ``"wvtt"`` / ``"webvtt"`` for text)."""
    timescale: int
    """Ticks per second of every timestamp of this track's coded frames."""
    config: DecoderConfig | None
    """``None`` for text tracks."""
    language: str = "und"
    label: str = ""
    default: bool = True
    """The byte stream's "default track" flag (tkhd enabled / FlagDefault)."""
    kinds: tuple[str, ...] = ()
    """Track kinds from the byte stream (``("main",)``, ``("captions",)``); empty when
    the format has none and the engine picks the spec's default."""
    encrypted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InitSegment:
    """A complete initialization segment."""

    tracks: tuple[TrackInfo, ...]
    duration: tuple[int, int] | None
    """``(ticks, timescale)`` when the segment gives a duration; ``None`` when it
    is absent, zero in fMP4 (mvhd/mehd), or unknown."""


@dataclass(slots=True)
class CodedFrame:
    """One coded frame, times in its track's timescale.

    Mutable and slotted on purpose: the engine rewrites the times in place while it
    applies ``timestampOffset`` (coded frame processing), so no second object is made.
    """

    track_id: int
    pts: int
    dts: int
    duration: int
    is_rap: bool
    """A random access point (keyframe / SAP type 1 or 2)."""
    data: memoryview
    group: int = 0
    """Engine bookkeeping, not for parsers: the serial of the coded frame group the
    engine added this frame in (so dependency removal never takes a frame of the group
    being appended)."""
    info: "TrackInfo | None" = None
    """Engine bookkeeping, not for parsers: the track description in force when the
    frame was added (the frame feed reconfigures the decoder where it changes)."""
    trim_start: int = 0
    trim_end: int = 0
    """Engine bookkeeping, not for parsers: ticks of decoded audio the renderer drops
    from the start / end of this frame (partial append window trimming)."""

    def __repr__(self) -> str:
        key = "K" if self.is_rap else " "
        return (f"<CodedFrame t{self.track_id} {key} pts={self.pts} dts={self.dts} "
                f"dur={self.duration} {len(self.data)}B>")


@dataclass(slots=True)
class FrameRun:
    """Coded frames of one track that follow each other in decode order, as columns
    (times in the track's timescale).  Each frame's decode timestamp is the previous
    frame's plus its duration, as a ``trun``'s are (14496-12 8.8.8), and ``pts is dts``
    when every presentation timestamp is its decode timestamp."""

    track_id: int
    pts: list[int]
    dts: list[int]
    durations: list[int]
    raps: list[bool]
    chunk: memoryview
    """Holds every frame's payload: frame k's is ``chunk[offsets[k] - base:][:sizes[k]]``."""
    base: int
    offsets: list[int]
    sizes: list[int]

    def __len__(self) -> int:
        return len(self.pts)

    def __repr__(self) -> str:
        return (f"<FrameRun t{self.track_id} {len(self.pts)} frames "
                f"dts {self.dts[0]}..{self.dts[-1]}>" if self.pts else "<FrameRun empty>")

    def payloads(self) -> list[memoryview]:
        """Each frame's payload: a slice of ``chunk``, not a copy."""
        chunk, base = self.chunk, self.base
        return [chunk[o - base:o - base + n] for o, n in zip(self.offsets, self.sizes)]

    def frames(self, factor: int = 1, shift: int = 0, group: int = 0,
               info: TrackInfo | None = None) -> list[CodedFrame]:
        """The run as ``CodedFrame`` objects (new ones at every call); with their times
        ``t * factor + shift`` (durations ``d * factor``), coded frame group and track
        description, as a track buffer holds them."""
        dts = self.scaled(self.dts, factor, shift)
        pts = dts if self.pts is self.dts else self.scaled(self.pts, factor, shift)
        durations = self.scaled(self.durations, factor, 0)
        return list(map(CodedFrame, repeat(self.track_id), pts, dts, durations, self.raps,
                        self.payloads(), repeat(group), repeat(info)))

    @staticmethod
    def scaled(column: list[int], factor: int, shift: int) -> list[int]:
        """``t * factor + shift`` for each t of a column (the column itself for 1, 0)."""
        if factor == 1:
            return column if not shift else [t + shift for t in column]
        return [t * factor + shift for t in column]

    def first(self) -> CodedFrame:
        """The first frame, as a ``CodedFrame``."""
        at = self.offsets[0] - self.base
        return CodedFrame(self.track_id, self.pts[0], self.dts[0], self.durations[0],
                          self.raps[0], self.chunk[at:at + self.sizes[0]])

    def rest(self) -> FrameRun:
        """The run without its first frame."""
        dts = self.dts[1:]
        return FrameRun(self.track_id, dts if self.pts is self.dts else self.pts[1:], dts,
                        self.durations[1:], self.raps[1:], self.chunk, self.base,
                        self.offsets[1:], self.sizes[1:])


@dataclass(frozen=True, slots=True)
class MediaSegmentStart:
    """The input buffer now starts a media segment (append state becomes
    PARSING_MEDIA_SEGMENT)."""


@dataclass(frozen=True, slots=True)
class CodedFrames:
    """Complete coded frames, in decode order per track, ready for coded frame
    processing: ``CodedFrame`` objects and ``FrameRun`` columns, in the order parsed."""

    items: list[CodedFrame | FrameRun] = field(default_factory=list)

    @property
    def frames(self) -> list[CodedFrame]:
        """Every frame as a ``CodedFrame`` (a run's are made anew at every call)."""
        return frame_list(self.items)


def frame_list(items: list[CodedFrame | FrameRun]) -> list[CodedFrame]:
    """``items`` with every ``FrameRun`` made into its ``CodedFrame`` objects."""
    if not any(type(item) is FrameRun for item in items):
        return items  # type: ignore[return-value]
    out: list[CodedFrame] = []
    for item in items:
        if type(item) is FrameRun:
            out.extend(item.frames())
        else:
            out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class MediaSegmentEnd:
    """The current media segment is complete (append state becomes
    WAITING_FOR_SEGMENT)."""


SegmentEvent = InitSegment | MediaSegmentStart | CodedFrames | MediaSegmentEnd


class ByteStreamParser(Protocol):
    """What every byte stream parser provides (see the module docstring)."""

    generate_timestamps: bool
    """The registry's generate timestamps flag for this format."""

    def feed(self, data: memoryview) -> None:
        """Add an append's bytes to the end of the input buffer (no copy)."""

    def parse(self) -> Iterator[SegmentEvent]:
        """Yield what the buffered bytes hold; stop when more data is needed.
        Raises ParseError on bytes that violate the format."""

    def reset(self) -> None:
        """Reset parser state: drop the input buffer and any partial segment."""

    @property
    def buffered_bytes(self) -> int:
        """Bytes fed but not yet consumed (the input buffer's size)."""
