"""The MPEG audio byte stream parser (msepy.bytestream.mpegaudio): audio/mpeg and audio/aac.

Unit tests build frame headers and tags from annotated bytes (one comment per field,
as ISO/IEC 11172-3, 13818-3/-7 and ID3v2 name them); real-file tests compare against
what ffprobe reported about the fixtures of tests/fixtures/make_audio.sh
(tests/fixtures/audio/expected.json).
"""

import json
import random
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from msepy.bytestream import generates_timestamps, parser_for, support
from msepy.bytestream import _es
from msepy.bytestream._types import (CodedFrame, CodedFrames, InitSegment, MediaSegmentEnd,
                                     MediaSegmentStart, ParseError)
from msepy.bytestream.mpegaudio import MpegAudioParser
from helpers import (Pair, coded_frames as frames_of, draw_mutation, draw_pieces, event_shape,
                     init_segments as inits_of, parse_pieces as run, ranges)

FIXTURES = Path(__file__).parent / "fixtures" / "audio"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


# -- builders -------------------------------------------------------------------------

def mpeg_header(ID=3, layer=1, protection_bit=1, bitrate_index=9, sampling_frequency=0,
                padding_bit=0, mode=0):
    """An MPEG audio header.  ID: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5; layer: 3 = I, 2 = II,
    1 = III (the coded values); defaults: MPEG-1 Layer III 128 kbit/s 44.1 kHz stereo."""
    return bytes([
        0xFF,                                       # syncword (first 8 bits)
        0xE0 | ID << 3 | layer << 1 | protection_bit,  # syncword (3), ID (2), layer, protection_bit
        bitrate_index << 4 | sampling_frequency << 2 | padding_bit << 1,  # private_bit 0
        mode << 6,                                  # mode, mode_extension, copyright, original, emphasis
    ])


def mpeg_frame(fill=0x55, **fields):
    header = mpeg_header(**fields)
    parsed = _es.mpeg_audio_header(header)
    return header + bytes([fill]) * (parsed.frame_size - 4)


def adts_header(profile_ObjectType=1, sampling_frequency_index=4, channel_configuration=2,
                aac_frame_length=20, protection_absent=1, layer=0, raw_blocks=0):
    """adts_fixed_header + adts_variable_header (+ crc_check when protected).
    Defaults: AAC LC, 44.1 kHz, stereo."""
    fixed_and_variable = (
        0xFFF << 44                                 # syncword
        | 0 << 43                                   # ID (MPEG-4)
        | layer << 41                               # layer
        | protection_absent << 40                   # protection_absent
        | profile_ObjectType << 38                  # profile_ObjectType (AOT - 1)
        | sampling_frequency_index << 34            # sampling_frequency_index
        | 0 << 33                                   # private_bit
        | channel_configuration << 30               # channel_configuration
        | 0 << 26                                   # original_copy, home, copyright bits
        | aac_frame_length << 13                    # aac_frame_length (header included)
        | 0x7FF << 2                                # adts_buffer_fullness (VBR)
        | raw_blocks                                # number_of_raw_data_blocks_in_frame
    ).to_bytes(7, "big")
    return fixed_and_variable + (b"" if protection_absent else b"\x12\x34")  # crc_check


def adts_frame(payload=b"\x21\x00\x49\x90", **fields):
    protected = not fields.get("protection_absent", 1)
    return adts_header(aac_frame_length=7 + 2 * protected + len(payload), **fields) + payload


def id3v2(body=b"\0" * 20, flags=0):
    size = len(body)
    syncsafe = bytes((size >> s) & 0x7F for s in (21, 14, 7, 0))
    footer = b"3DI\x04\x00" + bytes([flags]) + syncsafe if flags & 0x10 else b""
    return (b"ID3"                                  # file identifier
            + b"\x04\x00"                           # version 2.4.0
            + bytes([flags])                        # flags (0x10: footer present)
            + syncsafe                              # size, syncsafe, without header/footer
            + body + footer)


