"""The inspect tool (``python -m msepy inspect``) against ffprobe/mkvinfo's reading of
the fixtures (``tests/fixtures/*/expected.json``)."""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from msepy.inspect import guess_type, inspect_bytes, render_json, render_text, summary

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
EXPECTED = {kind: json.loads((FIXTURES / kind / "expected.json").read_text())
            for kind in ("mp4", "webm")}
CASES = [(kind, name) for kind in ("mp4", "webm") for name in EXPECTED[kind]]
# ffprobe codec_name -> the WebCodecs codec string's start, for WebM (expected.json for
# MP4 lists the codec strings themselves).
WEBM_CODEC = {"vp9": "vp09.", "vp8": "vp8", "opus": "opus", "vorbis": "vorbis",
              "av1": "av01."}


def report_of(kind: str, name: str, **kw):
    path = FIXTURES / kind / f"{name}.{kind}"
    return inspect_bytes(path.read_bytes(), f"video/{kind}", name=str(path), **kw)


def ffprobe_packets(kind: str, name: str) -> list[list[dict]]:
    """Per stream: packets as dicts with pts, size, key (ffprobe's reading)."""
    e = EXPECTED[kind][name]
    if kind == "mp4":  # [pts, dts, duration, size, pos, key]
        return [[{"pts": p[0], "size": p[3], "key": p[5]} for p in s["packets"]]
                for s in e["streams"]]
    # webm ffprobe: [pts ms, duration, size, key]
    return [[{"pts": p[0], "size": p[2], "key": p[3]} for p in s["packets"]]
            for s in e["ffprobe"]]


@pytest.mark.parametrize("kind, name", CASES)
def test_codecs_and_frame_counts_match_ffprobe(kind, name):
    report = report_of(kind, name)
    assert report.error is None and report.unparsed == 0
    doc = json.loads(render_json(report))
    streams = ffprobe_packets(kind, name)
    assert len(doc["tracks"]) == len(streams)
    if kind == "mp4":
        assert [t["codec"] for t in doc["tracks"]] == EXPECTED["mp4"][name]["codecs"]
    else:
        for t, s in zip(doc["tracks"], EXPECTED["webm"][name]["ffprobe"]):
            assert t["codec"].startswith(WEBM_CODEC[s["codec_name"]])
    for t, packets in zip(doc["tracks"], streams):
        s = t["summary"]
        assert s["frames"] == len(packets) == len(t["frames"])
        assert s["keyframes"] == sum(p["key"] for p in packets)
        assert s["bytes"] == sum(p["size"] for p in packets)
        assert [f["size"] for f in t["frames"]] == [p["size"] for p in packets]  # decode order


@pytest.mark.parametrize("kind, name", CASES)
def test_track_descriptions_match_ffprobe(kind, name):
    doc = json.loads(render_json(report_of(kind, name), no_frames=True))
    (init,) = doc["init_segments"]
    streams = EXPECTED[kind][name]["streams" if kind == "mp4" else "ffprobe"]
    for track, s in zip(init["tracks"], streams):
        assert "frames" not in doc["tracks"][0]
        if s["width"] is not None:
            assert track["kind"] == "video"
            assert (track["coded_width"], track["coded_height"]) == (s["width"], s["height"])
        else:
            assert track["kind"] == "audio"
            assert track["sample_rate"] == int(s["sample_rate"])
            assert track["channel_count"] == s["channels"]


@pytest.mark.parametrize("name", [n for n in EXPECTED["mp4"]])
def test_mp4_presentation_times_match_ffprobe_up_to_the_edit_list(name):
    # The parser applies edit lists (ffprobe's packet pts do not): same times up to one
    # constant shift per track; no shift at all without an edit list.
    report = report_of("mp4", name)
    for tid, packets in zip(report.frames, ffprobe_packets("mp4", name)):
        ours = sorted(f.pts for f in report.frames[tid])
        theirs = sorted(p["pts"] for p in packets)
        shift = ours[0] - theirs[0]
        assert [o - shift for o in ours] == theirs
        if name == "h264_aac":
            assert shift == 0


