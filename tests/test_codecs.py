"""Decoder configuration records → WebCodecs codec strings and descriptions
(msepy.bytestream.codecs), from annotated bytes: one comment per field."""

import random

import pytest

from msepy.bytestream import codecs as C
from msepy.bytestream._types import ParseError


def bits(*fields: str) -> bytes:
    """Pack bit-string fields MSB first, zero-padded to whole bytes."""
    s = "".join(fields)
    s += "0" * (-len(s) % 8)
    return bytes(int(s[i:i + 8], 2) for i in range(0, len(s), 8))


# -- avcC ---------------------------------------------------------------------------

AVCC = bytes([
    0x01,                    # configurationVersion
    0x64,                    # AVCProfileIndication: 100 (High)
    0x00,                    # profile_compatibility
    0x1F,                    # AVCLevelIndication: 31
    0xFF,                    # reserved '111111' + lengthSizeMinusOne 3
    0xE1,                    # reserved '111' + numOfSequenceParameterSets 1
    0x00, 0x04,              # sequenceParameterSetLength
    0x67, 0x64, 0x00, 0x1F,  # sequenceParameterSetNALUnit (header, profile, level)
    0x01,                    # numOfPictureParameterSets
    0x00, 0x02,              # pictureParameterSetLength
    0x68, 0xEF,              # pictureParameterSetNALUnit
])


def test_avc_codec_string_is_lowercase_profile_compat_level():
    assert C.avc_codec_string("avc1", AVCC) == "avc1.64001f"
    assert C.avc_nal_length_size(AVCC) == 4


def test_avc3_keeps_its_fourcc_and_may_lack_parameter_sets():
    no_sets = AVCC[:5] + bytes([0xE0, 0x00])   # 0 SPS, 0 PPS
    assert C.avc_codec_string("avc3", no_sets) == "avc3.64001f"


@pytest.mark.parametrize("record", [
    AVCC[:5] + bytes([0xE0, 0x00]),            # avc1 without SPS or PPS
    AVCC[:13] + bytes([0x00]),                 # avc1 with an SPS and no PPS
    AVCC[:9],                                  # SPS length past the end
    bytes([0x00]) + AVCC[1:],                  # configurationVersion 0
])
def test_avc1_without_parameter_sets_is_an_error(record):
    with pytest.raises(ParseError, match="avcC"):
        C.avc_codec_string("avc1", record)


# -- hvcC ---------------------------------------------------------------------------

def hvcc(profile_byte=0x01, compat=(0x60, 0x00, 0x00, 0x00),
         constraints=(0x90, 0, 0, 0, 0, 0), level=93, arrays=True) -> bytes:
    nal_arrays = bytes([
        0x03,                # numOfArrays
        0x20, 0x00, 0x01,    # array_completeness 0, NAL_unit_type 32 (VPS), numNalus 1
        0x00, 0x02, 0x40, 0x01,  # nalUnitLength 2, nalUnit
        0x21, 0x00, 0x01,    # NAL_unit_type 33 (SPS), numNalus 1
        0x00, 0x02, 0x42, 0x01,
        0x22, 0x00, 0x01,    # NAL_unit_type 34 (PPS), numNalus 1
        0x00, 0x02, 0x44, 0x01,
    ]) if arrays else bytes([0x00])
    return bytes([
        0x01,                # configurationVersion
        profile_byte,        # general_profile_space(2) general_tier_flag(1) general_profile_idc(5)
        *compat,             # general_profile_compatibility_flags (32)
        *constraints,        # general_constraint_indicator_flags (48)
        level,               # general_level_idc
        0xF0, 0x00,          # reserved '1111' + min_spatial_segmentation_idc
        0xFC,                # reserved '111111' + parallelismType
        0xFD,                # reserved '111111' + chroma_format_idc 1
        0xF8,                # reserved '11111' + bit_depth_luma_minus8
        0xF8,                # reserved '11111' + bit_depth_chroma_minus8
        0x00, 0x00,          # avgFrameRate
        0x0F,                # constantFrameRate(2) numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2)=3
    ]) + nal_arrays


