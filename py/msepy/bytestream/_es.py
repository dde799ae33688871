"""Elementary streams shared by the MPEG audio and MPEG-2 TS parsers.

* MPEG audio frame headers (ISO/IEC 11172-3 2.4.1.3, 13818-3 2.4.1.3 and the
  unofficial MPEG-2.5 extension): ``mpeg_audio_header``, with Xing/Info/VBRI
  detection (``is_vbr_info_frame``).
* ADTS frame headers (ISO/IEC 13818-7 6.2 / 14496-3 1.A.2.2): ``adts_header``, with
  the AudioSpecificConfig (14496-3 1.6.2.1) a WebCodecs decoder needs built from it.
* H.264 Annex B byte streams (ITU-T H.264 B.1): NAL unit start codes, access unit
  splitting at access unit delimiters, the keyframe verdict and the decoder
  configuration from a sequence parameter set (7.3.2.1.1).

A header parser returns an ``AudioFrame`` or, for bytes that are not a valid header,
a string saying why (the caller decides whether that is an error or garbage to skip).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ._types import DecoderConfig, ParseError
from .codecs import SAMPLING_FREQUENCIES, _Bits, aac_from_asc

Bytes = bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """One audio frame header, as far as a demuxer needs it."""

    frame_size: int
    """Bytes of the whole frame, header included."""
    data_offset: int
    """Where the bytes handed to the decoder start: 0 for MPEG audio (the decoder
    reads the header), the header size for ADTS (WebCodecs gets raw AAC plus the
    AudioSpecificConfig as ``description``)."""
    samples: int
    """PCM samples per channel the frame decodes to (its duration)."""
    config: DecoderConfig
    layer: int = 0
    """MPEG audio layer (1-3); 0 for ADTS."""


# -- MPEG audio -------------------------------------------------------------------------

MPEG_AUDIO_HEADER_SIZE = 4

# Bit rates in kbit/s by bitrate_index (1..14) for MPEG-1 layers I/II/III and for
# MPEG-2/2.5 ("LSF") layer I and layers II/III (11172-3 Table 2.4.2.3; 13818-3 2.4.2.3).
_BITRATES = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_VERSION_NAMES = {3: "MPEG-1", 2: "MPEG-2", 0: "MPEG-2.5"}


def is_mpeg_audio_sync(b: Bytes) -> bool:
    """The 11-bit frame sync (MPEG-2.5 uses the 12th bit as a version bit)."""
    return len(b) >= 2 and b[0] == 0xFF and b[1] & 0xE0 == 0xE0


def mpeg_audio_header(b: Bytes) -> AudioFrame | str:
    """The frame header at ``b[0:4]``, or why it is not one.  Free-format bit rates
    (bitrate_index 0) are not supported: the frame size cannot be known from the
    header (Chromium rejects them too)."""
    if len(b) < 4:
        return "truncated header"
    if not is_mpeg_audio_sync(b):
        return "no frame sync"
    version = (b[1] >> 3) & 3                      # ID (+ the MPEG-2.5 bit)
    layer_bits = (b[1] >> 1) & 3                   # layer: 3 = I, 2 = II, 1 = III
    bitrate_index = b[2] >> 4
    sampling_frequency = (b[2] >> 2) & 3
    padding_bit = (b[2] >> 1) & 1
    mode = b[3] >> 6                               # 3 = single_channel
    if version == 1:
        return "reserved version (ID)"
    if layer_bits == 0:
        return "reserved layer"
    if bitrate_index == 0:
        return "free format bit rate (bitrate_index 0) is not supported"
    if bitrate_index == 15:
        return "forbidden bitrate_index 15"
    if sampling_frequency == 3:
        return "reserved sampling_frequency"
    layer = 4 - layer_bits
    lsf = version != 3
    bitrate = _BITRATES[(2 if lsf else 1, layer if not lsf or layer == 1 else 2)][bitrate_index - 1] * 1000
    sample_rate = _SAMPLE_RATES[version][sampling_frequency]
    if layer == 1:
        samples = 384
        frame_size = (12 * bitrate // sample_rate + padding_bit) * 4
    else:
        samples = 576 if layer == 3 and lsf else 1152
        frame_size = samples // 8 * bitrate // sample_rate + padding_bit
    if layer == 3:
        codec = "mp3"
    else:                                          # objectTypeIndication (14496-1 Table 5)
        codec = "mp4a.69" if lsf else "mp4a.6B"
    channels = 1 if mode == 3 else 2
    config = DecoderConfig(codec=codec, sample_rate=sample_rate, channel_count=channels)
    return AudioFrame(frame_size, 0, samples, config, layer)


def is_vbr_info_frame(frame: Bytes) -> bool:
    """A Layer III frame that holds a Xing/Info or VBRI tag instead of audio (it
    decodes to silence; demuxers drop it).  The Xing tag follows the side information
    (offsets as FFmpeg and Chromium use them); VBRI sits 32 bytes after the header."""
    if len(frame) < 8 or (frame[1] >> 1) & 3 != 1:
        return False
    lsf = (frame[1] >> 3) & 3 != 3
    mono = frame[3] >> 6 == 3
    xing = 4 + ((9 if mono else 17) if lsf else (17 if mono else 32))
    return (bytes(frame[xing:xing + 4]) in (b"Xing", b"Info")
            or bytes(frame[36:40]) == b"VBRI")


# -- ADTS -------------------------------------------------------------------------------

ADTS_MIN_HEADER_SIZE = 7


def is_adts_sync(b: Bytes) -> bool:
    """The 12-bit syncword 0xFFF."""
    return len(b) >= 2 and b[0] == 0xFF and b[1] & 0xF0 == 0xF0


def adts_header(b: Bytes) -> AudioFrame | str:
    """The adts_fixed_header + adts_variable_header (+ crc_check) at ``b``, or why it
    is not one."""
    if len(b) < ADTS_MIN_HEADER_SIZE:
        return "truncated header"
    if not is_adts_sync(b):
        return "no syncword"
    layer = (b[1] >> 1) & 3
    protection_absent = b[1] & 1
    profile_ObjectType = b[2] >> 6
    sampling_frequency_index = (b[2] >> 2) & 0xF
    channel_configuration = ((b[2] & 1) << 2) | (b[3] >> 6)
    aac_frame_length = ((b[3] & 3) << 11) | (b[4] << 3) | (b[5] >> 5)
    number_of_raw_data_blocks_in_frame = b[6] & 3
    header_size = 7 if protection_absent else 9
    if layer != 0:
        return f"layer {layer} (must be 0)"
    if sampling_frequency_index >= len(SAMPLING_FREQUENCIES):
        return f"reserved sampling_frequency_index {sampling_frequency_index}"
    if aac_frame_length < header_size:
        return f"aac_frame_length {aac_frame_length} shorter than the header"
    if channel_configuration == 0:
        return "channel_configuration 0 (a program_config_element) is not supported"
    if number_of_raw_data_blocks_in_frame:
        return "several raw_data_blocks in one frame are not supported"
    config = _adts_config(profile_ObjectType, sampling_frequency_index, channel_configuration)
    return AudioFrame(aac_frame_length, header_size, 1024, config)


@lru_cache(maxsize=64)
def _adts_config(profile_ObjectType: int, sampling_frequency_index: int,
                 channel_configuration: int) -> DecoderConfig:
    """The AudioSpecificConfig of an ADTS stream: audioObjectType = profile + 1,
    samplingFrequencyIndex, channelConfiguration, a GASpecificConfig of zeros
    (1024-sample frames, no core coder, no extension)."""
    asc = ((profile_ObjectType + 1) << 11 | sampling_frequency_index << 7
           | channel_configuration << 3).to_bytes(2, "big")
    audio = aac_from_asc(asc)
    return DecoderConfig(codec=audio.codec, description=audio.description,
                         sample_rate=audio.sample_rate, channel_count=audio.channel_count)


# -- H.264 Annex B ----------------------------------------------------------------------

NAL_IDR, NAL_SPS, NAL_AUD = 5, 7, 9


def nal_units(data: bytes, start: int = 0) -> list[tuple[int, int]]:
    """``(start code position, NAL unit header position)`` of every NAL unit of an
    Annex B byte stream; a four-byte start code (zero_byte) is included in the
    position so an access unit split there keeps its leading zero."""
    out = []
    find = data.find
    pos = find(b"\x00\x00\x01", start)
    while pos >= 0:
        header = pos + 3
        out.append((pos - 1 if pos > start and data[pos - 1] == 0 else pos, header))
        pos = find(b"\x00\x00\x01", header)
    return out


def access_units(data: bytes, nals: list[tuple[int, int]],
                 start: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` of the access units in ``data[start:]``: a new one begins at
    each access unit delimiter after the first NAL unit (H.264 7.4.1.2.3)."""
    cuts = [start]
    for i, (begin, header) in enumerate(nals):
        if i and header < len(data) and data[header] & 0x1F == NAL_AUD:
            cuts.append(begin)
    cuts.append(len(data))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def annexb_keyframe(data: bytes, nals: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether the access unit ``data[start:end]`` is a keyframe: its first VCL NAL
    unit is an IDR slice (the rule of ``codecs.keyframe_from_nal_units``, on Annex B)."""
    for _, header in nals:
        if start <= header < end:
            nal_type = data[header] & 0x1F
            if 1 <= nal_type <= 5:
                return nal_type == NAL_IDR
    return False


class _Golomb(_Bits):
    __slots__ = ()

    def ue(self) -> int:
        zeros = 0
        while not self.read(1):
            zeros += 1
            if zeros > 31:
                raise ParseError(f"{self.what}: Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.read(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
# Table E-1: SampleAspectRatio by aspect_ratio_idc.
_SAR = {1: (1, 1), 2: (12, 11), 3: (10, 11), 4: (16, 11), 5: (40, 33), 6: (24, 11),
        7: (20, 11), 8: (32, 11), 9: (80, 33), 10: (18, 11), 11: (15, 11), 12: (64, 33),
        13: (160, 99), 14: (4, 3), 15: (3, 2), 16: (2, 1)}


def avc_config_from_sps(nal: Bytes) -> DecoderConfig:
    """Codec string ``avc1.PPCCLL`` (profile_idc, constraint flags, level_idc), the
    cropped picture size and the display size from the VUI sample aspect ratio, read
    from a seq_parameter_set_rbsp (H.264 7.3.2.1.1; E.1.1).  No ``description``: the
    frames stay in Annex B form (WebCodecs ``avc: {format: "annexb"}``)."""
    rbsp = bytes(nal[1:]).replace(b"\x00\x00\x03", b"\x00\x00")
    if len(rbsp) < 4:
        raise ParseError("SPS: truncated seq_parameter_set_rbsp")
    profile_idc, constraints, level_idc = rbsp[0], rbsp[1], rbsp[2]
    r = _Golomb(rbsp, "SPS")
    r.pos = 24
    r.ue()                                         # seq_parameter_set_id
    chroma_format_idc, separate_colour_plane_flag = 1, 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc > 3:
            raise ParseError(f"SPS: chroma_format_idc {chroma_format_idc}")
        if chroma_format_idc == 3:
            separate_colour_plane_flag = r.read(1)
        r.ue()                                     # bit_depth_luma_minus8
        r.ue()                                     # bit_depth_chroma_minus8
        r.read(1)                                  # qpprime_y_zero_transform_bypass_flag
        if r.read(1):                              # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if r.read(1):                      # seq_scaling_list_present_flag[i]
                    _skip_scaling_list(r, 16 if i < 6 else 64)
    r.ue()                                         # log2_max_frame_num_minus4
    pic_order_cnt_type = r.ue()
    if pic_order_cnt_type == 0:
        r.ue()                                     # log2_max_pic_order_cnt_lsb_minus4
    elif pic_order_cnt_type == 1:
        r.read(1)                                  # delta_pic_order_always_zero_flag
        r.se()                                     # offset_for_non_ref_pic
        r.se()                                     # offset_for_top_to_bottom_field
        cycle = r.ue()                             # num_ref_frames_in_pic_order_cnt_cycle
        if cycle > 255:
            raise ParseError(f"SPS: num_ref_frames_in_pic_order_cnt_cycle {cycle}")
        for _ in range(cycle):
            r.se()                                 # offset_for_ref_frame[i]
    r.ue()                                         # max_num_ref_frames
    r.read(1)                                      # gaps_in_frame_num_value_allowed_flag
    pic_width_in_mbs_minus1 = r.ue()
    pic_height_in_map_units_minus1 = r.ue()
    frame_mbs_only_flag = r.read(1)
    if not frame_mbs_only_flag:
        r.read(1)                                  # mb_adaptive_frame_field_flag
    r.read(1)                                      # direct_8x8_inference_flag
    width = (pic_width_in_mbs_minus1 + 1) * 16
    height = (2 - frame_mbs_only_flag) * (pic_height_in_map_units_minus1 + 1) * 16
    if r.read(1):                                  # frame_cropping_flag (7.4.2.1.1)
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        chroma_array_type = 0 if separate_colour_plane_flag else chroma_format_idc
        sub_width = 2 if chroma_array_type in (1, 2) else 1
        sub_height = 2 if chroma_array_type == 1 else 1
        unit_x = sub_width if chroma_array_type else 1
        unit_y = (sub_height if chroma_array_type else 1) * (2 - frame_mbs_only_flag)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    if width <= 0 or height <= 0 or width > 16384 or height > 16384:
        raise ParseError(f"SPS: picture size {width}x{height}")
    display_width = display_height = None
    if r.left and r.read(1) and r.read(1):         # vui_parameters_present_flag, aspect_ratio_info_present_flag
        aspect_ratio_idc = r.read(8)
        sar = (r.read(16), r.read(16)) if aspect_ratio_idc == 255 else _SAR.get(aspect_ratio_idc)
        if sar and sar[0] and sar[1] and sar[0] != sar[1]:
            display_width = (2 * width * sar[0] + sar[1]) // (2 * sar[1])
            display_height = height
    return DecoderConfig(codec=f"avc1.{profile_idc:02x}{constraints:02x}{level_idc:02x}",
                         coded_width=width, coded_height=height,
                         display_width=display_width, display_height=display_height)


def _skip_scaling_list(r: _Golomb, size: int) -> None:
    last = next_scale = 8                          # 7.3.2.1.1.1 scaling_list()
    for _ in range(size):
        if next_scale:
            next_scale = (last + r.se() + 256) % 256
        last = next_scale or last