@pytest.mark.parametrize("name", ["vp9_opus", "vp8_vorbis", "av1", "opus", "live"])
def test_webm_presentation_times_are_the_block_timestamps(name):
    # mkvinfo lists [track, timestamp ns, ...] per block (these files use no lacing).
    blocks = EXPECTED["webm"][name]["mkvinfo"]
    report = report_of("webm", name)
    for tid, rows in report.frames.items():
        assert sorted(f.pts for f in rows) == sorted(b[1] // 10**6 for b in blocks if b[0] == tid)


def test_h264_aac_summary():
    report = report_of("mp4", "h264_aac")
    video = summary(report.frames[1], 12800)
    assert video["first_pts_s"] == 0.08 and video["last_pts_s"] == 2.04
    assert video["end_s"] == 2.08
    assert video["frame_rate"] == 25.0  # 50 frames over 2 s
    assert video["bitrate_bps"] == round(32563 * 8 / 2.0)
    audio = summary(report.frames[2], 48000)
    assert audio["frames"] == 95 and audio["keyframes"] == 95


def test_feeding_in_pieces_gives_the_same_report():
    whole = report_of("webm", "opus")
    pieces = report_of("webm", "opus", chunk=7)
    assert render_json(pieces) == render_json(whole)


def test_text_output_has_tracks_tables_and_summary():
    report = report_of("mp4", "h264_aac")
    text = render_text(report, frames=2)
    assert "track 1: video avc1.64000b  timescale 12800" in text
    assert "coded 160x120" in text and "48000 Hz, 1 ch" in text
    assert "description 5 bytes 118856e500" in text  # AAC AudioSpecificConfig
    assert "     0       1024          0     512     0.080000     0.000000  0.040000   K    2953" \
        in text
    assert "… 48 more" in text and "… 93 more" in text
    assert "track 1 video avc1.64000b: 50 frames, 2 keyframes, 32563 bytes" in text
    assert "frames (" not in render_text(report, no_frames=True)


def test_webm_text_shows_the_segment_duration():
    text = render_text(report_of("webm", "vp9_opus"), no_frames=True)
    assert "duration 2.008000 s (2008/1000)" in text
    assert "track 2: audio opus" in text and "description 19 bytes 4f707573486561640101" in text


def bad_mp4() -> bytes:
    """h264_aac.mp4 up to its second moof, then a moof with only an mfhd."""
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()[:24581]
    mfhd = struct.pack(">I4sII", 16, b"mfhd", 0, 2)  # size, type, version+flags, seq
    return data + struct.pack(">I4s", 8 + len(mfhd), b"moof") + mfhd


def test_parse_error_keeps_what_was_parsed_and_the_offset():
    report = inspect_bytes(bad_mp4(), "video/mp4", name="bad.mp4")
    assert report.error is not None and "traf" in report.error
    assert report.error_offset == 24581  # where the bad moof starts
    # The first fragment (25 video, 45 audio frames) was parsed before the error.
    assert [len(rows) for rows in report.frames.values()] == [25, 45]
    text = render_text(report)
    assert text.endswith(f"ParseError at byte offset 24581: {report.error}")
    doc = json.loads(render_json(report))
    assert doc["error"] == {"message": report.error, "offset": 24581}


def test_guess_type():
    mp4 = b"\x00\x00\x00\x1cftypiso5"
    assert guess_type("x.mp4", mp4)[0] == "video/mp4"
    assert guess_type("x.m4a", mp4)[0] == "audio/mp4"
    assert guess_type("x.bin", b"\x00\x00\x01\x00moof")[0] == "video/mp4"
    assert guess_type("x.webm", mp4)[0] == "video/mp4"  # the bytes win over the name
    assert guess_type("x.weba", bytes.fromhex("1A45DFA3"))[0] == "audio/webm"
    assert guess_type("x", bytes.fromhex("1A45DFA3 9F"))[0] == "video/webm"
    assert guess_type("x.m4s", b"")[0] == "video/mp4"
    assert guess_type("x.cmfv", b"junkjunk")[0] == "video/mp4"
    assert guess_type("x.txt", b"hello world") is None


def test_unsupported_type_is_a_value_error():
    with pytest.raises(ValueError):
        inspect_bytes(b"", "video/x-flv")
    with pytest.raises(ValueError):
        inspect_bytes(b"", "not a mime")


# -- the CLI --------------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "py"))
    return subprocess.run([sys.executable, "-m", "msepy", "inspect", *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.native
def test_cli_text_and_json(tmp_path):
    path = str(FIXTURES / "webm" / "vp9_opus.webm")
    out = cli(path, "--frames", "3")
    assert out.returncode == 0, out.stderr
    assert "video/webm (EBML magic 1A45DFA3, extension .webm)" in out.stdout
    assert "… 47 more" in out.stdout
    out = cli(path, "--json", "--no-frames")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert [t["summary"]["frames"] for t in doc["tracks"]] == [50, 101]
    assert all("frames" not in t for t in doc["tracks"])
    out = cli(path, "--json", "--frames", "1", "--type", 'video/webm; codecs="vp9"')
    assert [len(t["frames"]) for t in json.loads(out.stdout)["tracks"]] == [1, 1]


@pytest.mark.native
def test_cli_exit_codes(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bad_mp4())
    out = cli(str(bad))
    assert out.returncode == 1
    assert "ParseError at byte offset 24581" in out.stdout
    assert "Traceback" not in out.stderr
    unknown = tmp_path / "x.dat"
    unknown.write_bytes(b"hello")
    out = cli(str(unknown))
    assert out.returncode == 2 and "pass --type" in out.stderr
    out = cli(str(unknown), "--type", "video/x-flv")
    assert out.returncode == 2 and "no parser" in out.stderr
    out = cli(str(tmp_path / "missing.mp4"))
    assert out.returncode == 2 and "cannot read" in out.stderr
