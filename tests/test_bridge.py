"""The worker bridge (msepy.bridge): batches in, results + ordered steps + snapshot out.

These drive ``Bridge.handle`` with the same plain dicts the browser worker passes, so
the page-facing protocol (web/PROTOCOL.md) is tested without a browser.
"""

from __future__ import annotations

import gc
import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pytest

from msepy.bridge import Bridge, pack_batch, support_table
from msepy.bridge_state import append_quota
from msepy.errors import NotFoundError, QuotaExceededError

FIXTURES = Path(__file__).parent / "fixtures"
MP4 = 'video/mp4; codecs="avc1.64000d,mp4a.40.2"'


def events(reply):
    return [f"{s[1]}:{s[2]}" for s in reply["steps"] if s[0] == "event"]


def internals(reply):
    return [s[2] for s in reply["steps"] if s[0] == "internal"]


def attached():
    b = Bridge()
    reply = b.handle([
        {"op": "create", "type": "MediaSource", "id": "ms1"},
        {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
        {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms1"}},
    ])
    return b, reply


def with_buffer(type_=MP4):
    b, _ = attached()
    reply = b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer",
                       "args": [type_], "as": "sb1"}])
    assert reply["results"] == [{"result": "sb1"}]
    return b


def test_attach_opens_the_media_source_in_order():
    b, reply = attached()
    assert reply["results"] == [{"result": None}] * 3
    assert events(reply) == ["el1:loadstart", "ms1:sourceopen"]
    assert reply["snapshot"]["ms1"]["readyState"] == "open"
    assert reply["snapshot"]["el1"]["networkState"] == 2


def test_exceptions_come_back_by_dom_name():
    b, _ = attached()
    reply = b.handle([
        {"op": "call", "target": "ms1", "method": "addSourceBuffer", "args": [""], "as": "x"},
        {"op": "call", "target": "ms1", "method": "addSourceBuffer", "args": ["video/avi"], "as": "y"},
        {"op": "set", "target": "ms1", "name": "duration", "value": -1},
        {"op": "call", "target": "ms1", "method": "endOfStream", "args": ["bogus"]},
    ])
    names = [r["exception"]["name"] for r in reply["results"]]
    assert names == ["TypeError", "NotSupportedError", "TypeError", "TypeError"]


def test_unknown_methods_are_not_reachable():
    b, _ = attached()
    reply = b.handle([{"op": "call", "target": "ms1", "method": "_detach"}])
    assert reply["results"][0]["exception"]["name"] == "TypeError"


def test_append_steps_state_before_each_event_and_internal_messages():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    kinds = [s[0] for s in reply["steps"]]
    # The page set `updating` itself (every object is "touched" here): no state step
    # before updatestart - the first one, whole, is the finished append's.
    assert reply["steps"][0] == ["event", "sb1", "updatestart", {}]
    first_state = reply["steps"][kinds.index("state")][1]
    assert first_state["sb1"]["updating"] is False and "mode" in first_state["sb1"]
    assert events(reply)[0] == "sb1:updatestart"
    assert events(reply)[-2:] == ["sb1:update", "sb1:updateend"]
    assert "el1:loadedmetadata" in events(reply)
    assert internals(reply)[:1] == ["durationChange"]
    assert internals(reply).count("createTrackMirror") == 2
    assert "sourceBuffersReady" in internals(reply)
    # The state in force at 'update' is the finished append's.
    at_update = [s for s in reply["steps"][:reply["steps"].index(["event", "sb1", "update", {}])]
                 if s[0] == "state" and "sb1" in s[1]][-1]
    assert at_update[1]["sb1"]["updating"] is False and at_update[1]["sb1"]["buffered"]
    snap = reply["snapshot"]
    assert snap["sb1"]["updating"] is False
    assert snap["sb1"]["buffered"] and snap["el1"]["readyState"] == 4
    assert snap["el1.audioTracks"]["items"] == ["track" + snap[snap["el1.audioTracks"]["items"][0]]["id"]]
    assert snap["el1"]["videoWidth"] == 160 and snap["el1"]["videoHeight"] == 120


