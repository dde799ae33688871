"""TrackBuffer keeps its ranges in place - a coded frame group's start (``anchor``), a
run of frames with holes (``add_run``) - rather than recomputing them over every frame
held: the result is always what a full recompute gives."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from msepy import HTMLMediaElement, MediaSource, TaskQueue

from msepy.bytestream import CodedFrame, TrackInfo
from msepy.trackbuffer import TrackBuffer

from helpers import Pair

INFO = TrackInfo(track_id=1, kind="video", codec="test", timescale=1000, config=None)

op = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 400), st.integers(1, 40)),      # pts, duration
    st.tuples(st.just("anchor"), st.integers(0, 70), st.integers(0, 120)),   # frame from end, lead
    st.tuples(st.just("remove"), st.integers(0, 70), st.integers(0, 3)),     # frame from end, count
    st.tuples(st.just("split"), st.integers(0, 70), st.integers(0, 3)),      # ... by Coded Frame Removal
)


@settings(max_examples=300, deadline=None)
@given(st.lists(op, max_size=40))
def test_ranges_after_anchors_equal_a_full_recompute(ops):
    tb = TrackBuffer(INFO)
    dts = 0
    for kind, a, b in ops:
        if kind == "add":
            tb.add(CodedFrame(track_id=1, pts=a, dts=dts, duration=b, is_rap=True,
                              data=memoryview(b"x")))
            dts += 1
        elif kind == "anchor" and tb.frames:
            f = tb.frames[-1 - a % len(tb.frames)]
            tb.anchor(f.pts, max(0, f.pts - b))
        elif kind in ("remove", "split") and tb.frames:
            i = len(tb.frames) - 1 - a % len(tb.frames)
            tb.remove_indices(range(i, min(len(tb.frames), i + b)), split=kind == "split")
        incremental = [list(r) for r in tb.spans()]
        assert incremental == tb._compute_ranges(), ops


def test_a_group_start_merges_without_a_recompute():
    tb = TrackBuffer(INFO)
    for i in range(10):
        tb.add(CodedFrame(track_id=1, pts=i * 10, dts=i * 10, duration=10, is_rap=True,
                          data=memoryview(b"x")))
    tb.add(CodedFrame(track_id=1, pts=200, dts=200, duration=10, is_rap=True,
                      data=memoryview(b"x")))
    assert tb.ranges() == [[0, 100], [200, 210]]
    tb.anchor(200, 95)   # the group starts where the audio of the group starts
    assert not tb._ranges_dirty and tb.ranges() == [[0, 210]]
    tb.anchor(200, 150)  # a later start than before: recomputed
    assert tb._ranges_dirty and tb.ranges() == [[0, 100], [150, 210]]


def test_a_removal_before_a_group_start_leaves_the_range_at_its_first_frame():
    """Chromium (checked by e2e/differential.test.mjs, "overlapping appends replace
    what they overlap"): a coded frame group's start reaches back only for the range
    the group began; remove() of the frames before it splits the range there, and the
    part left starts at its first frame.  Here the group's video keyframe is at 0.83 s
    and its start, the audio's first frame, at 0.7686 s."""
    data = (Path(__file__).parent / "fixtures" / "mp4" / "h264_aac.mp4").read_bytes()
    cut = data.find(b"moof", len(data) // 2) - 4
    pair = Pair()
    sb = pair.add("sb", 'video/mp4; codecs="avc1.64000b,mp4a.40.2"', script=False)
    pair.append(sb, data)
    sb.timestamp_offset = -0.25
    pair.append(sb, data[cut:])
    assert sb.buffered.doubles() == [[0.0, 1.83]]
    video = next(tb for tb in sb._track_buffers.values() if tb.kind == "video")
    keyframe = next(f for f in video.frames if f.is_rap and f.pts > 0)
    assert video.anchors.get(keyframe.pts) is not None   # 0.83 s anchored to 0.7686 s
    sb.remove(0, 0.75)
    pair.run()
    assert sb.buffered.doubles() == [[0.83, 1.83]]        # Chromium's: was [0.7686, 1.83]
    assert video.spans() == video.ranges_over_frames()[0]


def test_small_appends_of_b_frame_video_keep_the_ranges_in_place(monkeypatch):
    """A player appending H.264 with B-frames in small pieces (as low-latency players
    append CMAF chunks): a piece that cuts a B-frame pyramid leaves holes in the
    presentation timeline that the next piece fills.  Its frames merge into the ranges;
    nothing walks every frame held (before, such a piece made a walk over all 300 video
    frames held here: a cost that grows with the buffer, paid by every piece that cuts
    a pyramid).  The ranges are the whole file's."""
    data = (Path(__file__).parent / "fixtures/mp4/bench_720p.mp4").read_bytes()
    mime = 'video/mp4; codecs="avc1.64001f,mp4a.40.2"'

    def buffered(pieces):
        queue = TaskQueue()
        ms = MediaSource(queue=queue)
        HTMLMediaElement(queue=queue).src_object = ms
        queue.run_until_idle()
        sb = ms.add_source_buffer(mime)
        for i, piece in enumerate(pieces):
            if i == 1:
                walks.clear()  # (the first piece: the first ranges, a first recompute)
            sb.append_buffer(piece)
            queue.run_until_idle()
        assert sb.last_error is None
        return sb.buffered.ranges

    walks = []
    recompute = TrackBuffer._compute_ranges
    monkeypatch.setattr(TrackBuffer, "_compute_ranges",
                        lambda self: walks.append(self.frame_count) or recompute(self))
    first = 900_000
    pieces = [data[:first]] + [data[i:i + 8192] for i in range(first, len(data), 8192)]
    chunked = buffered(pieces)
    assert walks == []
    assert chunked == buffered([data])


def reference_remove(frames, doomed, protect_group):
    """Coded frame removal's dependency rule over every frame after the first doomed
    one (TrackBuffer.remove_indices before it stopped after the last)."""
    keep, removed, dropping = [], [], False
    for i, f in enumerate(frames):
        if i in doomed:
            removed.append(f)
            dropping = True
        elif dropping and not f.is_rap and f.group != protect_group:
            removed.append(f)
        else:
            if f.is_rap and f.group != protect_group:
                dropping = False
            keep.append(f)
    return keep, removed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2), st.integers(1, 30)), min_size=1,
                max_size=40),
       st.sets(st.integers(0, 39), max_size=6), st.sampled_from([None, 1, 2]))
