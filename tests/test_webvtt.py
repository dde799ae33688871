"""Timed text: WebVTT payloads, text tracks' cues through the engine, time marches on.

Payload decoders are tested on annotated bytes; the engine on the fixtures of
``tests/fixtures/make_text.sh`` (ffmpeg D_WEBVTT, mkvmerge S_TEXT/WEBVTT, 14496-30 wvtt
fMP4), whose frame times and sizes ``expected.json`` (ffprobe) confirms.
"""

import json
import math
import os
import struct
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from helpers import Pair
from msepy.bytestream import ParseError, parser_for
from msepy.bytestream.webm import _webvtt_block
from msepy.replay import run_script
from msepy.webvtt import (CueText, VTTCue, decode_frame, decode_webm_block,
                          decode_wvtt_sample)

HERE = Path(__file__).resolve().parent
TEXT = HERE / "fixtures" / "text"
EXPECTED = json.loads((TEXT / "expected.json").read_text())
TYPES = {".webm": "video/webm", ".mkv": "video/webm", ".mp4": "video/mp4"}

INTRO = ("intro", F(0), F(4, 5), "Hello <b>world</b>", "line:10% align:start")
OVERLAP = ("", F(1, 2), F(6, 5), "Overlapping\nsecond line", "")
LAST = ("last", F(3, 2), F(19, 10), "Grüße ♪", "position:20%")
SUBS = [INTRO, OVERLAP, LAST]
"""tests/fixtures/text/subs.vtt, the cues every text fixture carries."""


# -- annotated bytes --------------------------------------------------------------------

def box(kind: str, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind.encode()) + body   # size, type


def full(kind: str, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)  # version, flags


def vttc(payl: str, iden: str = "", sttg: str = "") -> bytes:
    return box("vttc",                                      # VTTCueBox
               box("iden", iden.encode()) if iden else b"",  # CueIDBox: cue_id
               box("sttg", sttg.encode()) if sttg else b"",  # CueSettingsBox: settings
               box("payl", payl.encode()))                   # CuePayloadBox: cue_text


def wvtt_fragment(seq: int, start_ms: int, samples: list[tuple[int, bytes]]) -> bytes:
    """moof + mdat of track 1 (timescale 1000, as wvtt.mp4's moov says)."""
    def moof(data_offset: int) -> bytes:
        trun = full("trun", 0, 0x000301,                     # data-offset, duration, size
                    struct.pack(">I", len(samples)),        # sample_count
                    struct.pack(">i", data_offset),         # data_offset (from the moof)
                    b"".join(struct.pack(">II", dur, len(data))  # sample_duration, _size
                             for dur, data in samples))
        traf = box("traf",
                   full("tfhd", 0, 0x020000,                 # default-base-is-moof
                        struct.pack(">I", 1)),               # track_ID
                   full("tfdt", 1, 0, struct.pack(">Q", start_ms)),  # baseMediaDecodeTime
                   trun)
        return box("moof", full("mfhd", 0, 0, struct.pack(">I", seq)), traf)

    size = len(moof(0))
    return moof(size + 8) + box("mdat", *(data for _, data in samples))


def wvtt_init() -> bytes:
    """ftyp + moov of wvtt.mp4 (everything before its first moof)."""
    data = (TEXT / "wvtt.mp4").read_bytes()
    return data[:data.index(b"moof") - 4]


# -- payload decoding -------------------------------------------------------------------

