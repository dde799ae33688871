"""Coded frame processing, step by step (spec "Coded Frame Processing")."""

from fractions import Fraction

import pytest

from helpers import Pair, ranges

INIT_V = "I v1/1000\n"


def gop(start: int, n: int = 3, dur: int = 100, track: int = 1) -> str:
    """A closed GOP of ``n`` frames: keyframe then n-1 others (ms timescale)."""
    lines = [f"F {track} {'K' if i == 0 else '.'} {start + i * dur} {start + i * dur} {dur}"
             for i in range(n)]
    return "\n".join(lines) + "\n"


def test_append_fires_updatestart_update_updateend_in_order():
    p = Pair()
    sb = p.add()
    sb.append_buffer(INIT_V.encode())
    assert sb.updating
    events = [e for e in p.run() if e.startswith("sb:")]
    assert events == ["sb:updatestart", "sb:update", "sb:updateend"]
    assert not sb.updating


def test_media_segment_buffers_its_presentation_interval():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0) + "E\n")
    assert ranges(sb.buffered) == [(0.0, 0.3)]
    # The init segment gave no duration: Infinity (Initialization Segment Received 1).
    assert p.ms.duration == float("inf")


def test_frames_before_a_random_access_point_are_dropped():
    # Step 10: the need random access point flag drops non-keyframes first.
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\nF 1 . 0 0 100\n" + gop(100) + "E\n")
    assert ranges(sb.buffered) == [(0.1, 0.4)]


def test_timestamp_offset_shifts_frames_exactly():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V)
    sb.timestamp_offset = 1001 / 30000  # not a whole number of ms ticks
    p.append(sb, "M\n" + gop(0) + "E\n")
    (start, end), = sb.buffered.ranges
    assert start == Fraction(1001, 30000)
    assert end == Fraction(1001, 30000) + Fraction(3, 10)


def test_append_window_drops_frames_outside_and_needs_a_new_keyframe():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V)
    sb.append_window_start = 0.15
    p.append(sb, "M\n" + gop(0, n=6) + "E\n")
    # Frames at 0 and 100 start before the window; the one at 200 is not a keyframe.
    assert ranges(sb.buffered) == []
    sb.append_window_start = 0
    sb.append_window_end = 1.25
    p.append(sb, "M\n" + gop(1000, n=6) + "E\n")
    # The frame [1.2, 1.3) ends after the window end: dropped, and so is what follows.
    assert ranges(sb.buffered) == [(1.0, 1.2)]


def test_discontinuity_starts_a_new_group_and_needs_a_keyframe():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0) + "E\n")
    # A jump of more than 2 x last frame duration: frame at 1000 is not a keyframe.
    p.append(sb, "M\nF 1 . 1000 1000 100\n" + gop(1100) + "E\n")
    assert ranges(sb.buffered) == [(0.0, 0.3), (1.1, 1.4)]


def test_overlapping_append_replaces_frames_and_their_dependents():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0, n=10) + "E\n")
    sb.abort()  # new coded frame group
    p.run()
    # A new GOP over [200, 500): old frames 200..400 go; old 500..900 depended on them
    # (no keyframe after 0 in the old GOP) and go too.
    p.append(sb, "M\n" + gop(200, n=3) + "E\n")
    assert ranges(sb.buffered) == [(0.0, 0.5)]
    tb = sb._track_buffers[1]
    assert [f.pts for f in tb.frames] == [0, 100, 200, 300, 400]


def test_sequence_mode_places_segments_back_to_back():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V)
    sb.mode = "sequence"
    p.append(sb, "M\n" + gop(5000) + "E\n")
    p.append(sb, "M\n" + gop(100) + "E\n")
    assert ranges(sb.buffered) == [(0.0, 0.6)]
    assert sb.timestamp_offset == pytest.approx(0.3 - 0.1)


def test_parse_error_runs_the_append_error_algorithm():
    p = Pair()
    sb = p.add()
    events = p.append(sb, INIT_V + "X moof: traf without tfdt\n")
    assert [e for e in events if e[:3] in ("sb:", "ms:")] == [
        "sb:updatestart", "sb:error", "sb:updateend", "ms:sourceended"]
    assert p.ms.ready_state == "ended"
    assert p.el.error is not None and "tfdt" in p.el.error.message


def test_media_segment_before_init_segment_is_an_append_error():
    p = Pair()
    sb = p.add()
    events = p.append(sb, "M\n" + gop(0) + "E\n")
    assert "sb:error" in events
    assert p.el.error.code == 4  # HAVE_NOTHING: MEDIA_ERR_SRC_NOT_SUPPORTED


