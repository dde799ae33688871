"""The spec's algorithms, step by step: event order, coded frame processing details,
splices, init segment checks, element readyState, seekable, active buffers, eviction.

Frames are stated exactly with the FrameScript byte stream (``tests/helpers.py``);
event logs are ``"target:type"`` in the order the task queue fired them.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from helpers import (FrameScriptParser, Pair, add_generating_timestamps, frames_of, gop_lines, ranges,
                     reordered_gop_lines)
from msepy import MediaSource
from msepy.errors import QuotaExceededError
from msepy.eviction import FRAME_OVERHEAD, memory_usage
from msepy.trackbuffer import SpliceFrame

INIT_V = "I v1/1000\n"
AUDIO = 'audio/mp4; codecs="mp4a.40.2"'
HAVE_NOTHING, HAVE_METADATA, HAVE_CURRENT_DATA, HAVE_FUTURE_DATA, HAVE_ENOUGH_DATA = range(5)


def media(*gops: str) -> str:
    return "M\n" + "".join(gops) + "E\n"


def only(events: list[str], *prefixes: str) -> list[str]:
    return [e for e in events if e.startswith(prefixes)]


def video_pair(**kw) -> tuple[Pair, object]:
    p = Pair(**kw)
    sb = p.add()
    p.append(sb, INIT_V)
    return p, sb


def pts_list(sb, track: int = 1) -> list[F]:
    return [f[0] for f in frames_of(sb, track)]


# == appendBuffer / abort / remove / removeSourceBuffer: event order ==========================

class TestEventOrder:
    def test_append_buffer(self):
        # appendBuffer 4 (updatestart), buffer append 5-6 (update, updateend).
        p, sb = video_pair()
        sb.append_buffer(media(gop_lines(0)).encode())
        assert sb.updating
        assert only(p.run(), "sb:") == ["sb:updatestart", "sb:update", "sb:updateend"]
        assert not sb.updating

    def test_abort_during_a_pending_append(self):
        # abort 4.1-4.4: the buffer append is aborted: abort, updateend; never update.
        p, sb = video_pair()
        sb.append_buffer(media(gop_lines(0)).encode())
        sb.abort()
        assert not sb.updating  # 4.3 synchronously
        assert p.run() == ["sb:updatestart", "sb:abort", "sb:updateend"]
        # 5. reset parser state dropped the bytes: nothing was buffered.
        assert sb.buffered.length == 0
        p.append(sb, media(gop_lines(0)))  # and the next append works normally
        assert ranges(sb.buffered) == [(0.0, 0.3)]

    def test_abort_after_the_append_completed_fires_nothing(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        sb.abort()
        assert p.run() == []
        assert ranges(sb.buffered) == [(0.0, 0.3)]

    def test_remove(self):
        # Range removal 3-4 (updatestart) then 7-9 (update, updateend).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        sb.remove(0.5, math.inf)
        assert sb.updating
        assert p.run() == ["sb:updatestart", "sb:update", "sb:updateend"]
        assert ranges(sb.buffered) == [(0.0, 0.5)]

    def test_remove_source_buffer_while_updating(self):
        # removeSourceBuffer 2: abort, updateend at the SourceBuffer; then the track
        # lists (3-8), activeSourceBuffers (9), sourceBuffers (10).
        p, sb = video_pair()
        p.names[id(sb.video_tracks)] = "sb.videoTracks"
        p.names[id(p.el.video_tracks)] = "el.videoTracks"
        sb.append_buffer(media(gop_lines(0)).encode())
        p.ms.remove_source_buffer(sb)
        assert not sb.updating
        assert p.run() == [
            "sb:updatestart", "sb:abort", "sb:updateend",
            "sb.videoTracks:removetrack", "sb.videoTracks:change",  # it was selected
            "el.videoTracks:removetrack", "el.videoTracks:change",
            "asbl:removesourcebuffer", "sbl:removesourcebuffer"]

    def test_remove_source_buffer_never_activated_fires_only_at_source_buffers(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        assert p.run() == ["sbl:removesourcebuffer"]

    def test_append_error(self):
        # Append error 1-4: error, updateend, then end of stream("decode").
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        events = p.append(sb, "X mdat: payload past the end\n")
        assert events == ["sb:updatestart", "sb:error", "sb:updateend",
                          "ms:sourceended", "el:error"]
        assert p.ms.ready_state == "ended"
        assert p.el.error.code == 3  # past HAVE_NOTHING: MEDIA_ERR_DECODE
        assert "mdat" in p.el.error.message and sb.last_error == p.el.error.message
        assert not sb.updating

    def test_append_error_keeps_frames_processed_before_it(self):
        p, sb = video_pair()
        p.append(sb, "M\n" + gop_lines(0) + "X moof: broken\n")
        assert ranges(sb.buffered) == [(0.0, 0.3)]

    def test_detach_by_load_with_a_new_src_object(self):
        # "Detaching from a media element" 3-9 run right before emptied is queued.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        ms2 = MediaSource(queue=p.queue)
        p.names[id(ms2)] = "ms2"
        p.el.src_object = ms2
        events = p.run()
        assert only(events, "el:", "ms", "asbl:", "sbl:") == [
            "el:abort", "asbl:removesourcebuffer", "sbl:removesourcebuffer",
            "ms:sourceclose", "el:emptied", "el:loadstart", "ms2:sourceopen"]
        assert p.ms.ready_state == "closed"
        assert math.isnan(p.ms.duration)  # 4.
        assert len(p.ms.source_buffers) == 0 and len(p.ms.active_source_buffers) == 0
        assert p.el.ready_state == HAVE_NOTHING and len(p.el.video_tracks) == 0
        with pytest.raises(Exception):
            sb.append_buffer(b"M\n")  # removed from sourceBuffers
        assert ms2.ready_state == "open"

    def test_detach_while_updating_aborts_the_append(self):
        p, sb = video_pair()
        sb.append_buffer(media(gop_lines(0)).encode())
        p.el.src_object = None
        events = p.run()
        assert "sb:update" not in events and "ms:sourceclose" in events
        assert not sb.updating


# == duration change / end of stream =========================================================

class TestDuration:
    def test_init_segment_without_duration_sets_infinity(self):
        # Initialization segment received 1: NaN -> +Infinity.
        p, _ = video_pair()
        assert p.ms.duration == math.inf

    def test_end_of_stream_truncates_duration_to_buffered_end(self):
        # End of stream 3.1: the spec's own example (10 s set, 0-3 s appended).
        p, sb = video_pair()
        p.ms.duration = 10
        p.append(sb, media(gop_lines(0, n=30)))
        p.run()
        p.ms.end_of_stream()
        events = p.run()
        assert events == ["ms:sourceended", "el:durationchange"]
        assert p.ms.duration == 3 and p.el.duration == 3

    def test_end_of_stream_uses_the_largest_end_across_track_buffers(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/48000:48000\n" + media(
            gop_lines(0, n=9), "".join(f"F 2 K {i * 4800} {i * 4800} 4800\n"
                                       for i in range(10))))
        p.ms.end_of_stream()
        p.run()
        assert p.ms.duration == 1.0  # audio [0, 1.0), video [0, 0.9)

    def test_end_of_stream_with_nothing_buffered_keeps_the_duration(self):
        # End of stream 3.1 has no largest end time when no track buffer has a range:
        # the duration stays, as Chromium's does (e2e differential "remove everything,
        # then append again").
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        sb.remove(0, math.inf)
        p.run()
        assert ranges(sb.buffered) == [] and p.ms.duration == math.inf
        p.ms.end_of_stream()
        assert p.run() == ["ms:sourceended"]
        assert p.ms.duration == math.inf and p.el.error is None

    def test_end_of_stream_before_any_initialization_segment_is_a_failure(self):
        # All the media data and no metadata: "can otherwise not be rendered at all",
        # the dedicated media source failure steps - Chromium's MEDIA_ERR_SRC_NOT_SUPPORTED
        # - and then detaching, which the spec allows on resource fetch failures.
        p = Pair()
        p.add()
        p.ms.duration = 10
        p.run()
        p.ms.end_of_stream()
        assert p.run() == ["ms:sourceended", "el:error", "asbl:removesourcebuffer",
                           "sbl:removesourcebuffer", "ms:sourceclose"]
        assert p.el.error.code == 4 and p.ms.ready_state == "closed"
        assert math.isnan(p.ms.duration) and len(p.ms.source_buffers) == 0

    def test_detaching_stops_an_append_as_remove_source_buffer_does(self):
        # "Detaching from a media element" only removes the SourceBuffers; one still
        # updating gets abort and updateend, as from removeSourceBuffer() step 2 - and
        # as Chromium fires them (e2e differential "detach while appending").
        p, sb = video_pair()
        sb.append_buffer(media(gop_lines(0)).encode())
        p.el.src_object = None
        events = [e for e in p.run() if e.split(":")[0] in ("sb", "sbl", "ms")]
        assert events == ["sb:updatestart", "sb:abort", "sb:updateend",
                          "sbl:removesourcebuffer", "ms:sourceclose"]
        assert not sb.updating

    def test_ended_buffered_extends_the_last_range_to_the_highest_end(self):
        # SourceBuffer.buffered 4.2 and HTMLMediaElement.buffered 2.4.2.
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/48000:48000\n" + media(
            gop_lines(0, n=9), "".join(f"F 2 K {i * 4800} {i * 4800} 4800\n"
                                       for i in range(10))))
        assert ranges(sb.buffered) == [(0.0, 0.9)]
        assert ranges(p.el.buffered) == [(0.0, 0.9)]
        p.ms.end_of_stream()
        assert ranges(sb.buffered) == [(0.0, 1.0)]
        assert ranges(p.el.buffered) == [(0.0, 1.0)]

    def test_duration_below_highest_buffered_pts_is_invalid_state(self):
        # Duration change 2: frames at 0 .. 0.9 are buffered.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        with pytest.raises(Exception) as info:
            p.ms.duration = 0.5
        assert info.value.name == "InvalidStateError"
        assert p.ms.duration == math.inf

    def test_duration_between_highest_pts_and_end_becomes_the_end(self):
        # Duration change 3-4: 0.95 is past the last pts (0.9) but below its end (1.0).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.ms.duration = 0.95
        assert p.ms.duration == 1.0
        assert p.run() == ["el:durationchange"]

    def test_duration_change_to_the_same_value_does_nothing(self):
        p, sb = video_pair()
        p.ms.duration = 5
        p.run()
        p.ms.duration = 5  # step 1
        assert p.run() == []

    def test_truncate_after_remove(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=5), gop_lines(500, n=5)))
        p.ms.duration = 10
        sb.remove(0.5, math.inf)
        p.run()
        p.ms.duration = 0.5
        assert p.ms.duration == 0.5

    def test_media_past_the_duration_extends_it(self):
        # Coded frame processing 5: the group end timestamp is past the duration.
        p, sb = video_pair()
        p.ms.duration = 0.2
        p.run()
        events = p.append(sb, media(gop_lines(0)))
        assert p.ms.duration == pytest.approx(0.3)
        assert "el:durationchange" in events

    def test_end_of_stream_network_error_before_metadata(self):
        p = Pair()
        p.add()
        p.ms.end_of_stream("network")
        events = p.run()
        assert "el:error" in events
        assert p.el.error.code == 4  # HAVE_NOTHING: dedicated media source failure

    def test_end_of_stream_network_error_after_metadata(self):
        p, sb = video_pair()
        p.ms.end_of_stream("network")
        p.run()
        assert p.el.error.code == 2  # MEDIA_ERR_NETWORK

    def test_end_of_stream_decode_error_after_metadata(self):
        p, sb = video_pair()
        p.ms.end_of_stream("decode")
        p.run()
        assert p.el.error.code == 3  # MEDIA_ERR_DECODE


# == coded frame processing ==================================================================

class TestSequenceMode:
    def test_segments_are_placed_back_to_back_and_offset_updated(self):
        p, sb = video_pair()
        sb.mode = "sequence"  # 7. group start = group end = 0
        p.append(sb, media(gop_lines(5000)))
        # 3.1: timestampOffset = group start (0) - pts (5)
        assert sb.timestamp_offset == pytest.approx(-5.0)
        p.append(sb, media(gop_lines(100)))
        # 6: dts 0.1 - 5 went backwards: discontinuity; group start = group end (0.3)
        assert sb.timestamp_offset == pytest.approx(0.2)
        p.append(sb, media(gop_lines(400)))  # continues the group: offset unchanged
        assert sb.timestamp_offset == pytest.approx(0.2)
        assert ranges(sb.buffered) == [(0.0, 0.9)]

    def test_gap_inside_a_segment_is_closed(self):
        # 6. (sequence): a jump of more than 2x the last frame duration starts a new
        # group at the group end timestamp.
        p, sb = video_pair()
        sb.mode = "sequence"
        p.append(sb, media(gop_lines(0), gop_lines(7000)))
        assert ranges(sb.buffered) == [(0.0, 0.6)]
        assert pts_list(sb) == [F(k, 10) for k in range(6)]

    def test_timestamp_offset_places_the_next_group(self):
        p, sb = video_pair()
        sb.mode = "sequence"
        p.append(sb, media(gop_lines(0)))
        sb.timestamp_offset = 10  # timestampOffset setter 6: group start = 10
        p.append(sb, media(gop_lines(3000)))
        assert ranges(sb.buffered) == [(0.0, 0.3), (10.0, 10.3)]
        assert sb.timestamp_offset == pytest.approx(7.0)

    def test_abort_sets_group_start_to_group_end(self):
        # Reset parser state 6.
        p, sb = video_pair()
        sb.mode = "sequence"
        p.append(sb, media(gop_lines(0)))
        sb.abort()
        p.append(sb, media(gop_lines(300)))  # would continue anyway; now re-anchored
        p.append(sb, media(gop_lines(0)))
        sb.abort()
        p.append(sb, media(gop_lines(9000)))
        assert ranges(sb.buffered) == [(0.0, 1.2)]

    def test_generate_timestamps_place_frames_one_after_another(self):
        # Coded frame processing 1 (generate timestamps: pts = dts = 0 + offset) and
        # 21 (timestampOffset = frame end timestamp).
        p = Pair()
        sb = add_generating_timestamps(p)
        p.append(sb, "I a1/48000:48000\n")
        p.append(sb, "M\n" + "".join(f"F 1 K 999999 999999 1024\n" for _ in range(3)) + "E\n")
        assert [f[0] for f in frames_of(sb)] == [F(0), F(1024, 48000), F(2048, 48000)]
        assert sb.timestamp_offset == pytest.approx(3072 / 48000)


class TestDecodeOrderAcrossTracks:
    """A batch's frames come in byte order (an fMP4 traf's samples, then the next
    traf's).  Coded frame processing first tries them as they are - which is right
    when every frame is steady, each touching only its own track buffer - and puts
    them in decode order across tracks otherwise.  Either way the outcome is the one
    of processing in decode order throughout."""

    @staticmethod
    def outcome(monkeypatch, always_sorted: bool, script: list[str], mode: str,
                offset: int) -> tuple:
        import msepy.sourcebuffer as module
        if always_sorted:
            real = module.coded_frame_processing
            monkeypatch.setattr(module, "coded_frame_processing",
                                lambda sb, frames, chunks=False, order=None:
                                real(sb, order(frames) if order else frames, chunks))
        p = Pair()
        sb = p.add(type_='video/mp4; codecs="avc1.64001f,mp4a.40.2"')
        p.append(sb, "I v1/1000 a2/1000:48000\n")
        sb.mode = mode
        sb.timestamp_offset = offset
        for segment in script:
            p.append(sb, segment)
        monkeypatch.undo()
        return (frames_of(sb, 1), frames_of(sb, 2), ranges(sb.buffered), sb.timestamp_offset,
                sb.group_end_timestamp)

    @pytest.mark.parametrize("mode", ["segments", "sequence"])
    @pytest.mark.parametrize("offset", [0, 2])
    @pytest.mark.parametrize("second", [
        # steady: both tracks go on where they stopped
        gop_lines(300, track=1) + gop_lines(300, dur=100, track=2),
        # video jumps (a discontinuity) inside the batch, audio goes on
        gop_lines(300, track=1) + gop_lines(1000, track=1) + gop_lines(300, n=9, track=2),
        # audio goes backwards after the video frames
        gop_lines(300, track=1) + gop_lines(100, track=2),
    ], ids=["steady", "video-jump", "audio-back"])
    def test_same_outcome_as_decode_order_throughout(self, monkeypatch, mode, offset, second):
        first = media(gop_lines(0, track=1) + gop_lines(0, track=2))
        script = [first, media(second)]
        assert self.outcome(monkeypatch, False, script, mode, offset) == \
            self.outcome(monkeypatch, True, script, mode, offset)


class TestDiscontinuity:
    def test_exactly_twice_the_frame_duration_is_not_a_discontinuity(self):
        # 6: last dts 0.2, duration 0.1: dts 0.4 differs by exactly 2x; the non-random
        # access frame is kept (no need random access point flag was set).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0), "F 1 . 400 400 100\n"))
        assert pts_list(sb) == [F(0), F(1, 10), F(2, 10), F(4, 10)]

    def test_more_than_twice_the_frame_duration_is_a_discontinuity(self):
        # 6.5: need random access point; the frame at 0.401 is not one: dropped.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0), "F 1 . 401 401 100\n", gop_lines(600)))
        assert pts_list(sb) == [F(0), F(1, 10), F(2, 10), F(6, 10), F(7, 10), F(8, 10)]

    def test_decode_timestamp_going_backwards_is_a_discontinuity(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(1000), "F 1 . 500 500 100\n"))
        assert pts_list(sb) == [F(1), F(11, 10), F(12, 10)]

    def test_segments_mode_discontinuity_sets_group_end_to_the_pts(self):
        # 6.1 (segments): group end = presentation timestamp (observable through a
        # later switch to sequence mode, whose group start is the group end).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0), gop_lines(5000)))
        sb.mode = "sequence"
        p.append(sb, media(gop_lines(0)))
        assert ranges(sb.buffered) == [(0.0, 0.3), (5.0, 5.6)]


class TestOverlap:
    TS = 10_000_000  # 100 ns ticks: sub-microsecond timestamps are exact

    def _pair(self):
        p = Pair()
        sb = p.add()
        ts = self.TS
        p.append(sb, f"I v1/{ts}\n" + media("".join(
            f"F 1 K {i * ts // 10} {i * ts // 10} {ts // 10}\n" for i in range(3))))
        sb.abort()  # the next frame starts a new coded frame group (13 applies)
        p.run()
        return p, sb

    def test_frame_half_a_microsecond_after_an_existing_one_replaces_it(self):
        # 13 (video): remove window timestamp = overlapped pts + 1 us; 0.5 us < 1 us.
        p, sb = self._pair()
        p.append(sb, media(f"F 1 K 5 5 {self.TS // 10 - 5}\n"))
        assert pts_list(sb) == [F(5, self.TS), F(1, 10), F(2, 10)]

    def test_frame_two_microseconds_after_an_existing_one_does_not(self):
        p, sb = self._pair()
        p.append(sb, media(f"F 1 K 20 20 {self.TS // 10 - 20}\n"))
        assert pts_list(sb) == [F(0), F(20, self.TS), F(1, 10), F(2, 10)]

    def test_exactly_one_microsecond_after_does_not(self):
        p, sb = self._pair()
        p.append(sb, media(f"F 1 K 10 10 {self.TS // 10 - 10}\n"))
        assert F(0) in pts_list(sb)

    def test_frame_slightly_before_an_existing_one_removes_it_by_step_14(self):
        p, sb = self._pair()
        start = self.TS // 10 - 3  # 0.3 us before the frame at 0.1
        p.append(sb, media(f"F 1 K {start} {start} {self.TS // 10}\n"))
        assert pts_list(sb) == [F(0), F(start, self.TS), F(2, 10)]

    def test_dependency_removal_runs_to_the_next_random_access_point(self):
        # 14 removes the frame at 0.2; 15 removes 0.3-0.9 (they depend on it) but keeps
        # the keyframe at 1.0 and its GOP.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10), gop_lines(1000, n=10)))
        sb.abort()
        p.append(sb, media("F 1 K 200 200 100\n"))
        assert pts_list(sb) == [F(0), F(1, 10), F(2, 10)] + [F(10 + k, 10) for k in range(10)]
        assert ranges(sb.buffered) == [(0.0, 0.3), (1.0, 2.0)]

    def test_continuing_group_removes_from_the_highest_end_timestamp(self):
        # 14, second case: highest end timestamp (0.3) <= pts: remove [0.3, end).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        sb.abort()
        p.append(sb, media(gop_lines(0, n=3)))  # replaces 0-0.2; 0.3-0.9 depended on it
        assert pts_list(sb) == [F(0), F(1, 10), F(2, 10)]
        p.append(sb, media("F 1 . 300 300 100\n"))  # same group continues
        assert pts_list(sb) == [F(k, 10) for k in range(4)]

    def test_reordered_frames_replace_a_reordered_gop(self):
        p, sb = video_pair()
        p.append(sb, media(reordered_gop_lines(0, m=2), reordered_gop_lines(500, m=2)))
        sb.abort()
        p.append(sb, media(reordered_gop_lines(0, m=2)))
        assert sorted(pts_list(sb)) == [F(k, 10) for k in range(10)]
        assert ranges(sb.buffered) == [(0.0, 1.0)]


class TestAudioSplice:
    def _pair(self, init: str, frames: str):
        p = Pair()
        sb = p.add(type_=AUDIO)
        p.append(sb, init + media(frames))
        sb.abort()  # new coded frame group: step 13 runs for the next frame
        p.run()
        return p, sb

    def test_splice_frame_round_fade_out_and_track_buffer(self):
        # Overlapped frame at 10 s, 8000 Hz (the spec's example): a new frame at
        # 10.01255 s splices at 10.0125 (the nearest sample, step 7).
        p, sb = self._pair("I a1/100000:8000\n",
                           "F 1 K 1000000 1000000 1500\n"   # [10.000, 10.015)
                           "F 1 K 1001500 1001500 500\n"    # [10.015, 10.020)
                           "F 1 K 1002000 1002000 2000\n"   # [10.020, 10.040)
                           "F 1 K 1004000 1004000 2000\n")  # [10.040, 10.060)
        p.append(sb, media("F 1 K 1001255 1001255 2000\n"))
        tb = sb._track_buffers[1]
        ts = tb.timescale
        splice = tb.frames[0]
        assert isinstance(splice, SpliceFrame)
        assert F(splice.splice_pts, ts) == F(100125, 10000)  # 7. rounded
        assert F(splice.pts, ts) == 10  # 13. the overlapped frame's pts
        assert F(splice.duration, ts) == F(100325, 10000) - 10  # 13. frame end - 10
        # 11. fade out: the overlapped frame and the one starting inside 5 ms.
        assert [F(f.pts, ts) for f in splice.fade_out] == [10, F(10015, 1000)]
        assert F(splice.fade_in.pts, ts) == F(1001255, 100000)
        # 14. the frame at 10.02 started inside the new frame: removed; 10.04 kept.
        assert [F(f.pts, ts) for f in tb.frames] == [10, F(1004, 100)]

    def test_equidistant_timestamp_rounds_up(self):
        # 7: 1.5 samples past 10 s at 8000 Hz rounds to 2 samples.
        p, sb = self._pair("I a1/16000:8000\n",
                           "F 1 K 160000 160000 320\nF 1 K 160320 160320 320\n")
        p.append(sb, media("F 1 K 160003 160003 320\n"))
        splice = sb._track_buffers[1].frames[0]
        assert isinstance(splice, SpliceFrame)
        ts = sb._track_buffers[1].timescale
        assert F(splice.splice_pts, ts) == 10 + F(2, 8000)

    def test_new_frame_on_a_frame_boundary_still_splices(self):
        # 13: the presentation interval includes its start, so a frame starting exactly
        # where an existing one does overlaps it: the splice frame replaces it with a
        # fade out of that frame alone.
        p, sb = self._pair("I a1/48000:48000\n",
                           "".join(f"F 1 K {i * 1024} {i * 1024} 1024\n" for i in range(4)))
        p.append(sb, media("F 1 K 1024 1024 1024\n"))
        tb = sb._track_buffers[1]
        ts = tb.timescale
        assert [F(f.pts, ts) * 48000 for f in tb.frames] == [0, 1024, 2048, 3072]
        splice = tb.frames[1]
        assert isinstance(splice, SpliceFrame)
        assert F(splice.splice_pts, ts) * 48000 == 1024
        assert [F(f.pts, ts) * 48000 for f in splice.fade_out] == [1024]
        assert F(splice.duration, ts) * 48000 == 1024


class TestTextSplice:
    def test_overlapped_cue_is_truncated_and_covered_cues_removed(self):
        # Text splice frame 9-12: the cue holding 0.5 is cut to [0, 0.5); the cue at
        # 1.0 starts inside the new cue [0.5, 1.5): removed; the new cue is added.
        p = Pair()
        sb = p.add()
        p.append(sb, "I t1/1000\n" + media(
            "F 1 K 0 0 1000\nF 1 K 1000 1000 1000\nF 1 K 2000 2000 1000\n"))
        sb.abort()
        p.append(sb, media("F 1 K 500 500 1000\n"))
        cues = [(f[0], f[0] + f[2]) for f in frames_of(sb)]
        assert cues == [(0, F(1, 2)), (F(1, 2), F(3, 2)), (2, 3)]


# == initialization segment received ========================================================

class TestInitSegment:
    def test_step2_no_tracks_is_an_append_error(self):
        p = Pair()
        sb = p.add()
        events = p.append(sb, "I\n")
        assert "sb:error" in events

    def test_step3_track_count_mismatch_is_an_append_error(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/48000:48000\n")
        events = p.append(sb, "I v1/1000\n")
        assert only(events, "sb:") == ["sb:updatestart", "sb:error", "sb:updateend"]
        assert "audio" in sb.last_error

    def test_step3_single_track_of_a_type_may_change_its_id(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000\n" + media(gop_lines(0)))
        events = p.append(sb, "I v7/1000\n" + media(gop_lines(300, track=7)))
        assert "sb:error" not in events
        assert ranges(sb.buffered) == [(0.0, 0.6)]
        assert len(sb.video_tracks) == 1  # no new track

    def test_step3_several_tracks_of_a_type_need_the_same_ids(self):
        p = Pair()
        sb = p.add(type_=AUDIO)
        p.append(sb, "I a1/48000:48000 a2/48000:48000\n")
        assert "sb:error" not in p.append(sb, "I a2/48000:48000 a1/48000:48000\n")
        events = p.append(sb, "I a1/48000:48000 a3/48000:48000\n")
        assert "sb:error" in events

    def test_step3_3_second_init_segment_needs_a_random_access_point(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        p.append(sb, INIT_V + media("F 1 . 300 300 100\n", gop_lines(400)))
        assert pts_list(sb) == [F(k, 10) for k in (0, 1, 2, 4, 5, 6)]

    def test_steps5_first_init_segment_makes_tracks_and_activates(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/48000:48000\n")
        assert len(sb.video_tracks) == 1 and len(sb.audio_tracks) == 1
        assert sb.video_tracks[0].selected and sb.audio_tracks[0].enabled
        assert list(p.ms.active_source_buffers) == [sb]
        assert p.el.ready_state == HAVE_METADATA

    def test_step8_metadata_waits_for_every_source_buffer(self):
        p = Pair()
        a, v = p.add("a", AUDIO), p.add("v")
        events = p.append(a, "I a1/48000:48000\n")
        assert "el:loadedmetadata" not in events and p.el.ready_state == HAVE_NOTHING
        events = p.append(v, INIT_V)
        assert "el:loadedmetadata" in events and p.el.ready_state == HAVE_METADATA


class TestChangeType:
    def test_media_segment_before_the_required_init_segment_is_an_append_error(self):
        # Segment parser loop 6.1: [[pending initialization segment for changeType
        # flag]] is true.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        sb.change_type('video/mp4; codecs="avc1.64001f"')
        sb._parser = FrameScriptParser()  # (changeType made a new ISO BMFF parser)
        events = p.append(sb, media(gop_lines(300)))
        assert only(events, "sb:") == ["sb:updatestart", "sb:error", "sb:updateend"]
        assert "changeType" in sb.last_error

    def test_init_segment_then_media_is_fine(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        sb.change_type('video/webm; codecs="vp9"')
        sb._parser = FrameScriptParser()  # stands in for the WebM parser
        events = p.append(sb, INIT_V + media(gop_lines(300)))
        assert "sb:error" not in events
        assert ranges(sb.buffered) == [(0.0, 0.6)]

    def test_change_type_resets_the_parser_state(self):
        # changeType 8: reset parser state drops a partial segment.
        p, sb = video_pair()
        p.append(sb, "M\n" + gop_lines(0) + "F 1 . 300 300")  # an incomplete line
        sb.change_type('video/mp4; codecs="avc1.64001f"')
        assert sb._parser.buffered_bytes == 0
        assert ranges(sb.buffered) == [(0.0, 0.3)]  # reset step 1 kept complete frames


# == element readyState, seeking, monitoring ================================================

class TestElement:
    def test_ready_state_events_from_init_and_media(self):
        p = Pair()
        sb = p.add()
        events = p.append(sb, INIT_V)
        assert only(events, "el:") == ["el:durationchange", "el:loadedmetadata"]
        events = p.append(sb, media(gop_lines(0, n=2)))  # 0.2 s: some future data
        assert only(events, "el:") == ["el:loadeddata", "el:canplay"]
        assert p.el.ready_state == HAVE_FUTURE_DATA
        events = p.append(sb, media(gop_lines(200, n=10)))
        assert only(events, "el:") == ["el:canplaythrough"]
        assert p.el.ready_state == HAVE_ENOUGH_DATA

    def test_a_duration_set_before_metadata_fires_durationchange(self):
        # Duration change 6-7 run HTML's duration change whatever the ready state (as
        # Chromium: e2e differential "remove() and endOfStream() with nothing
        # buffered"); the duration an initialization segment gives is announced by
        # loadedmetadata's durationchange alone.
        p = Pair()
        sb = p.add()
        p.ms.duration = 10
        assert only(p.run(), "el:") == ["el:durationchange"]
        p.ms.duration = 10  # (no change, no event)
        assert only(p.run(), "el:") == []
        assert only(p.append(sb, INIT_V), "el:") == ["el:durationchange", "el:loadedmetadata"]

    def test_single_frame_at_the_position_is_have_future_or_current_data(self):
        p, sb = video_pair()
        p.append(sb, media("F 1 K 0 0 40\n"))
        assert p.el.ready_state >= HAVE_CURRENT_DATA

    def test_playing_past_the_buffered_end_waits(self):
        # SourceBuffer monitoring: the buffered range ends at the current position.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.play()
        assert p.run() == ["el:play", "el:playing"]
        p.el.advance(2.0)  # the position cannot move past the buffered end (1.0)
        events = p.run()
        assert p.el.current_time == 1.0
        assert "el:waiting" in events
        assert p.el.ready_state == HAVE_CURRENT_DATA
        assert not p.el.potentially_playing()
        events = p.append(sb, media(gop_lines(1000, n=10)))
        assert "el:playing" in events and p.el.potentially_playing()
        p.el.advance(0.5)
        assert p.el.current_time == 1.5

    def test_seeking_waits_for_data_then_seeked(self):
        # Seeking 1: not buffered -> HAVE_METADATA and wait; an append that makes the
        # position buffered lets the seek finish.
        p, sb = video_pair()
        p.ms.duration = 10
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 5
        assert p.el.seeking
        events = p.run()
        assert only(events, "el:") == ["el:seeking"]
        assert p.el.ready_state == HAVE_METADATA
        events = p.append(sb, media(gop_lines(4000, n=10)))  # [4, 5): not yet
        assert "el:seeked" not in events and p.el.seeking
        events = p.append(sb, media(gop_lines(5000, n=10)))
        el_events = only(events, "el:")
        assert el_events.index("el:timeupdate") < el_events.index("el:seeked")
        assert not p.el.seeking and p.el.current_time == 5
        assert p.el.ready_state == HAVE_ENOUGH_DATA

    def test_seek_into_buffered_data_completes_at_once(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 0.5
        assert only(p.run(), "el:") == ["el:seeking", "el:timeupdate", "el:seeked"]

    def test_a_seek_completes_in_a_task_of_its_own(self):
        # HTML seek 13-16 follow "await a stable state": not in the setter's task.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 0.5
        assert p.el.seeking
        p.el.play()  # (the same task: its events come before the seek's end)
        assert only(p.run(), "el:") == ["el:seeking", "el:play", "el:playing",
                                        "el:timeupdate", "el:seeked"]
        assert not p.el.seeking

    def test_a_second_seek_in_the_same_task_aborts_the_first(self):
        # HTML seek 3: one seeked, at the second position (Chromium: seeking, seeking,
        # timeupdate, seeked).
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 0.3
        p.el.current_time = 0.6
        assert only(p.run(), "el:") == ["el:seeking", "el:seeking", "el:timeupdate", "el:seeked"]
        assert p.el.current_time == 0.6 and not p.el.seeking

    def test_a_load_drops_a_pending_seek(self):
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 0.5
        p.el.load()
        events = only(p.run(), "el:")
        assert "el:seeked" not in events and not p.el.seeking

    def test_a_current_time_set_before_metadata_is_sought_at_loadedmetadata(self):
        # HTML: the default playback start position; after loadedmetadata (media data
        # processing 7-9) a seek to it, which waits for its data (MSE Seeking 1).
        p = Pair()
        sb = p.add()
        p.el.current_time = 0.5
        assert p.el.current_time == 0.5 and not p.el.seeking
        assert only(p.append(sb, INIT_V), "el:") == ["el:durationchange", "el:loadedmetadata",
                                                     "el:seeking"]
        assert p.el.seeking and p.el.current_time == 0.5
        events = only(p.append(sb, media(gop_lines(0, n=10))), "el:")
        assert events[-2:] == ["el:timeupdate", "el:seeked"] and "el:loadeddata" in events
        assert p.el.current_time == 0.5 and not p.el.seeking

    def test_removing_the_current_position_drops_to_have_metadata(self):
        # Coded frame removal 3.5.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        assert p.el.ready_state == HAVE_ENOUGH_DATA
        sb.remove(0, 0.5)
        p.run()
        assert p.el.ready_state == HAVE_METADATA

    def test_active_track_added_drops_to_have_metadata(self):
        # Initialization segment received 7: a second SourceBuffer's active track.
        p = Pair()
        v = p.add("v")
        p.append(v, INIT_V + media(gop_lines(0, n=10)))
        assert p.el.ready_state == HAVE_ENOUGH_DATA
        a = p.add("a", AUDIO)
        p.append(a, "I a1/48000:48000\n")
        assert p.el.ready_state == HAVE_METADATA


class TestSeekable:
    def test_nan_duration_is_empty(self):
        p = Pair()
        p.add()
        assert p.el.seekable.length == 0

    def test_finite_duration_is_zero_to_duration(self):
        p, sb = video_pair()
        p.ms.duration = 10
        assert ranges(p.el.seekable) == [(0.0, 10.0)]

    def test_infinite_duration_is_zero_to_buffered_end(self):
        # seekable 3 (+Infinity), 3.2 and 3.3.
        p, sb = video_pair()
        assert p.el.seekable.length == 0
        p.append(sb, media(gop_lines(2000, n=10)))
        assert ranges(p.el.seekable) == [(0.0, 3.0)]

    def test_live_seekable_range_is_unioned_with_buffered(self):
        # seekable 3.1: a single range from the earliest start to the highest end.
        p, sb = video_pair()
        p.ms.set_live_seekable_range(2, 20)
        assert ranges(p.el.seekable) == [(2.0, 20.0)]
        p.append(sb, media(gop_lines(0, n=10)))
        assert ranges(p.el.seekable) == [(0.0, 20.0)]
        p.ms.set_live_seekable_range(0.5, 0.6)
        assert ranges(p.el.seekable) == [(0.0, 1.0)]
        p.ms.clear_live_seekable_range()
        assert ranges(p.el.seekable) == [(0.0, 1.0)]

    def test_live_seekable_range_is_ignored_with_finite_duration(self):
        p, sb = video_pair()
        p.ms.duration = 10
        p.ms.set_live_seekable_range(2, 20)
        assert ranges(p.el.seekable) == [(0.0, 10.0)]


class TestActiveSourceBuffers:
    def _two(self):
        p = Pair()
        v, a = p.add("v"), p.add("a", AUDIO)
        p.append(v, INIT_V + media(gop_lines(0, n=10)))
        p.append(a, "I a1/48000:48000\n" + media(
            "".join(f"F 1 K {i * 4800} {i * 4800} 4800\n" for i in range(5))))
        return p, v, a

    def test_unselecting_the_video_track(self):
        p, v, a = self._two()
        assert list(p.ms.active_source_buffers) == [v, a]
        assert ranges(p.el.buffered) == [(0.0, 0.5)]
        v.video_tracks[0].selected = False
        assert list(p.ms.active_source_buffers) == [a]
        assert "asbl:removesourcebuffer" in p.run()
        assert ranges(p.el.buffered) == [(0.0, 0.5)]  # audio only now
        v.video_tracks[0].selected = True
        assert list(p.ms.active_source_buffers) == [v, a]  # sourceBuffers order
        assert "asbl:addsourcebuffer" in p.run()

    def test_disabling_the_audio_track(self):
        p, v, a = self._two()
        a.audio_tracks[0].enabled = False
        assert list(p.ms.active_source_buffers) == [v]
        assert "asbl:removesourcebuffer" in p.run()
        assert ranges(p.el.buffered) == [(0.0, 1.0)]  # video only
        a.audio_tracks[0].enabled = True
        assert list(p.ms.active_source_buffers) == [v, a]

    def test_muxed_buffer_stays_active_while_one_track_is(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/48000:48000\n")
        sb.audio_tracks[0].enabled = False
        assert list(p.ms.active_source_buffers) == [sb]
        sb.video_tracks[0].selected = False
        assert list(p.ms.active_source_buffers) == []
        assert p.el.buffered.length == 0


def used(sb):
    """What a SourceBuffer's track buffers are charged against their limits."""
    return sum(memory_usage(tb) for tb in sb._track_buffers.values())