def parse_all(data, pieces=None, adts=False):
    return run(MpegAudioParser(adts), data, pieces)


shape = event_shape


def error_of(data, adts=False):
    with pytest.raises(ParseError) as info:
        parse_all(data, adts=adts)
    return str(info.value)


# -- frame headers --------------------------------------------------------------------

@pytest.mark.parametrize("fields, size, samples, rate, codec", [
    (dict(), 417, 1152, 44100, "mp3"),                                       # MPEG-1 L3 128k
    (dict(padding_bit=1), 418, 1152, 44100, "mp3"),                          # + 1 slot
    (dict(layer=2, bitrate_index=8, sampling_frequency=1), 384, 1152, 48000, "mp4a.6B"),  # L2 128k
    (dict(layer=3, bitrate_index=1), 32, 384, 44100, "mp4a.6B"),             # L1 32k: 4-byte slots
    (dict(layer=3, bitrate_index=14, sampling_frequency=2, padding_bit=1), 676, 384, 32000, "mp4a.6B"),
    (dict(ID=2, bitrate_index=8), 208, 576, 22050, "mp3"),                   # MPEG-2 L3 64k
    (dict(ID=0, bitrate_index=2, sampling_frequency=2), 144, 576, 8000, "mp3"),  # MPEG-2.5 L3 16k
    (dict(ID=2, layer=2, bitrate_index=14, sampling_frequency=2), 1440, 1152, 16000, "mp4a.69"),
    (dict(ID=2, layer=3, bitrate_index=14, sampling_frequency=1), 512, 384, 24000, "mp4a.69"),
])
def test_mpeg_audio_header_fields(fields, size, samples, rate, codec):
    header = _es.mpeg_audio_header(mpeg_header(**fields))
    assert (header.frame_size, header.samples, header.config.sample_rate,
            header.config.codec, header.data_offset) == (size, samples, rate, codec, 0)
    assert header.config.channel_count == 2
    assert _es.mpeg_audio_header(mpeg_header(mode=3, **fields)).config.channel_count == 1


@pytest.mark.parametrize("fields, reason", [
    (dict(ID=1), "reserved version"),
    (dict(layer=0), "reserved layer"),
    (dict(bitrate_index=0), "free format"),
    (dict(bitrate_index=15), "bitrate_index 15"),
    (dict(sampling_frequency=3), "reserved sampling_frequency"),
])
def test_invalid_mpeg_audio_header_is_an_append_error(fields, reason):
    assert reason in _es.mpeg_audio_header(mpeg_header(**fields))
    # As Chromium: a frame sync whose header is invalid fails the append.
    message = error_of(mpeg_frame() + mpeg_header(**fields) + bytes(400))
    assert "invalid frame header at stream offset 417" in message and reason in message


@pytest.mark.parametrize("fields, offset, asc, codec, rate, channels", [
    (dict(), 7, "1210", "mp4a.40.2", 44100, 2),
    (dict(protection_absent=0), 9, "1210", "mp4a.40.2", 44100, 2),           # crc_check
    (dict(sampling_frequency_index=3, channel_configuration=1), 7, "1188", "mp4a.40.2", 48000, 1),
    (dict(profile_ObjectType=0, sampling_frequency_index=11), 7, "0d90", "mp4a.40.1", 8000, 2),
    (dict(channel_configuration=6), 7, "1230", "mp4a.40.2", 44100, 6),
    (dict(channel_configuration=7), 7, "1238", "mp4a.40.2", 44100, 8),       # 7.1
])
def test_adts_header_fields(fields, offset, asc, codec, rate, channels):
    frame = adts_frame(**fields)
    header = _es.adts_header(frame)
    assert (header.frame_size, header.data_offset, header.samples) == (len(frame), offset, 1024)
    config = header.config
    assert (config.description.hex(), config.codec, config.sample_rate,
            config.channel_count) == (asc, codec, rate, channels)