def test_an_append_that_changes_no_field_still_settles_updating_before_update():
    """An initialization segment alone changes none of the SourceBuffer's fields: its
    record after the append equals the one before.  The page set `updating` itself, so
    the step before update must still carry the whole record (updating false) - else
    update and updateend fire with updating true, and a player waiting for it to be
    false (dash.js) waits for ever."""
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    init = data[:data.index(b"moof") - 4]
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [init]}],
                     ["sb1"])
    at_update = states_before(reply, "sb1:update")
    assert at_update["sb1"]["updating"] is False and set(at_update["sb1"]) == set(b.snapshot()["sb1"])
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [init]}],
                     ["sb1"])
    assert states_before(reply, "sb1:update")["sb1"]["updating"] is False


def test_an_append_the_page_did_not_mirror_steps_its_state_before_updatestart():
    """A batch whose SourceBuffer the page did not mark touched (no pending field of its
    own): updatestart is seen with updating=true from a state step before it."""
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}], [])
    assert reply["steps"][0][0] == "state" and reply["steps"][0][1]["sb1"]["updating"] is True
    assert reply["steps"][1] == ["event", "sb1", "updatestart", {}]


def test_ops_of_one_batch_run_before_queued_tasks():
    """appendBuffer then abort in one page task: the append never runs (abort, not update)."""
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]},
                      {"op": "call", "target": "sb1", "method": "abort"}])
    assert [e for e in events(reply) if e.startswith("sb1")] == [
        "sb1:updatestart", "sb1:abort", "sb1:updateend"]
    assert reply["snapshot"]["sb1"]["buffered"] == []


def test_abort_of_an_append_the_page_saw_in_flight():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    reply = b.handle([{"op": "call", "target": "sb1", "method": "abort",
                       "pageSawUpdating": True}])
    assert events(reply) == ["sb1:abort", "sb1:updateend"]


def test_detach_closes_and_removes():
    b = with_buffer()
    reply = b.handle([{"op": "set", "target": "el1", "name": "srcObject", "value": None}])
    assert "ms1:sourceclose" in events(reply)
    assert "el1:emptied" in events(reply)
    assert reply["snapshot"]["ms1"]["readyState"] == "closed"
    assert math.isnan(reply["snapshot"]["ms1"]["duration"])
    assert reply["snapshot"]["sb1"]["removed"] is True


def test_end_of_stream_decode_error_is_an_internal_message():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    reply = b.handle([{"op": "call", "target": "ms1", "method": "endOfStream", "args": ["decode"]}])
    assert "decodeError" in internals(reply)
    assert reply["snapshot"]["el1"]["error"]["code"] == 3


def test_track_state_changes_by_the_page_are_not_echoed():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    audio = reply["snapshot"]["el1.audioTracks"]["items"][0]
    reply = b.handle([{"op": "set", "target": audio, "name": "enabled", "value": False}])
    assert "updateTrackState" not in internals(reply)
    assert reply["snapshot"][audio]["enabled"] is False
    assert "el1.audioTracks:change" in events(reply)


def test_pull_packs_frames_back_to_back():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    snap = b.snapshot()
    video_key = next(t["key"] for t in snap["el1"]["feedTracks"] if t["kind"] == "video")
    reply = b.handle([{"op": "pull", "target": "el1", "key": video_key, "max": 5}])
    batch = reply["results"][0]["result"]
    assert batch["reset"] is True and batch["config"]["codec"].startswith("avc1")
    assert len(batch["frames"]) == 5 and batch["frames"][0]["key"] is True
    end = batch["frames"][-1]["offset"] + batch["frames"][-1]["size"]
    assert end == len(batch["payload"])
    again = b.handle([{"op": "pull", "target": "el1", "key": video_key, "max": 5}])
    assert again["results"][0]["result"]["reset"] is False
    assert again["results"][0]["result"]["frames"][0]["decodeTimestamp"] > \
        batch["frames"][-1]["decodeTimestamp"]


