"""The steady-run and run paths of coded frame processing are the full steps.

``processing._steady_run`` handles runs of frames for which most steps of "Coded Frame
Processing" cannot apply, and hands every other frame to ``_process_frame``;
``processing._take_runs`` takes a batch of ``FrameRun``s (as the ISO BMFF parser hands
them out) whole when every frame of it is steady, the frames made later.  These tests
replay random sessions (muxed audio, video and text; both modes; timestampOffset,
append window, abort, remove, a repeated initialization segment; gaps, backward
timestamps, zero and overlapping durations, frames before what is buffered) twice - as
the engine runs them, and with every frame through ``_process_frame`` - and require the
same track buffers, frame by frame, the same ranges and the same coded frame
processing variables.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import msepy.processing as processing
from helpers import Pair, as_runs, ranges

SETTINGS = settings(max_examples=int(os.environ.get("MSEPY_PROPERTY_EXAMPLES", "150")),
                    deadline=None)

INIT = "I v1/90000 a2/48000:48000 t3/1000\n"
STEP = {1: 3000, 2: 1024, 3: 500}  # frame spacing per track (its own timescale)

frame_strategy = st.tuples(
    st.sampled_from([1, 1, 2, 2, 2, 3]),   # track
    st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2, 3, -1, -2]),  # pts step, in spacings
    st.sampled_from([0, 0, 0, 1, 2]),      # decode lead (video reorder), spacings
    st.sampled_from([1, 1, 1, 1, 1, 0, 2, 5]),  # duration, in spacings (0: empty)
    st.sampled_from([True, False, False]),  # random access point
)
op_strategy = st.one_of(
    st.tuples(st.just("append"), st.lists(frame_strategy, min_size=1, max_size=25),
              st.integers(0, 30)),
    st.tuples(st.just("offset"), st.integers(-20, 40)),
    st.tuples(st.just("mode"), st.sampled_from(["segments", "sequence"])),
    st.tuples(st.just("window"), st.integers(0, 60), st.sampled_from([None, 30, 60, 120, 250])),
    st.tuples(st.just("abort")),
    st.tuples(st.just("remove"), st.integers(0, 30), st.integers(1, 30)),
    st.tuples(st.just("init")),  # needs a random access point (Init Segment Received 3.3)
)


def script(frames, start: int | None, pos: dict[int, int]) -> str:
    """Frame lines: each track advances by its own steps from ``start`` tenths of s
    (None: from where the last append left it, ``pos``)."""
    if start is not None:
        pos.update({tid: start * ts // 10 for tid, ts in ((1, 90000), (2, 48000), (3, 1000))})
    lines = ["M"]
    for tid, step, lead, dur, rap in frames:
        pts = pos[tid] + step * STEP[tid]
        pos[tid] = max(0, pts)
        pts = pos[tid]
        dts = pts - (lead * STEP[tid] if tid == 1 else 0)
        rap = rap or tid != 1
        lines.append(f"F {tid} {'K' if rap else '.'} {pts} {dts} {dur * STEP[tid]}")
    return "\n".join(lines + ["E", ""])


# Runs of frames of one track, decoded one after another (dts + duration = next dts),
# as a trun holds them: track, frame count, composition offsets (video), durations (in
# spacings; 0: an empty frame), random access points.
run_strategy = st.tuples(
    st.sampled_from([1] * 6 + [2] * 7 + [3]),
    st.integers(1, 12),
    st.sampled_from([None, None, None, [0, 2, 1, 1], [1, 0, 2], [0, 0, 3], [0, -1, 1]]),
    st.sampled_from([[1]] * 8 + [[1, 2], [2, 1, 1], [1, 0], [3]]),
    st.sampled_from([[True], [True, False, False], [False]]),
)
# A player's session: a first append, then mostly appends that go on where the last
# one left off, now and then another op (a jump, an offset, a removal ...).
runs_session_strategy = st.lists(
    st.tuples(st.sampled_from(["runs"] * 10 + ["jump", "op"]),
              st.lists(run_strategy, min_size=1, max_size=4), st.integers(0, 30), op_strategy),
    min_size=2, max_size=12,
).map(lambda picks: [("runs", runs, start if i == 0 or kind == "jump" else None)
                     if i == 0 or kind != "op" else op
                     for i, (kind, runs, start, op) in enumerate(picks)])


def runs_script(runs, start: int | None, pos: dict[int, int]) -> str:
    """Frame lines for ``runs`` (``run_strategy``), each track's decode timestamps
    going on from ``pos`` (or from ``start`` tenths of s)."""
    if start is not None:
        pos.update({tid: start * ts // 10 for tid, ts in ((1, 90000), (2, 48000), (3, 1000))})
    lines = ["M"]
    for tid, n, ctos, durations, raps in runs:
        for k in range(n):
            dur = durations[k % len(durations)] * STEP[tid]
            dts = pos[tid]
            pts = dts + (ctos[k % len(ctos)] * STEP[tid] if ctos and tid == 1 else 0)
            rap = raps[k % len(raps)] or tid != 1
            lines.append(f"F {tid} {'K' if rap else '.'} {pts} {dts} {dur}")
            pos[tid] = dts + dur
    return "\n".join(lines + ["E", ""])


def run_session(ops, steady: bool, runs: bool = False):
    saved = processing._steady_run
    if not steady:
        processing._steady_run = lambda sb, frames, i, chunks: i
    try:
        p = Pair()
        sb = p.add(type_='video/mp4; codecs="avc1.64001f,mp4a.40.2"', runs=runs)
        p.append(sb, INIT)
        pos: dict[int, int] = {1: 0, 2: 0, 3: 0}
        for op in ops:
            kind = op[0]
            if kind == "append":
                p.append(sb, script(op[1], op[2], pos))
            elif kind == "runs":
                p.append(sb, runs_script(op[1], op[2], pos))
            elif kind == "offset":
                sb.timestamp_offset = op[1] / 10
            elif kind == "mode":
                sb.mode = op[1]
            elif kind == "window":
                sb.append_window_start = 0
                sb.append_window_end = float("inf") if op[2] is None else max(op[2], op[1] + 1) / 100
                sb.append_window_start = op[1] / 100
            elif kind == "abort":
                sb.abort()
            elif kind == "init":
                p.append(sb, INIT)
            elif kind == "remove":
                sb.remove(op[1] / 10, (op[1] + op[2]) / 10)
                p.run()
        return state(sb)
    finally:
        processing._steady_run = saved


def state(sb):
    out = {"buffered": sb.buffered.ranges, "offset": sb._timestamp_offset,
           "group_end": sb.group_end_timestamp, "error": sb.last_error}
    for tid, tb in sorted(sb._track_buffers.items()):
        ts = tb.timescale
        # The ranges kept as frames came (merged in place where they could be) are
        # what a walk over every frame gives.
        assert tb.spans() == tb._compute_ranges()
        out[tid] = {
            "ranges": tb.ranges_seconds(),  # (before the frames: runs may still be pending)
            "count": tb.frame_count,
            "frames": [(F(f.pts, ts), F(f.dts, ts), F(f.duration, ts), f.is_rap, f.group,
                        F(f.trim_start, ts), F(f.trim_end, ts), f.info is tb.info)
                       for f in tb.frames],
            "vars": [None if v is None else F(v, ts) for v in
                     (tb.last_decode_timestamp, tb.last_frame_duration, tb.highest_end_timestamp)],
            "need_rap": tb.need_random_access_point, "size": tb.size,
            "bookkeeping": [F(v, ts) for v in (tb.max_lead, tb.min_lead, tb.max_distance)],
            "extent": (F(tb.max_pts(), ts), F(tb.end_of_frames(), ts)) if tb.frames else None,
        }
    return out


@SETTINGS
@given(st.lists(op_strategy, min_size=1, max_size=8))
def test_steady_runs_match_the_full_steps(ops):
    assert run_session(ops, steady=True) == run_session(ops, steady=False)


# Mostly streams that continue where the last append left off, with a rare gap, step
# back, reorder, empty frame or other op: long steady runs, and runs that end late.
steady_frame_strategy = st.tuples(
    st.sampled_from([1, 2, 2, 3]),
    st.sampled_from([1] * 80 + [0, 2, 3, -1]),
    st.sampled_from([0] * 80 + [1]),
    st.sampled_from([1] * 80 + [0, 2]),
    st.sampled_from([True, False, False]),
)
steady_op_strategy = st.one_of(
    *[st.tuples(st.just("append"), st.lists(steady_frame_strategy, min_size=1, max_size=30),
                st.none())] * 6,
    st.tuples(st.just("append"), st.lists(steady_frame_strategy, min_size=1, max_size=30),
              st.integers(0, 30)),
    op_strategy,
)


@SETTINGS
@given(st.lists(steady_op_strategy, min_size=1, max_size=8))
def test_continuing_streams_match_the_full_steps(ops):
    assert run_session(ops, steady=True) == run_session(ops, steady=False)


@SETTINGS
@given(st.lists(op_strategy, min_size=1, max_size=8))
def test_frame_runs_match_the_full_steps(ops):
    """A parser handing out ``FrameRun``s (coded frame processing's run path, the
    frames made later) gives what every frame through the full steps gives."""
    assert run_session(ops, steady=True, runs=True) == run_session(ops, steady=False)


@SETTINGS
@given(runs_session_strategy)
def test_continuing_frame_runs_match_the_full_steps(ops):
    """Mostly runs that go on where the last append left off, as a player appends."""
    assert run_session(ops, steady=True, runs=True) == run_session(ops, steady=False)


def test_a_steady_stream_takes_the_steady_path():
    """The common case - frames following each other - is the steady path's."""
    calls = []
    real = processing._process_frame
    processing._process_frame = lambda *a: (calls.append(a[1]), real(*a))
    try:
        frames = [(1, 1, 0, 1, i % 5 == 0) for i in range(20)] + [(2, 1, 0, 1, True)] * 20
        ops = [("append", frames[:20] + frames[20:], 0), ("append", frames, 40)]
        run_session(ops, steady=True)
    finally:
        processing._process_frame = real
    # Only the first frame of each track buffer's coded frame group needs every step
    # (the second append is a new media segment far ahead: a discontinuity).
    assert len(calls) <= 4, calls