def test_removal_with_dependents_is_the_walk_over_every_frame(spec, doomed, protect_group):
    tb = TrackBuffer(INFO)
    for k, (rap, group, duration) in enumerate(spec):
        tb.add(CodedFrame(track_id=1, pts=k * 10, dts=k * 10, duration=duration, is_rap=rap,
                          data=memoryview(b"x"), group=group))
    frames = list(tb.frames)
    doomed = {i for i in doomed if i < len(frames)}
    keep, removed = reference_remove(frames, doomed, protect_group)
    tb.max_pts(), tb.end_of_frames(), tb.ranges()  # known before: kept where they stand
    assert tb.remove_indices(doomed, protect_group) == removed
    assert tb.frames == keep
    assert tb.size == len(keep)
    held = [(f.pts, f.pts + f.duration) for f in keep]
    assert (tb.max_pts(), tb.end_of_frames()) == (
        (max(s for s, _ in held), max(e for _, e in held)) if held else (float("-inf"),) * 2)
    assert [list(r) for r in tb.spans()] == tb._compute_ranges()


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([0, 0, 10, 20, 30]), st.integers(1, 30),
                          st.sampled_from([None, None, None, 5, 15, 45, 120])),
                min_size=1, max_size=40),
       st.integers(0, 40), st.integers(1, 40), st.sampled_from([None, 1]))