def test_playback_position_drives_the_model_to_ended():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    b.handle([{"op": "call", "target": "ms1", "method": "endOfStream"}])
    b.handle([{"op": "call", "target": "el1", "method": "play"}])
    end = b.snapshot()["el1"]["duration"]
    reply = b.handle([{"op": "call", "target": "el1", "method": "setPlaybackPosition",
                       "args": [end]}])
    assert events(reply)[-2:] == ["el1:pause", "el1:ended"]
    assert reply["snapshot"]["el1"]["ended"] is True


def test_internal_pause_is_pause_without_the_load_step():
    """HTML "internal pause steps" (a removed element): timeupdate, pause; no load of
    an empty element, and nothing at all when already paused."""
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    b.handle([{"op": "call", "target": "el1", "method": "play"}])
    reply = b.handle([{"op": "call", "target": "el1", "method": "internalPause"}])
    assert events(reply) == ["el1:timeupdate", "el1:pause"]
    assert reply["snapshot"]["el1"]["paused"] is True
    assert reply["snapshot"]["el1"]["buffered"] == b.snapshot()["el1"]["buffered"] != []
    assert events(b.handle([{"op": "call", "target": "el1", "method": "internalPause"}])) == []
    empty = Bridge()
    empty.handle([{"op": "create", "type": "HTMLMediaElement", "id": "el9"}])
    reply = empty.handle([{"op": "call", "target": "el9", "method": "internalPause"}])
    assert events(reply) == [] and reply["snapshot"]["el9"]["networkState"] == 0


BENCH_720P = FIXTURES / "mp4" / "bench_720p.mp4"


def bytes_freed_by(then: Callable[[Bridge], Any]) -> tuple[int, int, Any]:
    """Append the 720p fixture to a fresh ``sb1`` (a copy of its own, as the worker's
    Python gets), then run ``then(bridge)``: the bytes traced after the append, the
    bytes ``then`` freed, and what it returned."""
    import tracemalloc
    data = BENCH_720P.read_bytes()
    tracemalloc.start()
    try:
        b = with_buffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"')
        b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [bytearray(data)]}])
        gc.collect()
        loaded = tracemalloc.get_traced_memory()[0]
        result = then(b)
        gc.collect()
        return loaded, loaded - tracemalloc.get_traced_memory()[0], result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("how", ["detach", "removeSourceBuffer"])
def test_a_detached_or_removed_source_buffer_frees_its_media(how):
    """A source that is over must not keep its media: detaching frees its SourceBuffers'
    coded frames (Chromium's choice; nothing can read them any more), as
    removeSourceBuffer() does (step 11)."""
    def end(b):
        if how == "detach":
            reply = b.handle([{"op": "set", "target": "el1", "name": "srcObject", "value": None}])
            assert reply["snapshot"]["ms1"]["readyState"] == "closed"
        else:
            b.handle([{"op": "call", "target": "ms1", "method": "removeSourceBuffer",
                       "args": [{"ref": "sb1"}]}])
    size = BENCH_720P.stat().st_size
    loaded, freed, _ = bytes_freed_by(end)
    assert loaded > size
    assert freed > 0.9 * size, (loaded, freed)


def test_released_objects_leave_the_engine_with_their_media():
    """The page's mirrors were garbage collected: the element's MediaSource is
    detached, the media freed, and no step names a released object.  A MediaSource
    whose element lives on is kept."""
    def release(b):
        kept = b.handle([{"op": "release", "ids": ["ms1", "sb1"]}])  # el1 lives: kept
        assert kept["snapshot"]["ms1"]["readyState"] == "open"
        ids = [oid for oid in b._objects if oid.startswith(("el1", "ms1", "sb1", "track"))]
        return b, b.handle([{"op": "release", "ids": ids}])
    loaded, freed, (b, reply) = bytes_freed_by(release)
    assert freed > 0.9 * BENCH_720P.stat().st_size, (loaded, freed)
    assert reply["steps"] == [] and reply["snapshot"] == {}
    assert b._objects == {} and b._sent == {} and b._state_of == {} and b._feeds == {}
    with pytest.raises(NotFoundError):
        b.get("sb1")


