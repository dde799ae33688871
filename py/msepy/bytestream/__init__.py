"""Byte stream formats: the registry from MIME type to parser.

``parse_mime`` splits a MIME type string; ``support`` answers whether msepy can parse
it (``MediaSource.isTypeSupported`` and ``addSourceBuffer`` both ask it); and
``parser_for`` makes the parser for a supported type.  The registry's generate
timestamps flag comes with each parser (``ByteStreamParser.generate_timestamps``).
"""

from __future__ import annotations

import re

from ._types import (ByteStreamParser, CodedFrame, CodedFrames, DecoderConfig,
                     FrameRun, InitSegment, MediaSegmentEnd, MediaSegmentStart,
                     ParseError, SegmentEvent, TrackInfo, frame_list)

__all__ = [
    "ByteStreamParser", "CodedFrame", "CodedFrames", "DecoderConfig", "FrameRun",
    "InitSegment", "MediaSegmentEnd", "MediaSegmentStart", "ParseError", "SegmentEvent",
    "TrackInfo", "frame_list",
    "parse_mime", "support", "parser_for", "generates_timestamps",
]

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MIME = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*((?:;.*)?)$", re.S)
# A parameter value is a quoted string or, unquoted, everything up to the next ";"
# (WHATWG MIME Sniffing "parse a MIME type" 11.9; trailing whitespace is not part of it):
# Chromium takes codecs=avc1.4d400a,mp4a.40.2 unquoted, as hls.js writes it.
_PARAM = re.compile(rf'\s*;\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^;"\s][^;]*?)\s*(?=;|$)', re.S)


def parse_mime(type_: str) -> tuple[str, dict[str, str]] | None:
    """``'video/mp4; codecs="avc1.64001f, mp4a.40.2"'`` →
    ``("video/mp4", {"codecs": "avc1.64001f, mp4a.40.2"})``; ``None`` if malformed."""
    m = _MIME.match(type_)
    if not m:
        return None
    essence = f"{m.group(1)}/{m.group(2)}".lower()
    params: dict[str, str] = {}
    rest = m.group(3)
    pos = 0
    while pos < len(rest):
        p = _PARAM.match(rest, pos)
        if not p:
            return None
        value = p.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.setdefault(p.group(1).lower(), value)
        pos = p.end()
    return essence, params


# Codec string checks, per container.  Loosely as strict as Chromium: the profile
# fields must be well formed where the codec string carries them.
_HEX = "[0-9A-Fa-f]"
_CODECS = {
    "avc": re.compile(rf"^(avc1|avc3)\.{_HEX}{{6}}$"),
    "hevc": re.compile(r"^(hvc1|hev1)\.[A-C]?\d{1,3}\.[0-9A-Fa-f]{1,8}\.[LH]\d{1,3}(\.[0-9A-Fa-f]{1,2}){0,6}$"),
    "av1": re.compile(r"^av01\.\d\.\d{2}[MH]\.\d{2}(\.\d(\.\d{3}\.\d{2}\.\d{2}\.\d{2}\.\d)?)?$"),
    "vp09": re.compile(r"^vp09\.\d{2}\.\d{2}\.\d{2}(\.\d{2}){0,5}$"),
    "vp9": re.compile(r"^vp9(\.0)?$"),
    "vp8": re.compile(r"^vp8(\.0)?$"),
    "aac": re.compile(r"^mp4a\.40(\.(2|02|5|05|29))?$"),
    "opus": re.compile(r"^(opus|Opus)$"),
    "flac": re.compile(r"^(flac|fLaC)$"),
    "vorbis": re.compile(r"^vorbis$"),
    # MPEG-2 AAC LC (Chromium accepts it in MP4 and MPEG-2 TS; the MP4 parser reads its
    # AudioSpecificConfig as AAC's) and, in TS, MPEG audio (Chromium: the object types
    # 0x69 / 0x6B; "mp3" as WebCodecs names it).
    "mpeg2aac": re.compile(r"^mp4a\.67$"),
    "mpegaudio": re.compile(r"^(mp4a\.(69|6[Bb])|mp3)$"),
    # WebVTT in ISO BMFF (ISO/IEC 14496-30 sample entry 'wvtt').
    "wvtt": re.compile(r"^wvtt$"),
}
_KIND = {"avc": "video", "hevc": "video", "av1": "video", "vp09": "video", "vp9": "video",
         "vp8": "video", "aac": "audio", "opus": "audio", "flac": "audio", "vorbis": "audio",
         "mpeg2aac": "audio", "mpegaudio": "audio", "wvtt": "text"}

# container essence → (codec families allowed, codecs parameter required)
_CONTAINERS: dict[str, tuple[frozenset[str], bool]] = {
    "video/mp4": (frozenset({"avc", "hevc", "av1", "vp09", "aac", "mpeg2aac", "opus", "flac", "wvtt"}), False),
    "audio/mp4": (frozenset({"aac", "mpeg2aac", "opus", "flac"}), False),
    "video/webm": (frozenset({"vp8", "vp9", "vp09", "av1", "opus", "vorbis"}), False),
    "audio/webm": (frozenset({"opus", "vorbis"}), False),
    "video/mp2t": (frozenset({"avc", "aac", "mpeg2aac", "mpegaudio"}), False),
    # The codec is implicit: as Chromium, any codecs parameter makes these unsupported
    # ('audio/mpeg; codecs="mp3"' included: no family is allowed).
    "audio/mpeg": (frozenset(), False),
    "audio/aac": (frozenset(), False),
}


def _codec_family(codec: str) -> str | None:
    for family, pattern in _CODECS.items():
        if pattern.match(codec):
            return family
    return None


def support(type_: str) -> str | None:
    """The container essence if msepy can buffer ``type_``, else ``None``.

    As Chromium: an empty codecs parameter or an unknown codec makes the whole type
    unsupported; ``audio/*`` containers take only audio codecs.  Unlike Chromium's
    isTypeSupported() and addSourceBuffer() (its changeType() accepts them), a type
    without a codecs parameter is supported: the spec asks for none, the parser finds
    the codecs in the initialization segment, and a text-only WebM has none to name.
    """
    parsed = parse_mime(type_)
    if parsed is None:
        return None
    essence, params = parsed
    entry = _CONTAINERS.get(essence)
    if entry is None:
        return None
    families, codecs_required = entry
    codecs = params.get("codecs")
    if codecs is None:
        return None if codecs_required else essence
    names = [c.strip() for c in codecs.split(",")]
    if not names or any(not n for n in names):
        return None
    for name in names:
        family = _codec_family(name)
        if family is None or family not in families:
            return None
        if essence.startswith("audio/") and _KIND[family] != "audio":
            return None
    return essence


def generates_timestamps(essence: str) -> bool:
    """The registry's generate timestamps flag for a supported container."""
    return essence in ("audio/mpeg", "audio/aac")


def parser_for(essence: str) -> ByteStreamParser:
    """A new parser for a container ``support()`` accepted."""
    if essence in ("video/mp4", "audio/mp4"):
        from .isobmff import IsoBmffParser
        return IsoBmffParser()
    if essence in ("video/webm", "audio/webm"):
        from .webm import WebmParser
        return WebmParser()
    if essence == "video/mp2t":
        from .mpegts import MpegTsParser
        return MpegTsParser()
    if essence in ("audio/mpeg", "audio/aac"):
        from .mpegaudio import MpegAudioParser
        return MpegAudioParser(adts=essence == "audio/aac")
    raise ValueError(f"no parser for {essence}")