@pytest.mark.parametrize("fields, reason", [
    (dict(layer=1), "layer 1"),
    (dict(sampling_frequency_index=13), "reserved sampling_frequency_index 13"),
    (dict(sampling_frequency_index=15), "reserved sampling_frequency_index 15"),
    (dict(channel_configuration=0), "channel_configuration 0"),
    (dict(raw_blocks=1), "several raw_data_blocks"),
])
def test_invalid_adts_header_is_an_append_error(fields, reason):
    message = error_of(adts_frame() + adts_frame(**fields), adts=True)
    assert "ADTS: invalid frame header at stream offset 11" in message and reason in message


def test_adts_frame_length_shorter_than_its_header():
    assert "shorter than the header" in _es.adts_header(adts_header(aac_frame_length=6))
    assert "shorter than the header" in _es.adts_header(
        adts_header(aac_frame_length=8, protection_absent=0))


# -- frames, initialization segments, media segments ---------------------------------

def test_frames_times_and_initialization_segment():
    events = parse_all(mpeg_frame() + mpeg_frame(padding_bit=1) + mpeg_frame())
    assert [type(e) for e in events] == [InitSegment, MediaSegmentStart, CodedFrames,
                                         MediaSegmentEnd]
    [init] = inits_of(events)
    assert init.duration is None
    [track] = init.tracks
    assert (track.track_id, track.kind, track.codec, track.timescale) == (1, "audio", "mp3", 44100)
    assert (track.config.sample_rate, track.config.channel_count,
            track.config.description) == (44100, 2, None)
    frames = frames_of(events)
    assert [(f.track_id, f.pts, f.dts, f.duration, f.is_rap, len(f.data)) for f in frames] == [
        (1, 0, 0, 1152, True, 417), (1, 1152, 1152, 1152, True, 418),
        (1, 2304, 2304, 1152, True, 417)]
    assert bytes(frames[0].data[:4]) == mpeg_header()          # MPEG audio keeps its header


def test_adts_frames_are_handed_out_without_their_header():
    payload = b"\x21\x10\x05\x00"
    events = parse_all(adts_frame(payload) + adts_frame(payload, protection_absent=0), adts=True)
    assert [bytes(f.data) for f in frames_of(events)] == [payload, payload]
    [init] = inits_of(events)                                   # the crc_check changes nothing
    assert init.tracks[0].config.description == bytes.fromhex("1210")
    assert [f.duration for f in frames_of(events)] == [1024, 1024]


def test_a_configuration_change_is_a_new_initialization_segment():
    data = mpeg_frame() + mpeg_frame(sampling_frequency=1) + mpeg_frame(sampling_frequency=1, mode=3)
    events = parse_all(data)
    assert [type(e) for e in events] == [
        InitSegment, MediaSegmentStart, CodedFrames, MediaSegmentEnd,
        InitSegment, MediaSegmentStart, CodedFrames, MediaSegmentEnd,
        InitSegment, MediaSegmentStart, CodedFrames, MediaSegmentEnd]
    configs = [(i.tracks[0].timescale, i.tracks[0].config.channel_count) for i in inits_of(events)]
    assert configs == [(44100, 2), (48000, 2), (48000, 1)]
    assert [i.tracks[0].track_id for i in inits_of(events)] == [1, 1, 1]
    # The informative pts keep counting, in the new rate.
    assert [f.pts for f in frames_of(events)] == [0, 1253, 2405]


def test_layer_change_changes_the_codec():
    events = parse_all(mpeg_frame() + mpeg_frame(layer=2, bitrate_index=8))
    assert [i.tracks[0].codec for i in inits_of(events)] == ["mp3", "mp4a.6B"]


def test_frames_are_handed_out_as_they_complete_and_segments_end_with_each_parse():
    parser = MpegAudioParser()
    data = mpeg_frame() * 2
    parser.feed(memoryview(data[:500]))
    events = list(parser.parse())
    assert [type(e) for e in events] == [InitSegment, MediaSegmentStart, CodedFrames]
    assert parser.buffered_bytes == 83                          # the second frame, partial
    parser.feed(memoryview(data[500:]))
    events = list(parser.parse())
    assert [type(e) for e in events] == [CodedFrames, MediaSegmentEnd]   # it completes
    parser.feed(memoryview(data[:2]))                           # a truncated header: wait
    assert list(parser.parse()) == [] and parser.buffered_bytes == 2


