"""Property tests (hypothesis).

1. TimeRanges set operations agree with a brute-force model (sets of unit cells on
   small integer endpoints), and keep HTML's normalized form.
2. Coded frame processing/removal invariants over random sequences of GOP appends and
   removes with random timestampOffsets:
   (a) every buffered range has frames under it and every frame lies inside one;
   (b) frames stay sorted by dts, and no two frames overlap in presentation interval
       by more than the 1 microsecond the spec's video overlap rule tolerates;
   (c) N GOPs appended into an empty buffer and then remove(0, inf) leave nothing;
   (d) removing exactly what one append added (a disjoint GOP run) restores the
       previous buffered ranges and frame list.

Settings stay bounded (``max_examples`` ~100, no deadline): the suite also runs inside
Pyodide.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction as F

from hypothesis import given, settings, strategies as st

from helpers import Pair, frames_of, reordered_gop_lines
from msepy import TimeRanges

SETTINGS = settings(max_examples=int(os.environ.get("MSEPY_PROPERTY_EXAMPLES", "100")),
                    deadline=None)
"""``MSEPY_PROPERTY_EXAMPLES=5000`` for a long local run."""

# == 1. TimeRanges against a model ==========================================================

N = 16
raw_ranges = st.lists(
    st.tuples(st.integers(0, N - 1), st.integers(1, N)).filter(lambda r: r[0] < r[1])
    .map(lambda r: (F(r[0]), F(r[1]))), max_size=6)


def cells(raw) -> set[int]:
    return {k for s, e in raw for k in range(int(s), int(e))}


def runs(cs: set[int]) -> tuple:
    """The normalized ranges covering exactly the cells ``cs``."""
    out: list[list[int]] = []
    for k in sorted(cs):
        if out and out[-1][1] == k:
            out[-1][1] = k + 1
        else:
            out.append([k, k + 1])
    return tuple((F(s), F(e)) for s, e in out)


def is_normalized(tr: TimeRanges) -> bool:
    rs = tr.ranges
    return all(s < e for s, e in rs) and all(a[1] < b[0] for a, b in zip(rs, rs[1:]))


@SETTINGS
@given(raw_ranges)
def test_timeranges_normalize_like_the_model(a):
    tr = TimeRanges(a)
    assert tr.ranges == runs(cells(a))
    assert is_normalized(tr)
    assert tr.length == len(tr.ranges)
    for k in range(N + 1):
        assert tr.contains(F(2 * k + 1, 2)) == (k in cells(a))


@SETTINGS
@given(raw_ranges, raw_ranges)
def test_timeranges_union_intersection_difference_match_the_model(a, b):
    ta, tb = TimeRanges(a), TimeRanges(b)
    ca, cb = cells(a), cells(b)
    assert ta.union(tb).ranges == runs(ca | cb)
    assert ta.intersection(tb).ranges == runs(ca & cb)
    assert ta.difference(tb).ranges == runs(ca - cb)
    for result in (ta.union(tb), ta.intersection(tb), ta.difference(tb)):
        assert is_normalized(result)


@SETTINGS
@given(raw_ranges, raw_ranges, raw_ranges)
def test_timeranges_set_laws(a, b, c):
    ta, tb, tc = TimeRanges(a), TimeRanges(b), TimeRanges(c)
    assert ta.union(tb) == tb.union(ta)
    assert ta.intersection(tb) == tb.intersection(ta)
    assert ta.union(tb).union(tc) == ta.union(tb.union(tc))
    assert ta.intersection(tb).intersection(tc) == ta.intersection(tb.intersection(tc))
    assert ta.intersection(tb.union(tc)) == ta.intersection(tb).union(ta.intersection(tc))
    assert ta.union(ta) == ta and ta.intersection(ta) == ta
    assert ta.difference(ta).length == 0
    assert ta.difference(tb).union(ta.intersection(tb)) == ta
    assert ta.difference(tb).intersection(tb).length == 0


@SETTINGS
@given(raw_ranges, raw_ranges, st.sampled_from([F(1, 3), F(1001, 30000), F(7, 2)]))
def test_timeranges_are_exact_under_scaling(a, b, unit):
    # Scaling every endpoint by a rational commutes with the operations: no rounding.
    scale = lambda raw: [(s * unit, e * unit) for s, e in raw]  # noqa: E731
    ta, tb = TimeRanges(scale(a)), TimeRanges(scale(b))
    assert ta.union(tb).ranges == tuple((s * unit, e * unit) for s, e in runs(cells(a) | cells(b)))
    assert ta.difference(tb).ranges == tuple((s * unit, e * unit)
                                             for s, e in runs(cells(a) - cells(b)))


@SETTINGS
@given(raw_ranges, st.integers(0, N))
def test_timeranges_with_an_unbounded_end(a, start):
    tail = TimeRanges([(F(start), math.inf)])
    ta = TimeRanges(a)
    assert ta.union(tail).highest_end == math.inf
    inter = ta.intersection(tail)
    assert inter.ranges == runs({k for k in cells(a) if k >= start})
    assert ta.difference(tail).ranges == runs({k for k in cells(a) if k < start})


# == 2. coded frame processing invariants ==================================================

D = 40  # frame duration in ms ticks (timescale 1000): the grid every run sits on
GRID = F(D, 1000)
TOLERANCE = F(1, 1_000_000)  # coded frame processing 13 (video): 1 microsecond
JITTER = 1e-6 / 4  # sub-microsecond offsets, always below the tolerance

gop_shape = st.tuples(st.booleans(), st.integers(1, 4))  # (reordered, size)
run_strategy = st.fixed_dictionaries({
    "slot": st.integers(0, 40),            # media timestamp of the run, in grid slots
    "gops": st.lists(gop_shape, min_size=1, max_size=3),
    "offset": st.integers(-4, 30),         # timestampOffset, in grid slots …
    "jitter": st.integers(0, 3),           # … plus this many quarter microseconds
    "abort": st.booleans(),                # start a new coded frame group first
    "delay": st.integers(0, 1),            # decode delay of the GOPs without reordering
})
remove_strategy = st.tuples(st.integers(0, 70), st.one_of(st.integers(1, 30), st.none()))
op_strategy = st.one_of(st.tuples(st.just("append"), run_strategy),
                        st.tuples(st.just("remove"), remove_strategy))


def delayed_gop_lines(start: int, n: int, delay: int = 1) -> str:
    """A GOP without reordering, decoded ``delay`` frames ahead (dts = pts - delay D).
    With delay 1 it has the decode delay of ``reordered_gop_lines``, so GOPs of both
    kinds follow each other with dts steps of exactly D."""
    return "".join(f"F 1 {'K' if i == 0 else '.'} {start + i * D} "
                   f"{start + (i - delay) * D} {D}\n" for i in range(n))


def run_script(slot: int, gops, delay: int = 1) -> tuple[str, int]:
    """FrameScript for a run of GOPs starting at grid ``slot``; returns (script,
    number of grid slots it covers)."""
    out, pos = [], slot
    for reordered, size in gops:
        if reordered:
            m = min(size, 2)
            out.append(reordered_gop_lines(pos * D, m=m, dur=D))
            pos += 2 * m + 1
        else:
            out.append(delayed_gop_lines(pos * D, size, delay))
            pos += size
    return "M\n" + "".join(out) + "E\n", pos - slot


class Model:
    """Drives one SourceBuffer (segments mode, one video track) and remembers where
    the last run ended, so that a run which would continue the current coded frame
    group from before its end starts a new group instead (the spec's step 14 only
    removes from the highest end timestamp onwards within a group)."""

    def __init__(self) -> None:
        self.p = Pair()
        self.sb = self.p.add()
        self.p.append(self.sb, f"I v1/1000\n")
        self.prev_end: F | None = None

    def append(self, run) -> tuple[F, F]:
        sb = self.sb
        sb.timestamp_offset = run["offset"] * D / 1000 + run["jitter"] * JITTER
        offset = sb._timestamp_offset  # the exact value the engine uses
        script, slots = run_script(run["slot"], run["gops"], run.get("delay", 1))
        start = run["slot"] * GRID + offset
        end = start + slots * GRID
        if run["abort"] or (self.prev_end is not None and start < self.prev_end):
            sb.abort()
        self.p.append(sb, script)
        assert sb.last_error is None, sb.last_error
        self.prev_end = end
        return start, end

    def remove(self, start: float, end: float) -> None:
        self.sb.remove(start, end)
        self.p.run()

    def apply(self, op) -> None:
        kind, arg = op
        if kind == "append":
            self.append(arg)
        else:
            s, length = arg
            self.remove(s * D / 1000, math.inf if length is None else (s + length) * D / 1000)

    def frames(self) -> list[tuple]:
        return frames_of(self.sb)

    def check_invariants(self) -> None:
        frames = self.frames()
        buffered = self.sb.buffered.ranges
        # (a) every frame lies inside a buffered range …
        for pts, _, dur, _ in frames:
            assert any(s <= pts and pts + dur <= e for s, e in buffered), (pts, buffered)
        # … and every range starts at a frame's pts and ends at a frame's end.
        starts = {f[0] for f in frames}
        ends = {f[0] + f[2] for f in frames}
        for s, e in buffered:
            assert s in starts and e in ends, ((s, e), frames)
        # (b) decode order, and no overlap beyond the tolerance.
        dts = [f[1] for f in frames]
        assert dts == sorted(dts)
        reach = None
        for pts, _, dur, _ in sorted(frames):
            if reach is not None:
                assert reach - pts <= TOLERANCE, (pts, reach, frames)
            reach = pts + dur if reach is None else max(reach, pts + dur)


@SETTINGS
@given(st.lists(op_strategy, max_size=8))
def test_track_buffer_invariants_hold_after_every_operation(ops):
    m = Model()
    for op in ops:
        m.apply(op)
        m.check_invariants()


@SETTINGS
@given(st.lists(run_strategy, min_size=1, max_size=4))
def test_appending_then_removing_everything_leaves_nothing(runs_):
    m = Model()
    for run in runs_:
        m.append(run)
    m.check_invariants()
    m.remove(0, math.inf)
    assert m.frames() == []
    assert m.sb.buffered.length == 0
    assert m.p.el.buffered.length == 0


@SETTINGS
@given(st.lists(op_strategy, max_size=6), st.lists(gop_shape, min_size=1, max_size=3),
       st.integers(0, 20), st.data())
def test_removing_a_disjoint_append_restores_the_previous_state(ops, gops, offset, data):
    m = Model()
    for op in ops:
        m.apply(op)
    before_frames = m.frames()
    before_ranges = m.sb.buffered.ranges
    _, slots = run_script(0, gops)
    # Gaps between the frames (and after them) with two empty grid slots on each side.
    spans = sorted((f[0], f[0] + f[2]) for f in before_frames)
    merged: list[list[F]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    edges = [F(0)] + [x for s, e in merged for x in (s, e)] + [None]
    candidates = []
    for gap_start, gap_end in zip(edges[::2], edges[1::2]):
        first = math.ceil(gap_start / GRID) + 2
        if gap_end is None or (first + slots + 2) * GRID <= gap_end:
            candidates.append(first)
    target = data.draw(st.sampled_from(candidates), label="target slot")
    offset = min(offset, target)
    start, end = m.append({"slot": target - offset, "gops": gops, "offset": offset,
                           "jitter": 0, "abort": True})
    assert len(m.frames()) > len(before_frames)
    m.remove(float(start), float(end))
    assert m.frames() == before_frames
    assert m.sb.buffered.ranges == before_ranges


def test_removal_ends_at_the_lowest_random_access_point_after_it():
    # Found by the property above: two overlapping coded frame groups (the second a
    # quarter microsecond late) leave a RAP at 1.52 s decoded before one at
    # 1.48000025 s.  Removing [0.12, 0.16) must stop at the lower one ("Coded Frame
    # Removal" step 3.2: the next random access point), keeping it and its dependents.
    m = Model()
    for run in ({"slot": 0, "gops": [(False, 1)], "offset": 0, "jitter": 0, "abort": False, "delay": 0},
                {"slot": 14, "gops": [(False, 1)], "offset": 23, "jitter": 1, "abort": False, "delay": 0},
                {"slot": 37, "gops": [(True, 1)], "offset": 1, "jitter": 0, "abort": False, "delay": 0}):
        m.append(run)
    before = m.frames()
    start, end = m.append({"slot": 3, "gops": [(False, 1)], "offset": 0, "jitter": 0,
                           "abort": True})
    m.remove(float(start), float(end))
    assert m.frames() == before


# == 3. SourceBuffer.buffered: the one-range shortcut against the spec's steps ==================

class _TrackBufferStub:
    def __init__(self, kind: str, timescale: int, ranges: list[list[int]]) -> None:
        self.kind, self.timescale, self._ranges = kind, timescale, ranges

    def ranges(self) -> list[list[int]]:
        return self._ranges


track_buffer_stubs = st.lists(
    st.tuples(st.sampled_from(["audio", "video", "text"]),
              st.sampled_from([1000, 15360, 44100, 48000, 90000]),
              st.integers(-5000, 5000), st.integers(1, 400_000)),
    min_size=1, max_size=4,
).map(lambda specs: [_TrackBufferStub(kind, ts, [[start, start + length]])
                     for kind, ts, start, length in specs])


@SETTINGS
@given(track_buffer_stubs, st.booleans())
def test_buffered_of_one_range_track_buffers_follows_the_steps(tbs, ended):
    """``sourcebuffer._single_range_intersection`` (the usual case, in ticks) gives what
    the "buffered" getter's steps 2-4 give with TimeRanges."""
    from msepy.sourcebuffer import _single_range_intersection
    ends = [F(tb.ranges()[0][1], tb.timescale) for tb in tbs]
    highest = max(ends)                                            # 2.
    expected = TimeRanges([(F(0), highest)])                       # 3.
    for tb in tbs:                                                 # 4.
        if tb.kind == "text":
            continue
        (s, e), ts = tb.ranges()[0], tb.timescale
        track = [(F(s, ts), highest if ended else F(e, ts))]       # 4.2
        expected = expected.intersection(TimeRanges(track))        # 4.3
    got = _single_range_intersection(tbs, highest, ended)
    assert got == expected
    assert got.ranges == expected.ranges and all(
        type(b) is F for r in got.ranges for b in r)


def test_buffered_with_a_gap_in_a_track_takes_the_steps():
    from msepy.sourcebuffer import _single_range_intersection
    gap = [_TrackBufferStub("video", 1000, [[0, 1000], [2000, 3000]])]
    assert _single_range_intersection(gap, F(3), False) is None
