"""Decoder configuration from codec private data, shared by the container parsers.

Each function takes the codec's configuration record as the container stores it and
returns what WebCodecs needs: a codec string (https://www.w3.org/TR/webcodecs-codec-registry/)
and, for audio, the ``description`` bytes plus the sample rate and channel count the
bitstream declares.  All raise ``ParseError`` on malformed input.

==========================  =====================================  ====================
record                      function                               codec string
==========================  =====================================  ====================
avcC (14496-15 5.3.3.1)     ``avc_codec_string``                   ``avc1.PPCCLL``
hvcC (14496-15 8.3.3.1)     ``hevc_codec_string``                  ``hvc1.P.C.TL.CC``
av1C (AV1-ISOBMFF 2.3)      ``av1_codec_string``                   ``av01.P.LLT.DD``
vpcC (VP-ISOBMFF)           ``vpcc_codec_string``                  ``vp09.PP.LL.DD``
esds / AudioSpecificConfig  ``aac_from_esds`` / ``aac_from_asc``   ``mp4a.40.AOT``
dOps (Opus-ISOBMFF 4.3.2)   ``opus_head_from_dops``                ``opus``
OpusHead (RFC 7845 5.1)     ``opus_from_opushead``                 ``opus``
dfLa (FLAC-ISOBMFF 3.3.2)   ``flac_from_dfla``                     ``flac``
==========================  =====================================  ====================

Plus ``keyframe_from_nal_units`` (``keyframes_from_nal_units`` for a batch): the
H.264/HEVC bitstream's own keyframe verdict (Chromium trusts it over the container's
sample flags).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, itemgetter

from ._types import ParseError

Bytes = bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class AudioConfig:
    codec: str
    description: bytes | None
    sample_rate: int | None
    channel_count: int | None


# -- Video ------------------------------------------------------------------------

def avc_codec_string(fourcc: str, avcC: Bytes) -> str:
    """``avc1.PPCCLL``: AVCProfileIndication, profile_compatibility, AVCLevelIndication
    as lowercase hex (RFC 6381 3.3).  ``avc1`` needs its SPS and PPS in the avcC
    (14496-15 5.4.2.1); ``avc3`` may carry them in band."""
    if len(avcC) < 7 or avcC[0] != 1:
        raise ParseError(f"avcC: not an AVCDecoderConfigurationRecord version 1")
    if fourcc == "avc1":
        num_sps, num_pps = _avcc_parameter_set_counts(avcC)
        if not num_sps or not num_pps:
            raise ParseError("avcC: avc1 sample entry without SPS/PPS parameter sets")
    return f"{fourcc}.{avcC[1]:02x}{avcC[2]:02x}{avcC[3]:02x}"


def _avcc_parameter_set_counts(avcC: Bytes) -> tuple[int, int]:
    pos, counts = 5, []
    for mask in (0x1F, 0xFF):                      # numOfSequenceParameterSets, numOfPictureParameterSets
        if pos >= len(avcC):
            raise ParseError("avcC: truncated parameter sets")
        count = avcC[pos] & mask
        pos += 1
        for _ in range(count):
            if pos + 2 > len(avcC):
                raise ParseError("avcC: truncated parameter sets")
            pos += 2 + ((avcC[pos] << 8) | avcC[pos + 1])
        if pos > len(avcC):
            raise ParseError("avcC: truncated parameter sets")
        counts.append(count)
    return counts[0], counts[1]


def avc_nal_length_size(avcC: Bytes) -> int:
    return (avcC[4] & 3) + 1


def hevc_codec_string(fourcc: str, hvcC: Bytes) -> str:
    """``hvc1.<space><profile>.<compat>.<tier><level>.<constraints>`` (14496-15 Annex E):
    profile space as ''/A/B/C, general_profile_idc in decimal, the 32 compatibility
    flags bit-reversed in hex, L/H tier with general_level_idc in decimal, then the
    six constraint indicator bytes in hex with trailing zero bytes omitted."""
    if len(hvcC) < 23:
        raise ParseError("hvcC: truncated HEVCDecoderConfigurationRecord")
    space = ("", "A", "B", "C")[hvcC[1] >> 6]
    tier = "H" if hvcC[1] & 0x20 else "L"
    profile_idc = hvcC[1] & 0x1F
    compat = int.from_bytes(bytes(hvcC[2:6]), "big")
    reversed_compat = int(f"{compat:032b}"[::-1], 2)
    constraints = list(hvcC[6:12])
    while constraints and constraints[-1] == 0:
        constraints.pop()
    level_idc = hvcC[12]
    if fourcc == "hvc1":
        types = _hvcc_nal_array_types(hvcC)
        if not {33, 34} <= types:                  # SPS, PPS
            raise ParseError("hvcC: hvc1 sample entry without SPS/PPS parameter sets")
    parts = [fourcc, f"{space}{profile_idc}", f"{reversed_compat:X}", f"{tier}{level_idc}"]
    parts += [f"{b:02X}" for b in constraints]
    return ".".join(parts)


def _hvcc_nal_array_types(hvcC: Bytes) -> set[int]:
    pos, types = 23, set()
    for _ in range(hvcC[22]):                      # numOfArrays
        if pos + 3 > len(hvcC):
            raise ParseError("hvcC: truncated NAL unit arrays")
        nal_type, count = hvcC[pos] & 0x3F, (hvcC[pos + 1] << 8) | hvcC[pos + 2]
        pos += 3
        for _ in range(count):
            if pos + 2 > len(hvcC):
                raise ParseError("hvcC: truncated NAL unit arrays")
            pos += 2 + ((hvcC[pos] << 8) | hvcC[pos + 1])
        if pos > len(hvcC):
            raise ParseError("hvcC: truncated NAL unit arrays")
        if count:
            types.add(nal_type)
    return types


def hevc_nal_length_size(hvcC: Bytes) -> int:
    return (hvcC[21] & 3) + 1


def av1_codec_string(av1C: Bytes, colour: tuple[int, int, int, bool] | None = None) -> str:
    """``av01.P.LLT.DD[.M.CCC.cp.tc.mc.F]`` (AV1 Codec ISO Media File Format Binding,
    "Codecs Parameter String").  The optional fields are all-or-none; they are written
    only when one differs from its default (monochrome 0, chroma 110, BT.709
    primaries/transfer/matrix 1/1/1, studio range).  ``colour`` is (colour_primaries,
    transfer_characteristics, matrix_coefficients, full_range) from an nclx ``colr``
    box; without one the defaults are assumed (the sequence header OBU is not read)."""
    if len(av1C) < 4 or av1C[0] != 0x81:
        raise ParseError("av1C: not an AV1CodecConfigurationRecord version 1")
    seq_profile, seq_level_idx_0 = av1C[1] >> 5, av1C[1] & 0x1F
    b = av1C[2]
    tier = "H" if b & 0x80 else "M"
    high_bitdepth, twelve_bit, monochrome = b & 0x40, b & 0x20, (b >> 4) & 1
    sub_x, sub_y, position = (b >> 3) & 1, (b >> 2) & 1, b & 3
    bit_depth = (12 if twelve_bit and seq_profile == 2 else 10) if high_bitdepth else 8
    out = f"av01.{seq_profile}.{seq_level_idx_0:02d}{tier}.{bit_depth:02d}"
    chroma = f"{sub_x}{sub_y}{position if sub_x and sub_y else 0}"
    cp, tc, mc, full = colour if colour else (1, 1, 1, False)
    if (monochrome, chroma, cp, tc, mc, full) != (0, "110", 1, 1, 1, False):
        out += f".{monochrome}.{chroma}.{cp:02d}.{tc:02d}.{mc:02d}.{int(full)}"
    return out


def vp09_codec_string(profile: int, level: int, bit_depth: int) -> str:
    """``vp09.PP.LL.DD`` (VP Codec ISO Media File Format Binding, "Codecs Parameter
    String"), the short form: the optional colour fields are left out."""
    return f"vp09.{profile:02d}.{level:02d}.{bit_depth:02d}"


def vpcc_codec_string(vpcC: Bytes) -> str:
    """From a vpcC payload (after the FullBox header): profile, level, bitDepth (the
    high nibble of the third byte in both version 0 and version 1 records)."""
    if len(vpcC) < 3:
        raise ParseError("vpcC: truncated VPCodecConfigurationRecord")
    return vp09_codec_string(vpcC[0], vpcC[1], vpcC[2] >> 4)


# -- AAC --------------------------------------------------------------------------

SAMPLING_FREQUENCIES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
                        16000, 12000, 11025, 8000, 7350)


