"""The bridge's state records: text track cues, snapshots of the touched objects only,
state steps only where something could have changed, memoized buffered ranges, and a
frame feed that keeps going over a re-appended initialization segment."""

from __future__ import annotations

from pathlib import Path

from msepy.bridge import Bridge

HERE = Path(__file__).resolve().parent
TEXT = HERE / "fixtures" / "text"
FRAMES = HERE.parent / "e2e" / "fixtures" / "frames_h264.mp4"
H264 = 'video/mp4; codecs="avc1.64000c,mp4a.40.2"'


def attached(type_: str) -> Bridge:
    b = Bridge()
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms1"},
              {"op": "create", "type": "HTMLMediaElement", "id": "el1"},
              {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms1"}}])
    b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer", "args": [type_],
               "as": "sb1"}])
    return b


def append(b: Bridge, data: bytes, touched: list[str] | None = None) -> dict:
    return b.handle([{"op": "call", "target": "sb1", "method": "appendBuffer",
                      "args": [memoryview(data)]}], touched)


def text_track(b: Bridge) -> str:
    return b.snapshot()["sb1.textTracks"]["items"][0]


# -- text tracks ---------------------------------------------------------------------------

def test_text_track_state_carries_its_cues_and_active_cues():
    b = attached("video/mp4")
    append(b, (TEXT / "wvtt.mp4").read_bytes())
    tid = text_track(b)
    state = b.snapshot()[tid]
    assert state["mode"] == "hidden"       # tkhd enabled: a default track
    assert [c[0] for c in state["cues"]] == ["intro", "", "last"]
    assert state["cues"][0] == ["intro", 0.0, 0.8, "Hello <b>world</b>", "line:10% align:start"]
    assert state["activeCues"] == [state["cues"][0]]   # at 0


def test_cuechange_comes_after_a_state_step_with_the_new_active_cues():
    b = attached("video/webm")
    append(b, (TEXT / "captions.webm").read_bytes())
    tid = text_track(b)
    b.handle([{"op": "set", "target": tid, "name": "mode", "value": "showing"}])
    reply = b.handle([{"op": "call", "target": "el1", "method": "setPlaybackPosition",
                       "args": [0.6]}])
    steps = reply["steps"]
    i = next(i for i, s in enumerate(steps) if s[0] == "event" and s[2] == "cuechange")
    state = next(s[1] for s in reversed(steps[:i]) if s[0] == "state" and tid in s[1])
    assert [c[0] for c in state[tid]["activeCues"]] == ["intro", ""]


def test_disabled_text_track_still_lists_its_cues():
    # The page's getters say null while disabled; the list is there at once when the
    # page turns the track on.
    b = attached("video/webm")
    append(b, (TEXT / "captions.webm").read_bytes())   # FlagDefault 0: disabled
    state = b.snapshot()[text_track(b)]
    assert state["mode"] == "disabled"
    assert len(state["cues"]) == 3 and state["activeCues"] == []


# -- snapshots and state steps ---------------------------------------------------------

def test_snapshot_holds_the_touched_objects_no_whole_record_settled():
    b = attached(H264)
    # A touched object the batch does not change: only the snapshot settles it.
    reply = b.handle([{"op": "inspect", "target": "sb1"}], ["sb1", "el1"])
    assert "exception" not in reply["results"][0]
    assert reply["steps"] == [] and set(reply["snapshot"]) == {"sb1", "el1"}
    assert reply["snapshot"]["sb1"] == b.snapshot()["sb1"]
    # An append changes the SourceBuffer: its first record in the steps is whole.
    reply = append(b, FRAMES.read_bytes(), touched=["sb1"])
    first = next(step[1]["sb1"] for step in reply["steps"]
                 if step[0] == "state" and "sb1" in step[1])
    assert set(first) == set(b.snapshot()["sb1"]) and first["updating"] is False  # (none before updatestart)
    assert reply["snapshot"] == {}
    assert append(b, b"", touched=[])["snapshot"] == {}
    assert set(append(b, b"")["snapshot"]) == set(b.snapshot())   # None: all