def test_frames_are_zero_copy_slices_of_the_appended_buffer():
    data = bytearray(mpeg_frame() * 3)
    parser = MpegAudioParser()
    parser.feed(memoryview(data))
    frames = frames_of(list(parser.parse()))
    data[0:1] = b"\xAB"
    assert frames[0].data[0] == 0xAB                            # a view, not a copy
    adts = bytearray(adts_frame() * 2)
    parser = MpegAudioParser(adts=True)
    parser.feed(memoryview(adts))
    frames = frames_of(list(parser.parse()))
    adts[7] = 0xCD
    assert frames[0].data[0] == 0xCD


# -- metadata -------------------------------------------------------------------------

def test_id3v2_tags_are_skipped_with_and_without_footer():
    body = b"TIT2" + bytes(16) + b"\xff\xfb\x90\x00"        # a sync pattern inside: skipped
    data = id3v2(body) + mpeg_frame() + id3v2(body, flags=0x10) + mpeg_frame()
    assert len(frames_of(parse_all(data))) == 2
    assert len(frames_of(parse_all(data, [1] * len(data)))) == 2


def test_an_id3v2_tag_is_skipped_as_it_arrives():
    parser = MpegAudioParser()
    tag = id3v2(bytes(100_000))
    parser.feed(memoryview(tag[:50_000]))
    assert list(parser.parse()) == [] and parser.buffered_bytes == 0   # not buffered
    parser.feed(memoryview(tag[50_000:] + mpeg_frame()))
    assert len(frames_of(list(parser.parse()))) == 1


def test_id3v2_size_must_be_syncsafe():
    tag = bytearray(id3v2())
    tag[9] |= 0x80                                              # size byte with its MSB set
    assert "syncsafe" in error_of(bytes(tag) + mpeg_frame())


def test_id3v1_and_extended_tags_are_skipped():
    tag = b"TAG" + bytes(125)                                   # ID3v1: 128 bytes
    tag_plus = b"TAG+" + b"\xff" * 223                          # Enhanced TAG: 227 bytes
    data = mpeg_frame() + tag + mpeg_frame() + tag_plus + mpeg_frame()
    events = parse_all(data)
    assert len(frames_of(events)) == 3
    # Metadata ends the media segment.
    assert [type(e) for e in events].count(MediaSegmentStart) == 3
    assert [type(e) for e in events].count(MediaSegmentEnd) == 3


@pytest.mark.parametrize("header", [
    b"ICY 200 OK\r\nicy-name: Test\r\nicy-metaint: 0\r\n\r\n",
    b"ICY 200 OK\nicy-name: Test\n\n",                         # bare LF (Chromium accepts it)
])
def test_icecast_header_is_skipped(header):
    data = header + mpeg_frame()
    assert len(frames_of(parse_all(data))) == 1
    assert len(frames_of(parse_all(data, [3] * len(data)))) == 1


def test_icecast_header_longer_than_4096_bytes_is_an_error():
    assert "longer than 4096" in error_of(b"ICY 200 OK\r\n" + b"x" * 5000 + b"\r\n\r\n")


@pytest.mark.parametrize("tag, offset", [
    (b"Xing", 4 + 32),                                          # MPEG-1 stereo
    (b"Info", 4 + 32),
    (b"VBRI", 4 + 32),
])
def test_vbr_info_frames_configure_but_are_not_played(tag, offset):
    info = bytearray(mpeg_frame(fill=0))
    info[offset:offset + 4] = tag
    events = parse_all(bytes(info) + mpeg_frame())
    assert len(inits_of(events)) == 1
    [frame] = frames_of(events)
    assert frame.pts == 0 and bytes(frame.data) == mpeg_frame()


