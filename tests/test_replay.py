"""The replay tool (``python -m msepy replay``): golden outputs, and why they are right.

Every ``tests/replay/NAME.json`` script is run and compared line by line with
``NAME.jsonl``.  Regenerate the golden files after an intended change with
``MSEPY_UPDATE_GOLDEN=1 python3 -m pytest tests/test_replay.py`` and review the diff:
the tests below re-derive the key numbers from ffprobe/mkvinfo (``expected.json``) so a
golden file cannot silently bless a wrong answer.
"""

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from msepy.replay import ScriptError, format_line, number, run_script

HERE = Path(__file__).resolve().parent
REPLAY = HERE / "replay"
FIXTURES = HERE / "fixtures"
SCRIPTS = sorted(p.stem for p in REPLAY.glob("*.json"))
KEYS = ["op", "exc", "events", "readyState", "duration", "buffered", "elBuffered",
        "elReadyState"]


def load(name: str) -> dict:
    return json.loads((REPLAY / f"{name}.json").read_text())


def run(name: str) -> list[dict]:
    return list(run_script(load(name), REPLAY))


def by_op(records: list[dict], script: dict) -> list[tuple[dict, dict]]:
    return list(zip(script["ops"], records))


# -- golden files ------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCRIPTS)
def test_golden_output(name):
    lines = [format_line(r) for r in run(name)]
    golden = REPLAY / f"{name}.jsonl"
    if os.environ.get("MSEPY_UPDATE_GOLDEN") == "1":
        golden.write_text("\n".join(lines) + "\n")
    assert lines == golden.read_text().splitlines()


@pytest.mark.parametrize("name", SCRIPTS)
def test_one_line_per_op_keys_in_the_format_order(name):
    script = load(name)
    records = run(name)
    assert len(records) == len(script["ops"])
    for op, rec in by_op(records, script):
        expected = KEYS + (["value"] if op["op"] == "get" else [])
        assert list(rec) == expected
        assert rec["op"] == (f"{op['op']}:{op['attr']}" if "attr" in op else op["op"])


def test_every_op_kind_is_covered():
    kinds = set()
    for name in SCRIPTS:
        for op in load(name)["ops"]:
            kinds.add(op["op"])
            if op["op"] == "append":
                kinds.add("append:" + ("range" if "range" in op else
                                       next(k for k in ("file", "hex", "bytes") if k in op)))
            if op["op"] in ("set", "get"):
                kinds.add(f"{op['op']}:{op['attr']}")
            if op["op"] == "eos":
                kinds.add(f"eos:{op.get('error')}")
    assert kinds >= {
        "add", "append", "remove", "set", "get", "abort", "changeType",
        "removeSourceBuffer", "seek", "eos", "append:range", "append:file", "append:hex",
        "append:bytes", "eos:None", "eos:decode", "eos:network",
        *(f"{k}:{a}" for k in ("set", "get") for a in (
            "mode", "timestampOffset", "appendWindowStart", "appendWindowEnd", "duration"))}


# -- the numbers, re-derived from ffprobe / mkvinfo ----------------------------------------
def mp4_expected(name: str) -> list[dict]:
    return json.loads((FIXTURES / "mp4" / "expected.json").read_text())[name]["streams"]


def test_mp4_buffered_matches_ffprobe():
    # h264_aac.mp4: moov ends at byte 1219, the second moof starts at 24581.
    # ffprobe packets are [pts, dts, duration, size, pos, key] in the stream time_base.
    video, audio = mp4_expected("h264_aac")
    v_scale, a_scale = (int(s["time_base"].split("/")[1]) for s in (video, audio))

    def end(stream, scale, before=math.inf):
        return max(Fraction(p[0] + (p[2] or 0), scale)
                   for p in stream["packets"] if p[4] < before)

    def start(stream, scale):
        return min(Fraction(p[0], scale) for p in stream["packets"])

    script = load("mp4_h264_aac")
    recs = by_op(run("mp4_h264_aac"), script)
    media = [rec for op, rec in recs if op.get("range", [0])[0] in (1219, 24581)]
    # A muxed SourceBuffer's track ranges start at the coded frame group's start time
    # (the earliest first frame across its tracks: the audio at 0, not the video's
    # 0.08 after 2 frames of B-frame delay), as Chromium does; after the first
    # fragment it ends where the first of its tracks ends.
    first_start = min(start(video, v_scale), start(audio, a_scale))
    assert first_start == 0 and start(video, v_scale) == Fraction(8, 100)
    frag1_end = min(end(video, v_scale, 24581), end(audio, a_scale, 24581))
    assert media[0]["buffered"] == {"v": [[0, number(frag1_end)]]}
    assert number(frag1_end) == 1.018667  # 48896 / 48000: the last AAC frame's end
    # Whole file: the video ends at 2.08 s (ffprobe: last pts 26112 + 512 ticks of
    # 1/12800); the audio stream's ffprobe duration is 2.08 s too.
    assert end(video, v_scale) == Fraction(208, 100)
    assert media[1]["buffered"] == {"v": [[0, 2.08]]}
    eos = next(rec for op, rec in recs if op["op"] == "eos")
    assert eos["duration"] == 2.08 and eos["readyState"] == "ended"