class TestEviction:
    GOP = 10 * (100 + FRAME_OVERHEAD)  # a GOP of 10 frames of 100 bytes, as charged
    LIMIT = 5 * GOP

    def _full(self):
        p = Pair(memory_limits={"video": self.LIMIT})
        sb = p.add()
        p.append(sb, INIT_V)
        for g in range(5):
            p.append(sb, media(gop_lines(g * 1000, n=10)))
        assert ranges(sb.buffered) == [(0.0, 5.0)] and used(sb) == self.LIMIT
        return p, sb

    def test_gops_are_evicted_from_the_front(self):
        # Prepare append 6: coded frame eviction frees whole GOPs before the current
        # position first.
        p, sb = self._full()
        p.el.current_time = 2.5
        p.run()
        events = p.append(sb, media(gop_lines(5000, n=10)))
        assert "sb:error" not in events
        assert ranges(sb.buffered) == [(1.0, 6.0)]
        assert used(sb) <= self.LIMIT

    def test_eviction_never_cuts_into_the_gops_just_appended(self):
        # With nothing before the position to free, Chromium frees from the back only
        # down to the GOP last appended - which, appending at the end, is the last one:
        # nothing is freed, and the append is QuotaExceededError (not a hole punched in
        # what was just appended).
        p, sb = self._full()
        with pytest.raises(QuotaExceededError):
            sb.append_buffer(media(gop_lines(5000, n=10)).encode())
        assert ranges(sb.buffered) == [(0.0, 5.0)] and used(sb) == self.LIMIT

    def test_a_pending_seek_lets_eviction_take_any_gop_but_the_last_appended(self):
        # Chromium's GarbageCollectIfNeeded with a seek pending: the front before the
        # target, the back down to the GOP last appended, then any GOP from the front.
        # Full at [1, 6), seeking to 0.2 s: the data for the target fits once the GOP
        # at 1 s goes (with no seek pending, the GOP after the position would stay, and
        # the append would be QuotaExceededError).
        p = Pair(memory_limits={"video": self.LIMIT})
        sb = p.add()
        p.append(sb, INIT_V)
        for g in range(1, 6):
            p.append(sb, media(gop_lines(g * 1000, n=10)))
        p.el.current_time = 0.2
        p.run()
        assert p.el.seeking
        events = p.append(sb, media(gop_lines(0, n=10)))
        assert "sb:error" not in events
        assert ranges(sb.buffered) == [(0.0, 1.0), (2.0, 6.0)]

    def test_eviction_frees_the_back_beyond_an_append_behind_it(self):
        # Appending again at the front (a seek back): the GOPs after it go, from the
        # back, down to the one just appended.
        p, sb = self._full()
        sb.remove(0, 1)
        p.run()
        p.append(sb, media(gop_lines(0, n=10)))  # full again, the last GOP appended first
        events = p.append(sb, media(gop_lines(1000, n=10)))
        assert "sb:error" not in events
        assert ranges(sb.buffered) == [(0.0, 4.0)]

    def test_an_append_larger_than_the_limit_is_quota_exceeded(self):
        # Prepare append 7: the buffer full flag stays set: QuotaExceededError, and
        # nothing was queued.
        p, sb = self._full()
        p.el.current_time = 2.5
        p.run()
        with pytest.raises(QuotaExceededError):
            sb.append_buffer(b"M\n" + b" " * (self.LIMIT + 1000) + b"\n")
        assert not sb.updating
        assert p.run() == []
        # Nothing was evicted for it (as Chromium: the append alone overflows).
        assert ranges(sb.buffered) == [(0.0, 5.0)]
        # A small append afterwards is accepted again.
        p.append(sb, media(gop_lines(2000, n=10)))
        assert sb.buffered.contains(F(5, 2))