def test_media_error_from_the_renderer():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    reply = b.handle([{"op": "mediaError", "target": "el1", "code": 3, "message": "bad frame"}])
    assert reply["snapshot"]["el1"]["error"] == {"code": 3, "message": "bad frame"}
    assert events(reply) == ["el1:error"]


def test_support_table_is_the_registry():
    t = support_table()
    assert "video/mp4" in t["containers"] and t["codecs"]["opus"]
    assert t["kinds"]["aac"] == "audio"


def with_limited_buffer(limit: int) -> Bridge:
    """``with_buffer``, on a bridge whose SourceBuffers hold ``limit`` bytes a track."""
    b = Bridge(memory_limits={"video": limit, "audio": limit})
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms1"},
              {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
              {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms1"}}])
    # (After sourceopen, which the batch's tasks fired: as a page would.)
    b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer", "args": [MP4],
               "as": "sb1"}])
    return b


@pytest.mark.parametrize("position", [0, 1.0, 1.9])
def test_append_quota_is_the_largest_append_that_does_not_throw(position):
    """The page throws QuotaExceededError for an append larger than ``appendQuota``,
    and the engine's prepare append agrees: the quota's bytes fit, one more does not
    (prediction, the proportional shares, what eviction frees at the position)."""
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()

    def full():
        b = with_limited_buffer(60_000)
        b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
        b.get("el1")._position = Fraction(position)
        return b.get("sb1")

    assert append_quota(with_limited_buffer(1000).get("sb1")) == math.inf  # nothing held
    quota = append_quota(full())
    assert 0 < quota < 120_000
    full().append_buffer(bytes(quota))
    with pytest.raises(QuotaExceededError):
        full().append_buffer(bytes(quota + 1))


def states_before(reply, event):
    """The state step's records just before ``event`` (e.g. "sb1:updatestart")."""
    last = {}
    for step in reply["steps"]:
        if step[0] == "state":
            last = step[1]
        elif step[0] == "event" and f"{step[1]}:{step[2]}" == event:
            return last
    raise AssertionError(f"no {event}")


def test_the_state_step_before_updatestart_is_the_source_buffers_own():
    """appendBuffer()'s synchronous steps change only the SourceBuffer's record, so the
    step before updatestart computes only that one - or none, when the page marked the
    SourceBuffer touched (its mirror set `updating` itself) - unless coded frame
    eviction (the prepare append algorithm) removed frames: then the element's
    buffered changed too.  Either way, what the page holds after the batch is the whole
    state."""
    b = with_limited_buffer(60_000)
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    append = [{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}]
    reply = b.handle(append, [])
    before = states_before(reply, "sb1:updatestart")
    assert list(before) == ["sb1"] and before["sb1"]["updating"] is True
    assert reply["snapshot"] == {}
    assert b.handle([], None)["snapshot"] == b.snapshot()  # nothing stale
    b.handle([{"op": "call", "target": "sb1", "method": "remove", "args": [0, 100]}])
    reply = b.handle(append, ["sb1"])
    assert states_before(reply, "sb1:updatestart") == {}
    # The first record after it is whole (it settles the page's pending fields).
    whole = states_before(reply, "sb1:update")["sb1"]
    assert whole["updating"] is False and set(whole) == set(b.snapshot()["sb1"])
    assert b.handle([], None)["snapshot"] == b.snapshot()
    # The second copy does not fit beside the first: eviction before updatestart.
    b.handle([{"op": "set", "target": "sb1", "name": "timestampOffset", "value": 10},
              {"op": "set", "target": "el1", "name": "currentTime", "value": 1.5}])
    reply = b.handle(append)
    before = states_before(reply, "sb1:updatestart")
    assert before["sb1"]["buffered"] == before["el1"]["buffered"] \
        == [[pytest.approx(1.0827, abs=1e-4), 2.08]]
    assert b.handle([], None)["snapshot"] == b.snapshot()
    # An ended MediaSource reopens: its record changes before sourceopen.
    b.handle([{"op": "call", "target": "ms1", "method": "endOfStream", "args": []}])
    reply = b.handle(append)
    assert states_before(reply, "ms1:sourceopen")["ms1"]["readyState"] == "open"
    assert b.handle([], None)["snapshot"] == b.snapshot()


