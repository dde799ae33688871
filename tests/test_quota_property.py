"""The append quota the page throws QuotaExceededError by (``appendQuota`` in every
SourceBuffer record, msepy.bridge) is the engine's own answer: for any buffer, position
and seek, an append of the quota's bytes passes "Prepare Append", and one more byte is
QuotaExceededError - muxed tracks charged their proportional shares (msepy.eviction)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings, strategies as st

from msepy import HTMLMediaElement, MediaSource, TaskQueue
from msepy.bridge_state import append_quota
from msepy._time import floor_ticks
from msepy.errors import QuotaExceededError
from msepy.eviction import _find_playing_gop, _freeable_walked, _playing_gop, freeable_bytes

DATA = (Path(__file__).parent / "fixtures" / "mp4" / "h264_aac.mp4").read_bytes()
MIME = 'video/mp4; codecs="avc1.64000b,mp4a.40.2"'
EXAMPLES = int(os.environ.get("MSEPY_PROPERTY_EXAMPLES", "60"))


def build(copies: int, offsets: list[int], limits: tuple[int, int], position: int, seek: bool):
    """A SourceBuffer of ``copies`` appends of the fixture (sequence mode, with the
    given timestampOffsets in tenths of a second; QuotaExceededError ones skipped),
    the element at ``position`` tenths (seeking there when ``seek``)."""
    queue = TaskQueue()
    ms = MediaSource(queue=queue, memory_limits={"video": limits[0], "audio": limits[1]})
    el = HTMLMediaElement(queue=queue)
    el.src_object = ms
    queue.run_until_idle()
    sb = ms.add_source_buffer(MIME)
    sb.mode = "sequence"
    for k in range(copies):
        if offsets[k % len(offsets)] >= 0:
            sb.timestamp_offset = offsets[k % len(offsets)] / 10
        try:
            sb.append_buffer(DATA)
        except QuotaExceededError:
            pass
        queue.run_until_idle()
        assert sb.last_error is None
    if seek:
        el.current_time = position / 10
        queue.run_until_idle()
    else:
        el._position = Fraction(position, 10)
    return sb


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.integers(2, 12), st.lists(st.integers(-1, 200), min_size=1, max_size=4),
       st.tuples(st.integers(45_000, 160_000), st.integers(15_000, 50_000)),
       st.integers(0, 250), st.booleans())
def test_the_append_quota_is_the_engines_answer(copies, offsets, limits, position, seek):
    args = (copies, offsets, limits, position, seek)
    quota = append_quota(build(*args))
    if quota == float("inf"):
        return
    if quota >= 0:
        build(*args).append_buffer(bytes(quota))  # fits (not media: an append error follows)
    try:
        build(*args).append_buffer(bytes(quota + 1))
    except QuotaExceededError:
        pass
    else:
        raise AssertionError(f"an append of {quota + 1} bytes was accepted; quota {quota}")


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.integers(2, 12), st.lists(st.integers(-1, 200), min_size=1, max_size=4),
       st.lists(st.integers(0, 250), min_size=1, max_size=6),
       st.one_of(st.none(), st.tuples(st.integers(0, 250), st.integers(1, 60))))
def test_what_eviction_could_free_is_counted_as_the_walk_counts_it(copies, offsets, positions,
                                                                     cut):
    """``freeable_bytes``' usual case counts the front from its running total
    (``TrackBuffer.bytes_before``: kept across appends and positions, dropped by an
    insertion or removal before it) without making the pending runs' frames; it agrees
    with the walk over every frame, as the position moves, after more appends and
    after a removal."""
    sb = build(copies, offsets, (10**9, 10**9), 0, False)
    el = sb._source._element
    queue = sb._source._queue

    def check() -> None:
        for tb in sb._track_buffers.values():
            if not tb.frame_count:  # (a removal took everything: nothing to free)
                assert freeable_bytes(tb, el._position) == 0
                continue
            pos = floor_ticks(el._position, tb.timescale)
            assert freeable_bytes(tb, el._position) == _freeable_walked(tb, pos, False)
            assert _playing_gop(tb, pos) == _find_playing_gop(tb, pos)  # (its memo)

    for step, position in enumerate(positions):
        el._position = Fraction(position, 10)
        check()
        if step == 1:
            sb.append_buffer(DATA)  # more pending runs after the running total
            queue.run_until_idle()
            check()
        if step == 2 and cut is not None:
            sb.remove(cut[0] / 10, (cut[0] + cut[1]) / 10)
            queue.run_until_idle()
            check()