def test_hevc_codec_string_main_profile():
    # Main: compatibility flags 1 and 2 (0x60000000) reversed → 0x6; constraint
    # byte 0x90 (progressive, frame only), trailing zero bytes dropped.
    assert C.hevc_codec_string("hvc1", hvcc()) == "hvc1.1.6.L93.90"
    assert C.hevc_nal_length_size(hvcc()) == 4


def test_hevc_codec_string_profile_space_tier_and_constraints():
    record = hvcc(profile_byte=0b10_1_00010,            # space 2 (B), high tier, Main 10
                  compat=(0x20, 0x00, 0x00, 0x00),        # flag 2 only → reversed 0x4
                  constraints=(0xB0, 0x00, 0x00, 0x00, 0x00, 0x01), level=120)
    assert C.hevc_codec_string("hev1", record) == "hev1.B2.4.H120.B0.00.00.00.00.01"


def test_hvc1_without_parameter_sets_is_an_error_but_hev1_is_not():
    with pytest.raises(ParseError, match="hvcC"):
        C.hevc_codec_string("hvc1", hvcc(arrays=False))
    assert C.hevc_codec_string("hev1", hvcc(arrays=False)) == "hev1.1.6.L93.90"
    with pytest.raises(ParseError, match="hvcC"):
        C.hevc_codec_string("hvc1", hvcc()[:20])


# -- av1C / vpcC --------------------------------------------------------------------

def av1c(byte1: int, byte2: int) -> bytes:
    return bytes([
        0x81,                # marker(1)=1 version(7)=1
        byte1,               # seq_profile(3) seq_level_idx_0(5)
        byte2,               # seq_tier_0 high_bitdepth twelve_bit monochrome chroma_subsampling_x/y chroma_sample_position(2)
        0x00,                # reserved(3) initial_presentation_delay_present(1) reserved(4)
    ])


def test_av1_codec_string_short_form_when_all_defaults():
    assert C.av1_codec_string(av1c(0b000_01101, 0b0000_1100)) == "av01.0.13M.08"


def test_av1_codec_string_tier_and_bit_depth():
    assert C.av1_codec_string(av1c(0b000_01101, 0b1100_1100)) == "av01.0.13H.10"
    assert C.av1_codec_string(av1c(0b010_01000, 0b0110_1100)) == "av01.2.08M.12"
    # 4:4:4 (chroma 000) is not the default: long form
    assert C.av1_codec_string(av1c(0b001_01000, 0b0000_0000)) == "av01.1.08M.08.0.000.01.01.01.0"


def test_av1_codec_string_long_form_when_not_default():
    # monochrome → all optional fields present
    assert C.av1_codec_string(av1c(0x0D, 0b0001_1100)) == "av01.0.13M.08.1.110.01.01.01.0"
    # colour from an nclx colr box: BT.2020 / PQ / BT.2020 ncl, full range
    assert (C.av1_codec_string(av1c(0x0D, 0b0100_1110), (9, 16, 9, True))
            == "av01.0.13M.10.0.112.09.16.09.1")
    with pytest.raises(ParseError, match="av1C"):
        C.av1_codec_string(b"\x81\x00")


def test_vp09_codec_string_from_vpcc():
    vpcc = bytes([
        0x00,                # profile
        0x1F,                # level 31
        0b1000_001_0,        # bitDepth 8, chromaSubsampling 1, videoFullRangeFlag 0
        0x01, 0x01, 0x01,    # colourPrimaries, transferCharacteristics, matrixCoefficients
        0x00, 0x00,          # codecIntializationDataSize
    ])
    assert C.vpcc_codec_string(vpcc) == "vp09.00.31.08"
    assert C.vpcc_codec_string(bytes([0x02, 0x0A, 0b1010_0010])) == "vp09.02.10.10"
    with pytest.raises(ParseError, match="vpcC"):
        C.vpcc_codec_string(b"\x00")


# -- AudioSpecificConfig / esds -----------------------------------------------------

def test_aac_lc():
    asc = bits("00010",      # audioObjectType 2 (AAC LC)
               "0100",       # samplingFrequencyIndex 4 (44100)
               "0010",       # channelConfiguration 2
               "0", "0", "0")  # GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag
    assert asc == b"\x12\x10"
    assert C.aac_from_asc(asc) == C.AudioConfig("mp4a.40.2", asc, 44100, 2)


