"""WebCodecs chunks: SourceBufferConfig, EncodedAudioChunk/EncodedVideoChunk, and the
"Chunks Append" algorithm behind ``SourceBuffer.append_encoded_chunks()``.

A SourceBuffer made (or ``change_type``-d) with a SourceBufferConfig buffers chunks
instead of parsing bytes.  The config becomes a one-track initialization segment;
each chunk becomes a coded frame in microsecond ticks (WebCodecs timestamps are
microseconds) whose decode timestamp is 0, as "Chunks Append" step 3.3 says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .bytestream import CodedFrame, DecoderConfig, InitSegment, TrackInfo
from .bytestream import _codec_family  # the same codec table isTypeSupported uses
from .processing import AppendError

if TYPE_CHECKING:
    from .sourcebuffer import SourceBuffer

__all__ = ["EncodedAudioChunk", "EncodedVideoChunk", "parse_source_buffer_config",
           "chunks_append", "AUDIO_FAMILIES", "AUDIO_CODECS", "VIDEO_FAMILIES"]

MICROSECONDS = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class _EncodedChunk:
    type: str
    """"key" or "delta"."""
    timestamp: int
    """Presentation timestamp in microseconds."""
    duration: int | None
    """Duration in microseconds (appendEncodedChunks requires it)."""
    data: bytes | memoryview

    @property
    def byte_length(self) -> int:
        return len(self.data)


class EncodedAudioChunk(_EncodedChunk):
    __slots__ = ()


class EncodedVideoChunk(_EncodedChunk):
    __slots__ = ()


def _get(config: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in config and config[name] is not None:
            return config[name]
    return None


def parse_source_buffer_config(config: Any) -> tuple[str, DecoderConfig]:
    """addSourceBuffer/changeType steps 2.1-2.2: exactly one *valid* WebCodecs config.
    Accepts the IDL's camelCase keys (from JS) and their snake_case twins."""
    if not isinstance(config, Mapping):
        raise TypeError("expected a MIME type string or a SourceBufferConfig")
    audio = _get(config, "audioConfig", "audio_config")
    video = _get(config, "videoConfig", "video_config")
    if (audio is None) == (video is None):
        raise TypeError("a SourceBufferConfig needs exactly one of audioConfig and videoConfig")
    kind, cfg = ("audio", audio) if audio is not None else ("video", video)
    if not isinstance(cfg, Mapping):
        raise TypeError(f"{kind}Config must be a dictionary")
    codec = str(_get(cfg, "codec") or "").strip()
    if not codec:
        raise TypeError(f"{kind}Config.codec is empty")
    description = _get(cfg, "description")
    description = bytes(description) if description is not None else None
    if kind == "audio":
        rate = _get(cfg, "sampleRate", "sample_rate")
        channels = _get(cfg, "numberOfChannels", "number_of_channels")
        if not rate or not channels or rate <= 0 or channels <= 0:
            raise TypeError("audioConfig needs a positive sampleRate and numberOfChannels")
        return kind, DecoderConfig(codec=codec, description=description,
                                   sample_rate=int(rate), channel_count=int(channels))
    width = _get(cfg, "codedWidth", "coded_width")
    height = _get(cfg, "codedHeight", "coded_height")
    if (width is None) != (height is None) or width == 0 or height == 0:
        raise TypeError("videoConfig codedWidth and codedHeight go together and are non-zero")
    dw = _get(cfg, "displayAspectWidth", "display_width")
    dh = _get(cfg, "displayAspectHeight", "display_height")
    if (dw is None) != (dh is None) or dw == 0 or dh == 0:
        raise TypeError("videoConfig display aspect width and height go together and are non-zero")
    return kind, DecoderConfig(codec=codec, description=description, coded_width=width,
                               coded_height=height, display_width=dw, display_height=dh)


AUDIO_FAMILIES = frozenset({"aac", "opus", "flac", "vorbis"})
"""Codec families (msepy.bytestream's table) an audioConfig may name."""
AUDIO_CODECS = frozenset({"mp3", "alaw", "ulaw"})
"""WebCodecs audio codec strings outside that table."""
VIDEO_FAMILIES = frozenset({"avc", "hevc", "av1", "vp09", "vp9", "vp8"})
"""Codec families a videoConfig may name."""


def config_supported(kind: str, config: DecoderConfig) -> bool:
    """Step 2.3's "supported": a codec msepy's renderer path knows, of the right kind."""
    family = _codec_family(config.codec)
    audio = family in AUDIO_FAMILIES or config.codec in AUDIO_CODECS
    video = family in VIDEO_FAMILIES
    return audio if kind == "audio" else video


def chunks_append(sb: "SourceBuffer") -> None:
    """"Chunks Append"; raises AppendError for the caller's append error path."""
    if not sb._expects_chunks:  # 1.
        raise AppendError("this SourceBuffer expects appendBuffer() bytes; use changeType() "
                          "with a SourceBufferConfig to append chunks")
    if sb._chunk_config is not None:  # 2.
        kind, config = sb._chunk_config
        sb._chunk_config = None
        track = TrackInfo(track_id=1, kind=kind, codec=config.codec,  # type: ignore[arg-type]
                          timescale=MICROSECONDS, config=config)
        from .initsegment import initialization_segment_received
        initialization_segment_received(sb, InitSegment(tracks=(track,), duration=None))
        sb._chunk_kind = kind
    frames = []
    chunks, sb._input_chunks = sb._input_chunks, []
    # 3.3 gives every chunk the decode timestamp 0, which "disables the coded frame
    # processing algorithm's discontinuity detection".  msepy keeps that effect
    # (coded_frame_processing(..., chunks=True) skips step 6) but stores a decode
    # order it can sort on: the i-th chunk of the call gets the i-th smallest
    # timestamp, monotonic in append order and never after its own pts for B-frames.
    decode_times = sorted(int(c.timestamp) for c in chunks)
    for chunk, dts in zip(chunks, decode_times):  # 3.
        kind = "audio" if isinstance(chunk, EncodedAudioChunk) else "video"
        if kind != sb._chunk_kind:  # 3.2
            raise AppendError(f"an Encoded{kind.title()}Chunk after a "
                              f"{sb._chunk_kind}Config")
        data = chunk.data if isinstance(chunk.data, memoryview) else memoryview(chunk.data)
        frames.append(CodedFrame(track_id=1, pts=int(chunk.timestamp), dts=dts,  # 3.3
                                 duration=int(chunk.duration or 0),
                                 is_rap=chunk.type == "key", data=data))
    from .processing import coded_frame_processing
    coded_frame_processing(sb, frames, chunks=True)  # 4.
    sb._after_coded_frames()


def flatten_chunks(chunks: Any) -> list[_EncodedChunk]:
    """EncodedChunks: one chunk or a sequence of them."""
    if isinstance(chunks, _EncodedChunk):
        return [chunks]
    if isinstance(chunks, Iterable):
        out = list(chunks)
        if all(isinstance(c, _EncodedChunk) for c in out):
            return out
    raise TypeError("appendEncodedChunks() takes EncodedAudioChunk/EncodedVideoChunk objects")