def test_state_steps_carry_the_changed_fields_and_merged_are_the_whole_state():
    """A mirror merges each record into what it holds, so a record need only name the
    fields that changed - except the first after the page changed the object itself:
    that one is whole (it settles the mirror's pending fields)."""
    b = attached(H264)
    data = FRAMES.read_bytes()
    held: dict[str, dict] = {}
    for oid, state in b.snapshot().items():
        held[oid] = dict(state)
    half = len(data) // 2
    replies = [append(b, data[:half], touched=["sb1"]), append(b, data[half:], touched=["sb1"])]
    for reply in replies:
        first_sb = next(s[1]["sb1"] for s in reply["steps"] if s[0] == "state" and "sb1" in s[1])
        assert set(first_sb) == set(held["sb1"])   # whole: sb1 is touched
        for step in reply["steps"]:
            if step[0] == "state":
                for oid, fields in step[1].items():
                    held.setdefault(oid, {}).update(fields)
    assert held == b.snapshot()
    # The second append's element record: the fields an append changes, not all.
    el = [s[1]["el1"] for s in replies[1]["steps"] if s[0] == "state" and "el1" in s[1]]
    assert el and all(len(r) < len(held["el1"]) for r in el)
    assert "buffered" in el[-1] and "volume" not in el[-1]


def test_no_state_step_between_events_fired_back_to_back():
    b = attached(H264)
    steps = append(b, FRAMES.read_bytes())["steps"]
    kinds = [s[0] if s[0] != "event" else s[2] for s in steps]
    update = kinds.index("update")
    assert "state" in kinds[:update]                # the append's effects, then update
    assert kinds[update + 1] == "updateend"         # nothing ran in between: no step
    # Every step still says what a listener would read at that moment.
    last_sb = [s[1]["sb1"] for s in steps[:update] if s[0] == "state" and "sb1" in s[1]][-1]
    assert last_sb["updating"] is False and last_sb["buffered"]


def test_a_batch_of_frame_pulls_sends_no_state():
    b = attached(H264)
    append(b, FRAMES.read_bytes())
    key = next(t["key"] for t in b.snapshot()["el1"]["feedTracks"] if t["kind"] == "video")
    reply = b.handle([{"op": "pull", "target": "el1", "key": key}], [])
    assert reply["steps"] == [] and reply["results"][0]["result"]["frames"]


def test_buffered_is_recomputed_only_when_the_ranges_change():
    b = attached(H264)
    append(b, FRAMES.read_bytes())
    sb, ms, el = b.get("sb1"), b.get("ms1"), b.get("el1")
    first = sb._buffered_ranges()
    assert sb._buffered_ranges() is first and el.buffered is el.buffered
    before = el.buffered
    b.handle([{"op": "call", "target": "sb1", "method": "remove", "args": [2.0, 10.0]}])
    assert sb._buffered_ranges() is not first
    assert sb.buffered.as_floats() == [(0.0, 2.0)] == el.buffered.as_floats()
    assert el.buffered is not before
    ms.end_of_stream()
    assert el.buffered.as_floats() == [(0.0, 2.0)]


# -- the frame feed over a re-appended initialization segment ---------------------------

def test_the_same_init_segment_again_does_not_restart_the_decoder():
    b = attached(H264)
    b.handle([{"op": "set", "target": "sb1", "name": "mode", "value": "sequence"}])
    data = FRAMES.read_bytes()
    append(b, data)
    key = next(t["key"] for t in b.snapshot()["el1"]["feedTracks"] if t["kind"] == "video")
    pull = {"op": "pull", "target": "el1", "key": key, "max": 10}
    first = b.handle([pull])["results"][0]["result"]
    assert first["config"] is not None and first["reset"] is True
    append(b, data)   # its init segment again, then 4 s more in sequence
    after = b.handle([pull])["results"][0]["result"]
    assert after["reset"] is False and after["config"] is None
    assert after["frames"][0]["decodeTimestamp"] > first["frames"][-1]["decodeTimestamp"]


# -- resize ------------------------------------------------------------------------------

def element_events(reply: dict) -> list[str]:
    return [s[2] for s in reply["steps"] if s[0] == "event" and s[1] == "el1"]


def test_resize_before_loadedmetadata_and_not_again_for_the_same_size():
    b = attached(H264)
    data = FRAMES.read_bytes()
    events = element_events(append(b, data))
    assert events[:3] == ["durationchange", "resize", "loadedmetadata"]   # as Chromium
    assert b.snapshot()["el1"]["videoWidth"] == 160
    assert "resize" not in element_events(append(b, data))