class TestWvttSample:
    def test_cues_of_a_sample(self):
        sample = (vttc("Hello", iden="1", sttg="align:start")
                  + box("vtta", b"NOTE a comment")           # VTTAdditionalTextBox
                  + vttc("Second\nline"))
        assert decode_wvtt_sample(sample) == (
            CueText("1", "align:start", "Hello"), CueText("", "", "Second\nline"))

    def test_empty_cue_box_is_no_cue(self):
        assert decode_wvtt_sample(box("vtte")) == ()

    def test_unknown_children_and_boxes_are_skipped(self):
        sample = box("vttc",
                     box("ctim", b"00:00.000"),              # CueTimeBox
                     box("vsid", struct.pack(">i", 7)),      # CueSourceIDBox
                     box("payl", "é".encode())) + box("free", b"xx")
        assert decode_wvtt_sample(sample) == (CueText("", "", "é"),)

    def test_largesize_and_size_zero(self):
        payl = box("payl", b"big")
        large = struct.pack(">I4sQ", 1, b"vttc", 16 + len(payl)) + payl  # size 1: largesize
        to_end = struct.pack(">I4s", 0, b"vttc") + box("payl", b"end")   # size 0: to the end
        assert decode_wvtt_sample(large + to_end) == (CueText("", "", "big"),
                                                     CueText("", "", "end"))

    @pytest.mark.parametrize("data, message", [
        (b"\0\0\0\x10vttc", "runs past the end"),
        (b"\0\0\0\x04vtte", "smaller than its header"),
        (b"\0\0\0", "too few for a box header"),
        (box("vttc", b"\0\0\0\x20payl"), "vttc: payl box of 32 bytes"),
        (struct.pack(">I4s", 1, b"vttc") + b"\0\0", "largesize"),
    ])
    def test_malformed_samples_are_parse_errors(self, data, message):
        with pytest.raises(ParseError, match=message):
            decode_wvtt_sample(data)

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=64))
    def test_any_bytes_give_cues_or_a_parse_error(self, data):
        try:
            decode_wvtt_sample(data + vttc("x"))
        except ParseError:
            pass


class TestWebmBlock:
    def test_identifier_settings_payload(self):
        assert decode_webm_block(b"intro\nline:10%\nHello\nworld") == \
            CueText("intro", "line:10%", "Hello\nworld")

    def test_empty_identifier_and_settings(self):
        assert decode_webm_block(b"\n\nJust text") == CueText("", "", "Just text")

    @pytest.mark.parametrize("eol", [b"\r\n", b"\r", b"\n"])
    def test_line_ends(self, eol):
        assert decode_webm_block(b"id" + eol + b"align:end" + eol + b"T") == \
            CueText("id", "align:end", "T")

    def test_a_block_without_line_ends_is_all_identifier(self):
        # As Chromium's WebMWebVTTParser: lines are read first, the rest is the text.
        assert decode_webm_block(b"lonely") == CueText("lonely", "", "")

    def test_matroska_block_additional_is_rewritten_to_the_webm_layout(self):
        # S_TEXT/WEBVTT BlockAdditional (as mkvmerge writes it): settings LF
        # identifier LF comment blocks.
        data = _webvtt_block(memoryview(b"B"), memoryview(b"align:end\nmyid\nNOTE hi"))
        assert bytes(data) == b"myid\nalign:end\nB"
        assert bytes(_webvtt_block(memoryview(b"T"), None)) == b"\n\nT"

    def test_codecs(self):
        assert decode_frame("webvtt", b"\n\nx") == (CueText("", "", "x"),)
        assert decode_frame("wvtt", box("vtte")) == ()
        assert decode_frame("tx3g", b"\0\x01x") == ()


def test_vttcue_api_values():
    cue = VTTCue("a", F(1, 3), F(1, 2), "t", "line:0 align:start bad")
    assert cue.start_time == 1 / 3 and cue.end_time == 0.5
    assert cue.cue_settings == {"line": "0", "align": "start"}


# -- through the engine -------------------------------------------------------------------

def load(name: str, mode: str | None = "showing", chunk: int | None = None):
    """A Pair with ``name`` appended (in ``chunk``-byte appends when given)."""
    p = Pair()
    sb = p.add(type_=TYPES[Path(name).suffix], script=False)
    data = (TEXT / name).read_bytes()
    step = chunk or len(data)
    for i in range(0, len(data), step):
        events = p.append(sb, data[i:i + step])
        assert f"sb:error" not in events, sb.last_error
    track = sb.text_tracks[0]
    if mode is not None:
        track.mode = mode
        p.run()
    return p, sb, track


def cue_rows(cues) -> list[tuple]:
    return [(c.id, c.start, c.end, c.text, c.settings) for c in cues]


FIXTURES = ["webvtt.webm", "captions.webm", "s_text.mkv", "wvtt.mp4", "wvtt_captions.mp4"]


