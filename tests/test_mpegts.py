"""The MPEG-2 TS byte stream parser (msepy.bytestream.mpegts).

Unit tests build transport packets, PSI sections, PES packets and H.264 parameter sets
from annotated bytes (field names as ISO/IEC 13818-1 and ITU-T H.264 give them);
real-file tests compare against what ffprobe reported about the fixtures of
tests/fixtures/make_ts.sh (tests/fixtures/ts/expected.json).
"""

import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from msepy.bytestream import parser_for, support
from msepy.bytestream import _es, mpegts
from msepy.bytestream._types import (CodedFrame, CodedFrames, InitSegment, MediaSegmentEnd,
                                     MediaSegmentStart, ParseError)
from msepy.bytestream.mpegts import MpegTsParser
from msepy.bytestream._ts import crc32_mpeg2
from helpers import (Pair, coded_frames as frames_of, draw_mutation, draw_pieces, event_shape,
                     init_segments as inits_of, parse_pieces as run, ranges)
from test_mpegaudio import adts_frame, mpeg_frame

FIXTURES = Path(__file__).parent / "fixtures" / "ts"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
WRAP = 1 << 33


# -- builders -------------------------------------------------------------------------

def packet(pid, payload=b"", pusi=False, cc=0, adaptation=None, tei=False, scrambling=0):
    """A transport_packet; a short payload is padded with adaptation field stuffing."""
    if adaptation is None and len(payload) < 184:
        adaptation = b""
    afc = (2 if adaptation is not None else 0) | (1 if payload else 0)
    header = bytes([
        0x47,                                       # sync_byte
        tei << 7 | pusi << 6 | pid >> 8,            # transport_error_indicator, payload_unit_start_indicator, priority, PID
        pid & 0xFF,                                 # PID (low 8 bits)
        scrambling << 6 | afc << 4 | cc,            # transport_scrambling_control, adaptation_field_control, continuity_counter
    ])
    if adaptation is not None:
        room = 184 - len(payload) - 1
        body = adaptation[:1] or (b"\x00" if room else b"")  # flags byte
        body += adaptation[1:]
        body += b"\xff" * (room - len(body))        # stuffing_byte
        header += bytes([room]) + body              # adaptation_field_length, adaptation_field
    out = header + payload
    assert len(out) == 188, len(out)
    return out


def section(table_id, table_id_extension, body, version=0, current=1):
    """A long-form PSI section with its CRC_32."""
    section_length = 5 + len(body) + 4
    head = bytes([
        table_id,                                   # table_id
        0xB0 | section_length >> 8,                 # section_syntax_indicator 1, '0', reserved, section_length
        section_length & 0xFF,
        table_id_extension >> 8, table_id_extension & 0xFF,  # transport_stream_id / program_number
        0xC0 | version << 1 | current,              # reserved, version_number, current_next_indicator
        0, 0,                                       # section_number, last_section_number
    ]) + body
    return head + crc32_mpeg2(head).to_bytes(4, "big")


def pat(programs=((1, 0x1000),), version=0):
    body = b"".join(bytes([n >> 8, n & 0xFF,        # program_number
                           0xE0 | pid >> 8, pid & 0xFF])  # reserved, program_map_PID
                    for n, pid in programs)
    return section(0x00, 1, body, version)


def pmt(streams=((0x1B, 0x100), (0x0F, 0x101)), PCR_PID=0x100, program=1, version=0,
        descriptors=None):
    descriptors = descriptors or {}
    body = bytes([0xE0 | PCR_PID >> 8, PCR_PID & 0xFF,  # reserved, PCR_PID
                  0xF0, 0x00])                      # reserved, program_info_length 0
    for stream_type, pid in streams:
        info = descriptors.get(pid, b"")
        body += bytes([stream_type,                 # stream_type
                       0xE0 | pid >> 8, pid & 0xFF,  # reserved, elementary_PID
                       0xF0 | len(info) >> 8, len(info) & 0xFF]) + info  # ES_info_length
    return section(0x02, program, body, version)


def psi(pid, sec, cc=0):
    payload = b"\x00" + sec                         # pointer_field 0, then the section
    return packet(pid, payload + b"\xff" * (184 - len(payload)), pusi=True, cc=cc)


def ts_time(prefix, t):
    t %= WRAP
    return bytes([prefix << 4 | (t >> 30) << 1 | 1,  # '0010'/'0011'/'0001', [32..30], marker_bit
                  (t >> 22) & 0xFF, ((t >> 15) & 0x7F) << 1 | 1,  # [29..15], marker_bit
                  (t >> 7) & 0xFF, (t & 0x7F) << 1 | 1])         # [14..0], marker_bit