def test_webm_buffered_and_duration_match_mkvinfo():
    # mkvinfo blocks are [track, timestamp ns, duration, key, size, hash]: the stored
    # timestamps.  Track 1 is VP9 (40 ms frames), track 2 Opus (20 ms frames).
    blocks = json.loads((FIXTURES / "webm" / "expected.json").read_text())["vp9_opus"]["mkvinfo"]
    video = [Fraction(b[1], 10**9) for b in blocks if b[0] == 1]
    audio = [Fraction(b[1], 10**9) for b in blocks if b[0] == 2]
    v_end, a_end = max(video) + Fraction(40, 1000), max(audio) + Fraction(20, 1000)
    script = load("webm_abort_changetype")
    recs = by_op(run("webm_abort_changetype"), script)
    whole = next(rec for op, rec in recs if op["op"] == "append" and "range" not in op)
    # Both tracks' ranges start at the coded frame group's start: the earliest first
    # block (the Opus track at 0; VP9 starts at 7 ms), as Chromium reports it.
    assert whole["buffered"] == {"av": [[number(min(min(video), min(audio))),
                                         number(min(v_end, a_end))]]}
    assert whole["buffered"] == {"av": [[0, 2.007]]}
    # The Opus track runs past the Segment's Duration (2.008 s): coded frame
    # processing step 5 raises the duration to the group end.
    assert number(a_end) == 2.021 and whole["duration"] == 2.021
    assert "el:durationchange" in whole["events"]
    init = recs[1][1]
    assert init["duration"] == 2.008  # Segment Info Duration (Initialization step 1)


def test_sequence_mode_and_append_windows_by_arithmetic():
    recs = by_op(run("mp4_two_buffers"), load("mp4_two_buffers"))
    get = {(op.get("sb"), op["attr"], i): rec["value"]
           for i, (op, rec) in enumerate(recs) if op["op"] == "get"}
    # Sequence mode with timestampOffset 10: the 1 s fragments of h264_cmaf.mp4 land
    # at [10, 11) then [11, 12), and timestampOffset stays 10 (group start 10 minus the
    # first frame's pts 0).
    v_appends = [rec for op, rec in recs if op["op"] == "append" and op["sb"] == "v"]
    assert [r["buffered"]["v"] for r in v_appends[1:]] == [[[10, 11]], [[10, 12]]]
    assert [v for (sb, attr, _), v in get.items() if (sb, attr) == ("v", "timestampOffset")] \
        == [10, 10]
    # Append window [10.5, 11.5) with timestampOffset 10 over AAC frames of 1024/44100 s:
    # audio frames straddling the window are trimmed to it (partial append window
    # trimming, as Chromium), so the buffered range is exactly the window - as long as
    # the media covers it.
    frame = Fraction(1024, 44100)
    assert (Fraction(1, 2) / frame).denominator != 1  # the window edges cut frames
    windowed = next(rec for op, rec in recs if op["op"] == "append" and op["sb"] == "a"
                    and "range" in op and op["range"][0] == 692)
    assert windowed["buffered"]["a"] == [[10.5, 11.5]]
    # End of stream: duration = the highest end across every track buffer.
    eos = next(rec for op, rec in recs if op["op"] == "eos" and "error" not in op)
    assert eos["duration"] == max(eos["buffered"]["v"][-1][1], eos["buffered"]["a"][-1][1])


