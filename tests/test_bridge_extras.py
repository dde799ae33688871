"""The bridge's ManagedMediaSource, appendEncodedChunks and worker-MSE ops
(msepy.bridge_extras; web/PROTOCOL.md), driven with the page's plain dicts."""

from __future__ import annotations

from pathlib import Path

from msepy.bridge import Bridge, support_table

FIXTURES = Path(__file__).parent / "fixtures"
MP4 = 'video/mp4; codecs="avc1.64000d,mp4a.40.2"'
VIDEO = {"videoConfig": {"codec": "vp8", "codedWidth": 320, "codedHeight": 240}}


def events(reply):
    return [f"{s[1]}:{s[2]}" for s in reply["steps"] if s[0] == "event"]


def attached(kind="MediaSource", ms="ms1"):
    b = Bridge()
    reply = b.handle([
        {"op": "create", "type": kind, "id": ms},
        {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
        {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": ms}},
    ])
    return b, reply


def add(b, type_=MP4, ms="ms1", sb="sb1"):
    reply = b.handle([{"op": "call", "target": ms, "method": "addSourceBuffer",
                       "args": [type_], "as": sb}])
    assert reply["results"] == [{"result": sb}], reply["results"]
    return reply


def append_file(b, sb="sb1"):
    data = (FIXTURES / "mp4" / "h264_aac.mp4").read_bytes()
    return b.handle([{"op": "call", "target": sb, "method": "appendBuffer", "args": [data]}])


def state_before(reply, event):
    """The last state record of each object before the step ``event``."""
    seen = {}
    for step in reply["steps"]:
        if step[0] == "state":
            seen.update(step[1])
        elif step[0] == "event" and f"{step[1]}:{step[2]}" == event:
            return seen
    raise AssertionError(f"no {event}")


# -- ManagedMediaSource -------------------------------------------------------------------
def test_managed_media_source_streams_from_sourceopen():
    b, reply = attached("ManagedMediaSource")
    assert events(reply) == ["el1:loadstart", "ms1:sourceopen", "ms1:startstreaming"]
    assert state_before(reply, "ms1:startstreaming")["ms1"]["streaming"] is True
    add(b)
    reply = append_file(b)
    changed = [s for s in reply["steps"] if s[0] == "event" and s[2] == "bufferedchange"]
    assert len(changed) == 1
    detail = changed[0][3]
    assert detail["removedRanges"] == [] and len(detail["addedRanges"]) == 1
    assert state_before(reply, "sb1:bufferedchange")["sb1"]["buffered"] == detail["addedRanges"]
    assert "ms1:endstreaming" not in events(reply)  # 2 s of an endless presentation
    # The end of the presentation counts as buffered to the end: streaming ends.
    reply = b.handle([{"op": "call", "target": "ms1", "method": "endOfStream"}])
    assert "ms1:endstreaming" in events(reply)
    assert b.snapshot()["ms1"]["streaming"] is False


def test_a_plain_media_source_has_no_streaming_record():
    b, reply = attached()
    assert "streaming" not in reply["snapshot"]["ms1"]


def test_managed_setters_and_methods_are_the_media_source_ones():
    b, _ = attached("ManagedMediaSource")
    add(b)
    reply = b.handle([{"op": "set", "target": "ms1", "name": "duration", "value": 5},
                      {"op": "call", "target": "ms1", "method": "removeSourceBuffer",
                       "args": [{"ref": "sb1"}]}])
    assert reply["results"] == [{"result": None}, {"result": None}]


def test_memory_pressure_op_trims_behind_the_playhead():
    b, _ = attached("ManagedMediaSource")
    add(b)
    append_file(b)
    before = b.snapshot()["sb1"]["buffered"]
    b.handle([{"op": "set", "target": "el1", "name": "currentTime", "value": 1.5}])
    reply = b.handle([{"op": "memoryPressure"}])
    changed = [s[3] for s in reply["steps"] if s[0] == "event" and s[2] == "bufferedchange"]
    assert changed and changed[0]["addedRanges"] == [] and changed[0]["removedRanges"]
    after = b.snapshot()["sb1"]["buffered"]
    assert after[0][0] > before[0][0] and after[0][0] <= 1.5


def test_over_the_budget_the_engine_evicts_by_itself():
    b, _ = attached("ManagedMediaSource")
    add(b)
    append_file(b)
    b.handle([{"op": "set", "target": "el1", "name": "currentTime", "value": 1.5}])
    start = b.snapshot()["sb1"]["buffered"][0][0]
    reply = b.handle([{"op": "configure", "managedBudget": 1}])
    assert "sb1:bufferedchange" in events(reply)
    assert b.snapshot()["sb1"]["buffered"][0][0] > start
    # Nothing more to free: the next batch does not evict again.
    reply = b.handle([{"op": "set", "target": "el1", "name": "volume", "value": 0.5}])
    assert "sb1:bufferedchange" not in events(reply)


# -- appendEncodedChunks --------------------------------------------------------------------
def chunk_op(n=30, dur=33_333, *, duration=True, target="sb1", call=7):
    records, payload = [], bytearray()
    for i in range(n):
        records.append({"kind": "video", "type": "key" if i % 10 == 0 else "delta",
                        "timestamp": i * dur, "duration": dur if duration else None,
                        "offset": len(payload), "size": 40})
        payload += bytes([i]) * 40
    return {"op": "call", "target": target, "method": "appendEncodedChunks", "call": call,
            "args": [{"chunks": records, "payload": memoryview(bytes(payload))}]}


def test_chunks_settle_after_updating_turns_false_without_update_events():
    b, _ = attached()
    add(b, VIDEO)
    reply = b.handle([chunk_op()])
    assert reply["results"] == [{"result": None}]
    settle = [s for s in reply["steps"] if s[0] == "event" and s[2] == "msepy-settle"]
    assert settle == [["event", "sb1", "msepy-settle", {"call": 7, "exception": None}]]
    assert state_before(reply, "sb1:msepy-settle")["sb1"]["updating"] is False
    assert not [e for e in events(reply) if "update" in e]
    assert reply["snapshot"]["sb1"]["buffered"] == [[0.0, 0.99999]]
    assert reply["snapshot"]["el1"]["readyState"] == 4
    # The chunks are slices of the payload: frame bytes as sent.
    pulled = b.handle([{"op": "pull", "target": "el1",
                        "key": b.snapshot()["el1"]["feedTracks"][0]["key"], "max": 2}])
    assert bytes(pulled["results"][0]["result"]["payload"]) == bytes([0]) * 40 + bytes([1]) * 40


def test_a_chunk_without_duration_is_a_type_error():
    b, _ = attached()
    add(b, VIDEO)
    reply = b.handle([chunk_op(duration=False)])
    assert reply["results"][0]["exception"]["name"] == "TypeError"
    assert reply["snapshot"]["sb1"]["updating"] is False


def test_abort_rejects_with_abort_error():
    b, _ = attached()
    add(b, VIDEO)
    reply = b.handle([chunk_op(), {"op": "call", "target": "sb1", "method": "abort"}])
    settle = [s[3] for s in reply["steps"] if s[0] == "event" and s[2] == "msepy-settle"]
    assert settle[0]["exception"]["name"] == "AbortError"
    assert "sb1:abort" not in events(reply) and "sb1:updateend" not in events(reply)


def test_change_type_between_bytes_and_chunks():
    b, _ = attached()
    add(b)
    reply = b.handle([{"op": "call", "target": "sb1", "method": "changeType", "args": [VIDEO]}])
    assert reply["results"] == [{"result": None}]
    reply = b.handle([chunk_op(n=5, call=1)])
    settle = [s[3] for s in reply["steps"] if s[0] == "event" and s[2] == "msepy-settle"]
    assert settle == [{"call": 1, "exception": None}]


def test_support_table_names_the_chunk_codecs():
    t = support_table()["chunkCodecs"]
    assert "vp8" in t["video"] and "opus" in t["audio"] and "mp3" in t["audioCodecs"]


# -- worker MediaSource ------------------------------------------------------------------------
def test_a_terminated_worker_leaves_buffered_and_seekable_empty():
    b, _ = attached(ms="wk1.ms1")
    add(b, ms="wk1.ms1", sb="wk1.sb1")
    append_file(b, "wk1.sb1")
    snap = b.snapshot()["el1"]
    assert snap["buffered"] and snap["seekable"]
    ready = snap["readyState"]
    reply = b.handle([{"op": "connect", "client": "wk2"}, {"op": "terminated", "client": "wk1"}])
    assert reply["results"] == [{"result": None}, {"result": None}]
    snap = b.snapshot()["el1"]
    assert snap["buffered"] == [] and snap["seekable"] == []
    assert snap["error"] is None and snap["networkState"] == 2 and ready >= 1
    key = snap["feedTracks"][0]["key"] if snap["feedTracks"] else "x"
    pulled = b.handle([{"op": "pull", "target": "el1", "key": key}])
    assert pulled["results"][0]["result"]["frames"] == []


def test_over_the_budget_eviction_follows_the_playhead():
    b, _ = attached("ManagedMediaSource")
    b.handle([{"op": "configure", "managedBudget": 1}])
    add(b)
    append_file(b)  # at 0: nothing behind the playhead to evict
    start = b.snapshot()["sb1"]["buffered"][0][0]
    reply = b.handle([{"op": "call", "target": "el1", "method": "setPlaybackPosition", "args": [1.5]}])
    assert "sb1:bufferedchange" in events(reply)
    assert b.snapshot()["sb1"]["buffered"][0][0] > start