@pytest.mark.parametrize("name", FIXTURES)
def test_cues_of_each_fixture(name):
    p, sb, track = load(name)
    assert cue_rows(track.cues) == SUBS
    assert track.cues.length == 3
    assert track.cues.get_cue_by_id("last").text == "Grüße ♪"
    assert track.cues.get_cue_by_id("") is None


@pytest.mark.parametrize("name", FIXTURES)
def test_frames_are_what_ffprobe_reads(name):
    # wvtt: one frame per sample (ffprobe: times and sample sizes); WebM: one per
    # block, and ffprobe's packet is the cue text (identifier and settings moved to
    # side data), so its size is the payload's.
    p, sb, track = load(name, mode=None)
    tb = sb._track_buffers[track.byte_stream_track_id]
    packets = EXPECTED[name]["packets"]
    assert [F(f.pts, tb.timescale) for f in tb.frames] == [F(str(pk[0])) for pk in packets]
    if name.endswith(".mp4"):
        assert [len(f.data) for f in tb.frames] == [pk[2] for pk in packets]
    else:
        assert [F(f.duration, tb.timescale) for f in tb.frames] == \
            [F(str(pk[1])) for pk in packets]
        assert [len(decode_webm_block(f.data).text.encode()) for f in tb.frames] == \
            [pk[2] for pk in packets]


@pytest.mark.parametrize("name, kind", [
    ("webvtt.webm", "subtitles"), ("captions.webm", "captions"), ("s_text.mkv", "subtitles"),
    ("wvtt.mp4", "subtitles"), ("wvtt_captions.mp4", "captions")])
def test_kind_from_the_byte_stream(name, kind):
    p, sb, track = load(name, mode=None)
    assert track.kind == kind
    assert p.el.text_tracks[0] is track
    if "captions" in EXPECTED[name]["disposition"]:
        assert kind == "captions"  # ffprobe reads the same kind


def test_wvtt_cue_cut_at_a_fragment_boundary_is_one_cue():
    # wvtt.mp4 stores "Overlapping" in samples [0.5, 0.8), [0.8, 1.0) and, in the
    # second fragment, [1.0, 1.2): one cue.
    p, sb, track = load("wvtt.mp4")
    assert len(sb._track_buffers[1].frames) == 6
    p.el.current_time = 1.1
    p.run()
    assert cue_rows(track.active_cues) == [OVERLAP]


@pytest.mark.parametrize("chunk", [1, 7])
def test_any_append_split_gives_the_same_cues(chunk):
    for name in ("s_text.mkv", "wvtt.mp4"):
        p, sb, track = load(name, chunk=chunk)
        assert cue_rows(track.cues) == SUBS


def test_timestamp_offset_moves_cues():
    p = Pair()
    sb = p.add(type_="video/webm", script=False)
    sb.timestamp_offset = 10
    p.append(sb, (TEXT / "captions.webm").read_bytes())
    track = sb.text_tracks[0]
    track.mode = "hidden"
    assert [(c.start, c.end) for c in track.cues] == [(10, F(54, 5)), (F(21, 2), F(56, 5)),
                                                      (F(23, 2), F(119, 10))]