def test_he_aac_explicit_sbr_signalling():
    asc = bits("00101",      # audioObjectType 5 (SBR)
               "0110",       # samplingFrequencyIndex 6 (24000, the core rate)
               "0010",       # channelConfiguration 2
               "0011",       # extensionSamplingFrequencyIndex 3 (48000)
               "00010",      # audioObjectType 2 (the core)
               "000")        # GASpecificConfig
    assert C.aac_from_asc(asc) == C.AudioConfig("mp4a.40.5", asc, 48000, 2)


def test_he_aac_v2_explicit_ps_signalling_decodes_to_stereo():
    asc = bits("11101",      # audioObjectType 29 (PS)
               "0110",       # samplingFrequencyIndex 6 (24000)
               "0001",       # channelConfiguration 1
               "0011",       # extensionSamplingFrequencyIndex 3 (48000)
               "00010", "000")
    assert C.aac_from_asc(asc) == C.AudioConfig("mp4a.40.29", asc, 48000, 2)


def test_he_aac_backward_compatible_signalling():
    asc = bits("00010", "0110", "0010", "000",  # AAC LC, 24000, stereo, GASpecificConfig
               "01010110111",  # syncExtensionType 0x2b7
               "00101",        # extensionAudioObjectType 5 (SBR)
               "1",            # sbrPresentFlag
               "0011")         # extensionSamplingFrequencyIndex 3 (48000)
    assert C.aac_from_asc(asc) == C.AudioConfig("mp4a.40.5", asc, 48000, 2)


def test_aac_escape_object_type_explicit_rate_and_7_1():
    asc = bits("11111", "001010",           # audioObjectType 31 → escape: 32 + 10 = 42
               "1111", f"{22050:024b}",     # samplingFrequencyIndex 15 → explicit 22050
               "0111")                      # channelConfiguration 7 (7.1: 8 channels)
    assert C.aac_from_asc(asc) == C.AudioConfig("mp4a.40.42", asc, 22050, 8)


def test_aac_bad_config_is_an_error():
    with pytest.raises(ParseError, match="samplingFrequencyIndex"):
        C.aac_from_asc(bits("00010", "1101", "0010"))   # index 13 is reserved
    with pytest.raises(ParseError, match="AudioSpecificConfig"):
        C.aac_from_asc(b"\x12")


ESDS = bytes([
    0x03, 0x80, 0x80, 0x80, 0x22,  # ES_Descriptor tag, sizeOfInstance 34 (4-byte form)
    0x00, 0x01,                    # ES_ID
    0x00,                          # streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority
    0x04, 0x80, 0x80, 0x80, 0x14,  # DecoderConfigDescriptor tag, size 20
    0x40,                          # objectTypeIndication: MPEG-4 Audio
    0x15,                          # streamType 5 (audio), upStream 0, reserved 1
    0x00, 0x00, 0x00,              # bufferSizeDB
    0x00, 0x00, 0xFA, 0x00,        # maxBitrate
    0x00, 0x00, 0xFA, 0x00,        # avgBitrate
    0x05, 0x80, 0x80, 0x80, 0x02,  # DecoderSpecificInfo tag, size 2
    0x12, 0x10,                    # AudioSpecificConfig: AAC LC, 44100, stereo
    0x06, 0x80, 0x80, 0x80, 0x01,  # SLConfigDescriptor tag, size 1
    0x02,                          # predefined 2
])


def test_esds_descriptor_chain():
    assert C.aac_from_esds(ESDS) == C.AudioConfig("mp4a.40.2", b"\x12\x10", 44100, 2)


def test_esds_mp3_and_errors():
    mp3 = bytearray(ESDS)
    mp3[13] = 0x6B                     # objectTypeIndication: MPEG-1 audio (MP3)
    assert C.aac_from_esds(bytes(mp3)).codec == "mp3"
    no_dsi = bytes([0x03, 0x12, 0x00, 0x01, 0x00, 0x04, 0x0D, 0x40, 0x15] + [0] * 11)
    with pytest.raises(ParseError, match="AudioSpecificConfig"):
        C.aac_from_esds(no_dsi)
    with pytest.raises(ParseError, match="esds"):
        C.aac_from_esds(ESDS[:20])
    with pytest.raises(ParseError, match="esds"):
        C.aac_from_esds(b"\x05\x00")