def test_ranges_after_removing_a_block_of_frames_equal_a_full_recompute(spec, first, count,
                                                                        protect_group):
    """Removing frames that follow one another in decode order (eviction from the
    front or the back, ``remove()``) keeps the ranges in place where it can: with
    B-frame reordering and coded frame group starts (anchors) too, they are what a
    recompute over every frame gives."""
    tb = TrackBuffer(INFO)
    for k, (rap, lead, duration, anchor) in enumerate(spec):
        pts = k * 10 + lead
        tb.add(CodedFrame(track_id=1, pts=pts, dts=k * 10, duration=duration, is_rap=rap or k == 0,
                          data=memoryview(b"x"), group=k % 2))
        if anchor is not None:
            tb.anchor(pts, max(0, pts - anchor))
    tb.ranges()
    first = min(first, len(tb.frames) - 1)
    tb.remove_indices(range(first, min(first + count, len(tb.frames))), protect_group)
    assert [list(r) for r in tb.spans()] == tb._compute_ranges()


def test_a_hole_the_fudge_bridges_leaves_one_range():
    """Frames every 10 ticks lasting 10 (fudge 20): removing one leaves a 10-tick hole,
    which the ranges bridge - in place, as a recompute does."""
    tb = TrackBuffer(INFO)
    for k in range(10):
        tb.add(CodedFrame(track_id=1, pts=k * 10, dts=k * 10, duration=10, is_rap=True,
                          data=memoryview(b"x")))
    assert tb.ranges() == [[0, 100]]
    tb.remove_indices([5])
    assert not tb._ranges_dirty and tb.spans() == tb._compute_ranges()
    assert tb.ranges() == [[0, 100]]
    tb.remove_indices([5, 6, 7])  # a 30-tick hole: two ranges
    assert not tb._ranges_dirty and tb.spans() == tb._compute_ranges()
    assert tb.ranges() == [[0, 50], [90, 100]]


def test_a_range_reaches_the_fudge_past_its_highest_frames_start():
    """Chromium's adjacency (SourceBufferRange::IsNextInPresentationSequence): the next
    frame joins a range if it starts at most the fudge room after the start of the
    range's highest frame, not after the range's end.  Frames every 10 ticks lasting 10
    (fudge 20): a hole of one frame is bridged, a hole of two is not (the range before
    ends at 50, its highest frame starts at 40: 40 + 20 < 70) - in place and in a
    recompute alike.  (e2e differential: timestampOffset 1/3, then the second half in
    sequence mode at 7/3, leaves two 40 ms H.264 frames out: two ranges in Chromium.)"""
    tb = TrackBuffer(INFO)
    for k in range(10):
        tb.add(CodedFrame(track_id=1, pts=k * 10, dts=k * 10, duration=10, is_rap=True,
                          data=memoryview(b"x")))
    tb.remove_indices([5, 6])
    assert tb.spans() == tb._compute_ranges()
    assert tb.ranges() == [[0, 50], [70, 100]]
    tb.add(CodedFrame(track_id=1, pts=60, dts=100, duration=10, is_rap=True,
                      data=memoryview(b"x")))
    assert tb.ranges() == [[0, 100]]
    late = TrackBuffer(INFO)  # appended after a gap of the same size: the same rule
    for pts in (0, 10, 20, 30, 40, 70, 80):
        late.add(CodedFrame(track_id=1, pts=pts, dts=pts, duration=10, is_rap=True,
                            data=memoryview(b"x")))
    assert late.ranges() == [[0, 50], [70, 90]] and late.spans() == late._compute_ranges()


def test_a_removal_that_drops_the_anchor_a_range_started_at_recomputes_that_range():
    """A group whose start reached back past earlier frames (an abort(), then a muxed
    append whose audio starts before them) anchored its video frame far back; a
    remove() between drops that anchor (``_unanchor``), and the range before the
    removal starts at its own first frame again, not at the dropped start (found by
    tests/test_steady_run.py at 5000 examples)."""
    tb = TrackBuffer(INFO)
    for i in range(1, 37):
        tb.add(CodedFrame(track_id=1, pts=i * 30, dts=i * 30, duration=30, is_rap=True,
                          data=memoryview(b"x")))
    tb.anchor(780, 19)
    assert tb.ranges() == [[19, 1110]]
    tb.remove_indices(tb.frames_in(90, 180), split=True)
    assert tb.anchors == {}
    assert tb.spans() == tb.ranges_over_frames()[0]
    assert tb.ranges() == [[30, 90], [180, 1110]]