class TestSpliceAndRemoval:
    def test_text_splice_truncates_the_overlapped_cue_wvtt(self):
        # Text Splice Frame: a new coded frame group starting at 0.3 cuts the sample
        # [0, 0.5) to [0, 0.3) and drops the sample starting inside [0.3, 0.6).
        p, sb, track = load("wvtt.mp4")
        sb.abort()
        events = p.append(sb, wvtt_fragment(3, 300, [(300, vttc("New", iden="n"))]))
        assert "sb:error" not in events
        assert cue_rows(track.cues) == [
            ("intro", F(0), F(3, 10), INTRO[3], INTRO[4]),
            ("n", F(3, 10), F(3, 5), "New", ""),
            ("", F(4, 5), F(6, 5), OVERLAP[3], ""),   # [0.5, 0.8) went with its cue
            LAST]

    def test_text_splice_truncates_the_overlapped_cue_webm(self):
        # The same file again 0.3 s later: its first cue [0.3, 1.1) cuts "intro"
        # [0, 0.8) to [0, 0.3) and drops the cue starting at 0.5 inside it; the old
        # "last" [1.5, 1.9) is removed by the new one [1.8, 2.2) (step 14).
        p, sb, track = load("captions.webm")
        sb.abort()
        sb.timestamp_offset = 0.3
        p.append(sb, (TEXT / "captions.webm").read_bytes())
        assert [(c.id, c.start, c.end) for c in track.cues] == [
            ("intro", 0, F(3, 10)), ("intro", F(3, 10), F(11, 10)),
            ("", F(4, 5), F(3, 2)), ("last", F(9, 5), F(11, 5))]

    def test_remove_removes_cues(self):
        p, sb, track = load("captions.webm")
        sb.remove(0.4, 1.0)   # removes up to the next random access point at/after 1.0
        p.run()
        assert cue_rows(track.cues) == [INTRO, LAST]

    def test_remove_part_of_a_wvtt_cue(self):
        p, sb, track = load("wvtt.mp4")
        sb.remove(0.5, 1.0)   # the samples starting in [0.5, 1.0)
        p.run()
        assert cue_rows(track.cues) == [
            ("intro", F(0), F(1, 2), INTRO[3], INTRO[4]),
            ("", F(1), F(6, 5), OVERLAP[3], ""), LAST]

    def test_removing_the_active_cue_fires_cuechange(self):
        p, sb, track = load("captions.webm")
        p.el.current_time = 1.6
        p.run()
        assert cue_rows(track.active_cues) == [LAST]
        sb.remove(1.5, 1.9)
        assert "TextTrack:cuechange" in p.run()
        assert list(track.active_cues) == []


class TestModes:
    def test_mode_adds_and_removes_the_source_buffer_from_active_source_buffers(self):
        p, sb, track = load("captions.webm", mode=None)  # FlagDefault 0: disabled
        assert track.mode == "disabled" and len(p.ms.active_source_buffers) == 0
        track.mode = "hidden"
        assert "asbl:addsourcebuffer" in p.run()
        assert list(p.ms.active_source_buffers) == [sb]
        track.mode = "showing"
        assert "asbl:addsourcebuffer" not in p.run()
        track.mode = "disabled"
        assert "asbl:removesourcebuffer" in p.run()
        assert len(p.ms.active_source_buffers) == 0

    def test_default_track_starts_hidden(self):
        p, sb, track = load("wvtt.mp4", mode=None)   # tkhd enabled: default
        assert track.mode == "hidden"
        assert list(p.ms.active_source_buffers) == [sb]

    def test_disabled_track_has_no_cue_lists(self):
        p, sb, track = load("captions.webm", mode=None)
        assert track.cues is None and track.active_cues is None   # HTML: null
        track.mode = "showing"
        assert track.cues is track.cues   # the same live object each time