# -- Opus / FLAC --------------------------------------------------------------------

DOPS = bytes([
    0x00,                    # Version
    0x02,                    # OutputChannelCount
    0x01, 0x38,              # PreSkip 312 (big-endian)
    0x00, 0x00, 0xBB, 0x80,  # InputSampleRate 48000
    0xFF, 0xFE,              # OutputGain -2
    0x00,                    # ChannelMappingFamily
])


def test_opus_head_from_dops_is_little_endian():
    head = C.opus_head_from_dops(DOPS)
    assert head == (b"OpusHead"
                    + bytes([0x01,                     # version 1
                             0x02,                     # channel count
                             0x38, 0x01,               # pre-skip (little-endian)
                             0x80, 0xBB, 0x00, 0x00,   # input sample rate
                             0xFE, 0xFF,               # output gain
                             0x00]))                   # mapping family
    assert C.opus_from_opushead(head) == C.AudioConfig("opus", head, 48000, 2)


def test_opus_mapping_family_1_copies_the_table():
    dops = bytes([0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0xBB, 0x80, 0x00, 0x00,
                  0x01,              # ChannelMappingFamily 1
                  0x02, 0x01,        # StreamCount, CoupledCount
                  0x00, 0x02, 0x01])  # ChannelMapping[3]
    assert C.opus_head_from_dops(dops)[-6:] == bytes([0x01, 0x02, 0x01, 0x00, 0x02, 0x01])
    with pytest.raises(ParseError, match="dOps"):
        C.opus_head_from_dops(dops[:-1])
    with pytest.raises(ParseError, match="OpusHead"):
        C.opus_from_opushead(b"OpusTags" + bytes(11))


STREAMINFO_BLOCK = bytes([
    0x80,                    # last-metadata-block 1, BLOCK_TYPE 0 (STREAMINFO)
    0x00, 0x00, 0x22,        # length 34
    0x10, 0x00,              # minimum block size 4096
    0x10, 0x00,              # maximum block size 4096
    0x00, 0x00, 0x00,        # minimum frame size
    0x00, 0x00, 0x00,        # maximum frame size
    0x0A, 0xC4, 0x42, 0xF0,  # sample rate 44100 (20), channels-1 = 1 (3), bps-1 = 15 (5), samples (4 high bits)
    0x00, 0x00, 0xAC, 0x44,  # total samples (low 32 bits)
]) + bytes(16)               # MD5 signature


def test_flac_description_is_flac_marker_and_metadata_blocks():
    config = C.flac_from_dfla(STREAMINFO_BLOCK)
    assert config == C.AudioConfig("flac", b"fLaC" + STREAMINFO_BLOCK, 44100, 2)
    with pytest.raises(ParseError, match="dfLa"):
        C.flac_from_dfla(STREAMINFO_BLOCK[:20])
    with pytest.raises(ParseError, match="dfLa"):
        C.flac_from_dfla(bytes([0x84]) + STREAMINFO_BLOCK[1:])   # first block not STREAMINFO


# -- NAL unit keyframe analysis -----------------------------------------------------

def nals(*units: bytes, size: int = 4) -> bytes:
    return b"".join(len(u).to_bytes(size, "big") + u for u in units)


def test_h264_keyframe_is_judged_by_the_first_slice():
    aud, sei = b"\x09\xF0", b"\x06\x05\x01\x00"
    assert C.keyframe_from_nal_units(nals(aud, sei, b"\x65\x88\x80"), 4, False) is True
    assert C.keyframe_from_nal_units(nals(aud, b"\x41\x9A\x00"), 4, False) is False
    assert C.keyframe_from_nal_units(nals(aud, sei, size=2), 2, False) is None
    assert C.keyframe_from_nal_units(b"\x00\x00\x00\x09\x65", 4, False) is None  # bad length