def pes(pts, data, dts=None, stream_id=0xE0, length=True):
    times = ts_time(2, pts) if dts is None else ts_time(3, pts) + ts_time(1, dts)
    optional = bytes([0x80,                         # '10', PES_scrambling_control 0, ..., original
                      0x80 if dts is None else 0xC0,  # PTS_DTS_flags, other flags 0
                      len(times)]) + times          # PES_header_data_length, PTS (, DTS)
    size = len(optional) + len(data) if length else 0
    return b"\x00\x00\x01" + bytes([stream_id, size >> 8, size & 0xFF]) + optional + data


class Muxer:
    """Splits PES packets into transport packets with running continuity counters."""

    def __init__(self):
        self.cc = {}

    def __call__(self, pid, data, pusi=True, discontinuity=False):
        out = b""
        first = True
        while data or first:
            chunk, data = data[:184], data[184:]
            cc = self.cc.get(pid, -1) + 1 & 0xF
            self.cc[pid] = cc
            adaptation = b"\x80" if first and discontinuity else None
            if adaptation is not None:
                chunk, data = chunk[:182], chunk[182:] + data
            out += packet(pid, chunk, pusi=pusi and first, cc=cc, adaptation=adaptation)
            first = False
        return out


class Bits:
    """A bit writer for H.264 parameter sets: u(n), ue(v), se(v)."""

    def __init__(self):
        self.bits = ""

    def u(self, n, v):
        self.bits += format(v, f"0{n}b") if n else ""
        return self

    def ue(self, v):
        code = format(v + 1, "b")
        self.bits += "0" * (len(code) - 1) + code
        return self

    def se(self, v):
        return self.ue(2 * v - 1 if v > 0 else -2 * v)

    def rbsp(self):
        bits = self.bits + "1"                      # rbsp_stop_one_bit
        bits += "0" * (-len(bits) % 8)              # rbsp_alignment_zero_bit
        return int(bits, 2).to_bytes(len(bits) // 8, "big")


def baseline_sps():
    """320x240 Baseline, level 3.0."""
    return b"\x67" + (Bits()                        # nal_unit_type 7 (SPS), nal_ref_idc 3
        .u(8, 66)                                   # profile_idc (Baseline)
        .u(8, 0xC0)                                 # constraint_set0_flag, constraint_set1_flag, ...
        .u(8, 30)                                   # level_idc
        .ue(0)                                      # seq_parameter_set_id
        .ue(0)                                      # log2_max_frame_num_minus4
        .ue(2)                                      # pic_order_cnt_type
        .ue(1)                                      # max_num_ref_frames
        .u(1, 0)                                    # gaps_in_frame_num_value_allowed_flag
        .ue(19)                                     # pic_width_in_mbs_minus1: 20 MBs = 320
        .ue(14)                                     # pic_height_in_map_units_minus1: 15 = 240
        .u(1, 1)                                    # frame_mbs_only_flag
        .u(1, 1)                                    # direct_8x8_inference_flag
        .u(1, 0)                                    # frame_cropping_flag
        .u(1, 0)                                    # vui_parameters_present_flag
        .rbsp())


def high_sps():
    """High 4:2:0, 176x128 macroblocks cropped to 160x120, SAR 4:3 (VUI), a scaling
    matrix, pic_order_cnt_type 1: every optional branch the parser walks."""
    return b"\x67" + (Bits()
        .u(8, 100).u(8, 0).u(8, 13)                 # profile_idc High, constraints, level 1.3
        .ue(0)                                      # seq_parameter_set_id
        .ue(1)                                      # chroma_format_idc 4:2:0
        .ue(0).ue(0)                                # bit_depth_luma/chroma_minus8
        .u(1, 0)                                    # qpprime_y_zero_transform_bypass_flag
        .u(1, 1)                                    # seq_scaling_matrix_present_flag
        .u(1, 1).se(-8)                             # list 0 present: delta_scale -8 -> next 0
        .u(7, 0)                                    # lists 1-7 absent
        .ue(0)                                      # log2_max_frame_num_minus4
        .ue(1)                                      # pic_order_cnt_type 1
        .u(1, 0).se(-1).se(1)                       # delta_pic_order_always_zero, offsets
        .ue(2).se(3).se(-3)                         # num_ref_frames_in_pic_order_cnt_cycle, offsets
        .ue(4).u(1, 0)                              # max_num_ref_frames, gaps
        .ue(10)                                     # pic_width_in_mbs_minus1: 176
        .ue(7)                                      # pic_height_in_map_units_minus1: 128
        .u(1, 1).u(1, 1)                            # frame_mbs_only_flag, direct_8x8
        .u(1, 1)                                    # frame_cropping_flag
        .ue(0).ue(8).ue(0).ue(4)                    # crop left/right/top/bottom (x2 px)
        .u(1, 1)                                    # vui_parameters_present_flag
        .u(1, 1)                                    # aspect_ratio_info_present_flag
        .u(8, 14)                                   # aspect_ratio_idc 14: 4:3
        .rbsp())


AUD = b"\x00\x00\x00\x01\x09\xf0"                   # access_unit_delimiter, primary_pic_type 7
PPS = b"\x00\x00\x00\x01\x68\xce\x38\x80"


def idr(sps=None, size=40):
    return (AUD + b"\x00\x00\x00\x01" + (sps or baseline_sps()) + PPS
            + b"\x00\x00\x01\x65" + b"\x88" * size)  # nal_unit_type 5: IDR slice


def non_idr(size=20):
    return AUD + b"\x00\x00\x01\x41" + b"\x9a" * size  # nal_unit_type 1: non-IDR slice


def init(**pmt_args):
    return psi(0, pat()) + psi(0x1000, pmt(**pmt_args))


def video(mux, pts, dts, au, **kw):
    return mux(0x100, pes(pts, au, dts=dts, length=False), **kw)


def audio(mux, pts, frames, **kw):
    return mux(0x101, pes(pts, frames, stream_id=0xC0), **kw)


def parse_all(data, pieces=None):
    return run(MpegTsParser(), data, pieces)


shape = event_shape


def error_of(data):
    with pytest.raises(ParseError) as info:
        parse_all(data)
    return str(info.value)


def av_stream(n=4, start=90000, mux=None):
    """PAT, PMT, then ``n`` video frames (IDR first, 40 ms) and audio PES (ADTS 48 kHz
    mono, two frames each), interleaved."""
    mux = mux or Muxer()
    frame = adts_frame(sampling_frequency_index=3, channel_configuration=1)
    data = init()
    for i in range(n):
        t = start + 3600 * i
        data += video(mux, t + 3600, t, idr() if i == 0 else non_idr())
        data += audio(mux, t, frame + frame)
    return data


# -- CRC, packets ---------------------------------------------------------------------

def test_crc32_mpeg2():
    assert crc32_mpeg2(b"123456789") == 0x0376E6E7        # the CRC-32/MPEG-2 check value
    assert crc32_mpeg2(pat()) == 0                         # over a section with its CRC_32


def test_initialization_segment_waits_for_the_decoder_configurations():
    events = parse_all(av_stream())
    assert [type(e) for e in events][:2] == [InitSegment, MediaSegmentStart]
    [init_event] = inits_of(events)
    assert init_event.duration is None
    v, a = init_event.tracks
    assert (v.track_id, v.kind, v.codec, v.timescale) == (0x100, "video", "avc1.42c01e", 90000)
    assert (v.config.coded_width, v.config.coded_height, v.config.description) == (320, 240, None)
    assert (a.track_id, a.kind, a.codec, a.timescale) == (0x101, "audio", "mp4a.40.2", 720000)
    assert (a.config.sample_rate, a.config.channel_count) == (48000, 1)
    assert a.config.description == bytes.fromhex("1188")
    assert events[-1] == MediaSegmentEnd()


def test_frames_times_and_keyframes():
    events = parse_all(av_stream())
    vf = frames_of(events, 0x100)
    # The last access unit waits for the next PES of its PID (its duration).
    assert [(f.pts, f.dts, f.duration, f.is_rap) for f in vf] == [
        (93600, 90000, 3600, True), (97200, 93600, 3600, False), (100800, 97200, 3600, False)]
    assert bytes(vf[1].data) == non_idr()
    af = frames_of(events, 0x101)
    # Audio: 720000 ticks per second; the second frame of a PES follows the first.
    assert [(f.pts, f.duration, f.is_rap) for f in af][:3] == [
        (720000, 15360, True), (735360, 15360, True), (748800, 15360, True)]
    assert bytes(af[0].data) == b"\x21\x00\x49\x90"            # raw AAC, no ADTS header


@pytest.mark.parametrize("mutate, message", [
    (lambda p: b"\x46" + p[1:], "sync_byte 0x46"),
    (lambda p: p[:1] + bytes([p[1] | 0x80]) + p[2:], "transport_error_indicator"),
    (lambda p: p[:3] + bytes([p[3] & 0xCF]) + p[4:], "reserved adaptation_field_control"),
])
def test_packet_header_errors(mutate, message):
    data = av_stream()
    bad = mutate(data[376:564])
    assert message in error_of(data[:376] + bad + data[564:])


def test_an_incomplete_packet_loses_the_sync():
    data = av_stream()
    message = error_of(data[:751] + data[752:])                # the 4th packet: 187 bytes
    assert "expected 0x47 (incomplete or misaligned packet)" in message


def test_adaptation_field_past_the_packet():
    bad = bytearray(packet(0x100, b"\x00" * 100))
    bad[4] = 190                                               # adaptation_field_length
    assert "runs past the packet" in error_of(init() + bytes(bad))


def test_null_packets_and_unknown_pids_are_ignored():
    mux = Muxer()
    stuffing = packet(0x1FFF, b"\xff" * 184) + packet(0x555, b"\x00" * 184)
    data = av_stream(mux=mux)
    assert shape(parse_all(stuffing + data[:376] + stuffing + data[376:])) == shape(parse_all(data))


def test_scrambled_packets_are_an_error():
    data = init() + packet(0x100, pes(0, idr()), pusi=True, scrambling=2)
    assert "transport_scrambling_control" in error_of(data)


# -- PSI --------------------------------------------------------------------------------

def test_pat_with_two_programs_is_an_error():
    assert "2 programs" in error_of(psi(0, pat(((1, 0x1000), (2, 0x1001)))))


def test_pat_network_pid_entry_is_not_a_program():
    data = psi(0, pat(((0, 0x10), (1, 0x1000)))) + av_stream()[188:]
    assert len(inits_of(parse_all(data))) == 1


def test_psi_crc_mismatch():
    sec = bytearray(pmt())
    sec[-1] ^= 1
    assert "CRC_32 mismatch" in error_of(psi(0, pat()) + psi(0x1000, bytes(sec)))


def test_pmt_program_number_must_be_the_pats():
    assert "program_number 7" in error_of(psi(0, pat()) + psi(0x1000, pmt(program=7)))


def test_pmt_without_a_playable_stream():
    message = error_of(psi(0, pat()) + psi(0x1000, pmt(streams=((0x24, 0x100), (0x81, 0x101)))))
    assert "stream_types: 0x24, 0x81" in message


def test_pmt_before_pat_is_not_understood_yet():
    mux = Muxer()
    data = psi(0x1000, pmt()) + av_stream(mux=mux)[376:]       # no PAT: nothing to do
    assert parse_all(data) == []


def test_no_pat_within_the_bound_is_an_error(monkeypatch):
    monkeypatch.setattr(mpegts, "MAX_WITHOUT_PSI", 188 * 10)
    assert "no PAT in the first" in error_of(packet(0x100, b"\x00" * 184) * 11)


def test_sections_spanning_packets_and_stuffing():
    sec = pmt(streams=((0x1B, 0x100), (0x0F, 0x101)),
              descriptors={0x101: b"\x0a\x04fra\x00" + b"\x05\x04" + b"x" * 4 + b"\x00\x00" * 100})
    first = packet(0x1000, b"\x00" + sec[:183], pusi=True)
    rest = sec[183:] + b"\xff" * (184 - len(sec[183:]))
    data = psi(0, pat()) + first + packet(0x1000, rest, cc=1) + av_stream()[376:]
    [init_event] = inits_of(parse_all(data))
    assert [t.language for t in init_event.tracks] == ["und", "fra"]


def test_a_section_cut_short_by_the_next_is_an_error():
    sec = pmt()
    data = psi(0, pat()) + packet(0x1000, b"\x00" + sec[:10], pusi=True)
    # pointer_field 2: two more bytes end the first section (too few), then a new one.
    data += packet(0x1000, b"\x02" + sec[10:12] + sec, pusi=True, cc=1)
    assert "incomplete section" in error_of(data)


def test_repeated_psi_is_ignored_and_a_new_pmt_changes_the_tracks():
    mux = Muxer()
    frame = adts_frame(sampling_frequency_index=3, channel_configuration=1)
    data = av_stream(n=2, mux=mux) + init()                    # same PAT/PMT again: nothing
    data += psi(0x1000, pmt(streams=((0x1B, 0x100), (0x0F, 0x102)), version=1))
    data += video(mux, 100800, 97200, non_idr()) + mux(0x102, pes(97200, frame, stream_id=0xC0))
    data += mux(0x101, pes(99000, frame, stream_id=0xC0))     # the old PID: ignored now
    events = parse_all(data)
    inits = inits_of(events)
    assert [[t.track_id for t in i.tracks] for i in inits] == [[0x100, 0x101], [0x100, 0x102]]
    assert [f.track_id for f in frames_of(events)][-1] == 0x102
    assert not any(f.pts == 99000 * 8 for f in frames_of(events, 0x101))


def test_lowest_pid_of_each_kind_is_selected():
    mux = Muxer()
    frame = adts_frame(sampling_frequency_index=3, channel_configuration=1)
    data = init(streams=((0x0F, 0x105), (0x1B, 0x100), (0x03, 0x101), (0x1B, 0x200)))
    data += video(mux, 3600, 0, idr()) + mux(0x101, pes(0, mpeg_frame(), stream_id=0xC0))
    data += mux(0x105, pes(0, frame, stream_id=0xC0)) + video(mux, 7200, 3600, non_idr())
    [init_event] = inits_of(parse_all(data))
    assert [(t.track_id, t.codec) for t in init_event.tracks] == [(0x100, "avc1.42c01e"),
                                                                 (0x101, "mp3")]


# -- PES ------------------------------------------------------------------------------

def test_pes_without_pts_is_an_error():
    no_pts = b"\x00\x00\x01\xe0\x00\x00" + bytes([0x80, 0x00, 0x00]) + idr()
    assert "PES packet without a PTS" in error_of(init() + Muxer()(0x100, no_pts))


@pytest.mark.parametrize("change, message", [
    (lambda p: p[:7] + b"\x40" + p[8:], "forbidden PTS_DTS_flags '01'"),
    (lambda p: p[:9] + bytes([p[9] & 0xFE]) + p[10:], "PTS marker_bit"),
    (lambda p: p[:6] + b"\x40" + p[7:], "does not start with '10'"),
    (lambda p: b"\x00\x00\x02" + p[3:], "packet_start_code_prefix"),
    (lambda p: p[:3] + b"\xbe" + p[4:], "stream_id 0xbe carries no PTS"),
])
def test_pes_header_errors(change, message):
    bad = change(pes(90000, idr()))
    assert message in error_of(init() + Muxer()(0x100, bad))


def test_pes_cut_short_by_the_next_is_an_error():
    mux = Muxer()
    first = pes(0, adts_frame() * 100, stream_id=0xC0)         # declares its length ...
    data = init() + mux(0x101, first[:400])                    # ... but 400 bytes come
    data += mux(0x101, pes(9000, adts_frame(), stream_id=0xC0))
    assert "incomplete PES packet (400 of" in error_of(data)


def test_pes_longer_than_its_length_is_an_error():
    mux = Muxer()
    bad = bytearray(pes(0, adts_frame() * 30, stream_id=0xC0))
    bad[5] -= 20                                               # PES_packet_length too small
    assert "more than its PES_packet_length" in error_of(init() + mux(0x101, bytes(bad)))


def test_continuity_gap_inside_a_pes_is_an_error_and_a_duplicate_is_dropped():
    mux = Muxer()
    packets = mux(0x101, pes(0, adts_frame() * 40, stream_id=0xC0))
    p = [packets[i:i + 188] for i in range(0, len(packets), 188)]
    assert "continuity_counter jumps from 0 to 2" in error_of(init() + p[0] + b"".join(p[2:]))
    with_duplicate = init() + p[0] + p[1] + p[1] + b"".join(p[2:])
    assert shape(parse_all(with_duplicate)) == shape(parse_all(init() + packets))


def test_pes_header_split_across_packets():
    data = pes(0, adts_frame() * 3, stream_id=0xC0)
    split = packet(0x101, data[:5], pusi=True) + packet(0x101, data[5:], cc=1)
    events = parse_all(init(streams=((0x0F, 0x101),)) + split)
    assert len(frames_of(events)) == 3


def test_audio_frames_straddling_pes_packets():
    mux = Muxer()
    frames = adts_frame(b"\x01" * 20) + adts_frame(b"\x02" * 20) + adts_frame(b"\x03" * 20)
    data = init(streams=((0x0F, 0x101),))
    data += mux(0x101, pes(9000, frames[:40], stream_id=0xC0))
    data += mux(0x101, pes(9000 + 2 * 1024 * 90000 // 44100, frames[40:], stream_id=0xC0))
    af = frames_of(parse_all(data))
    assert [bytes(f.data) for f in af] == [b"\x01" * 20, b"\x02" * 20, b"\x03" * 20]
    ts = math.lcm(90000, 44100)
    # The carried frame follows the first; the first frame starting in the second PES
    # takes that PES's PTS (here: 2 frames after the first, floor of 90 kHz).
    assert [f.pts for f in af] == [9000 * 49, 9000 * 49 + 1024 * 100,
                                   (9000 + 2 * 1024 * 90000 // 44100) * 49]


def test_single_packet_pes_audio_frames_are_views_of_the_appended_bytes():
    mux = Muxer()
    data = bytearray(init(streams=((0x0F, 0x101),)) + mux(0x101, pes(0, adts_frame() * 2, stream_id=0xC0)))
    parser = MpegTsParser()
    parser.feed(memoryview(data))
    frames = frames_of(list(parser.parse()))
    position = data.find(adts_frame()) + 7
    data[position] = 0xEE
    assert frames[0].data[0] == 0xEE


# -- H.264 ------------------------------------------------------------------------------

def test_sps_fields():
    config = _es.avc_config_from_sps(baseline_sps())
    assert (config.codec, config.coded_width, config.coded_height) == ("avc1.42c01e", 320, 240)
    assert config.display_width is None
    config = _es.avc_config_from_sps(high_sps())
    assert (config.codec, config.coded_width, config.coded_height) == ("avc1.64000d", 160, 120)
    assert (config.display_width, config.display_height) == (213, 120)


def test_sps_with_emulation_prevention_and_errors():
    rbsp = (Bits().u(8, 66).u(8, 0).u(8, 0)                   # profile, constraints 0, level 0
            .ue(63)                                            # seq_parameter_set_id: 0000001 000000
            .ue(0).ue(2).ue(1).u(1, 0).ue(19).ue(14).u(1, 1).u(1, 1).u(1, 0).u(1, 0)
            .rbsp())
    assert rbsp[1:4] == b"\x00\x00\x02"                       # must be escaped in a NAL unit
    nal = b"\x67" + rbsp[:3] + b"\x03" + rbsp[3:]               # emulation_prevention_three_byte
    config = _es.avc_config_from_sps(nal)
    assert (config.codec, config.coded_width, config.coded_height) == ("avc1.420000", 320, 240)
    with pytest.raises(ParseError, match="SPS"):
        _es.avc_config_from_sps(b"\x67\x42")
    with pytest.raises(ParseError, match="SPS"):
        _es.avc_config_from_sps(b"\x67\x42\x00\x1e" + b"\x00" * 3)   # Exp-Golomb runs off


def test_exp_golomb():
    bits = Bits().ue(0).ue(1).ue(2).ue(7).se(1).se(-1).se(-4).rbsp()
    r = _es._Golomb(bits, "test")
    assert [r.ue(), r.ue(), r.ue(), r.ue(), r.se(), r.se(), r.se()] == [0, 1, 2, 7, 1, -1, -4]


def test_several_access_units_in_one_pes_get_evenly_spaced_times():
    mux = Muxer()
    data = init(streams=((0x1B, 0x100),))
    data += video(mux, 3600, 0, idr() + non_idr() + non_idr())      # 3 AUs, one PES
    data += video(mux, 14400, 10800, non_idr())
    vf = frames_of(parse_all(data))
    assert [(f.pts, f.dts, f.duration, f.is_rap) for f in vf] == [
        (3600, 0, 3600, True), (7200, 3600, 3600, False), (10800, 7200, 3600, False)]
    assert bytes(vf[1].data) == non_idr()


def test_access_units_before_the_first_sps_are_dropped():
    mux = Muxer()
    data = init(streams=((0x1B, 0x100),))
    data += video(mux, 0, 0, non_idr()) + video(mux, 3600, 3600, idr())
    data += video(mux, 7200, 7200, non_idr())
    vf = frames_of(parse_all(data))
    assert [(f.dts, f.is_rap) for f in vf] == [(3600, True)]


def test_a_new_sps_is_a_new_initialization_segment():
    mux = Muxer()
    data = init(streams=((0x1B, 0x100),))
    data += video(mux, 0, 0, idr()) + video(mux, 3600, 3600, idr(high_sps()))
    data += video(mux, 7200, 7200, idr(high_sps())) + video(mux, 10800, 10800, non_idr())
    events = parse_all(data)
    assert [i.tracks[0].codec for i in inits_of(events)] == ["avc1.42c01e", "avc1.64000d"]
    kinds = [type(e) for e in events]
    assert kinds[:6] == [InitSegment, MediaSegmentStart, CodedFrames, MediaSegmentEnd,
                         InitSegment, MediaSegmentStart]


def test_waiting_for_a_configuration_is_bounded(monkeypatch):
    monkeypatch.setattr(mpegts, "MAX_HELD", 1000)
    mux = Muxer()
    data = init()
    for i in range(20):                                        # audio, but never an SPS
        data += audio(mux, 3600 * i, adts_frame(b"\x00" * 100))
    assert "no decoder configuration" in error_of(data) and "PID 256" in error_of(data)


# -- timestamps ---------------------------------------------------------------------------

def audio_only(times, mux=None, discontinuity_at=None):
    mux = mux or Muxer()
    frame = adts_frame(sampling_frequency_index=3, channel_configuration=1)   # 1920 ticks
    data = init(streams=((0x0F, 0x101),), PCR_PID=0x101)
    for i, t in enumerate(times):
        data += mux(0x101, pes(t, frame, stream_id=0xC0), discontinuity=i == discontinuity_at)
    return data


def times90(events):
    return [f.pts // 8 for f in frames_of(events)]             # 720000 -> 90000 ticks


def test_33_bit_rollover_is_unwrapped():
    times = [WRAP - 3840, WRAP - 1920, 0, 1920]
    assert times90(parse_all(audio_only(times))) == [WRAP - 3840, WRAP - 1920, WRAP, WRAP + 1920]


def test_a_small_step_back_across_the_wrap_is_unwrapped_too():
    times = [1920, WRAP - 1000, 3840]                          # a reordered timestamp
    assert times90(parse_all(audio_only(times))) == [1920, -1000, 3840]


def test_discontinuity_indicator_on_the_pcr_pid_shifts_to_follow():
    times = [90000, 91920, 5_000_000, 5_001_920]
    events = parse_all(audio_only(times, discontinuity_at=2))
    assert times90(events) == [90000, 91920, 93840, 95760]


def test_a_jump_without_discontinuity_indicator_is_kept():
    times = [90000, 91920, 5_000_000]
    assert times90(parse_all(audio_only(times))) == times


def test_reset_and_timestamp_offset_set_reset_the_offset():
    parser, mux = MpegTsParser(), Muxer()
    frame = adts_frame(sampling_frequency_index=3, channel_configuration=1)
    events = run(parser, audio_only([WRAP - 1920, 0], mux))    # rolled over: offset 2^33
    events += run(parser, mux(0x101, pes(1920, frame, stream_id=0xC0)))
    assert times90(events) == [WRAP - 1920, WRAP, WRAP + 1920]
    parser.timestamp_offset_set()                              # MPEG2TS_timestampOffset = 0
    assert times90(run(parser, mux(0x101, pes(3840, frame, stream_id=0xC0)))) == [3840]
    run(parser, mux(0x101, pes(WRAP - 1920, frame, stream_id=0xC0)))
    parser.reset()                                             # abort(): 0 as well
    assert times90(run(parser, mux(0x101, pes(100, frame, stream_id=0xC0)))) == [100]


def test_video_durations_across_a_discontinuity():
    mux = Muxer()
    data = init()
    data += video(mux, 3600, 0, idr(), discontinuity=False)
    data += video(mux, 7200, 3600, non_idr())
    data += video(mux, 903600, 900000, idr(), discontinuity=True)   # PCR PID 0x100
    data += video(mux, 907200, 903600, non_idr())
    data += video(mux, 910800, 907200, non_idr())
    data += audio(mux, 0, adts_frame(sampling_frequency_index=3, channel_configuration=1))
    vf = frames_of(parse_all(data), 0x100)
    # The frame before the discontinuity keeps the last duration; presentation goes on
    # at the end of the latest frame (pts 7200 + 3600), decode one frame earlier.
    assert [(f.pts, f.dts, f.duration) for f in vf] == [
        (3600, 0, 3600), (7200, 3600, 3600), (10800, 7200, 3600), (14400, 10800, 3600)]


# -- registry, reset, errors ---------------------------------------------------------------

def test_registry():
    assert support('video/mp2t; codecs="avc1.64001f, mp4a.40.2"') == "video/mp2t"
    assert support('video/mp2t; codecs="avc3.64001f, mp4a.40.5, mp4a.67"') == "video/mp2t"
    assert support('video/mp2t; codecs="mp4a.69"') == support('video/mp2t; codecs="mp3"') \
        == support('video/mp2t; codecs="mp4a.6B"') == "video/mp2t"
    assert support('video/mp2t; codecs="hvc1.1.6.L93.B0"') is None
    assert support('video/mp2t; codecs="vp09.00.10.08"') is None
    parser = parser_for("video/mp2t")
    assert isinstance(parser, MpegTsParser) and parser.generate_timestamps is False


def test_after_an_error_parse_keeps_failing_until_reset():
    parser = MpegTsParser()
    data = av_stream()
    with pytest.raises(ParseError):
        run(parser, data[:1600] + b"\x00" + data[1600:])      # after the init segment
    parser.feed(memoryview(data))
    with pytest.raises(ParseError):
        list(parser.parse())
    parser.reset()
    events = run(parser, av_stream()[376:])                    # PAT/PMT were kept
    assert inits_of(events) == [] and len(frames_of(events, 0x100)) == 3


# -- real files -------------------------------------------------------------------------

def load(name):
    return (FIXTURES / f"{name}.ts").read_bytes()


PARSED = {name: parse_all(load(name)) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_matches_ffprobe(name):
    import hashlib
    expected = EXPECTED[name]
    events = PARSED[name]
    [init_event] = inits_of(events)
    assert [t.codec for t in init_event.tracks] == expected["codecs"]
    tracks = {t.track_id: t for t in init_event.tracks}
    for stream in expected["streams"]:
        track = tracks[stream["id"]]
        mine = frames_of(events, stream["id"])
        packets = stream["packets"]
        scale = track.timescale // 90000
        shift = WRAP if name == "rollover" else 0              # ffprobe makes the pre-wrap part negative
        if track.kind == "video":
            assert (track.config.coded_width, track.config.coded_height) == (
                stream["width"], stream["height"])
            # The last access unit is held until a next PES would give its duration.
            packets = packets[:-1]
            assert [hashlib.md5(bytes(f.data)).hexdigest() for f in mine] == [p[5] for p in packets]
            assert [f.duration for f in mine] == [p[2] for p in packets]
        else:
            assert (track.config.sample_rate, track.config.channel_count) == (
                stream["sample_rate"], stream["channels"])
            assert track.timescale == math.lcm(90000, stream["sample_rate"])
            header = 7 if stream["codec_name"] == "aac" else 0
            assert [len(f.data) for f in mine] == [p[3] - header for p in packets]
            if not header:
                assert [hashlib.md5(bytes(f.data)).hexdigest() for f in mine] == [p[5] for p in packets]
            assert all(abs(f.duration * 90000 / track.timescale - p[2]) < 1
                       for f, p in zip(mine, packets))
        assert len(mine) == len(packets)
        assert all(abs(f.pts * 90000 // track.timescale - p[0] - shift) <= 1 for f, p in zip(mine, packets))
        assert all(abs(f.dts * 90000 // track.timescale - p[1] - shift) <= 1 for f, p in zip(mine, packets))
        assert [f.is_rap for f in mine] == [p[4] for p in packets]


@pytest.mark.parametrize("name, pieces", [
    ("mp2_48k", [1] * 27448),
    ("h264_aac", [7] * 9000),
    ("h264_mp3", None),
    ("rollover", None),
])
def test_split_appends_give_the_same_result(name, pieces):
    data = load(name)
    if pieces is None:
        rng = random.Random(3)
        pieces = [rng.randint(1, 2000) for _ in range(60)]
    assert shape(parse_all(data, pieces)) == shape(PARSED[name])


SMALL = av_stream(n=3)
SMALL_SHAPE = shape(parse_all(SMALL))


@given(st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_split_anywhere_gives_the_same_result(data):
    pieces = draw_pieces(data, len(SMALL), max_cuts=10, inner=True)
    assert shape(parse_all(SMALL, pieces)) == SMALL_SHAPE


FUZZ_SEEDS = [SMALL, load("h264_aac")[:6000], load("mp2_48k")[:3000]]


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_streams_only_raise_parse_error(data):
    raw = draw_mutation(data, data.draw(st.sampled_from(FUZZ_SEEDS)), flips=6,
                        words=[b"\xff\xff\xff\xff", b"\x00\x00\x01\xe0", b"\x47\x40\x00\x10",
                               b"\x00\x00\x00\x00"])
    pieces = draw_pieces(data, len(raw))
    parser = MpegTsParser()
    try:
        events = run(parser, raw, pieces)
    except ParseError:
        return
    for e in events:
        if isinstance(e, CodedFrames):
            for f in e.frames:
                assert isinstance(f, CodedFrame) and isinstance(f.data, memoryview)
                assert all(isinstance(v, int) for v in (f.pts, f.dts, f.duration))
        else:
            assert isinstance(e, (InitSegment, MediaSegmentStart, MediaSegmentEnd))
    assert parser.buffered_bytes < 188


# -- through the engine -----------------------------------------------------------------

def test_end_to_end_buffered_ranges_and_duration():
    pair = Pair()
    sb = pair.add("sb", 'video/mp2t; codecs="avc1.64000b, mp4a.40.2"', script=False)
    assert sb.mode == "segments"
    data = load("h264_aac")
    pair.append(sb, data[:30000])
    pair.append(sb, data[30000:])
    assert sb.last_error is None
    expected = EXPECTED["h264_aac"]
    start, duration = float(expected["start_time"]), float(expected["duration"])
    [(buffered_start, buffered_end)] = ranges(sb.buffered)
    # A muxed SourceBuffer's ranges start at the coded frame group's start: the pts of
    # its first frame in decode order, the video keyframe's (1.48; its decode time is
    # before the first audio frame's, 1.458667 = ffprobe's start_time).  Chromium
    # 156's native MediaSource reports [1.48, 3.2) for these two appends.
    assert buffered_start == 1.48 < round(start, 6) + 0.03
    pair.ms.end_of_stream()
    pair.run()
    assert abs(pair.ms.duration - (start + duration)) <= 0.04  # within one video frame
    assert pair.el.error is None


def test_end_to_end_rollover_is_one_range_and_timestamp_offset_resets_it():
    pair = Pair()
    sb = pair.add("sb", 'video/mp2t; codecs="avc1.64000b, mp4a.40.2"', script=False)
    pair.append(sb, load("rollover"))
    [(start, end)] = ranges(sb.buffered)                       # across 2^33 ticks
    # The group starts at its first frame in decode order: the video keyframe (its pts
    # 1920 ticks after the first audio pts, its dts before it), as Chromium's native
    # MediaSource reports (95442.717688).
    assert abs(start - (WRAP - 90000) / 90000) < 1e-6 and abs(end - (WRAP + 86400) / 90000) < 0.05
    sb.abort()                                                 # MPEG2TS_timestampOffset = 0:
    pair.append(sb, load("h264_aac"))                          # not unwrapped near 2^33
    assert sb.last_error is None
    assert ranges(sb.buffered)[0][0] == 1.48 and len(ranges(sb.buffered)) == 2


def test_end_to_end_append_error():
    pair = Pair()
    sb = pair.add("sb", "video/mp2t", script=False)
    data = load("h264_aac")
    pair.append(sb, data[:1000] + data[1001:])
    assert "sync_byte" in sb.last_error
    assert pair.el.error.code == 4                 # before metadata: MEDIA_ERR_SRC_NOT_SUPPORTED