class TestCueChange:
    def positions(self, p, track, times, play: bool = True):
        """(position, cuechange fired?, active cue ids) after each step."""
        out = []
        for t in times:
            p.el.set_playback_position(F(t))
            events = p.run()
            out.append((t, events.count("TextTrack:cuechange"),
                        [c.id or c.text[:4] for c in track.active_cues or ()]))
        return out

    @pytest.mark.parametrize("name", ["captions.webm", "wvtt.mp4"])
    def test_cuechange_as_time_marches_on(self, name):
        p, sb, track = load(name)
        p.run()
        assert cue_rows(track.active_cues) == [INTRO]   # at 0 once shown
        assert self.positions(p, track, ["0.4", "0.5", "0.7", "0.8", "1.0", "1.2",
                                         "1.5", "1.9"]) == [
            ("0.4", 0, ["intro"]), ("0.5", 1, ["intro", "Over"]), ("0.7", 0, ["intro", "Over"]),
            ("0.8", 1, ["Over"]), ("1.0", 0, ["Over"]), ("1.2", 1, []), ("1.5", 1, ["last"]),
            ("1.9", 1, [])]

    def test_playing_fires_cuechange(self):
        p, sb, track = load("captions.webm")
        p.ms.end_of_stream()
        p.el.play()
        p.run()
        log = []
        for _ in range(20):
            p.el.advance(0.1)
            if "TextTrack:cuechange" in p.run():
                log.append((round(p.el.current_time, 6), [c.id for c in track.active_cues]))
        assert log == [(0.5, ["intro", ""]), (0.8, [""]), (1.2, []), (1.5, ["last"]),
                       (1.9, [])]
        assert p.el.ended

    def test_disabled_track_fires_nothing(self):
        p, sb, track = load("captions.webm")
        track.mode = "disabled"
        p.run()
        assert [n for _, n, _ in self.positions(p, track, ["0.5", "0.8", "1.5"])] == [0, 0, 0]
        assert track.active_cues is None

    def test_showing_again_fires_for_the_cues_at_the_position(self):
        p, sb, track = load("wvtt.mp4")
        p.el.current_time = 0.6
        p.run()
        track.mode = "disabled"
        assert "TextTrack:cuechange" not in p.run()
        track.mode = "showing"
        assert "TextTrack:cuechange" in p.run()
        assert [c.id for c in track.active_cues] == ["intro", ""]

    def test_a_cue_appended_at_the_position_fires_cuechange(self):
        # HTML: newly introduced cues run "time marches on".
        p = Pair()
        sb = p.add(type_="video/mp4", script=False)
        p.append(sb, wvtt_init() + wvtt_fragment(1, 0, [(1000, box("vtte"))]))
        track = sb.text_tracks[0]
        p.el.current_time = 1.5
        p.run()
        assert list(track.active_cues) == []
        events = p.append(sb, wvtt_fragment(2, 1000, [(1000, vttc("Now"))]))
        assert "TextTrack:cuechange" in events
        assert [c.text for c in track.active_cues] == ["Now"]

    def test_a_malformed_sample_shows_no_cue(self):
        p = Pair()
        sb = p.add(type_="video/mp4", script=False)
        p.append(sb, wvtt_init() + wvtt_fragment(1, 0, [(500, b"\0\0\0\x40vttc"),
                                                         (500, vttc("ok"))]))
        track = sb.text_tracks[0]
        assert [c.text for c in track.cues] == ["ok"]


# -- tools --------------------------------------------------------------------------------

def test_replay_of_a_text_fixture():
    script = {"base": "../fixtures/text", "ops": [
        {"op": "add", "sb": "t", "type": "video/mp4"},
        {"op": "append", "sb": "t", "file": "wvtt.mp4"},
        {"op": "seek", "time": 1.0},
        {"op": "remove", "sb": "t", "start": 0.5, "end": 1.0},
        {"op": "eos"},
    ]}
    records = list(run_script(script, HERE / "replay"))
    assert [r["exc"] for r in records] == [None] * 5
    assert records[1]["buffered"] == {"t": [[0, 1.9]]}
    assert records[1]["duration"] == 1.9
    # The 0.5 s hole is within 2 x the largest inter-frame distance (0.5 s): the
    # track buffer ranges coalesce it, as Chromium's do.
    assert records[3]["buffered"] == {"t": [[0, 1.9]]}
    assert records[4]["readyState"] == "ended"
    assert "t:updateend" in records[3]["events"]


