"""The ISO BMFF byte stream parser (msepy.bytestream.isobmff).

Unit tests build boxes from annotated bytes (one comment per field, as ISO/IEC
14496-12 names them); real-file tests compare against what ffprobe reported about
the fixtures of tests/fixtures/make_mp4.sh (tests/fixtures/mp4/expected.json).
"""

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from msepy.bytestream import parser_for
from msepy.bytestream._types import (CodedFrame, CodedFrames, InitSegment, MediaSegmentEnd,
                                     MediaSegmentStart, ParseError)
from msepy.bytestream.isobmff import IsoBmffParser
from helpers import (coded_frames as frames_of, draw_mutation, draw_pieces, event_shape,
                     parse_pieces as run)

FIXTURES = Path(__file__).parent / "fixtures" / "mp4"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


# -- box builders -------------------------------------------------------------------

def u8(v): return v.to_bytes(1, "big")
def u16(v): return v.to_bytes(2, "big")
def i16(v): return v.to_bytes(2, "big", signed=True)
def u32(v): return v.to_bytes(4, "big")
def i32(v): return v.to_bytes(4, "big", signed=True)
def u64(v): return v.to_bytes(8, "big")


def box(type_: str, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return u32(8 + len(payload)) + type_.encode("latin-1") + payload


def full(type_: str, version: int, flags: int, *parts: bytes) -> bytes:
    return box(type_, u8(version), flags.to_bytes(3, "big"), *parts)


MATRIX = b"".join(map(u32, (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)))
AVCC = bytes([0x01, 0x64, 0x00, 0x1F, 0xFF,        # version, High, compat, level 3.1, 4-byte lengths
              0xE1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1F,  # 1 SPS
              0x01, 0x00, 0x02, 0x68, 0xEF])       # 1 PPS
ASC = bytes([0x11, 0x90])                          # AAC LC, 48000 Hz, stereo

FTYP = box("ftyp",
           b"iso6",                                # major_brand
           u32(0),                                 # minor_version
           b"iso6", b"mp41")                       # compatible_brands


def mvhd(timescale=1000, duration=0, version=0):
    times = u64(0) * 2 if version else u32(0) * 2  # creation_time, modification_time
    return full("mvhd", version, 0, times,
                u32(timescale),                    # timescale
                u64(duration) if version else u32(duration),  # duration
                u32(0x00010000),                   # rate 1.0
                u16(0x0100),                       # volume 1.0
                bytes(10),                         # reserved
                MATRIX,                            # matrix
                bytes(24),                         # pre_defined
                u32(3))                            # next_track_ID


def tkhd(track_ID, flags=0x000003, width=0, height=0):
    return full("tkhd", 0, flags,                  # track_enabled | track_in_movie
                u32(0), u32(0),                    # creation_time, modification_time
                u32(track_ID),                     # track_ID
                u32(0),                            # reserved
                u32(0),                            # duration
                bytes(8),                          # reserved
                u16(0), u16(0),                    # layer, alternate_group
                u16(0), u16(0),                    # volume, reserved
                MATRIX,                            # matrix
                u32(width << 16), u32(height << 16))  # width, height (16.16)


def language(code):
    return u16(sum((ord(c) - 0x60) << s for c, s in zip(code, (10, 5, 0))))


def mdhd(timescale, lang="und"):
    return full("mdhd", 0, 0,
                u32(0), u32(0),                    # creation_time, modification_time
                u32(timescale),                    # timescale
                u32(0),                            # duration
                language(lang),                    # pad(1) language(15), packed ISO-639-2/T
                u16(0))                            # pre_defined


def hdlr(handler_type):
    return full("hdlr", 0, 0,
                u32(0),                            # pre_defined
                handler_type.encode(),             # handler_type
                bytes(12),                         # reserved
                b"Some Handler\0")                 # name (not a label)


def visual_entry(fmt, width, height, *boxes):
    return box(fmt,
               bytes(6), u16(1),                   # reserved, data_reference_index
               u16(0), u16(0), bytes(12),          # pre_defined, reserved, pre_defined
               u16(width), u16(height),            # width, height
               u32(0x00480000), u32(0x00480000),   # horizresolution, vertresolution
               u32(0),                             # reserved
               u16(1),                             # frame_count
               bytes(32),                          # compressorname
               u16(0x0018), i16(-1),               # depth, pre_defined
               *boxes)


def avc1(width=320, height=240, *extra, fmt="avc1"):
    return visual_entry(fmt, width, height, box("avcC", AVCC), *extra)


def mp4a(channelcount=2, samplerate=48000, *, fmt="mp4a", extra=b""):
    esds = full("esds", 0, 0,
                bytes([0x03, 0x16,                 # ES_Descriptor, size 22
                       0x00, 0x01, 0x00,           # ES_ID, flags
                       0x04, 0x11,                 # DecoderConfigDescriptor, size 17
                       0x40, 0x15,                 # objectTypeIndication (MPEG-4 audio), streamType
                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  # bufferSizeDB, maxBitrate, avgBitrate
                       0x05, 0x02]), ASC)          # DecoderSpecificInfo, size 2: ASC
    return box(fmt,
               bytes(6), u16(1),                   # reserved, data_reference_index
               u32(0), u32(0),                     # reserved
               u16(channelcount), u16(16),         # channelcount, samplesize
               u16(0), u16(0),                     # pre_defined, reserved
               u32(samplerate << 16),              # samplerate (16.16)
               esds, extra)


def stbl(entry, stts=0, stco=0):
    return box("stbl",
               full("stsd", 0, 0, u32(1), entry),  # entry_count, sample entry
               full("stts", 0, 0, u32(stts), bytes(8 * stts)),  # entry_count (+ entries)
               full("stsc", 0, 0, u32(0)),         # entry_count
               full("stsz", 0, 0, u32(0), u32(0)),  # sample_size, sample_count
               full("stco", 0, 0, u32(stco), bytes(4 * stco)))  # entry_count (+ entries)


DREF = box("dinf", full("dref", 0, 0, u32(1),      # entry_count
                        full("url ", 0, 1)))       # flags 1: media data in this file


def trak(track_ID, handler, timescale, entry, *, edts=b"", lang="und", tkhd_flags=3,
         stts=0, stco=0, dinf=DREF, udta=b"", elng=b""):
    return box("trak", tkhd(track_ID, tkhd_flags), edts,
               box("mdia", mdhd(timescale, lang), hdlr(handler), elng,
                   box("minf", dinf, stbl(entry, stts, stco))),
               udta)


def trex(track_ID, duration=0, size=0, flags=0):
    return full("trex", 0, 0,
                u32(track_ID),                     # track_ID
                u32(1),                            # default_sample_description_index
                u32(duration),                     # default_sample_duration
                u32(size),                         # default_sample_size
                u32(flags))                        # default_sample_flags


VIDEO = 1
AUDIO = 2
VIDEO_TRAK = trak(VIDEO, "vide", 90000, avc1())
AUDIO_TRAK = trak(AUDIO, "soun", 48000, mp4a())
NON_SYNC = 0x01010000    # sample_depends_on 1, sample_is_non_sync_sample 1
SYNC = 0x02000000        # sample_depends_on 2 (depends on no other)


def moov(*traks, mvex=None, **mvhd_args):
    if mvex is None:
        mvex = box("mvex", trex(VIDEO), trex(AUDIO, duration=1024, flags=SYNC))
    return box("moov", mvhd(**mvhd_args), *traks, mvex)


def init(*traks, **kw):
    return FTYP + moov(*(traks or (VIDEO_TRAK, AUDIO_TRAK)), **kw)


def tfhd(track_ID, flags=0x020000, *values):
    return full("tfhd", 0, flags, u32(track_ID), *values)


def tfdt(baseMediaDecodeTime, version=1):
    return full("tfdt", version, 0,
                u64(baseMediaDecodeTime) if version else u32(baseMediaDecodeTime))


def trun(samples, data_offset, *, version=0, first_sample_flags=None):
    """samples: (duration, size, flags, composition offset) per sample; all four
    per-sample fields present (flags 0x000F01 or with first_sample_flags 0x000F05)."""
    flags = 0x000F01 | (0x04 if first_sample_flags is not None else 0)
    body = [u32(len(samples)),                     # sample_count
            i32(data_offset)]                      # data_offset
    if first_sample_flags is not None:
        body.append(u32(first_sample_flags))       # first_sample_flags
    for duration, size, sample_flags, cto in samples:
        body += [u32(duration),                    # sample_duration
                 u32(size),                        # sample_size
                 u32(sample_flags),                # sample_flags
                 i32(cto) if version else u32(cto)]  # sample_composition_time_offset
    return full("trun", version, flags, *body)


def segment(*trafs, version=0):
    """A moof + mdat with one trun per (track_ID, decode time, samples, payloads)
    traf, data laid out in traf order, default-base-is-moof."""
    def build(offsets):
        return box("moof", full("mfhd", 0, 0, u32(1)), *(
            box("traf", tfhd(tid), tfdt(t), trun(s, off, version=version))
            for (tid, t, s, _), off in zip(trafs, offsets)))
    sizes = [sum(len(p) for p in payloads) for *_, payloads in trafs]
    size = len(build([0] * len(trafs)))
    offsets = [size + 8 + sum(sizes[:i]) for i in range(len(trafs))]
    return build(offsets) + box("mdat", *(p for *_, payloads in trafs for p in payloads))


def moof_with(*traf_boxes):
    return box("moof", full("mfhd", 0, 0, u32(1)), *traf_boxes)


def audio_traf(t0, n, size=10, fill=0xAA):
    return (AUDIO, t0, [(1024, size, SYNC, 0)] * n, [bytes([fill + i]) * size for i in range(n)])


# -- helpers ------------------------------------------------------------------------

def parse_all(data, pieces=None):
    return run(IsoBmffParser(), data, pieces)


def shape(events):
    return event_shape(events, markers=True)


def error_of(data):
    with pytest.raises(ParseError) as info:
        parse_all(data)
    return str(info.value)


# -- initialization segment ---------------------------------------------------------

def test_registry_gives_the_isobmff_parser():
    parser = parser_for("video/mp4")
    assert isinstance(parser, IsoBmffParser)
    assert parser.generate_timestamps is False


def test_init_segment_tracks():
    [segment_event] = parse_all(init())
    video, audio = segment_event.tracks
    assert (video.track_id, video.kind, video.codec, video.timescale) == (1, "video", "avc1.64001f", 90000)
    assert video.config.description == AVCC
    assert (video.config.coded_width, video.config.coded_height) == (320, 240)
    assert video.config.display_width is None
    assert (audio.kind, audio.codec, audio.timescale) == ("audio", "mp4a.40.2", 48000)
    assert (audio.config.sample_rate, audio.config.channel_count) == (48000, 2)
    assert audio.config.description == ASC
    assert (video.language, video.label, video.default, video.encrypted) == ("und", "", True, False)
    assert segment_event.duration is None


def test_language_label_default_and_kind():
    udta = box("udta",
               box("name", b"Director's commentary"),  # track name
               full("kind", 0, 0, b"urn:mpeg:dash:role:2011\0", b"commentary\0"))
    track = trak(AUDIO, "soun", 48000, mp4a(), lang="fra", tkhd_flags=0x000002, udta=udta)
    [event] = parse_all(init(track))
    [audio] = event.tracks
    assert (audio.language, audio.label, audio.default, audio.kinds) == (
        "fra", "Director's commentary", False, ("commentary",))
    elng = full("elng", 0, 0, b"en-US\0")          # extended_language
    [event] = parse_all(init(trak(AUDIO, "soun", 48000, mp4a(), elng=elng)))
    assert event.tracks[0].language == "en-US"


@pytest.mark.parametrize("mvhd_args, mehd, expected", [
    ({"duration": 5000}, None, (5000, 1000)),
    ({"duration": 5000}, full("mehd", 0, 0, u32(7000)), (7000, 1000)),   # fragment_duration
    ({"duration": 0}, None, None),
    ({"duration": 0xFFFFFFFF}, None, None),                               # all ones: unknown
    ({"duration": 2**64 - 1, "version": 1}, None, None),
    ({"duration": 2**40, "version": 1, "timescale": 90000}, None, (2**40, 90000)),
])
def test_duration(mvhd_args, mehd, expected):
    mvex = box("mvex", *([mehd] if mehd else []), trex(AUDIO))
    [event] = parse_all(FTYP + moov(AUDIO_TRAK, mvex=mvex, **mvhd_args))
    assert event.duration == expected


def test_pasp_gives_the_display_size():
    pasp = box("pasp", u32(4), u32(3))             # hSpacing, vSpacing
    [event] = parse_all(init(trak(VIDEO, "vide", 90000, avc1(320, 240, pasp))))
    config = event.tracks[0].config
    assert (config.display_width, config.display_height) == (427, 240)


def test_encrypted_sample_entries_report_the_original_format():
    sinf = box("sinf",
               box("frma", b"avc1"),               # data_format (original)
               full("schm", 0, 0, b"cenc", u32(0x10000)),  # scheme_type, scheme_version
               box("schi", full("tenc", 0, 0, bytes(20))))
    asinf = box("sinf", box("frma", b"mp4a"))
    [event] = parse_all(init(trak(VIDEO, "vide", 90000, avc1(320, 240, sinf, fmt="encv")),
                             trak(AUDIO, "soun", 48000, mp4a(fmt="enca", extra=asinf))))
    video, audio = event.tracks
    assert (video.codec, video.encrypted) == ("avc1.64001f", True)
    assert (audio.codec, audio.encrypted) == ("mp4a.40.2", True)


def test_text_tracks_and_unknown_handlers():
    wvtt = box("wvtt", bytes(6), u16(1), box("vttC", b"WEBVTT"))
    meta = box("mett", bytes(6), u16(1))
    [event] = parse_all(init(trak(3, "text", 1000, wvtt), trak(4, "meta", 1000, meta)))
    [text] = event.tracks                          # the meta track is not exposed
    assert (text.kind, text.codec, text.config) == ("text", "wvtt", None)


def test_other_codecs_are_named_by_their_sample_entry():
    ac3 = box("ac-3", bytes(6), u16(1), bytes(8), u16(6), u16(16), bytes(4), u32(48000 << 16))
    [event] = parse_all(init(trak(AUDIO, "soun", 48000, ac3)))
    track = event.tracks[0]
    assert (track.codec, track.config.sample_rate, track.config.channel_count) == ("ac-3", 48000, 6)


def test_quicktime_sound_description_version_1():
    entry = box("mp4a", bytes(6), u16(1),
                u16(1), bytes(6),                  # sound version 1, revision, vendor
                u16(2), u16(16), bytes(4), u32(44100 << 16),
                bytes(16),                         # samples per packet, bytes per packet/frame/sample
                full("esds", 0, 0, bytes([0x03, 0x16, 0, 1, 0, 0x04, 0x11, 0x40, 0x15] + [0] * 11
                                         + [0x05, 0x02]), b"\x12\x10"))
    [event] = parse_all(init(trak(AUDIO, "soun", 44100, entry)))
    assert event.tracks[0].config.sample_rate == 44100


def test_boxes_before_moov_are_ignored():
    before = (box("free", bytes(100)) + box("pdin", bytes(8)) + box("sidx", bytes(24))
              + box("uuid", bytes(16), b"payload"))
    [event] = parse_all(before + init())
    assert isinstance(event, InitSegment)


@pytest.mark.parametrize("data, message", [
    (init(trak(VIDEO, "vide", 90000, avc1(), stts=1)), "stts: track 1 has samples"),
    (init(trak(VIDEO, "vide", 90000, avc1(), stco=2)), "stco: track 1 has samples"),
    (FTYP + box("moov", mvhd(), VIDEO_TRAK), "no mvex"),
    (FTYP + box("moov", VIDEO_TRAK, box("mvex", trex(1))), "no mvhd"),
    (init(trak(VIDEO, "vide", 90000, avc1(),
               dinf=box("dinf", full("dref", 0, 0, u32(1), full("url ", 0, 0, b"http://x\0"))))),
     "external data references"),
    (init(trak(VIDEO, "vide", 0, avc1())), "mdhd: timescale 0"),
    (init(trak(VIDEO, "vide", 90000, visual_entry("avc1", 320, 240))), "avc1: sample entry without its avcC"),
    (init(VIDEO_TRAK, VIDEO_TRAK), "two tracks with track_ID 1"),
    (init(trak(VIDEO, "vide", 90000, avc1(fmt="encv"))), "encv: no sinf/frma"),
])
def test_init_segment_errors(data, message):
    assert message in error_of(data)


# -- media segments -----------------------------------------------------------------

def test_annotated_moof_trun_fields():
    """One traf exercising tfhd defaults, first_sample_flags and a version 1 trun
    with negative composition offsets; the frames come out in decode order."""
    payload = bytes(range(1, 31))
    moof_size = 8 + 16 + 8 + 28 + 20 + 36        # moof, mfhd, traf, tfhd, tfdt, trun
    moof = box("moof",
               full("mfhd", 0, 0, u32(7)),                  # sequence_number
               box("traf",
                   full("tfhd", 0, 0x020038,                # default-base-is-moof | duration | size | flags
                        u32(VIDEO),                         # track_ID
                        u32(3000),                          # default_sample_duration
                        u32(10),                            # default_sample_size
                        u32(NON_SYNC)),                     # default_sample_flags
                   full("tfdt", 1, 0, u64(90000)),          # baseMediaDecodeTime (1 s)
                   full("trun", 1, 0x000805,                # data-offset | first-sample-flags | cto
                        u32(3),                             # sample_count
                        i32(moof_size + 8),                 # data_offset (moof start → mdat payload)
                        u32(SYNC),                          # first_sample_flags
                        i32(3000),                          # sample_composition_time_offset[0]
                        i32(6000),                          # [1]
                        i32(-3000))))                       # [2] negative (version 1)
    assert len(moof) == moof_size
    events = parse_all(init() + moof + box("mdat", payload))
    assert [type(e) for e in events] == [InitSegment, MediaSegmentStart, CodedFrames, MediaSegmentEnd]
    assert [(f.pts, f.dts, f.duration, f.is_rap, bytes(f.data)) for f in frames_of(events)] == [
        (93000, 90000, 3000, True, payload[0:10]),
        (99000, 93000, 3000, False, payload[10:20]),
        (93000, 96000, 3000, False, payload[20:30]),
    ]


def test_version_0_trun_offsets_are_unsigned():
    data = init() + segment((VIDEO, 0, [(3000, 4, SYNC, 0xFFFFF000)], [b"abcd"]), version=0)
    [frame] = frames_of(parse_all(data))
    assert frame.pts == 0xFFFFF000


def test_trex_defaults_apply_when_tfhd_has_none():
    moof_size = 8 + 16 + 8 + 16 + 16 + 28        # moof, mfhd, traf, tfhd, tfdt, trun
    moof = box("moof", full("mfhd", 0, 0, u32(1)),
               box("traf",
                   full("tfhd", 0, 0x020000, u32(AUDIO)),   # default-base-is-moof only
                   full("tfdt", 0, 0, u32(2048)),           # baseMediaDecodeTime (version 0)
                   full("trun", 0, 0x000201,                # data-offset | sample-size
                        u32(2),                             # sample_count
                        i32(moof_size + 8),                 # data_offset
                        u32(3), u32(5))))                   # sample_size[0], [1]
    assert len(moof) == moof_size
    frames = frames_of(parse_all(init() + moof + box("mdat", b"abcdefgh")))
    # trex: default_sample_duration 1024, default_sample_flags sync
    assert [(f.dts, f.duration, f.is_rap, bytes(f.data)) for f in frames] == [
        (2048, 1024, True, b"abc"), (3072, 1024, True, b"defgh")]


def test_several_truns_without_data_offset_are_contiguous():
    run1 = full("trun", 0, 0x000201, u32(1), i32(0), u32(2))   # data_offset patched below
    run2 = full("trun", 0, 0x000200, u32(2), u32(3), u32(1))   # no data_offset: after run1
    traf = box("traf", tfhd(AUDIO), tfdt(0), run1, run2)
    moof = box("moof", full("mfhd", 0, 0, u32(1)), traf)
    moof = moof.replace(run1, full("trun", 0, 0x000201, u32(1), i32(len(moof) + 8), u32(2)))
    frames = frames_of(parse_all(init() + moof + box("mdat", b"aabbbc")))
    assert [(f.dts, bytes(f.data)) for f in frames] == [(0, b"aa"), (1024, b"bbb"), (2048, b"c")]


def test_later_traf_without_default_base_is_moof_follows_the_previous_trafs_data():
    traf1 = box("traf", tfhd(AUDIO, 0), tfdt(0), trun([(1024, 2, SYNC, 0)], 0))
    traf2 = box("traf", tfhd(VIDEO, 0), tfdt(0), full("trun", 0, 0x000200, u32(1), u32(3)))
    moof = box("moof", full("mfhd", 0, 0, u32(1)), traf1, traf2)
    traf1_fixed = box("traf", tfhd(AUDIO, 0), tfdt(0), trun([(1024, 2, SYNC, 0)], len(moof) + 8))
    moof = moof.replace(traf1, traf1_fixed)
    frames = frames_of(parse_all(init() + moof + box("mdat", b"aavvv")))
    assert [(f.track_id, bytes(f.data)) for f in frames] == [(AUDIO, b"aa"), (VIDEO, b"vvv")]


def test_multiplexed_frames_in_byte_order_and_decode_order_per_track():
    video = (VIDEO, 0, [(3000, 3, SYNC, 0), (3000, 3, NON_SYNC, 0)], [b"v00", b"v01"])
    events = parse_all(init() + segment(video, audio_traf(0, 2)))
    assert [(f.track_id, f.dts) for f in frames_of(events)] == [
        (VIDEO, 0), (VIDEO, 3000), (AUDIO, 0), (AUDIO, 1024)]


def test_runs_stored_out_of_order_still_come_out_in_decode_order():
    # Two truns of one track; the second run's data sits before the first's.
    run_a = lambda off: full("trun", 0, 0x000301, u32(1), i32(off), u32(1024), u32(2))
    run_b = lambda off: full("trun", 0, 0x000301, u32(1), i32(off), u32(1024), u32(2))
    build = lambda a, b: box("moof", full("mfhd", 0, 0, u32(1)),
                             box("traf", tfhd(AUDIO), tfdt(0), run_a(a), run_b(b)))
    size = len(build(0, 0))
    moof = build(size + 8 + 2, size + 8)               # run A data after run B data
    frames = frames_of(parse_all(init() + moof + box("mdat", b"BBAA")))
    assert [(f.dts, bytes(f.data)) for f in frames] == [(0, b"AA"), (1024, b"BB")]


def test_several_mdats_and_boxes_between_them():
    # Two truns: the first sample in a first mdat, the second in a second mdat that
    # follows a free box.
    free = box("free", bytes(5))
    build = lambda first, second: moof_with(box("traf", tfhd(AUDIO), tfdt(0),
                                                full("trun", 0, 0x000201, u32(1), i32(first), u32(4)),
                                                full("trun", 0, 0x000201, u32(1), i32(second), u32(4))))
    size = len(build(0, 0))
    moof = build(size + 8, size + 8 + 4 + len(free) + 8)
    data = init() + moof + box("mdat", b"1111") + free + box("mdat", b"2222") + box("free")
    events = parse_all(data)
    assert [bytes(f.data) for f in frames_of(events)] == [b"1111", b"2222"]
    assert isinstance(events[-1], MediaSegmentEnd)


def test_sdtp_supplies_sample_depends_on():
    # trun flags say "unknown" dependency and sync: sdtp says sample 1 depends on others.
    sdtp = full("sdtp", 0, 0, bytes([0b00_10_00_00, 0b00_01_00_00]))  # is_leading, sample_depends_on, ...
    build = lambda off: box("moof", full("mfhd", 0, 0, u32(1)), box("traf", tfhd(VIDEO), tfdt(0),
                            trun([(3000, 2, 0, 0), (3000, 2, 0, 0)], off), sdtp))
    moof = build(len(build(0)) + 8)
    frames = frames_of(parse_all(init() + moof + box("mdat", b"\0\0\0\0")))
    assert [f.is_rap for f in frames] == [True, False]


def test_h264_idr_in_the_bitstream_overrides_the_sample_flags():
    idr = b"\x00\x00\x00\x02\x65\x88"                # NAL length 2, nal_unit_type 5 (IDR)
    non_idr = b"\x00\x00\x00\x02\x41\x9A"            # nal_unit_type 1
    video = (VIDEO, 0, [(3000, 6, NON_SYNC, 0), (3000, 6, SYNC, 0)], [idr, non_idr])
    frames = frames_of(parse_all(init() + segment(video)))
    assert [f.is_rap for f in frames] == [True, False]


def test_video_sync_sample_that_depends_on_others_is_not_a_rap():
    video = (VIDEO, 0, [(3000, 2, 0x01000000, 0)], [b"\0\0"])
    audio = (AUDIO, 0, [(1024, 2, 0x01000000, 0)], [b"\0\0"])
    frames = frames_of(parse_all(init() + segment(video, audio)))
    assert [(f.track_id, f.is_rap) for f in frames] == [(VIDEO, False), (AUDIO, True)]


def test_top_level_boxes_between_segments_are_ignored():
    between = (box("emsg", bytes(30)) + box("prft", bytes(20)) + box("sidx", bytes(24))
               + box("free") + box("skip", bytes(3)) + box("udta") + box("zzzz", bytes(9))
               + box("styp", b"msdh", u32(0), b"msdh"))
    events = parse_all(init() + between + segment(audio_traf(0, 2)) + between
                       + segment(audio_traf(2048, 2)) + between)
    assert [type(e).__name__ for e in events] == [
        "InitSegment", "MediaSegmentStart", "CodedFrames", "MediaSegmentEnd",
        "MediaSegmentStart", "CodedFrames", "MediaSegmentEnd"]


def test_a_huge_unknown_box_is_skipped_without_buffering():
    parser = IsoBmffParser()
    run(parser, init())
    parser.feed(memoryview(u32(1) + b"junk" + u64(16 + 3 * 1_000_000)))  # largesize
    for _ in range(3):
        parser.feed(memoryview(bytes(1_000_000)))
        assert list(parser.parse()) == []
        assert parser.buffered_bytes == 0
    events = run(parser, segment(audio_traf(0, 1)))
    assert len(frames_of(events)) == 1


def test_largesize_mdat_and_trailing_size_0_mdat():
    seg = segment(audio_traf(0, 2))
    moof_len = int.from_bytes(seg[:4], "big")
    moof, mdat_payload = seg[:moof_len], seg[moof_len + 8:]
    # A largesize header is 8 bytes longer: move the data offsets accordingly.
    large = moof.replace(i32(moof_len + 8), i32(moof_len + 16))
    large_mdat = u32(1) + b"mdat" + u64(16 + len(mdat_payload)) + mdat_payload
    assert [bytes(f.data) for f in frames_of(parse_all(init() + large + large_mdat))] == [
        b"\xaa" * 10, b"\xab" * 10]
    # size 0: the mdat extends to the end of the stream; the segment ends with its last sample.
    events = parse_all(init() + moof + u32(0) + b"mdat" + mdat_payload + b"trailing junk")
    assert isinstance(events[-1], MediaSegmentEnd) and len(frames_of(events)) == 2


def test_second_init_segment_after_media_segments():
    data = init() + segment(audio_traf(0, 1)) + init(AUDIO_TRAK) + segment(audio_traf(1024, 1))
    events = parse_all(data)
    assert [type(e).__name__ for e in events] == [
        "InitSegment", "MediaSegmentStart", "CodedFrames", "MediaSegmentEnd",
        "InitSegment", "MediaSegmentStart", "CodedFrames", "MediaSegmentEnd"]


def test_frames_are_emitted_as_their_bytes_arrive():
    data = init(AUDIO_TRAK) + segment(audio_traf(0, 3))
    parser = IsoBmffParser()
    end_of_second = len(data) - 10
    events = run(parser, data[:end_of_second - 1])
    assert len(frames_of(events)) == 1 and not isinstance(events[-1], MediaSegmentEnd)
    assert isinstance(events[1], MediaSegmentStart)
    events = run(parser, data[end_of_second - 1:end_of_second])
    assert [f.dts for f in frames_of(events)] == [1024]
    events = run(parser, data[end_of_second:])
    assert [type(e) for e in events] == [CodedFrames, MediaSegmentEnd]


def test_media_segment_start_is_signalled_at_the_moof_header():
    parser = IsoBmffParser()
    seg = segment(audio_traf(0, 1))
    assert type(run(parser, init() + seg[:8])[-1]) is MediaSegmentStart
    assert [type(e) for e in run(parser, seg[8:])] == [CodedFrames, MediaSegmentEnd]


def test_muxed_audio_and_video_frames_wait_for_the_whole_fragment():
    """Chromium's MP4StreamParser hands out a muxed fragment's samples once the data
    of all of them has arrived, so they are one batch, in decode order across the
    tracks; a fragment of one kind of track goes out as its bytes arrive (above)."""
    seg = segment(audio_traf(0, 3))
    parser = IsoBmffParser()
    events = run(parser, init() + seg[:-1])
    assert not frames_of(events) and not isinstance(events[-1], MediaSegmentEnd)
    events = run(parser, seg[-1:])
    assert [f.dts for f in frames_of(events)] == [0, 1024, 2048]
    assert isinstance(events[-1], MediaSegmentEnd)


def test_a_muxed_fragment_past_max_whole_goes_out_as_its_bytes_arrive(monkeypatch):
    # (A bogus sample offset in a size-0 mdat would otherwise hold every later byte.)
    import msepy.bytestream.isobmff as module
    seg = segment(audio_traf(0, 3))
    monkeypatch.setattr(module, "MAX_WHOLE", len(seg) - 40)
    parser = IsoBmffParser()
    assert [f.dts for f in frames_of(run(parser, init() + seg[:-1]))] == [0, 1024]


def test_frames_are_zero_copy_slices_of_the_appended_buffer():
    data = init(AUDIO_TRAK) + segment(audio_traf(0, 2))
    assert all(f.data.obj is data for f in frames_of(parse_all(data)))  # one append
    head, tail = data[:-5], data[-5:]              # the 2nd sample straddles two appends
    parser = IsoBmffParser()
    parser.feed(memoryview(head))
    [first] = frames_of(list(parser.parse()))
    parser.feed(memoryview(tail))
    [second] = frames_of(list(parser.parse()))
    assert first.data.obj is head
    assert second.data.obj is not head and second.data.obj is not tail  # joined once
    assert bytes(second.data) == b"\xab" * 10
    # An append ending right after the mdat header: the samples are still views.
    payload_start = len(data) - 20
    parser, tail = IsoBmffParser(), data[payload_start:]
    run(parser, data[:payload_start])
    parser.feed(memoryview(tail))
    assert all(f.data.obj is tail for f in frames_of(list(parser.parse())))


# -- edit lists ---------------------------------------------------------------------

def elst(*entries, version=0):
    body = [u32(len(entries))]                     # entry_count
    for segment_duration, media_time in entries:
        if version:
            body += [u64(segment_duration), i32(media_time >> 32) + u32(media_time & 0xFFFFFFFF)]
        else:
            body += [u32(segment_duration),        # segment_duration (movie timescale)
                     i32(media_time)]              # media_time (media timescale)
        body += [i16(1), i16(0)]                   # media_rate_integer, media_rate_fraction
    return box("edts", full("elst", version, 0, *body))


def test_single_edit_shifts_pts_by_media_time():
    # As Chromium's TrackRunIterator: the composition times move, the decode times stay
    # at the tfdt's (the order of a muxed fragment's frames across tracks is by decode
    # time, so moving them too would change which frame starts a coded frame group;
    # checked by e2e/differential.test.mjs on h264_aac_elst.mp4).
    track = trak(VIDEO, "vide", 90000, avc1(), edts=elst((0, 6000)))
    video = (VIDEO, 0, [(3000, 2, SYNC, 6000), (3000, 2, NON_SYNC, 0)], [b"\0\0", b"\0\0"])
    events = parse_all(init(track) + segment(video))
    assert events[0].tracks[0].timescale == 90000
    assert [(f.pts, f.dts) for f in frames_of(events)] == [(0, 0), (-3000, 3000)]


def test_an_empty_edit_and_the_entries_after_the_first_are_ignored():
    # Chromium's TrackRunIterator reads the first entry only and ignores an empty one
    # (checked: h264_aac_elst.mp4 in e2e/differential.test.mjs); ffmpeg would delay
    # the track by 478 ms and then trim 1024 ticks.
    track = trak(AUDIO, "soun", 44100, mp4a(samplerate=44100),
                 edts=elst((478, -1), (0, 1024), version=1))
    events = parse_all(init(track) + segment(audio_traf(1024, 2)))
    assert events[0].tracks[0].timescale == 44100
    assert [(f.pts, f.dts, f.duration) for f in frames_of(events)] == [
        (1024, 1024, 1024), (2048, 2048, 1024)]


def test_edits_with_another_rate_are_not_applied():
    body = [u32(1), u32(0), i32(500), i16(2), i16(0)]  # media_rate_integer 2
    track = trak(AUDIO, "soun", 48000, mp4a(), edts=box("edts", full("elst", 0, 0, *body)))
    [frame] = frames_of(parse_all(init(track) + segment(audio_traf(0, 1))))
    assert frame.pts == 0


# -- errors -------------------------------------------------------------------------

@pytest.mark.parametrize("media, message", [
    (moof_with(), "moof: no traf"),
    (moof_with(box("traf", tfhd(AUDIO), trun([(1, 1, 0, 0)], 100))), "moof: traf without tfdt"),
    (moof_with(box("traf", tfdt(0))), "traf: no tfhd"),
    (moof_with(box("traf", tfhd(AUDIO, 0x000001, u64(0)), tfdt(0))), "base-data-offset-present"),
    (moof_with(box("traf", tfhd(9), tfdt(0))), "track_ID 9 is not a track"),
    (moof_with(box("traf", tfhd(AUDIO), tfdt(0), trun([(1, 4, 0, 0)], 8))), "lies inside the moof"),
    (moof_with(box("traf", tfhd(AUDIO), tfdt(0),
                   full("trun", 0, 0x000200, u32(1000), u32(1)))), "trun: sample_count 1000"),
    (moof_with(box("traf", tfhd(AUDIO), tfdt(0),              # no per-sample fields: all defaults
                   full("trun", 0, 0, u32(1 << 20)))), "more than 262144 samples"),
    (moof_with(box("traf", tfhd(AUDIO), tfdt(0), trun([(1, 1, 0x03000000, 0)], 200))),
     "reserved sample_depends_on"),
    (box("moof", u32(100) + b"traf"), "'traf' in moof: box size 100 runs past the end"),
    (box("moof", u32(4) + b"traf"), "smaller than its header"),
    (box("moov", u32(0) + b"trak"), "box size 0 is only allowed for a top-level box"),
    (u32(0) + b"moof", "box size 0 is only allowed for a trailing mdat"),
    (u32(0) + b"free", "box size 0 is only allowed for a trailing mdat"),
    (u32(1) + b"moof" + u64(2**62), "larger than the 64 MiB accepted"),
])
def test_media_segment_errors(media, message):
    assert message in error_of(init() + media)


def test_moof_before_moov_is_an_error():
    assert "before any initialization segment" in error_of(segment(audio_traf(0, 1)))


def test_mdat_that_does_not_hold_every_sample():
    seg = segment(audio_traf(0, 2))
    moof_len = int.from_bytes(seg[:4], "big")
    short_mdat = box("mdat", seg[moof_len + 8:-5])
    assert "runs past the end of the mdat" in error_of(init() + seg[:moof_len] + short_mdat)
    assert "do not hold every sample" in error_of(init() + seg[:moof_len] + seg)
    # Data pointing into a box that is not an mdat.
    free = box("free", bytes(20))
    assert "outside the mdat" in error_of(init() + seg[:moof_len] + free + box("mdat", bytes(20)))


def test_overlapping_samples_are_an_error():
    build = lambda off: moof_with(box("traf", tfhd(AUDIO), tfdt(0), trun([(1, 4, 0, 0)], off),
                                      trun([(1, 4, 0, 0)], off + 2)))
    moof = build(len(build(0)) + 8)
    assert "overlapping another sample" in error_of(init() + moof + box("mdat", bytes(6)))


def test_deep_nesting_is_an_error_not_a_crash():
    nested = b""
    for _ in range(200):
        nested = box("traf", nested)
    assert "nested more than" in error_of(init() + box("moof", box("traf", box("sinf", nested))))
    assert "moof: no traf" in error_of(init() + box("moof", box("junk", nested)))


def test_after_an_error_parse_keeps_failing_until_reset():
    parser = IsoBmffParser()
    with pytest.raises(ParseError):
        run(parser, init() + moof_with())
    parser.feed(memoryview(segment(audio_traf(0, 1))))
    with pytest.raises(ParseError):
        list(parser.parse())
    parser.reset()
    assert parser.buffered_bytes == 0
    events = run(parser, segment(audio_traf(0, 1)))   # the moov's tracks are kept
    assert len(frames_of(events)) == 1


def test_frames_before_an_error_are_handed_out_first():
    """The segment parser loop processes the coded frames it has parsed before a
    byte stream error ends the append (MSE "Segment Parser Loop")."""
    seg = bytearray(segment(audio_traf(0, 3)))    # three 10-byte samples …
    mdat = len(seg) - 38
    seg[mdat:mdat + 4] = u32(8 + 25)               # … and an mdat that ends inside the third
    parser = IsoBmffParser()
    parser.feed(memoryview(init() + bytes(seg[:mdat + 33])))
    events = []
    with pytest.raises(ParseError):
        for event in parser.parse():
            events.append(event)
    assert len(frames_of(events)) == 2


# -- real files ---------------------------------------------------------------------

def load(name):
    return (FIXTURES / f"{name}.mp4").read_bytes()


EMPTY_EDIT_TICKS = {("h264_aac_elst", 2): 478 * 48000 // 1000}
"""The delay of a leading empty edit, in the track's ticks: 478 ms at 48 kHz."""
EDIT_MEDIA_TIME = {("h264_aac_elst", 1): 1024}
"""The media_time of a track's (first, non-empty) edit, in its ticks."""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_matches_ffprobe(name):
    expected = EXPECTED[name]
    data = load(name)
    events = parse_all(data)
    [init_event] = [e for e in events if isinstance(e, InitSegment)]
    assert [t.codec for t in init_event.tracks] == expected["codecs"]
    starts = sum(isinstance(e, MediaSegmentStart) for e in events)
    assert starts == sum(isinstance(e, MediaSegmentEnd) for e in events) >= 1
    frames = frames_of(events)
    tracks = {t.track_id: t for t in init_event.tracks}
    for stream in expected["streams"]:
        track = tracks[stream["id"]]
        assert f"1/{track.timescale}" == stream["time_base"]
        if track.kind == "video":
            assert (track.config.coded_width, track.config.coded_height) == (stream["width"], stream["height"])
        else:
            assert track.config.sample_rate == stream["sample_rate"]
            assert track.config.channel_count == stream["channels"]
        assert track.language == stream["language"]
        mine = [f for f in frames if f.track_id == stream["id"]]
        packets = stream["packets"]
        assert len(mine) == len(packets)
        # Same bytes (ffprobe's pos/size), dts and keyframes as ffmpeg's demuxer.
        assert [bytes(f.data) for f in mine] == [data[p[4]:p[4] + p[3]] for p in packets]
        # ffmpeg honours a leading empty edit (a delay); Chromium and msepy do not
        # (``_moov.edit_list_shift``): h264_aac_elst's audio is 478 ms later in ffprobe.
        delay = EMPTY_EDIT_TICKS.get((name, stream["id"]), 0)
        packets = [[p[0] - delay, p[1] - delay, *p[2:]] for p in packets]
        # ffmpeg moves the decode times by an edit's media_time too; Chromium and msepy
        # the presentation times only.
        edited = EDIT_MEDIA_TIME.get((name, stream["id"]), 0)
        packets = [[p[0], p[1] + edited, *p[2:]] for p in packets]
        assert [f.dts for f in mine] == [p[1] for p in packets]
        assert [f.is_rap for f in mine] == [p[5] for p in packets]
        # ffmpeg adds the largest negative composition offset of a version 1 trun
        # (its "dts_shift") to every pts; the byte stream format does not.
        shift = max([-f.pts + f.dts for f in mine] + [0]) if stream["codec_tag"] == "avc1" \
            and name == "h264_cmaf" else 0
        assert [f.pts + shift for f in mine] == [p[0] for p in packets]
        # ffprobe leaves some packet durations unknown and reports the last AAC
        # packet's full frame length; the trun's durations are what we report.
        for f, p in zip(mine[:-1], packets[:-1]):
            assert p[2] is None or f.duration == p[2]
        assert all(a.dts + a.duration == b.dts for a, b in zip(mine, mine[1:]))


def test_real_file_details():
    [event] = [e for e in parse_all(load("h264_aac_elst")) if isinstance(e, InitSegment)]
    assert event.tracks[1].label == "Commentary"
    [event] = [e for e in parse_all(load("h264_2997")) if isinstance(e, InitSegment)]
    config = event.tracks[0].config
    assert (config.coded_width, config.display_width, config.display_height) == (160, 213, 120)
    [event] = [e for e in parse_all(load("opus")) if isinstance(e, InitSegment)]
    assert event.tracks[0].config.description[:8] == b"OpusHead"
    [event] = [e for e in parse_all(load("flac")) if isinstance(e, InitSegment)]
    assert event.tracks[0].config.description[:4] == b"fLaC"


@pytest.mark.parametrize("name, pieces", [
    ("av1", [1] * 7000),
    ("opus", [1] * 2000 + [7] * 2000),
    ("h264_aac_elst", [7] * 10000),
    ("hevc", None),
])
def test_split_appends_give_the_same_result(name, pieces):
    data = load(name)
    whole = shape(parse_all(data))
    if pieces is None:
        rng = random.Random(1)
        pieces = [rng.randint(1, 3000) for _ in range(50)]
    assert shape(parse_all(data, pieces)) == whole


@given(st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_split_anywhere_gives_the_same_result(data):
    raw = SMALL_STREAM
    pieces = draw_pieces(data, len(raw), max_cuts=12, inner=True)
    assert shape(parse_all(raw, pieces)) == SMALL_SHAPE


SMALL_STREAM = (init() + box("free", bytes(3))
                + segment((VIDEO, 0, [(3000, 6, SYNC, 3000), (3000, 6, NON_SYNC, 0)],
                           [b"\0\0\0\x02\x65\x88", b"\0\0\0\x02\x41\x9a"]), audio_traf(0, 3))
                + segment(audio_traf(3072, 2)))
SMALL_SHAPE = shape(parse_all(SMALL_STREAM))


# -- hostile input ------------------------------------------------------------------

FUZZ_SEEDS = [SMALL_STREAM, load("av1")[:3000], load("opus")[:2500]]


def check_events(events):
    for e in events:
        if isinstance(e, InitSegment):
            assert all(t.timescale > 0 for t in e.tracks)
        elif isinstance(e, CodedFrames):
            for f in e.frames:
                assert isinstance(f, CodedFrame) and isinstance(f.data, memoryview)
                assert all(isinstance(v, int) for v in (f.pts, f.dts, f.duration))
        else:
            assert isinstance(e, (MediaSegmentStart, MediaSegmentEnd))


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_streams_only_raise_parse_error(data):
    raw = draw_mutation(data, data.draw(st.sampled_from(FUZZ_SEEDS)), flips=4, rewrites=3,
                        words=[b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x00\x00\x01",
                               b"\x80\x00\x00\x00"])  # size/count fields
    pieces = draw_pieces(data, len(raw))
    try:
        check_events(parse_all(raw, pieces))
    except ParseError:
        pass