def test_audio_only_resizes_once_at_metadata_and_a_reload_resizes_again():
    # HTML: once the dimensions are known, "for video elements, set the videoWidth and
    # videoHeight attributes, and ... fire resize" - 0 x 0 for audio alone, as Chromium
    # (e2e differential: a <video> of AAC alone fires durationchange, resize,
    # loadedmetadata).
    b = attached('audio/mp4; codecs="mp4a.40.2"')
    data = (HERE / "fixtures" / "mp4" / "aac_44k.mp4").read_bytes()
    assert element_events(append(b, data))[:3] == ["durationchange", "resize", "loadedmetadata"]
    assert b.snapshot()["el1"]["videoWidth"] == 0
    assert "resize" not in element_events(append(b, data))
    b = attached(H264)
    append(b, FRAMES.read_bytes())
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms2"},
              {"op": "set", "target": "el1", "name": "srcObject", "value": {"ref": "ms2"}}])
    b.handle([{"op": "call", "target": "ms2", "method": "addSourceBuffer", "args": [H264],
               "as": "sb2"}])
    reply = b.handle([{"op": "call", "target": "sb2", "method": "appendBuffer",
                       "args": [memoryview(FRAMES.read_bytes())]}])
    assert "resize" in element_events(reply)


def test_pulled_audio_frames_say_what_the_append_window_trimmed():
    b = attached('audio/mp4; codecs="mp4a.40.2"')
    b.handle([{"op": "set", "target": "sb1", "name": "appendWindowStart", "value": 0.5105},
              {"op": "set", "target": "sb1", "name": "appendWindowEnd", "value": 0.8003}])
    append(b, (HERE / "fixtures" / "mp4" / "aac_44k.mp4").read_bytes())
    b.handle([{"op": "set", "target": "el1", "name": "currentTime", "value": 0.5105},
              {"op": "feedSeek", "target": "el1"}])
    key = b.snapshot()["el1"]["feedTracks"][0]["key"]
    frames = b.handle([{"op": "pull", "target": "el1", "key": key, "max": 100}])["results"][0]["result"]["frames"]
    first, last = frames[0], frames[-1]
    tick = 1_000_000 / 44_100   # the window is rounded inwards to whole ticks
    assert abs(first["timestamp"] - 510_500) < tick and 0 < first["trimStart"] < 23_220
    assert abs(last["timestamp"] + last["duration"] - 800_300) < tick
    assert 0 < last["trimEnd"] < 23_220
    assert all("trimStart" not in f and "trimEnd" not in f for f in frames[1:-1])


def test_an_append_makes_state_records_for_its_own_media_session_only():
    """Each state step of an append computes the records of the objects the buffer
    append algorithm can change - the SourceBuffer, its MediaSource, the element it is
    attached to, their lists and tracks - and no other: a page with many players pays
    for one player per append.  The records the page merges still equal every object's
    state."""
    b = attached(H264)
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms2"},
              {"op": "create", "type": "HTMLMediaElement", "id": "el2"},
              {"op": "set", "target": "el2", "name": "srcObject", "value": {"ref": "ms2"}}])
    b.handle([{"op": "call", "target": "ms2", "method": "addSourceBuffer", "args": [H264],
               "as": "sb2"}])
    data = FRAMES.read_bytes()
    b.handle([{"op": "call", "target": "sb2", "method": "appendBuffer", "args": [memoryview(data)]}])
    held = {oid: dict(state) for oid, state in b.snapshot().items()}
    made: list[str] = []
    element_dict = b._element_dict
    b._element_dict = lambda oid, el: (made.append(oid), element_dict(oid, el))[1]
    for oid in ("el1", "el2"):   # the elements' record function, now counted
        b._state_of[oid] = b._element_dict
    half = len(data) // 2
    replies = [append(b, data[:half]), append(b, data[half:])]
    session2 = {oid for oid in held if oid.startswith(("ms2", "el2", "sb2"))}
    session2 |= {t for lst in session2 if "Tracks" in lst for t in held[lst]["items"]}
    for reply in replies:
        for step in reply["steps"]:
            if step[0] == "state":
                assert not set(step[1]) & session2
                for oid, fields in step[1].items():
                    held.setdefault(oid, {}).update(fields)
    assert made and set(made) == {"el1"}
    assert held == b.snapshot()
    assert any(oid.startswith("track") and oid not in session2 for r in replies
               for s in r["steps"] if s[0] == "state" for oid in s[1])  # sb1's new tracks