def test_pack_batch_of_nothing():
    from msepy.feed import FeedBatch
    packed = pack_batch(FeedBatch())
    assert packed["frames"] == [] and packed["payload"] == b"" and packed["config"] is None


@pytest.mark.parametrize("name", ["vp9_opus.webm", "vp8_vorbis.webm"])
def test_webm_appends_through_the_bridge(name):
    b = with_buffer('video/webm; codecs="vp9,opus"' if "vp9" in name
                    else 'video/webm; codecs="vp8,vorbis"')
    data = (FIXTURES / "webm" / name).read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    assert events(reply)[-1] == "sb1:updateend"
    assert reply["snapshot"]["sb1"]["buffered"]


def test_pulled_frames_carry_the_timescale_they_are_in():
    """Seeking to a time between ticks rescales the track buffer; the batch says so."""
    b = with_buffer('video/mp4; codecs="avc1.64000c,mp4a.40.2"')
    data = (Path(__file__).parent.parent / "e2e" / "fixtures" / "frames_h264.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    key = next(t["key"] for t in b.snapshot()["el1"]["feedTracks"] if t["kind"] == "video")
    b.handle([{"op": "set", "target": "el1", "name": "currentTime", "value": 1.279},
              {"op": "feedSeek", "target": "el1"}])
    batch = b.handle([{"op": "pull", "target": "el1", "key": key}])["results"][0]["result"]
    first = batch["frames"][0]
    assert first["timestamp"] == 1_080_000  # the random access point before 1.279
    assert first["duration"] == 40_000


def test_inspect_lists_each_track_buffer():
    b = with_buffer()
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    info = b.handle([{"op": "inspect", "target": "sb1"}])["results"][0]["result"]
    kinds = sorted(t["kind"] for t in info["tracks"])
    assert kinds == ["audio", "video"]
    video = next(t for t in info["tracks"] if t["kind"] == "video")
    assert video["keyframes"][0] == pytest.approx(0.08) and len(video["keyframes"]) == 2
    assert video["frames"] == 50 and video["ranges"][0][1] == pytest.approx(2.08)


@pytest.fixture
def collector_restored():
    """The warm-up settles the process's heap for the worker (frozen, fewer
    collections): put the collector back as it was for the tests that follow."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_warm_up_runs_the_append_path_on_the_packaged_sample(collector_restored):
    """The worker's boot warm-up (msepy.warmup): real appends of the sample shipped in
    the package, for about the budget, in a private bridge."""
    import time
    from msepy import warmup
    from msepy.bridge import warm_up
    from msepy.tracks import new_track_id
    before = int(new_track_id())
    start = time.perf_counter()
    rounds = warm_up(0.05)
    assert int(new_track_id()) == before + 1  # no track ids used up
    assert rounds >= 2 and time.perf_counter() - start < 2
    assert warm_up() == 0  # no budget: imports only
    # Boot ends with the warm-up's garbage collected and what is left frozen, so no
    # collection inside the page's first appends has to walk either.
    assert gc.get_freeze_count() > 1000 and gc.collect() == 0
    assert gc.get_threshold()[0] == warmup.YOUNG_THRESHOLD
    b = Bridge()
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms1"},
              {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
              {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms1"}}])
    b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer",
               "args": [warmup.TYPE], "as": "sb1"}])
    from importlib import resources
    data = resources.files("msepy").joinpath("warmup.mp4").read_bytes()
    reply = b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data]}])
    assert "sb1:updateend" in events(reply) and "sb1:error" not in events(reply)
    assert b.get("sb1").buffered.length == 1


def test_warm_up_drives_a_session_as_the_page_does(monkeypatch, collector_restored):
    """The warm-up runs what a page's session runs (V8 re-optimizes the interpreter
    loop for each path not yet taken): appends and removals, the renderer's pulls of
    both tracks' frames, clock reports and feed seeks, with no exception."""
    from msepy import warmup
    seen = []
    handle = Bridge.handle

    def spy(self, ops, touched=None):
        reply = handle(self, ops, touched)
        for op, result in zip(ops, reply["results"]):
            assert "exception" not in result, (op, result)
            name = op.get("method", op["op"])
            seen.append((name, len(result["result"]["frames"]) if name == "pull" else
                         len(op["args"][0]) if name == "appendBuffer" else None))
        return reply
    monkeypatch.setattr(Bridge, "handle", spy)
    assert warmup.warm_up(0.2) >= 17
    names = {name for name, _ in seen}
    assert {"appendBuffer", "remove", "play", "setPlaybackPosition", "feedSeek"} <= names
    assert sum(n for name, n in seen if name == "pull") > 100  # frames handed to the renderer
    # The sample goes in pieces, cut inside its segments as a page's fixed-size appends
    # cut them (the parser's paths for a box or sample split across appends).
    from importlib import resources
    size = len(resources.files("msepy").joinpath("warmup.mp4").read_bytes())
    pieces = [n for name, n in seen if name == "appendBuffer"]
    assert len(pieces) >= 3 and sum(pieces[:3]) == size and max(pieces) < size


