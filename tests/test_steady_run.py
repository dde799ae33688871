"""The steady-run path of coded frame processing is the full steps.

``processing._steady_run`` handles runs of frames for which most steps of "Coded Frame
Processing" cannot apply, and hands every other frame to ``_process_frame``.  These
tests replay random sessions (muxed audio, video and text; both modes; timestampOffset,
append window, abort, remove, a repeated initialization segment; gaps, backward timestamps, zero and overlapping durations,
frames before what is buffered) twice - as the engine runs them, and with every frame
through ``_process_frame`` - and require the same track buffers, frame by frame, the same
ranges and the same coded frame processing variables.
"""

from __future__ import annotations

import os
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

import msepy.processing as processing
from helpers import Pair

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


def run_session(ops, steady: bool):
    saved = processing._steady_run
    if not steady:
        processing._steady_run = lambda sb, frames, i, chunks: i
    try:
        p = Pair()
        sb = p.add(type_='video/mp4; codecs="avc1.64001f,mp4a.40.2"')
        p.append(sb, INIT)
        pos: dict[int, int] = {1: 0, 2: 0, 3: 0}
        for op in ops:
            kind = op[0]
            if kind == "append":
                p.append(sb, script(op[1], op[2], pos))
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
        out[tid] = {
            "frames": [(F(f.pts, ts), F(f.dts, ts), F(f.duration, ts), f.is_rap, f.group,
                        F(f.trim_start, ts), F(f.trim_end, ts), f.info is tb.info)
                       for f in tb.frames],
            "ranges": tb.ranges_seconds(),
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