def test_element_ready_state_events_follow_html():
    p = Pair()
    sb = p.add()
    events = p.append(sb, INIT_V)
    assert "el:loadedmetadata" in events and p.el.ready_state == 1
    events = p.append(sb, "M\n" + gop(0, n=10) + "E\n")
    assert [e for e in events if e.startswith("el:")] == [
        "el:loadeddata", "el:canplay", "el:canplaythrough"]
    assert p.el.ready_state == 4


def test_remove_deletes_up_to_the_next_keyframe():
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0, n=5) + gop(500, n=5) + "E\n")
    sb.remove(0.2, 0.3)
    events = p.run()
    assert events == ["sb:updatestart", "sb:update", "sb:updateend"]
    # Removal runs to the next random access point (0.5): frames 200-400 go.
    assert ranges(sb.buffered) == [(0.0, 0.2), (0.5, 1.0)]


def test_29_97fps_does_not_drift():
    # 30000/1001 fps in a 30000 timescale over an hour: the end is exactly 108000 frames.
    p = Pair()
    sb = p.add()
    n = 3000
    lines = [f"F 1 {'K' if i % 30 == 0 else '.'} {i * 1001} {i * 1001} 1001" for i in range(n)]
    p.append(sb, "I v1/30000\nM\n" + "\n".join(lines) + "\nE\n")
    (start, end), = sb.buffered.ranges
    assert end == Fraction(n * 1001, 30000)


def test_frame_feed_starts_at_the_random_access_point_and_resets_on_overwrite():
    from msepy.feed import FrameFeed
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0, n=5) + gop(500, n=5) + "E\n")
    feed = FrameFeed(p.el)
    (track,) = feed.tracks()
    assert track.kind == "video"
    p.el.current_time = 0.7
    p.run()
    feed.seek()
    batch = feed.pull(track.key, max_frames=3)
    assert batch.reset and batch.config is not None
    assert [f.pts for f in batch.frames] == [500, 600, 700]  # from the keyframe at 0.5
    batch = feed.pull(track.key, max_frames=10)
    assert not batch.reset and [f.pts for f in batch.frames] == [800, 900]
    # An overwrite behind the cursor: the decoder must be flushed and refilled.
    sb.abort()
    p.append(sb, "M\n" + gop(500, n=5) + "E\n")
    batch = feed.pull(track.key, max_frames=10)
    assert batch.reset and batch.frames[0].pts == 500 and batch.frames[0].is_rap


def test_a_pause_between_subtitles_does_not_make_muxed_video_drop_frames():
    # Video frames every 100 ms; a cue at 0-0.5 s, the next at 2-2.5 s (a gap far more
    # than 2 x the last cue's duration).  Video keeps every frame.
    p = Pair()
    sb = p.add()
    video = [f"F 1 {'K' if i == 0 else '.'} {i * 100} {i * 100} 100" for i in range(30)]
    lines = video[:5] + ["F 2 K 0 0 500"] + video[5:20] + ["F 2 K 2000 2000 500"] + video[20:]
    p.append(sb, "I v1/1000 t2/1000\nM\n" + "\n".join(lines) + "\nE\n")
    tb = sb._track_buffers[1]
    assert len(tb.frames) == 30
    assert ranges(sb.buffered) == [(0.0, 3.0)]


def test_frame_feed_lookup_at_an_odd_time_does_not_rescale_the_track_buffer():
    from msepy.feed import FrameFeed
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + "M\n" + gop(0, n=5) + gop(500, n=5) + "E\n")
    feed = FrameFeed(p.el)
    (track,) = feed.tracks()
    feed.seek(0.7790000000000001)  # a double with a 2^52 denominator
    batch = feed.pull(track.key)
    assert batch.frames[0].pts == 500 and sb._track_buffers[1].timescale == 1000


def test_audio_straddling_the_append_window_is_trimmed_not_dropped():
    # Chromium's partial append window trimming: 20 ms audio frames, window [0.05, 0.15).
    p = Pair()
    sb = p.add()
    p.append(sb, "I a1/1000:1000\n")
    sb.append_window_start = 0.05
    sb.append_window_end = 0.15
    p.append(sb, "M\n" + "".join(f"F 1 K {i * 20} {i * 20} 20\n" for i in range(10)) + "E\n")
    assert ranges(sb.buffered) == [(0.05, 0.15)]
    frames = sb._track_buffers[1].frames
    ts = sb._track_buffers[1].timescale
    first, last = frames[0], frames[-1]
    assert (Fraction(first.pts, ts), Fraction(first.trim_start, ts)) == (Fraction(1, 20), Fraction(1, 100))
    assert (Fraction(last.pts + last.duration, ts), Fraction(last.trim_end, ts)) == (Fraction(3, 20), Fraction(1, 100))