def test_keyframes_of_a_batch_match_one_by_one():
    """The batch form (with its fast path for a slice first) gives every sample the
    single-sample verdict, and keeps the container's flag where there is none."""
    aud, sei, idr, p = b"\x09\xF0", b"\x06\x05\x01\x00", b"\x65\x88\x80", b"\x41\x9A\x00"
    samples = [nals(idr), nals(p), nals(aud, idr), nals(sei, p), b"", nals(idr),
               b"\x00\x00\x00\x09\x65", b"\x00\x00\x00\x00\x65", nals(idr, size=2),
               nals(b"\x46\x01\x50", b"\x26\x01\xAF"), nals(b"\x02\x01\xD0"), nals(aud)]
    formats = [(4, False)] * 4 + [(4, False), None, (4, False), (4, False), (2, False),
                                  (4, True), (4, True), (4, False)]
    flags = [False, True, False, True, True, False, True, False, True, False, True, True]
    got = list(flags)
    C.keyframes_from_nal_units(samples, formats, got)
    want = [flag if fmt is None or not sample or (v := C.keyframe_from_nal_units(
        sample, *fmt)) is None else v for sample, fmt, flag in zip(samples, formats, flags)]
    assert got == want == [True, False, True, False, True, False, True, False, True, True,
                           False, True]


def test_keyframes_of_a_run_back_to_back_match_one_by_one():
    """``keyframes_in_chunk`` on a trun's samples, back to back in one chunk, with NAL
    unit lengths of 1, 2 and 4 bytes, H.264 and HEVC: the single-sample verdicts, for
    runs of plain slices and runs with one odd sample (no slice first, a bad length,
    too short, empty), with flags that agree with the bitstream and flags at random."""
    rng = random.Random(7)
    aud, sei, idr, p = b"\x09\xF0", b"\x06\x05\x01\x00", b"\x65\x88\x80", b"\x41\x9A\x00"
    h_aud, h_idr, h_cra, h_trail = b"\x46\x01\x50", b"\x26\x01\xAF", b"\x2A\x01\xAF", b"\x02\x01\xD0"
    for size, hevc in [(1, False), (2, False), (4, False), (4, True), (2, True)]:
        slices, lead_nal = ([h_idr, h_cra, h_trail], h_aud) if hevc else ([idr, p], aud)
        odd = [nals(lead_nal, slices[0], size=size), nals(sei, slices[-1], size=size),
               nals(b"\x0C\xFF", size=size), b"\x00" * size + slices[0][:1],
               b"\x7F" * size + slices[0][:2], b"\x00" * size,   # bad lengths, no NAL unit
               b""]                                               # an empty sample
        for trial in range(90):
            plain = [nals(rng.choice(slices) + bytes(rng.randrange(4)), size=size)
                     for _ in range(rng.randrange(1, 9))]
            samples = plain if trial % 3 == 0 else [*plain, rng.choice(odd), *plain]
            rng.shuffle(samples)
            lead = bytes(rng.randrange(5))
            chunk = memoryview(lead + b"".join(samples) + bytes(3))
            base = 1000
            offsets = [base + len(lead) + sum(map(len, samples[:k])) for k in range(len(samples))]
            flags = [rng.random() < 0.5 for _ in samples]
            # (Flags that agree with the slices, as a muxer sets them, half the time.)
            flags = [f if trial % 2 else C.keyframe_from_nal_units(x, size, hevc) or False
                     for x, f in zip(samples, flags)]
            got = list(flags)
            C.keyframes_in_chunk(chunk, base, offsets, [len(x) for x in samples], (size, hevc), got)
            want = [flag if (v := C.keyframe_from_nal_units(x, size, hevc)) is None else v
                    for x, flag in zip(samples, flags)]
            assert got == want


def test_hevc_keyframe_is_an_irap_picture():
    aud = b"\x46\x01\x50"            # NAL type 35 (AUD)
    assert C.keyframe_from_nal_units(nals(aud, b"\x26\x01\xAF"), 4, True) is True   # 19 IDR_W_RADL
    assert C.keyframe_from_nal_units(nals(aud, b"\x2A\x01\xAF"), 4, True) is True   # 21 CRA
    assert C.keyframe_from_nal_units(nals(aud, b"\x02\x01\xD0"), 4, True) is False  # 1 TRAIL_R