def test_runs_wait_for_their_frames_until_something_needs_them():
    """The run path keeps a run's columns: ranges, extent and buffered come without the
    frames; the frame feed makes only the runs it hands out."""
    p = Pair()
    sb = p.add(runs=True)
    p.append(sb, "I v1/1000\nM\n" + "".join(f"F 1 K {t} {t} 100\n" for t in range(0, 1000, 100)) + "E\n")
    tb = sb._track_buffers[1]
    p.append(sb, "M\n" + "".join(f"F 1 {'K' if t % 500 == 0 else '.'} {t} {t} 100\n"
                                 for t in range(1000, 3000, 100)) + "E\n")
    p.append(sb, "M\n" + "".join(f"F 1 . {t} {t} 100\n" for t in range(3000, 4000, 100)) + "E\n")
    assert tb.frame_count == 40 and len(tb._frames) == 1  # (the first frame took every step)
    assert ranges(sb.buffered) == [(0, 4)] and tb.max_pts() == 3900 and tb.size == 4000
    assert len(tb._frames) == 1
    from msepy.feed import FrameFeed
    feed = FrameFeed(p.el)
    (track,) = feed.tracks()
    batch = feed.pull(track.key, max_frames=15)
    assert [f.pts for f in batch.frames] == list(range(0, 1500, 100))
    assert len(tb._frames) == 30 and tb.frame_count == 40  # the second run made, not the third
    assert [f.pts for f in tb.frames] == list(range(0, 4000, 100))