@pytest.mark.native
def test_inspect_shows_the_text_track():
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "py"))
    out = subprocess.run([sys.executable, "-m", "msepy", "inspect", str(TEXT / "wvtt.mp4")],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert "track 1: text wvtt" in out and "kinds subtitles" in out
    out = subprocess.run([sys.executable, "-m", "msepy", "inspect", str(TEXT / "s_text.mkv")],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert "track 1: text webvtt" in out and "3 frames" in out


def test_parser_frames_of_the_matroska_fixture_are_in_the_webm_layout():
    parser = parser_for("video/webm")
    parser.feed(memoryview((TEXT / "s_text.mkv").read_bytes()))
    frames = [f for ev in parser.parse() for f in getattr(ev, "frames", [])]
    assert bytes(frames[0].data) == b"intro\nline:10% align:start\nHello <b>world</b>"
    assert bytes(frames[1].data) == b"\n\nOverlapping\nsecond line"


# -- addTextTrack(): the page's own text tracks ----------------------------------------------

class TestAddTextTrack:
    """HTML ``addTextTrack()``: a track of the page's own, whose cues the page adds and
    removes (``TextTrack.add_cue`` / ``remove_cue``) and whose active cues "time marches
    on" keeps - as Chromium does (e2e/text.test.mjs compares the two)."""

    def element(self):
        from msepy.element import HTMLMediaElement
        from msepy.events import TaskQueue
        queue = TaskQueue()
        el = HTMLMediaElement(queue=queue)
        log = []
        el.text_tracks.add_event_listener("addtrack", lambda e: log.append(("addtrack", e.track.kind)))
        return el, queue, log

    def cue(self, start, end, text, key):
        return VTTCue("", F(start), F(end), text, key=key)

    def test_a_hidden_track_with_no_cues_and_addtrack_queued(self):
        el, queue, log = self.element()
        track = el.add_text_track("metadata", "id3", "en")
        assert (track.kind, track.label, track.language, track.id, track.mode) == \
            ("metadata", "id3", "en", "", "hidden")
        assert list(el.text_tracks) == [track] and list(track.cues) == []
        assert not track.media_resource_specific and track.source_buffer is None
        assert log == []                  # queued, not fired in the call
        queue.run_until_idle()
        assert log == [("addtrack", "metadata")]
        with pytest.raises(TypeError):
            el.add_text_track("lyrics")

    def test_cues_in_text_track_cue_order_and_remove(self):
        from msepy.errors import NotFoundError
        el, _, _ = self.element()
        track = el.add_text_track("subtitles")
        a, b, c = self.cue(1, 3, "a", 1), self.cue(0, 2, "b", 2), self.cue(1, 5, "c", 3)
        for cue in (a, b, c):
            track.add_cue(cue)
        assert [x.text for x in track.cues] == ["b", "c", "a"]   # start, then end latest first
        track.add_cue(a)                                           # again: not twice
        assert [x.text for x in track.cues] == ["b", "c", "a"]
        with pytest.raises(NotFoundError):
            track.remove_cue(self.cue(1, 3, "a", 9))               # another cue, same times
        track.remove_cue(VTTCue("", F(7), F(8), "a moved", key=1))  # the page's cue 1
        assert [x.text for x in track.cues] == ["b", "c"]

    def test_time_marches_on_once_playback_or_a_seek_cleared_the_poster_flag(self):
        el, queue, _ = self.element()
        track = el.add_text_track("metadata")
        changes = []
        track.add_event_listener("cuechange", lambda e: changes.append([x.text for x in track.active_cues]))
        track.add_cue(self.cue(0, 2, "early", 1))
        queue.run_until_idle()
        assert list(track.active_cues) == [] and changes == []     # show poster flag set
        el._show_poster = False                                    # (playback started)
        track.add_cue(self.cue(1, 3, "later", 2))
        queue.run_until_idle()
        assert changes == [["early"]]
        el._position = F(3, 2)
        el._monitor()
        queue.run_until_idle()
        assert changes == [["early"], ["early", "later"]]
        # An active cue removed leaves the active cues with no cuechange of its own
        # (Chromium's CueTimeline::RemoveCueInternal).
        track.remove_cue(self.cue(1, 3, "later", 2))
        queue.run_until_idle()
        assert [x.text for x in track.active_cues] == ["early"] and len(changes) == 2

    def test_a_cue_whose_times_are_set_runs_time_marches_on(self):
        # HTML's startTime/endTime setters: the list keeps cue order and "time marches
        # on" runs with the new times; a cue that stays active is the same active cue.
        from msepy.errors import NotFoundError
        el, queue, _ = self.element()
        el._show_poster = False
        el._position = F(1, 2)
        track = el.add_text_track("metadata")
        changes = []
        track.add_event_listener("cuechange", lambda e: changes.append([x.text for x in track.active_cues]))
        for cue in (self.cue(0, 10**9, "a", 1), VTTCue("", F(1, 10), math.inf, "b", key=2), self.cue(5, 6, "c", 3)):
            track.add_cue(cue)
        queue.run_until_idle()
        assert changes[-1] == ["a", "b"]
        del changes[:-1]
        track.cue_changed(self.cue(0, F(3, 10), "a", 1))          # a ends before 0.5: exits
        queue.run_until_idle()
        assert changes == [["a", "b"], ["b"]]
        track.cue_changed(self.cue(F(1, 10), 100, "b", 2))        # b stays active: no event
        queue.run_until_idle()
        assert len(changes) == 2 and track.active_cues[0].end == 100
        track.cue_changed(self.cue(F(2, 5), 6, "c", 3))           # c now starts first of b, c
        queue.run_until_idle()
        assert changes[-1] == ["b", "c"] and [x.text for x in track.cues] == ["a", "b", "c"]
        track.cue_changed(self.cue(0, 1, "c", 3))
        assert [x.text for x in track.cues] == ["c", "a", "b"]
        with pytest.raises(NotFoundError):
            track.cue_changed(self.cue(0, 1, "d", 4))

    def test_enter_exit_missed_cues_and_pause_on_exit_while_playing(self):
        # HTML time marches on 4-16: enter/exit (at the track, with the cue) in time
        # order, then cuechange; a cue normal playback went past whole is "missed" and
        # enters and exits; a pause-on-exit cue pauses the element as it exits.
        el, queue, _ = self.element()
        track = el.add_text_track("metadata")
        log = []
        for kind in ("enter", "exit"):
            track.add_event_listener(kind, lambda e: log.append(f"{e.type} {e.cue.text}"))
        track.add_event_listener("cuechange", lambda e: log.append(
            "cuechange " + ",".join(c.text for c in track.active_cues)))
        el.add_event_listener("pause", lambda e: log.append("pause"))
        cues = [("A", F(1, 5), F(2, 5)), ("B", F(3, 10), F(1, 2)), ("short", F(3, 5), F(601, 1000)),
                ("C", F(4, 5), F(1))]
        for key, (text, start, end) in enumerate(cues, 1):
            track.add_cue(VTTCue("", start, end, text, key=key, pause_on_exit=text == "C"))
        el._show_poster, el.paused = False, False   # (playing)

        def at(t):
            el.set_playback_position(F(t))
            queue.run_until_idle()
            out = log[:]
            log.clear()
            return out
        assert at("0.25") == ["enter A", "cuechange A"]
        assert at("0.35") == ["enter B", "cuechange A,B"]
        assert at("0.7") == ["exit A", "exit B", "enter short", "exit short", "cuechange "]
        assert at("0.9") == ["enter C", "cuechange C"]
        assert at("1.05") == ["pause", "exit C", "cuechange "] and el.paused
        # A seek is not normal playback: the cues it jumps over are not missed.
        el.ready_state = 1  # (HAVE_METADATA: a seek runs)
        el.current_time = 0.1
        queue.run_until_idle()
        log.clear()
        el.current_time = 0.7
        queue.run_until_idle()
        assert [x for x in log if not x.startswith("pause")] == []

    def test_play_clears_the_poster_flag_and_runs_time_marches_on(self):
        # HTML internal play steps 3.2: before the play event is queued.
        el, queue, _ = self.element()
        track = el.add_text_track("metadata")
        log = []
        track.add_event_listener("enter", lambda e: log.append(f"enter {e.cue.text}"))
        track.add_event_listener("cuechange", lambda e: log.append("cuechange"))
        el.add_event_listener("play", lambda e: log.append("play"))
        track.add_cue(self.cue(0, 1, "first", 1))
        queue.run_until_idle()
        assert log == []                                   # the show poster flag
        el.network_state = 1                               # (a resource: no load())
        el.play()
        queue.run_until_idle()
        assert log[:3] == ["enter first", "cuechange", "play"]

    def test_listed_before_the_media_tracks_and_kept_by_load(self):
        from msepy.tracks import TextTrack
        el, _, _ = self.element()
        media = TextTrack(id="7", kind="subtitles", label="", language="", source_buffer=None,
                          byte_stream_track_id=3)
        el._ms_add_track(media)
        own = el.add_text_track("captions")
        assert list(el.text_tracks) == [own, media]   # HTML: addTextTrack()'s, then the media's
        el.network_state = 1                          # (a resource was loading)
        el.load()
        assert list(el.text_tracks) == [own]           # the media-resource-specific one goes