def test_idle_warm_up_rounds_between_page_batches_leave_the_page_session_alone(collector_restored):
    """After a boot from the snapshot the worker runs the warm-up a round at a time
    between the page's batches (msepy.bridge.warm_idle): the page's session in the
    same engine gets the tracks, ranges and events it gets without it."""
    from importlib import resources
    from msepy import bridge as bridge_module
    from msepy import warmup
    data = resources.files("msepy").joinpath("warmup.mp4").read_bytes()

    def session(between):
        b = Bridge()
        replies = []
        ops = [[{"op": "create", "type": "MediaSource", "id": "ms1"},
                {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
                {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms1"}}],
               [{"op": "call", "target": "ms1", "method": "addSourceBuffer",
                 "args": [warmup.TYPE], "as": "sb1"}],
               [{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data[:20000]]}],
               [{"op": "call", "target": "sb1", "method": "appendBuffer", "args": [data[20000:]]}]]
        for batch in ops:
            replies.append(b.handle(batch))
            between()
        tracks = sorted(t.id for t in b.get("el1").video_tracks) + sorted(t.id for t in b.get("el1").audio_tracks)
        return [events(r) for r in replies], b.get("sb1").buffered.doubles(), tracks

    from msepy import tracks as tracks_module
    saved = tracks_module._ids
    try:
        tracks_module._ids = itertools.count(1)
        plain = session(lambda: None)
        tracks_module._ids = itertools.count(1)
        assert bridge_module.warm_idle(0.001) is True
        warmed = session(lambda: bridge_module.warm_idle(0.001))
        rounds = bridge_module._idle_session.rounds
        bridge_module.warm_idle_end()
        # After a cold boot the code cache's ballast runs between batches too.
        tracks_module._ids = itertools.count(1)
        ballasted = session(lambda: bridge_module.code_cache_ballast(0.001))
    finally:
        tracks_module._ids = saved
    assert warmed == plain and ballasted == plain and sorted(plain[2]) == ["1", "2"]
    assert rounds >= 5 and bridge_module._idle_session is None
