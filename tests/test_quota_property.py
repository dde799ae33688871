"""The append quota the page throws QuotaExceededError by (``appendQuota`` in every
SourceBuffer record, msepy.bridge) is the engine's own answer: for any buffer, position
and seek, an append of the quota's bytes passes "Prepare Append", and one more byte is
QuotaExceededError wherever the quota counts what eviction frees (every track over half
its limit) - muxed tracks charged their proportional shares (msepy.eviction)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings, strategies as st

from msepy import HTMLMediaElement, MediaSource, TaskQueue
from msepy.bridge import append_quota
from msepy.errors import QuotaExceededError
from msepy.eviction import memory_usage

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
    sb = build(*args)
    # (Exact where every track holds more than half its limit; below that, the page is
    # stricter for appends whose share exceeds the room left: msepy.bridge.append_quota.)
    exact = all(memory_usage(tb) > limit // 2 for tb, _, limit in sb._shares(0))
    try:
        sb.append_buffer(bytes(quota + 1))
    except QuotaExceededError:
        pass
    else:
        assert not exact, f"an append of {quota + 1} bytes was accepted; quota {quota}"