def test_events_are_in_spec_order():
    recs = run("mp4_h264_aac")
    init = recs[2]["events"]
    # Buffer append: updatestart first, update then updateend last; Initialization
    # Segment Received adds to activeSourceBuffers before readyState reaches
    # HAVE_METADATA (durationchange, loadedmetadata).
    assert init == ["v:updatestart", "asbl:addsourcebuffer", "el:durationchange",
                    "el:loadedmetadata", "v:update", "v:updateend"]
    # remove() on an ended MediaSource reopens it before the range removal starts.
    remove = next(r for r in recs if r["op"] == "remove")
    assert remove["events"][:2] == ["ms:sourceopen", "v:updatestart"]
    assert remove["readyState"] == "open"
    # removeSourceBuffer: activeSourceBuffers, then sourceBuffers (steps 9-10).
    rsb = next(r for r in recs if r["op"] == "removeSourceBuffer")
    assert rsb["events"] == ["asbl:removesourcebuffer", "sbl:removesourcebuffer"]
    assert rsb["buffered"] == {"v": "InvalidStateError"}
    # Append error: error, updateend, then end of stream("decode").
    bad = next(r for r in run("webm_abort_changetype") if "av:error" in r["events"])
    assert bad["events"] == ["av:updatestart", "av:error", "av:updateend",
                             "ms:sourceended", "el:error"]
    assert bad["readyState"] == "ended"


def test_exceptions_and_missing_source_buffers():
    recs = by_op(run("errors"), load("errors"))
    excs = [(op["op"], rec["exc"]) for op, rec in recs]
    assert excs[:4] == [("add", "NotSupportedError"), ("get", "NoSourceBuffer"),
                        ("add", "TypeError"), ("remove", "NoSourceBuffer")]
    assert recs[1][1]["value"] is None
    # An add that threw leaves no entry in buffered.
    assert recs[0][1]["buffered"] == {}
    # WebIDL: an invalid enum value for mode is ignored, not thrown.
    assert [rec["value"] for op, rec in recs if op["op"] == "get" and
            op["attr"] == "mode" and op.get("sb") == "a"] == ["segments"]
    assert ("eos", "InvalidStateError") in excs
    assert excs[-2:] == [("add", "InvalidStateError"), ("abort", "NoSourceBuffer")]


# -- output values ------------------------------------------------------------------------
def test_number_formatting():
    assert number(math.nan) == "NaN"
    assert number(math.inf) == "Infinity"
    assert number(-math.inf) == "-Infinity"
    assert number(2.0079994) == 2.007999
    assert number(0.0) == 0 and isinstance(number(0.0), int)
    assert number(30) == 30 and isinstance(number(30.0), int)
    assert number(1 / 3) == 0.333333
    assert number(1e300) == 1e300 and number(1e20) == 10**20 and number(-0.0) == 0
    assert format_line({"op": "x", "buffered": {"v": [[0, 2.5]]}}) == \
        '{"op": "x", "buffered": {"v": [[0, 2.5]]}}'


def test_events_before_op_0_are_not_reported():
    # The attach (loadstart, sourceopen) is the runner's, not an op's.
    (rec,) = run_script({"ops": [{"op": "get", "attr": "duration"}]})
    assert rec["events"] == [] and rec["readyState"] == "open" and rec["value"] == "NaN"


def test_track_list_events_are_left_out():
    # addtrack/removetrack at the track lists are not among the format's targets.
    script = {"base": "../fixtures/mp4", "ops": [
        {"op": "add", "sb": "v", "type": "video/mp4"},
        {"op": "append", "sb": "v", "file": "h264_aac.mp4", "range": [0, 1219]},
        {"op": "removeSourceBuffer", "sb": "v"}]}
    for rec in run_script(script, REPLAY):
        assert all(e.split(":")[0] in {"v", "ms", "el", "sbl", "asbl"} for e in rec["events"])
        assert not any("track" in e for e in rec["events"])


def test_a_name_can_be_added_again():
    script = {"ops": [
        {"op": "add", "sb": "v", "type": "video/webm"},
        {"op": "removeSourceBuffer", "sb": "v"},
        {"op": "add", "sb": "v", "type": "video/webm"},
        {"op": "get", "sb": "v", "attr": "mode"},
        {"op": "add", "sb": "v", "type": "video/unknown"},
        {"op": "get", "sb": "v", "attr": "mode"}]}
    recs = list(run_script(script))
    assert [r["exc"] for r in recs] == [None, None, None, None, "NotSupportedError",
                                         "NoSourceBuffer"]
    assert recs[2]["buffered"] == {"v": []}
    assert recs[3]["value"] == "segments"
    assert recs[5]["buffered"] == {}