def test_a_run_before_frames_held_in_decode_order_goes_in_frame_by_frame():
    """A new coded frame group decoded before frames held (its presentation after them):
    the run that follows is inserted in decode order, as the full steps do."""
    script = ["I v1/1000\nM\n" + "".join(f"F 1 K {t} {t} 100\n" for t in range(0, 1100, 100)) + "E\n",
              "M\nF 1 K 2000 150 100\nE\n",
              "M\n" + "".join(f"F 1 . {2000 + t} {150 + t} 100\n" for t in range(100, 400, 100)) + "E\n"]

    def session(runs: bool):
        p = Pair()
        sb = p.add(runs=runs)
        p.append(sb, script[0])
        sb.abort()
        for part in script[1:]:
            p.append(sb, part)
        return state(sb)

    got = session(runs=True)
    assert got == session(runs=False)
    assert [f[1] for f in got[1]["frames"]] == sorted(f[1] for f in got[1]["frames"])


def test_a_run_holding_a_group_start_frame_keeps_its_anchored_range_start():
    """A track buffer range may start at its coded frame group's start across tracks
    (``TrackBuffer.anchor``); a run with a frame at an anchored pts gets the same ranges
    as the frames one by one."""
    from msepy.bytestream import CodedFrame, TrackInfo
    from msepy.trackbuffer import TrackBuffer
    info = TrackInfo(track_id=1, kind="video", codec="test", timescale=1000, config=None)
    frames = [CodedFrame(1, t, t, 100, True, memoryview(b"x")) for t in range(1000, 2000, 100)]
    made, lazy = TrackBuffer(info), TrackBuffer(info)
    for tb in (made, lazy):
        tb.add(CodedFrame(1, 500, 500, 100, True, memoryview(b"x")))
        tb.anchors[1300] = 900  # (as if a frame at 1300 had started a group at 0.9 s)
    made.extend(frames, 500, 10, (0, 0), 100, (1900, 2000))
    lazy.add_run(as_runs(frames)[0], 1, 0, 0, info, 10, (0, 0), 100, (1900, 2000))
    assert lazy.spans() == made.spans() == made._compute_ranges()
    assert made.ranges() == [[500, 600], [900, 2000]]


