"""Codec details the WebM parser needs: codec strings and packet durations.

* VP9 (WebM codec mapping, "VP9 Codec Feature Metadata"): ``vp09.PP.LL.DD`` from the
  CodecPrivate features, else from the track's Colour element, else profile 0 / 8 bit.
  (AV1: the CodecPrivate *is* an ``av1C`` record, read by ``codecs.av1_codec_string``.)
* Opus: packet duration from the TOC byte (RFC 6716 §3.1).
* Vorbis: identification header fields and the setup header's mode block flags
  (Vorbis I §4.2), so a packet's sample count can be computed from its mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._types import ParseError
from .codecs import vp09_codec_string

# --- VP9 ------------------------------------------------------------------------------

# VP9 levels by their maximum luma picture size (VP9 bitstream spec, Annex A).
_VP9_LEVELS = ((10, 36864), (11, 73728), (20, 122880), (21, 245760), (30, 552960),
               (31, 983040), (40, 2228224), (50, 8912896), (60, 35651584))


def vp9_codec(codec_private: bytes | None, bits_per_channel: int | None,
              chroma_subsampling: tuple[int, int] | None,
              width: int | None, height: int | None) -> str:
    """``vp09.PP.LL.DD``.  Sources, best first: the CodecPrivate feature list (ID 1
    profile, 2 level, 3 bit depth; each ``ID, length, value``); the Colour element
    (BitsPerChannel, ChromaSubsampling: 4:2:0 → profile 0/2, else 1/3); defaults
    profile 0, 8 bits.  A missing level is the smallest whose picture size fits the
    track's PixelWidth × PixelHeight (level 1.0 when unknown).

    The first keyframe's header would also give profile and bit depth, but the
    initialization segment has to be reported before any Cluster arrives."""
    features: dict[int, int] = {}
    data = codec_private or b""
    pos = 0
    while pos + 2 <= len(data):
        fid, length = data[pos], data[pos + 1]
        if pos + 2 + length > len(data):
            break
        if length == 1:
            features[fid] = data[pos + 2]
        pos += 2 + length
    depth = features.get(3) or bits_per_channel or 8
    if 1 in features:
        profile = features[1]
    else:
        subsampled = chroma_subsampling in (None, (1, 1))
        profile = (0 if subsampled else 1) + (2 if depth > 8 else 0)
    level = features.get(2)
    if level is None:
        level = 10
        if width and height:
            for level, max_size in _VP9_LEVELS:
                if width * height <= max_size:
                    break
    return vp09_codec_string(profile, level, depth)


# --- Opus -----------------------------------------------------------------------------

_SILK = (480, 960, 1920, 2880)   # 10, 20, 40, 60 ms at 48 kHz
_HYBRID = (480, 960)             # 10, 20 ms
_CELT = (120, 240, 480, 960)     # 2.5, 5, 10, 20 ms


def opus_packet_samples(packet: memoryview) -> int | None:
    """Samples at 48 kHz in an Opus packet, from its TOC byte (RFC 6716 §3.1): the
    config gives the frame size, the code c the frame count (code 3: byte 2's M)."""
    if not len(packet):
        return None
    toc = packet[0]
    config, code = toc >> 3, toc & 3
    frame = (_SILK[config & 3] if config < 12 else _HYBRID[config & 1] if config < 16
             else _CELT[config & 3])
    if code == 0:
        count = 1
    elif code < 3:
        count = 2
    elif len(packet) < 2:
        return None
    else:
        count = packet[1] & 0x3F
    samples = count * frame
    return samples if 0 < samples <= 5760 else None  # at most 120 ms (§3.2.5)


# --- Vorbis ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VorbisSetup:
    """What packet durations need from the three Vorbis headers."""

    audio_channels: int
    audio_sample_rate: int
    blocksize_0: int
    blocksize_1: int
    mode_blockflags: tuple[int, ...] | None
    """Each mode's vorbis_mode_blockflag, ``None`` if the setup header's modes could
    not be located."""


def xiph_headers(codec_private: bytes, what: str) -> list[bytes]:
    """The packets of a Xiph-laced CodecPrivate: a byte "number of packets - 1",
    that many Xiph lace sizes (255-byte runs), then the packets back to back."""
    if not codec_private:
        raise ParseError(f"{what}: empty CodecPrivate")
    count = codec_private[0] + 1
    pos, sizes = 1, []
    for _ in range(count - 1):
        size = 0
        while True:
            if pos >= len(codec_private):
                raise ParseError(f"{what}: truncated Xiph-laced CodecPrivate")
            size += codec_private[pos]
            pos += 1
            if codec_private[pos - 1] != 255:
                break
        sizes.append(size)
    if pos + sum(sizes) > len(codec_private):
        raise ParseError(f"{what}: Xiph-laced CodecPrivate sizes exceed its length")
    packets = []
    for size in sizes:
        packets.append(codec_private[pos:pos + size])
        pos += size
    packets.append(codec_private[pos:])
    return packets


def vorbis_setup(codec_private: bytes) -> VorbisSetup:
    """Parse the identification header (Vorbis I §4.2.2) and locate the modes."""
    what = "Tracks: A_VORBIS"
    headers = xiph_headers(codec_private, what)
    if len(headers) != 3:
        raise ParseError(f"{what}: CodecPrivate holds {len(headers)} headers, not 3")
    ident, _comment, setup = headers
    if len(ident) < 30 or ident[:7] != b"\x01vorbis":
        raise ParseError(f"{what}: no identification header")
    if len(setup) < 8 or setup[:7] != b"\x05vorbis":
        raise ParseError(f"{what}: no setup header")
    audio_channels = ident[11]
    audio_sample_rate = int.from_bytes(ident[12:16], "little")
    blocksize_0, blocksize_1 = 1 << (ident[28] & 0x0F), 1 << (ident[28] >> 4)
    if not audio_channels or not audio_sample_rate or not 64 <= blocksize_0 <= blocksize_1 <= 8192:
        raise ParseError(f"{what}: invalid identification header")
    return VorbisSetup(audio_channels, audio_sample_rate, blocksize_0, blocksize_1,
                       _vorbis_mode_blockflags(setup))


def _vorbis_mode_blockflags(setup: bytes) -> tuple[int, ...] | None:
    """The setup header ends ``vorbis_mode_count - 1`` (6 bits), then per mode
    blockflag (1), windowtype (16, = 0), transformtype (16, = 0), mapping (8), then
    the framing bit (§4.2.4).  Everything before needs a full codebook decode, so find
    the modes from the end, as libvorbis-based parsers do: count back over 41-bit
    records that look like modes, then take the largest count the 6-bit field before
    them confirms.  Bits are packed LSB first (§2.1.4)."""
    def bits(pos: int, n: int) -> int:
        value = 0
        for i in range(n):
            p = pos + i
            value |= ((setup[p >> 3] >> (p & 7)) & 1) << i
        return value

    last = len(setup) - 1
    while last >= 0 and not setup[last]:
        last -= 1
    if last < 7:
        return None
    framing = last * 8 + setup[last].bit_length() - 1
    header_bits = 7 * 8
    candidates = 0
    while candidates < 64:
        start = framing - 41 * (candidates + 1)
        if start < header_bits or bits(start + 1, 32) or bits(start + 33, 8) >= 64:
            break
        candidates += 1
    for count in range(candidates, 0, -1):
        field = framing - 41 * count - 6
        if field >= header_bits and bits(field, 6) == count - 1:
            return tuple(bits(framing - 41 * (count - j), 1) for j in range(count))
    return None


def vorbis_packet_blocksize(setup: VorbisSetup, packet: memoryview) -> int | None:
    """The block size of an audio packet: packet type bit 0, then the mode number in
    ilog(mode_count - 1) bits (§4.3.1)."""
    flags = setup.mode_blockflags
    if flags is None or not len(packet) or packet[0] & 1:
        return None
    width = (len(flags) - 1).bit_length()
    value = int.from_bytes(packet[:4], "little") >> 1
    mode = value & ((1 << width) - 1)
    if mode >= len(flags):
        return None
    return setup.blocksize_1 if flags[mode] else setup.blocksize_0