def test_xing_offsets_for_mono_and_lsf():
    for fields, offset in ((dict(mode=3), 4 + 17), (dict(ID=2, bitrate_index=8), 4 + 17),
                           (dict(ID=2, bitrate_index=8, mode=3), 4 + 9)):
        frame = bytearray(mpeg_frame(fill=0, **fields))
        frame[offset:offset + 4] = b"Xing"
        assert _es.is_vbr_info_frame(frame)
        assert not _es.is_vbr_info_frame(mpeg_frame(fill=0, **fields))
    layer2 = bytearray(mpeg_frame(fill=0, layer=2))
    layer2[36:40] = b"Xing"
    assert not _es.is_vbr_info_frame(layer2)                    # Layer III only


# -- garbage and resynchronisation ----------------------------------------------------

def test_garbage_is_skipped_up_to_three_consecutive_frames():
    garbage = b"junk\xff\x00\xff\xfb" + bytes(50)               # two false candidates
    events = parse_all(garbage + mpeg_frame() * 4)
    assert len(frames_of(events)) == 4
    pieces = parse_all(garbage + mpeg_frame() * 4, [5] * 400)
    assert shape(pieces) == shape(events)
    # As Chromium, confirming wants a byte past the third frame.
    assert frames_of(parse_all(garbage + mpeg_frame() * 3)) == []


def test_resync_waits_for_three_frames_before_trusting_a_candidate():
    parser = MpegAudioParser()
    parser.feed(memoryview(b"garbage" + mpeg_frame() * 2))
    assert frames_of(list(parser.parse())) == []
    assert parser.buffered_bytes == 2 * 417                     # the garbage is dropped
    parser.feed(memoryview(mpeg_frame() + b"\x00"))
    assert len(frames_of(list(parser.parse()))) == 3


def test_garbage_without_any_candidate_is_dropped_not_buffered():
    parser = MpegAudioParser()
    parser.feed(memoryview(b"\x00" * 100_000))
    assert list(parser.parse()) == [] and parser.buffered_bytes == 0


def test_adts_garbage_resync():
    data = b"\x00\x01\x02" + adts_frame() * 4
    assert len(frames_of(parse_all(data, adts=True))) == 4


# -- registry and errors --------------------------------------------------------------

def test_registry():
    assert support("audio/mpeg") == "audio/mpeg" and support("audio/aac") == "audio/aac"
    # As Chromium: these types take no codecs parameter (their codec is implicit).
    assert support('audio/mpeg; codecs="mp3"') is None
    assert support('audio/aac; codecs="mp4a.40.2"') is None
    assert generates_timestamps("audio/mpeg") and generates_timestamps("audio/aac")
    mp3, aac = parser_for("audio/mpeg"), parser_for("audio/aac")
    assert isinstance(mp3, MpegAudioParser) and mp3.generate_timestamps
    assert len(frames_of(run(aac, adts_frame()))) == 1
    with pytest.raises(ParseError, match="reserved layer"):      # ADTS is not MPEG audio
        run(mp3, adts_frame() * 4)


def test_after_an_error_parse_keeps_failing_until_reset():
    parser = MpegAudioParser()
    with pytest.raises(ParseError):
        run(parser, mpeg_frame() + mpeg_header(layer=0))
    parser.feed(memoryview(mpeg_frame()))
    with pytest.raises(ParseError):
        list(parser.parse())
    parser.reset()
    assert parser.buffered_bytes == 0
    events = run(parser, mpeg_frame())
    assert inits_of(events) == []                               # same configuration: kept
    assert [f.pts for f in frames_of(events)] == [0]


# -- real files -----------------------------------------------------------------------