# -- bad scripts --------------------------------------------------------------------------
@pytest.mark.parametrize("script, message", [
    ([], "JSON object"),
    ({"ops": 3}, "list of ops"),
    ({"ops": [], "extra": 1}, "unknown top-level field(s): extra"),
    ({"ops": [{"sb": "v"}]}, "op 0: each op is an object"),
    ({"ops": [{"op": "play"}]}, "op 0 (play): unknown op"),
    ({"ops": [{"op": "add", "sb": "v"}]}, "op 0 (add): missing field(s): type"),
    ({"ops": [{"op": "remove", "sb": "v", "start": 0, "ends": 1}]}, "missing field(s): end"),
    ({"ops": [{"op": "abort", "sb": "v", "x": 1}]}, "unknown field(s): x"),
    ({"ops": [{"op": "append", "sb": "v"}]}, "exactly one of file, hex, bytes"),
    ({"ops": [{"op": "append", "sb": "v", "hex": "00", "bytes": [0]}]},
     "exactly one of file, hex, bytes (got hex, bytes)"),
    ({"ops": [{"op": "append", "sb": "v", "hex": "0g"}]}, "hex:"),
    ({"ops": [{"op": "append", "sb": "v", "bytes": [256]}]}, "integers 0-255"),
    ({"ops": [{"op": "append", "sb": "v", "hex": "00", "range": [0, 1]}]}, "range goes with file"),
    ({"ops": [{"op": "append", "sb": "v", "file": "nope.mp4"}]}, "no such file"),
    ({"base": "../fixtures/mp4", "ops": [
        {"op": "append", "sb": "v", "file": "h264_aac.mp4", "range": [47000, 1000]}]},
     "runs past the end"),
    ({"base": "../fixtures/mp4", "ops": [
        {"op": "append", "sb": "v", "file": "h264_aac.mp4", "range": [0]}]}, "[offset, length]"),
    ({"ops": [{"op": "set", "attr": "mode", "value": "sequence"}]}, "attr 'mode' is not one of"),
    ({"ops": [{"op": "get", "sb": "v", "attr": "duration"}]}, "on a SourceBuffer"),
    ({"ops": [{"op": "set", "attr": "duration", "value": "10"}]}, "must be a number"),
    ({"ops": [{"op": "set", "attr": "duration", "value": True}]}, "must be a number"),
    ({"ops": [{"op": "seek", "time": None}]}, "time must be a number"),
    ({"ops": [{"op": "add", "sb": "ms", "type": "video/mp4"}]}, "reserved"),
    ({"ops": [{"op": "add", "sb": 1, "type": "video/mp4"}]}, "sb must be a string"),
    ({"ops": [{"op": "eos", "error": 3}]}, "error must be a string"),
])
def test_bad_scripts_raise_script_error_before_running(script, message):
    with pytest.raises(ScriptError) as info:
        run_script(script, REPLAY)  # raises at once: nothing has run
    assert message in str(info.value)


# -- the CLI ------------------------------------------------------------------------------
def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "py"))
    return subprocess.run([sys.executable, "-m", "msepy", "replay", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.native
def test_cli_prints_the_golden_lines():
    out = cli(str(REPLAY / "mp4_h264_aac.json"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (REPLAY / "mp4_h264_aac.jsonl").read_text()


@pytest.mark.native
def test_cli_bad_script_exits_2_with_a_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ops": [{"op": "add", "sb": "v"}, {"op": "frobnicate"}]}))
    out = cli(str(bad))
    assert out.returncode == 2
    assert out.stdout == ""
    assert "op 0 (add): missing field(s): type" in out.stderr
    assert "Traceback" not in out.stderr
    bad.write_text("{not json")
    out = cli(str(bad))
    assert out.returncode == 2 and "not valid JSON" in out.stderr
    out = cli(str(tmp_path / "missing.json"))
    assert out.returncode == 2 and "cannot read" in out.stderr


@pytest.mark.native
def test_cli_reads_stdin_relative_to_the_current_folder():
    out = cli("-", stdin=json.dumps({"ops": [{"op": "get", "attr": "duration"}]}))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["value"] == "NaN"