def test_a_run_crossing_the_append_window_end_takes_the_full_steps():
    def session(runs: bool):
        p = Pair()
        sb = p.add(runs=runs)
        p.append(sb, "I v1/1000\nM\n" + "".join(f"F 1 K {t} {t} 100\n" for t in range(0, 1000, 100)) + "E\n")
        sb.append_window_end = 1.45
        p.append(sb, "M\n" + "".join(f"F 1 K {t} {t} 100\n" for t in range(1000, 2000, 100)) + "E\n")
        return state(sb)

    got = session(runs=True)
    assert got == session(runs=False) and got["buffered"] == ((0, F(14, 10)),)


def test_a_seek_into_a_pending_run_starts_at_its_random_access_point():
    p = Pair()
    sb = p.add(runs=True)
    p.append(sb, "I v1/1000\nM\n" + "".join(f"F 1 K {t} {t} 100\n" for t in range(0, 1000, 100)) + "E\n")
    p.append(sb, "M\n" + "".join(f"F 1 {'K' if t % 500 == 0 else '.'} {t} {t} 100\n"
                                 for t in range(1000, 4000, 100)) + "E\n")
    from msepy.feed import FrameFeed
    feed = FrameFeed(p.el)
    (track,) = feed.tracks()
    feed.seek(F(37, 10))
    batch = feed.pull(track.key, max_frames=3)
    assert [f.pts for f in batch.frames] == [3500, 3600, 3700] and batch.frames[0].is_rap