def load(name):
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_matches_ffprobe(name):
    expected = EXPECTED[name]
    data = load(name)
    adts = name.endswith(".aac")
    events = parse_all(data, adts=adts)
    [init] = inits_of(events)
    config = init.tracks[0].config
    assert (config.sample_rate, config.channel_count) == (expected["sample_rate"],
                                                          expected["channels"])
    assert init.tracks[0].codec == {"mp3": "mp3", "mp2": "mp4a.6B", "aac": "mp4a.40.2"}[
        expected["codec_name"]]
    frames = frames_of(events)
    packets = expected["packets"]
    assert len(frames) == len(packets)
    # Same bytes as ffmpeg's demuxer (ADTS: without the header), times in exact samples.
    skip = 9 if "crc" in name else 7 if adts else 0
    assert [bytes(f.data) for f in frames] == [data[p[3] + skip:p[3] + p[2]] for p in packets]
    tick = Fraction(expected["time_base"])
    rate = expected["sample_rate"]
    assert [Fraction(f.duration, rate) for f in frames] == [p[1] * tick for p in packets]
    assert [Fraction(f.pts, rate) for f in frames] == [p[0] * tick for p in packets]
    assert all(f.is_rap for f in frames)
    assert PARSED.setdefault(name, shape(events)) == shape(events)


PARSED = {}


@pytest.mark.parametrize("name, pieces", [
    ("cbr_44k.mp3", [1] * 3000),
    ("vbr_22k_mono.mp3", [1] * 1795),
    ("adts_crc.aac", [7] * 1300),
    ("layer2_48k.mp2", None),
    ("adts_44k.aac", None),
])
def test_split_appends_give_the_same_result(name, pieces):
    data = load(name)
    adts = name.endswith(".aac")
    whole = shape(parse_all(data, adts=adts))
    if pieces is None:
        rng = random.Random(7)
        pieces = [rng.randint(1, 700) for _ in range(60)]
    assert shape(parse_all(data, pieces, adts=adts)) == whole


def test_concatenated_streams_report_each_configuration():
    events = parse_all(load("adts_44k.aac") + load("adts_22k_mono.aac"), adts=True)
    assert [(i.tracks[0].timescale, i.tracks[0].config.channel_count)
            for i in inits_of(events)] == [(44100, 2), (22050, 1)]
    assert len(frames_of(events)) == (len(EXPECTED["adts_44k.aac"]["packets"])
                                      + len(EXPECTED["adts_22k_mono.aac"]["packets"]))


SMALL = id3v2() + mpeg_frame() + b"TAG" + bytes(125) + b"junk" + mpeg_frame(padding_bit=1) * 3
SMALL_SHAPE = shape(parse_all(SMALL))