# == more steps ==============================================================================

class TestMoreSteps:
    def test_append_window_bounds_are_inclusive_of_a_frame_ending_at_the_end(self):
        # Coded frame processing 8-9: pts < start drops; frame end > end drops.
        p, sb = video_pair()
        sb.append_window_start = 0.1
        sb.append_window_end = 0.3
        p.append(sb, media(gop_lines(0, n=1), gop_lines(100, n=2), gop_lines(300, n=1)))
        assert pts_list(sb) == [F(1, 10), F(2, 10)]

    def test_only_the_first_audio_and_video_tracks_start_enabled_selected(self):
        # Initialization segment received 5.2.6.7 / 5.3.6.7.
        p = Pair()
        sb = p.add()
        p.append(sb, "I a1/48000:48000 a2/48000:48000 v3/1000 v4/1000\n")
        assert [t.enabled for t in sb.audio_tracks] == [True, False]
        assert [t.selected for t in sb.video_tracks] == [True, False]
        assert len(p.el.audio_tracks) == 2 and len(p.el.video_tracks) == 2
        assert all(t.source_buffer is sb for t in sb.audio_tracks)

    def test_text_track_mode_changes_update_active_source_buffers(self):
        # Changes to selected/enabled track state: text track mode.
        p = Pair()
        sb = p.add()
        p.append(sb, "I t1/1000\n")
        track = sb.text_tracks[0]
        assert track.mode in ("showing", "hidden")
        assert list(p.ms.active_source_buffers) == [sb]
        track.mode = "disabled"
        assert list(p.ms.active_source_buffers) == []
        assert "asbl:removesourcebuffer" in p.run()
        track.mode = "showing"
        assert list(p.ms.active_source_buffers) == [sb]
        assert "asbl:addsourcebuffer" in p.run()

    def test_text_only_buffer_is_buffered_from_zero_to_its_highest_end(self):
        # SourceBuffer.buffered 2-4: text track buffers count for the highest end
        # time only, not in the intersection.
        p = Pair()
        sb = p.add()
        p.append(sb, "I t1/1000\n" + media("F 1 K 0 0 1000\nF 1 K 2000 2000 1000\n"))
        assert ranges(sb.buffered) == [(0.0, 3.0)]

    def test_text_track_gaps_do_not_split_a_muxed_buffered_range(self):
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 t2/1000\n" + media(
            gop_lines(0, n=30), "F 2 K 0 0 500\nF 2 K 2000 2000 500\n"))
        assert ranges(sb.buffered) == [(0.0, 3.0)]

    def test_buffered_returns_the_same_object_while_unchanged(self):
        # SourceBuffer.buffered 5-6.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0)))
        first = sb.buffered
        assert sb.buffered is first
        p.append(sb, media(gop_lines(300)))
        assert sb.buffered is not first and ranges(sb.buffered) == [(0.0, 0.6)]

    def test_removal_without_a_later_keyframe_runs_to_the_duration(self):
        # Coded frame removal 3.1-3.2: no random access point at or after end, so the
        # remove end timestamp is the duration.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        sb.remove(0.2, 0.5)
        p.run()
        assert ranges(sb.buffered) == [(0.0, 0.2)]

    def test_removal_starts_at_frames_starting_exactly_at_start(self):
        p, sb = video_pair()
        p.append(sb, media(*(gop_lines(k * 100, n=1) for k in range(10))))
        sb.remove(0.3, 0.6)
        p.run()
        assert ranges(sb.buffered) == [(0.0, 0.3), (0.6, 1.0)]

    def test_removing_the_last_appended_frame_starts_a_new_group(self):
        # Coded frame removal 3.3.1-3.3.5: the next frame needs a random access point.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=5)))
        sb.remove(0.3, math.inf)
        p.run()
        p.append(sb, media("F 1 . 500 500 100\n", gop_lines(600, n=2)))
        assert pts_list(sb) == [F(0), F(1, 10), F(2, 10), F(6, 10), F(7, 10)]

    def test_duration_below_the_current_position_seeks_to_it(self):
        # Duration change 6 -> HTML: the position is past the new duration: seek there.
        p, sb = video_pair()
        p.append(sb, media(gop_lines(0, n=10)))
        p.el.current_time = 0.8
        p.run()
        sb.remove(0.5, math.inf)
        p.run()
        p.ms.duration = 0.5
        events = p.run()
        assert p.el.current_time == 0.5
        assert "el:durationchange" in events and "el:seeking" in events

    def test_detaching_an_ended_media_source_fires_sourceclose(self):
        p, sb = video_pair()
        p.ms.end_of_stream()
        p.run()
        p.el.src_object = None
        assert "ms:sourceclose" in p.run()
        assert p.ms.ready_state == "closed"

    def test_sequence_mode_offset_applies_to_every_track_of_a_muxed_segment(self):
        # Coded frame processing 3: one timestampOffset for the SourceBuffer.
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/1000:1000\n")
        sb.mode = "sequence"
        audio = "".join(f"F 2 K {5000 + i * 20} {5000 + i * 20} 20\n" for i in range(15))
        p.append(sb, media(gop_lines(5000), audio))
        assert sb.timestamp_offset == -5.0
        assert frames_of(sb, 2)[0][0] == 0 and ranges(sb.buffered) == [(0.0, 0.3)]

    def test_a_discontinuity_in_one_track_needs_random_access_in_all(self):
        # Coded frame processing 6.2-6.5 act on all track buffers.
        p = Pair()
        sb = p.add()
        p.append(sb, "I v1/1000 a2/1000:1000\n" + media(
            gop_lines(0), "".join(f"F 2 K {i * 20} {i * 20} 20\n" for i in range(15))))
        # (Separate appends: within one batch frames are processed in decode order
        # across tracks, as Chromium merges them.)
        p.append(sb, media("F 1 . 300 300 100\nF 2 . 300 300 20\n"))
        p.append(sb, media("F 1 . 2000 2000 100\n"))  # video jumps: discontinuity
        p.append(sb, media("F 2 . 320 320 20\n"       # audio now needs a RAP: dropped
                           "F 2 K 340 340 20\n"))
        assert [f[0] for f in frames_of(sb, 2)][-3:] == [F(28, 100), F(30, 100), F(34, 100)]
        assert frames_of(sb, 1)[-1][0] == F(3, 10)