class _Bits:
    __slots__ = ("data", "pos", "what")

    def __init__(self, data: Bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    @property
    def left(self) -> int:
        return len(self.data) * 8 - self.pos

    def read(self, n: int) -> int:
        if n > self.left:
            raise ParseError(f"{self.what}: truncated")
        value = 0
        for _ in range(n):
            value = (value << 1) | ((self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value


def _audio_object_type(bits: _Bits) -> int:
    aot = bits.read(5)
    return 32 + bits.read(6) if aot == 31 else aot


def _sampling_frequency(bits: _Bits) -> int:
    index = bits.read(4)
    if index == 0xF:
        return bits.read(24)
    if index >= len(SAMPLING_FREQUENCIES):
        raise ParseError(f"AudioSpecificConfig: reserved samplingFrequencyIndex {index}")
    return SAMPLING_FREQUENCIES[index]


def aac_from_asc(asc: Bytes) -> AudioConfig:
    """Codec string, sample rate and channel count from an AudioSpecificConfig
    (14496-3 1.6.2.1).  Explicit SBR/PS signalling (audioObjectType 5 or 29) gives
    ``mp4a.40.5`` / ``mp4a.40.29`` with the extension (output) sample rate; so does
    backward-compatible signalling (syncExtensionType 0x2b7 after an AAC-LC
    GASpecificConfig).  Parametric stereo decodes to two channels."""
    bits = _Bits(asc, "AudioSpecificConfig")
    aot = _audio_object_type(bits)
    sample_rate = _sampling_frequency(bits)
    channel_configuration = bits.read(4)
    sbr = ps = False
    if aot in (5, 29):                             # explicit hierarchical signalling
        sbr, ps = True, aot == 29
        sample_rate = _sampling_frequency(bits)    # extensionSamplingFrequency
        aot = _audio_object_type(bits)
    elif aot == 2 and channel_configuration and bits.left >= 3:
        bits.read(1)                               # frameLengthFlag
        if bits.read(1):                           # dependsOnCoreCoder
            bits.read(14)                          # coreCoderDelay
        bits.read(1)                               # extensionFlag
        if bits.left >= 16 and bits.read(11) == 0x2B7 and _audio_object_type(bits) == 5:
            if bits.read(1):                       # sbrPresentFlag
                sbr = True
                sample_rate = _sampling_frequency(bits)
                if bits.left >= 12 and bits.read(11) == 0x548:
                    ps = bool(bits.read(1))
    if ps:
        codec, channels = "mp4a.40.29", 2
    elif sbr:
        codec, channels = "mp4a.40.5", channel_configuration
    else:
        codec, channels = f"mp4a.40.{aot}", channel_configuration
    if channels == 7:
        channels = 8                               # 7.1 (channelConfiguration 7)
    elif channels > 7:
        channels = 0                               # reserved / newer layouts: unknown
    return AudioConfig(codec, bytes(asc), sample_rate, channels or None)


def _descriptor(data: Bytes, pos: int, what: str) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of the MPEG-4 descriptor at ``pos``
    (14496-1 8.3.3: sizeOfInstance in up to four 7-bit groups)."""
    if pos >= len(data):
        raise ParseError(f"{what}: truncated descriptor")
    tag, size, pos = data[pos], 0, pos + 1
    for _ in range(4):
        if pos >= len(data):
            raise ParseError(f"{what}: truncated descriptor size")
        b = data[pos]
        pos += 1
        size = (size << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    if pos + size > len(data):
        raise ParseError(f"{what}: descriptor (tag {tag}) larger than the box")
    return tag, pos, pos + size


def aac_from_esds(esds: Bytes) -> AudioConfig:
    """From an esds payload (after the FullBox header): ES_Descriptor →
    DecoderConfigDescriptor → DecoderSpecificInfo (14496-1 7.2.6.5/6/7).  MP3
    (objectTypeIndication 0x69/0x6B) gives ``mp3`` without description."""
    tag, pos, end = _descriptor(esds, 0, "esds")
    if tag != 0x03:
        raise ParseError("esds: no ES_Descriptor")
    if pos + 3 > end:
        raise ParseError("esds: truncated ES_Descriptor")
    flags = esds[pos + 2]
    pos += 3                                       # ES_ID, flags
    if flags & 0x80:
        pos += 2                                   # dependsOn_ES_ID
    if flags & 0x40:
        if pos >= end:
            raise ParseError("esds: truncated ES_Descriptor")
        pos += 1 + esds[pos]                       # URLlength, URLstring
    if flags & 0x20:
        pos += 2                                   # OCR_ES_Id
    while pos < end:
        tag, start, stop = _descriptor(esds, pos, "esds")
        pos = stop
        if tag != 0x04:
            continue
        if stop - start < 13:
            raise ParseError("esds: truncated DecoderConfigDescriptor")
        object_type = esds[start]
        if object_type in (0x69, 0x6B):
            return AudioConfig("mp3", None, None, None)
        inner = start + 13
        while inner < stop:
            tag, s, e = _descriptor(esds, inner, "esds")
            inner = e
            if tag == 0x05:
                if object_type not in (0x40, 0x66, 0x67, 0x68):
                    return AudioConfig(f"mp4a.{object_type:02x}", bytes(esds[s:e]), None, None)
                return aac_from_asc(esds[s:e])
        if object_type in (0x40, 0x66, 0x67, 0x68):
            raise ParseError("esds: AAC without an AudioSpecificConfig (DecoderSpecificInfo)")
        return AudioConfig(f"mp4a.{object_type:02x}", None, None, None)
    raise ParseError("esds: no DecoderConfigDescriptor")


# -- Opus -------------------------------------------------------------------------

OPUS_SAMPLE_RATE = 48000
"""Opus always decodes at 48 kHz; InputSampleRate is informational (RFC 7845 5.1)."""


def opus_head_from_dops(dOps: Bytes) -> bytes:
    """An ``OpusHead`` (RFC 7845 5.1, little-endian) from a dOps box payload (Opus in
    ISOBMFF 4.3.2: the same fields, big-endian, Version 0)."""
    if len(dOps) < 11 or dOps[0] != 0:
        raise ParseError("dOps: not an OpusSpecificBox version 0")
    channels, family = dOps[1], dOps[10]
    head = bytearray(b"OpusHead")
    head.append(1)                                 # version
    head.append(channels)                          # OutputChannelCount
    head += bytes(dOps[2:4])[::-1]                 # PreSkip
    head += bytes(dOps[4:8])[::-1]                 # InputSampleRate
    head += bytes(dOps[8:10])[::-1]                # OutputGain
    head.append(family)                            # ChannelMappingFamily
    if family:
        if len(dOps) < 13 + channels:
            raise ParseError("dOps: truncated channel mapping table")
        head += bytes(dOps[11:13 + channels])      # StreamCount, CoupledCount, ChannelMapping
    return bytes(head)


def opus_from_opushead(head: Bytes) -> AudioConfig:
    """Codec ``opus`` with the OpusHead as description (WebM CodecPrivate, or
    ``opus_head_from_dops``)."""
    if len(head) < 19 or bytes(head[:8]) != b"OpusHead":
        raise ParseError("OpusHead: missing or truncated identification header")
    if not head[9]:
        raise ParseError("OpusHead: zero output channels")
    return AudioConfig("opus", bytes(head), OPUS_SAMPLE_RATE, head[9])


# -- FLAC -------------------------------------------------------------------------

def flac_from_dfla(dfLa: Bytes) -> AudioConfig:
    """Codec ``flac``, description ``fLaC`` + the metadata blocks of a dfLa payload
    (after the FullBox header; FLAC in ISOBMFF 3.3.2), rate/channels from STREAMINFO."""
    if len(dfLa) < 4 + 34 or dfLa[0] & 0x7F != 0:
        raise ParseError("dfLa: no STREAMINFO metadata block")
    if (dfLa[1] << 16 | dfLa[2] << 8 | dfLa[3]) < 34:
        raise ParseError("dfLa: STREAMINFO too short")
    return flac_from_metadata(b"fLaC" + bytes(dfLa))


def flac_from_metadata(description: bytes) -> AudioConfig:
    """From ``fLaC`` + metadata blocks (the first being STREAMINFO)."""
    info = description[8:8 + 18]
    if len(info) < 18:
        raise ParseError("FLAC: truncated STREAMINFO")
    sample_rate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4)
    channels = ((info[12] >> 1) & 7) + 1
    return AudioConfig("flac", description, sample_rate or None, channels)


# -- Bitstream analysis -----------------------------------------------------------

def keyframes_from_nal_units(samples: list[Bytes], formats: list[tuple[int, bool] | None],
                             keyframes: list[bool]) -> None:
    """``keyframe_from_nal_units`` for each sample whose NAL unit format (length size,
    HEVC) is given, overriding its ``keyframes`` entry where there is a verdict (as
    ``keyframes_in_chunk``, one sample at a time)."""
    for k in compress(range(len(formats)), formats):
        if samples[k]:
            verdict = keyframe_from_nal_units(samples[k], *formats[k])  # type: ignore[misc]
            if verdict is not None:
                keyframes[k] = verdict


def keyframes_in_chunk(chunk: Bytes, base: int, offsets: list[int], sizes: list[int],
                       nal_format: tuple[int, bool], keyframes: list[bool]) -> None:
    """``keyframe_from_nal_units`` for samples of one track that ``chunk`` holds (sample
    k at stream offset ``offsets[k]``, chunk[0] at ``base``), overriding its
    ``keyframes`` entry where there is a verdict.

    A whole run is judged first by the header byte of each sample's first NAL unit, at
    C speed (``_FIRST_NAL``): a slice (H.264) or any VCL NAL unit (HEVC) decides, and
    where every such verdict is the container's flag already, nothing changes - nor
    would it if a first length were bad (no verdict: the flag stays), so those lengths
    need no reading.  The usual run of a GOP, all of whose samples start with their
    slice, is then done; the samples that disagree or start otherwise (the GOP's first,
    led by parameter sets or SEI) are judged one at a time."""
    length_size, hevc = nal_format
    todo: Iterable[int] = range(len(offsets))
    if len(offsets) > 1 and min(sizes) > length_size:
        firsts = itemgetter(*map(add, offsets, repeat(length_size - base)))(chunk)
        verdicts = bytes(firsts).translate(_FIRST_NAL[hevc])
        flags = bytes(keyframes)
        if verdicts == flags:
            return
        todo = [k for k, (v, f) in enumerate(zip(verdicts, flags)) if v != f]
    for k in todo:
        at, n = offsets[k] - base, sizes[k]
        if n:
            verdict = keyframe_from_nal_units(chunk[at:at + n], length_size, hevc)
            if verdict is not None:
                keyframes[k] = verdict


_FIRST_NAL = {
    False: bytes(0 if 1 <= b & 0x1F <= 4 else 1 if b & 0x1F == 5 else 2 for b in range(256)),
    True: bytes(2 if (b >> 1) & 0x3F >= 32 else 1 if 16 <= (b >> 1) & 0x3F <= 23 else 0
                for b in range(256)),
}
"""``bytes.translate`` tables from the header byte of a sample's first NAL unit to its
verdict, by HEVC or not: 0 not a keyframe, 1 a keyframe (H.264 slice types 1-5, IDR 5;
HEVC VCL types 0-31, IRAP 16-23), 2 no verdict from that byte (look further)."""


def keyframe_from_nal_units(sample: Bytes, length_size: int, hevc: bool) -> bool | None:
    """Whether a length-prefixed H.264/HEVC access unit is a keyframe, judged as
    Chromium's AVC/HEVC bitstream converters do: by the first VCL NAL unit (H.264:
    IDR slice, type 5; HEVC: an IRAP picture, types 16-23).  ``None`` when the
    sample holds no VCL NAL unit or its lengths do not parse."""
    pos, n = 0, len(sample)
    while pos + length_size < n:
        size = int.from_bytes(sample[pos:pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > n:
            return None
        if hevc:
            nal_type = (sample[pos] >> 1) & 0x3F
            if nal_type < 32:                      # VCL
                return 16 <= nal_type <= 23
        else:
            nal_type = sample[pos] & 0x1F
            if 1 <= nal_type <= 5:                 # coded slice (VCL)
                return nal_type == 5
        pos += size
    return None