@given(st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_split_anywhere_gives_the_same_result(data):
    pieces = draw_pieces(data, len(SMALL), max_cuts=12, inner=True)
    assert shape(parse_all(SMALL, pieces)) == SMALL_SHAPE


FUZZ_SEEDS = [(SMALL, False), (load("vbr_22k_mono.mp3")[:1200], False),
              (load("adts_crc.aac")[:900], True), (b"ICY 200\r\n\r\n" + adts_frame() * 3, True)]


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_streams_only_raise_parse_error(data):
    seed, adts = data.draw(st.sampled_from(FUZZ_SEEDS))
    raw = draw_mutation(data, seed, flips=6,
                        words=[b"\xff\xff\xff\xff", b"ID3\x04", b"TAG+", b"ICY ", b"\xff\xf1\x50\x80"])
    pieces = draw_pieces(data, len(raw))
    parser = MpegAudioParser(adts)
    try:
        events = run(parser, raw, pieces)
    except ParseError:
        return
    for f in frames_of(events):
        assert isinstance(f, CodedFrame) and isinstance(f.data, memoryview)
        assert f.duration in (384, 576, 1024, 1152)
    assert parser.buffered_bytes <= 64 << 10


# -- through the engine ---------------------------------------------------------------

@pytest.mark.parametrize("name, mime", [("cbr_44k.mp3", "audio/mpeg"),
                                        ("adts_44k.aac", "audio/aac")])
def test_end_to_end_sequence_mode_and_duration(name, mime):
    pair = Pair()
    sb = pair.add("sb", mime, script=False)
    assert sb.mode == "sequence"
    with pytest.raises(TypeError):
        sb.mode = "segments"
    assert sb.mode == "sequence"
    data = load(name)
    half = len(data) // 2
    pair.append(sb, data[:half])
    pair.append(sb, data[half:])
    assert sb.last_error is None
    expected = float(EXPECTED[name]["duration"])
    [(start, end)] = ranges(sb.buffered)
    assert start == 0 and abs(end - expected) <= 1152 / 44100
    pair.ms.end_of_stream()
    pair.run()
    assert abs(pair.ms.duration - expected) <= 1152 / 44100
    assert pair.el.error is None


def test_end_to_end_timestamp_offset_places_the_next_append():
    pair = Pair()
    sb = pair.add("sb", "audio/mpeg", script=False)
    data = load("mpeg25_8k.mp3")
    pair.append(sb, data)
    sb.timestamp_offset = 10
    pair.append(sb, data)
    assert ranges(sb.buffered) == [(0, 1.152), (10, 11.152)]


def test_end_to_end_bad_header_is_a_decode_error():
    pair = Pair()
    sb = pair.add("sb", "audio/mpeg", script=False)
    pair.append(sb, mpeg_frame() + mpeg_header(bitrate_index=15) + bytes(500))
    assert "bitrate_index 15" in sb.last_error
    assert pair.el.error is not None and pair.el.error.code == 3     # MEDIA_ERR_DECODE


# -- through the engine (checked against Chromium: e2e/differential.test.mjs) ----------

@pytest.mark.parametrize("name, mime", [("adts_44k.aac", "audio/aac"), ("cbr_44k.mp3", "audio/mpeg")])
def test_an_append_window_trims_the_generated_timeline(name, mime):
    """Frames dropped by the append window still advance the generated timestamps
    (step 21 for them too); else every frame after the first one dropped would get its
    timestamp and be dropped as well, and nothing would be buffered."""
    pair = Pair()
    sb = pair.add("sb", mime, script=False)
    data = load(name)
    sb.append_window_start, sb.append_window_end = 0.5, 1.5
    pair.append(sb, data)
    [(start, end)] = ranges(sb.buffered)
    assert start == 0.5 and abs(end - 1.044898) < 1e-6       # Chromium: [0.5, 1.044897)
    assert abs(sb.timestamp_offset - end) < 1e-6        # (ranges() rounds to microseconds)


@pytest.mark.parametrize("name, mime", [("adts_44k.aac", "audio/aac"), ("cbr_44k.mp3", "audio/mpeg")])
def test_a_frame_trimmed_by_the_window_end_advances_the_timeline_by_its_whole_duration(name, mime):
    """Step 21 sets timestampOffset to the frame end timestamp (step 7), the coded
    frame's, when appendWindowEnd trims the frame: the next append follows the whole
    file, as Chromium's does (e2e differential "appendWindowEnd mid-stream, then the
    rest": 2 x 1.044898 s, where the trimmed end gave 2.068)."""
    data = load(name)
    whole = Pair()
    whole.append(whole.add("sb", mime, script=False), data)
    [(_, end)] = ranges(whole.ms.source_buffers[0].buffered)
    pair = Pair()
    sb = pair.add("sb", mime, script=False)
    sb.append_window_end = 1.0
    pair.append(sb, data)
    assert ranges(sb.buffered) == [(0, 1.0)]
    assert abs(sb.timestamp_offset - end) < 1e-6         # (ranges() rounds to microseconds)


@pytest.mark.parametrize("name, mime", [("adts_44k.aac", "audio/aac"), ("cbr_44k.mp3", "audio/mpeg")])
def test_change_type_to_the_same_type_takes_the_next_frame_header_as_init(name, mime):
    """changeType() wants an initialization segment next (its step 11); in these
    formats every frame header is one, reported again after changeType() even when the
    configuration is the one before."""
    pair = Pair()
    sb = pair.add("sb", mime, script=False)
    data = load(name)
    pair.append(sb, data)
    sb.change_type(mime)
    pair.append(sb, data)
    assert sb.last_error is None and pair.ms.ready_state == "open"
    [(start, end)] = ranges(sb.buffered)
    assert start == 0 and abs(end - 2 * 1.044898) < 1e-5