def test_a_timestamp_offset_between_ticks_rescales_the_pending_runs_too():
    """A timestampOffset the track buffer's timescale cannot express rescales it
    (``TrackBuffer.rescale``), runs not yet made into frames included."""
    def session(runs: bool):
        p = Pair()
        sb = p.add(runs=runs)
        p.append(sb, "I v1/1000\nM\n" + "".join(f"F 1 K {t} {t} 40\n" for t in range(0, 400, 40)) + "E\n")
        p.append(sb, "M\n" + "".join(f"F 1 . {t} {t} 40\n" for t in range(400, 800, 40)) + "E\n")
        sb.timestamp_offset = 1 / 3  # (a double: 0.333..., in ticks of 1/3 s no timescale divides)
        p.append(sb, "M\n" + "".join(f"F 1 . {t} {t} 40\n" for t in range(800, 1200, 40)) + "E\n")
        return state(sb), sb._track_buffers[1].timescale

    (got, timescale), (want, _) = session(runs=True), session(runs=False)
    assert got == want and timescale > 1000


# -- Real fMP4: the run path against the frames path ------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "mp4"
SESSIONS = [  # (fixture, ops): each op appends the file (in pieces), or sets an attribute
    ("bench_720p.mp4", [("mode", "sequence"), ("append", 512 * 1024)] + [("append", 512 * 1024)] * 2),
    ("h264_aac.mp4", [("append", 5000), ("offset", 10), ("append", 3000), ("remove", (10.5, 11)),
                      ("append", None)]),
    ("h264_aac_elst.mp4", [("append", 7777), ("window", (0.5, 1.5)), ("append", None)]),
    ("h264_2997.mp4", [("append", 4096), ("offset", 1001 / 30000), ("append", 9999)]),
    ("h264_cmaf.mp4", [("append", None), ("append", 2048)]),
    ("aac_44k.mp4", [("append", 1000), ("mode", "sequence"), ("append", None)]),
    ("opus.mp4", [("append", None), ("append", 333)]),
]


def _fmp4_session(name: str, ops, runs: bool):
    import msepy.bytestream.isobmff as isobmff
    from msepy import HTMLMediaElement, MediaSource, TaskQueue
    saved = isobmff._check_layout
    if not runs:  # every sample as a CodedFrame (the path a fragment in an unusual layout takes)
        def frames_only(frag, moof_end):
            saved(frag, moof_end)
            frag.trun_starts = None
        isobmff._check_layout = frames_only
    try:
        queue = TaskQueue()
        ms, el = MediaSource(queue=queue), HTMLMediaElement(queue=queue)
        el.src_object = ms
        queue.run_until_idle()
        codecs = ",".join(json.loads((FIXTURES / "expected.json").read_text())[name[:-4]]["codecs"])
        sb = ms.add_source_buffer(f'video/mp4; codecs="{codecs}"')
        data = (FIXTURES / name).read_bytes()
        for kind, arg in ops:
            if kind == "append":
                step = arg or len(data)
                for i in range(0, len(data), step):
                    sb.append_buffer(data[i:i + step])
                    queue.run_until_idle()
            elif kind == "mode":
                sb.mode = arg
            elif kind == "offset":
                sb.timestamp_offset = arg
            elif kind == "window":
                sb.append_window_start, sb.append_window_end = arg
            elif kind == "remove":
                sb.remove(*arg)
                queue.run_until_idle()
        out = state(sb)
        for tid, tb in sb._track_buffers.items():
            out[tid]["payloads"] = [bytes(f.data) for f in tb.frames]
        return out
    finally:
        isobmff._check_layout = saved


@pytest.mark.parametrize("name,ops", SESSIONS, ids=[s[0] for s in SESSIONS])
def test_real_fmp4_through_runs_is_frame_for_frame_what_the_frames_give(name, ops):
    got = _fmp4_session(name, ops, runs=True)
    assert got == _fmp4_session(name, ops, runs=False)
    assert all(got[tid]["frames"] for tid in got if isinstance(tid, int))