def test_an_append_error_in_one_buffer_updates_its_siblings_records():
    """An append error ends the stream (decode error); before metadata (the other
    SourceBuffer has had no initialization segment) it fails the element, which
    detaches the MediaSource - a change in another buffer's record (removed), which the
    failing buffer's state step must carry (with a second player in the page, the
    steps are scoped to this media session)."""
    b = attached(H264)
    b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer",
               "args": ["audio/mp4"], "as": "sb1b"}])
    b.handle([{"op": "create", "type": "MediaSource", "id": "ms2"},
              {"op": "create", "type": "HTMLMediaElement", "id": "el2"},
              {"op": "set", "target": "el2", "name": "srcObject", "value": {"ref": "ms2"}}])
    data = FRAMES.read_bytes()
    append(b, data[:len(data) // 2])      # its audio and video tracks end apart
    held = {oid: dict(state) for oid, state in b.snapshot().items()}
    open_ranges = held["sb1"]["buffered"]
    reply = b.handle([{"op": "call", "target": "sb1b", "method": "appendBuffer",
                       "args": [memoryview(b"\0\0\0\x08moof")]}])  # before any init segment
    for step in reply["steps"]:
        if step[0] == "state":
            for oid, fields in step[1].items():
                held.setdefault(oid, {}).update(fields)
    assert held["ms1"]["readyState"] == "closed" and held["el1"]["error"]["code"] == 4
    assert held["sb1"]["removed"] is True and open_ranges
    assert held == b.snapshot()


# -- buffered in the other readyState --------------------------------------------------------

def test_records_carry_the_buffered_ranges_of_the_other_ready_state():
    """endOfStream() and the setters that reopen an ended MediaSource change readyState
    in the page's own task, and the buffered getters with it (SourceBuffer.buffered 4.2,
    HTMLMediaElement.buffered 5.2): the records carry the ranges for the other state,
    which the page's mirrors swap in (web/src/mse.js)."""
    webm = HERE / "fixtures" / "webm" / "vp9_opus.webm"
    b = attached('video/webm; codecs="vp9,opus"')
    append(b, webm.read_bytes())
    sb, el = b.snapshot()["sb1"], b.snapshot()["el1"]
    # Opus ends at 2.021, VP9 at 2.007: ended, the last range reaches the highest end.
    assert sb["buffered"] == [[0.0, 2.007]] and el["buffered"] == [[0.0, 2.007]]
    assert sb["bufferedOther"] == [[0.0, 2.021]] and el["bufferedOther"] == [[0.0, 2.021]]
    b.handle([{"op": "call", "target": "ms1", "method": "endOfStream", "args": []}])
    sb, el = b.snapshot()["sb1"], b.snapshot()["el1"]
    assert sb["buffered"] == [[0.0, 2.021]] and el["buffered"] == [[0.0, 2.021]]
    assert sb["bufferedOther"] == [[0.0, 2.007]] and el["bufferedOther"] == [[0.0, 2.007]]
    b.handle([{"op": "set", "target": "sb1", "name": "timestampOffset", "value": 0}])
    assert b.snapshot()["ms1"]["readyState"] == "open"
    assert b.snapshot()["sb1"]["buffered"] == [[0.0, 2.007]]


def test_no_other_ranges_where_they_are_the_same():
    b = attached(H264)
    append(b, FRAMES.read_bytes())
    assert b.snapshot()["sb1"]["bufferedOther"] is None
    assert b.snapshot()["el1"]["bufferedOther"] is None


def test_records_carry_the_state_without_each_source_buffer():
    """removeSourceBuffer() takes a SourceBuffer out of activeSourceBuffers in the
    page's task, and with it what its media made of the element's buffered ranges and
    the MediaSource's highest times: the records carry them without each SourceBuffer
    (e2e differential "a second SourceBuffer, of audio")."""
    webm = HERE / "fixtures" / "webm" / "vp9_opus.webm"
    aac = HERE / "fixtures" / "mp4" / "aac_44k.mp4"
    b = attached('video/webm; codecs="vp9,opus"')
    b.handle([{"op": "call", "target": "ms1", "method": "addSourceBuffer",
               "args": ['audio/mp4; codecs="mp4a.40.2"'], "as": "sb2"}])
    append(b, webm.read_bytes())
    b.handle([{"op": "call", "target": "sb2", "method": "appendBuffer",
               "args": [memoryview(aac.read_bytes())]}])
    b.handle([{"op": "call", "target": "ms1", "method": "endOfStream", "args": []}])
    ms, el = b.snapshot()["ms1"], b.snapshot()["el1"]
    assert el["buffered"] == [[0.0, ms["highestEndTime"]]]   # ended: up to the highest end
    assert ms["highestEndTime"] > 2.021                     # the AAC file's end
    assert ms["highestWithout"]["sb2"][1] == 2.021 and el["bufferedWithout"]["sb2"] == [[0.0, 2.021]]
    b.handle([{"op": "call", "target": "ms1", "method": "removeSourceBuffer",
               "args": [{"ref": "sb2"}]}])
    ms, el = b.snapshot()["ms1"], b.snapshot()["el1"]
    assert el["buffered"] == [[0.0, 2.021]] and ms["highestEndTime"] == 2.021
    assert ms["highestWithout"] is None and el["bufferedWithout"] is None
