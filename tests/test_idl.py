"""The IDL surface: every attribute setter's and method's preconditions, and the
exception each must throw, in the order the spec checks them.

Each test names the spec algorithm and step it follows ("MediaSource.duration setter
step 2").  WebIDL conversions (a ``double`` given NaN, an unknown enum value) happen
before any of the spec's steps, so they win over every state check.
"""

from __future__ import annotations

import math

import pytest

from helpers import Pair, add_generating_timestamps, gop_lines, ranges
from msepy import HTMLMediaElement, MediaSource, TaskQueue
from msepy.errors import (InvalidStateError, NotFoundError, NotSupportedError,
                          exception_name)

INIT_V = "I v1/1000\n"
MEDIA = "M\n" + gop_lines(0, n=10) + "E\n"  # [0, 1)
MP4 = 'video/mp4; codecs="avc1.64001f"'


def buffered_pair() -> tuple[Pair, object]:
    """An open MediaSource with one SourceBuffer holding [0, 1) (duration Infinity)."""
    p = Pair()
    sb = p.add()
    p.append(sb, INIT_V + MEDIA)
    return p, sb


def ended_pair() -> tuple[Pair, object]:
    p, sb = buffered_pair()
    p.ms.end_of_stream()
    p.run()
    assert p.ms.ready_state == "ended"
    return p, sb


def closed_ms() -> MediaSource:
    return MediaSource(queue=TaskQueue())


def raises(name: str, fn, *args):
    """Call ``fn`` and assert it raised the exception a page would see as ``name``."""
    with pytest.raises(Exception) as info:
        fn(*args)
    assert exception_name(info.value) == name, repr(info.value)
    return info.value


def set_attr(obj, attr: str, value):
    return lambda: setattr(obj, attr, value)


# == MediaSource ===========================================================================

class TestMediaSourceAttributes:
    def test_initial_state(self):
        ms = closed_ms()
        assert ms.ready_state == "closed"
        assert len(ms.source_buffers) == 0 and len(ms.active_source_buffers) == 0
        assert MediaSource.can_construct_in_dedicated_worker is True

    def test_duration_getter_step1_closed_is_nan(self):
        assert math.isnan(closed_ms().duration)

    def test_duration_getter_open_before_init_segment_is_nan(self):
        p = Pair()
        assert math.isnan(p.ms.duration)

    @pytest.mark.parametrize("value", [-1.0, -0.001, math.nan, -math.inf])
    def test_duration_setter_step1_negative_or_nan_is_type_error(self, value):
        p = Pair()
        raises("TypeError", set_attr(p.ms, "duration", value))

    def test_duration_setter_step1_comes_before_step2(self):
        # Closed *and* negative: the TypeError of step 1 wins.
        raises("TypeError", set_attr(closed_ms(), "duration", -1))

    def test_duration_setter_step2_closed_is_invalid_state(self):
        raises("InvalidStateError", set_attr(closed_ms(), "duration", 10))

    def test_duration_setter_step2_ended_is_invalid_state(self):
        p, _ = ended_pair()
        raises("InvalidStateError", set_attr(p.ms, "duration", 10))
        assert p.ms.ready_state == "ended"

    def test_duration_setter_step3_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        assert sb.updating
        raises("InvalidStateError", set_attr(p.ms, "duration", 10))
        p.run()
        p.ms.duration = 10  # fine once the append finished

    def test_duration_setter_step3_any_source_buffer_updating(self):
        p = Pair()
        a, b = p.add("a"), p.add("b")
        p.append(a, INIT_V)
        p.append(b, INIT_V)
        b.append_buffer(MEDIA.encode())
        raises("InvalidStateError", set_attr(p.ms, "duration", 10))
        p.run()

    def test_duration_setter_step4_runs_duration_change(self):
        p = Pair()
        p.ms.duration = 12.5
        assert p.ms.duration == 12.5
        p.ms.duration = math.inf  # unrestricted double: +Infinity is allowed
        assert p.ms.duration == math.inf
        p.ms.duration = 0
        assert p.ms.duration == 0

    def test_duration_setter_keeps_exact_value(self):
        p = Pair()
        p.ms.duration = 1001 / 30000
        assert p.ms.duration == 1001 / 30000

    def test_event_handler_attributes(self):
        p = Pair()
        seen = []
        p.ms.onsourceended = lambda e: seen.append(e.type)
        p.ms.end_of_stream()
        p.run()
        assert seen == ["sourceended"]


class TestAddSourceBuffer:
    def test_step1_1_empty_type_is_type_error(self):
        p = Pair()
        raises("TypeError", p.ms.add_source_buffer, "")

    def test_step1_1_empty_type_even_when_closed(self):
        raises("TypeError", closed_ms().add_source_buffer, "")

    @pytest.mark.parametrize("type_", [
        "video/x-unknown", "not a mime type", 'video/mp4; codecs="bogus"',
        'video/mp4; codecs=""', 'audio/mp4; codecs="avc1.64001f"',
    ])
    def test_step1_2_unsupported_is_not_supported(self, type_):
        p = Pair()
        raises("NotSupportedError", p.ms.add_source_buffer, type_)
        assert not MediaSource.is_type_supported(type_)

    def test_step1_2_comes_before_step4(self):
        # Closed and unsupported: NotSupportedError (step 1.2) before step 4.
        raises("NotSupportedError", closed_ms().add_source_buffer, "video/x-unknown")

    def test_step4_closed_is_invalid_state(self):
        raises("InvalidStateError", closed_ms().add_source_buffer, MP4)

    def test_step4_ended_is_invalid_state(self):
        p, _ = ended_pair()
        raises("InvalidStateError", p.ms.add_source_buffer, MP4)
        assert p.ms.ready_state == "ended"

    def test_steps5_to_9_new_object_in_segments_mode_and_addsourcebuffer(self):
        p = Pair()
        sb = p.ms.add_source_buffer(MP4)
        assert list(p.ms.source_buffers) == [sb]
        assert sb.mode == "segments"  # 7. no generate timestamps flag
        assert not sb.updating and sb.buffered.length == 0
        assert sb.timestamp_offset == 0
        assert sb.append_window_start == 0 and sb.append_window_end == math.inf
        assert len(p.ms.active_source_buffers) == 0  # active only after an init segment
        assert p.run() == ["sbl:addsourcebuffer"]  # 8. queued, not fired synchronously

    def test_step7_generate_timestamps_flag_gives_sequence_mode(self):
        p = Pair()
        sb = add_generating_timestamps(p)
        assert sb.mode == "sequence"


class TestIsTypeSupported:
    def test_step1_empty_is_false(self):
        assert MediaSource.is_type_supported("") is False

    def test_step2_invalid_mime_is_false(self):
        assert MediaSource.is_type_supported("video") is False
        assert MediaSource.is_type_supported("video/mp4; codecs") is False

    def test_supported(self):
        assert MediaSource.is_type_supported(MP4) is True
        assert MediaSource.is_type_supported('audio/webm; codecs="opus"') is True


class TestRemoveSourceBuffer:
    def test_step1_foreign_source_buffer_is_not_found(self):
        p, q = Pair(), Pair()
        theirs = q.add()
        raises("NotFoundError", p.ms.remove_source_buffer, theirs)
        assert list(q.ms.source_buffers) == [theirs]

    def test_step1_already_removed_is_not_found(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("NotFoundError", p.ms.remove_source_buffer, sb)

    def test_steps9_10_events(self):
        p, sb = buffered_pair()
        p.ms.remove_source_buffer(sb)
        events = p.run()
        assert events.index("asbl:removesourcebuffer") < events.index("sbl:removesourcebuffer")
        assert len(p.ms.source_buffers) == 0 and len(p.ms.active_source_buffers) == 0

    def test_steps3_8_tracks_lose_their_source_buffer(self):
        p, sb = buffered_pair()
        track = sb.video_tracks[0]
        assert track.source_buffer is sb
        p.ms.remove_source_buffer(sb)
        p.run()
        assert track.source_buffer is None
        assert len(sb.video_tracks) == 0 and len(p.el.video_tracks) == 0


class TestEndOfStream:
    def test_unknown_error_value_is_type_error(self):
        p = Pair()
        raises("TypeError", p.ms.end_of_stream, "bogus")

    def test_unknown_error_value_beats_state_checks(self):
        raises("TypeError", closed_ms().end_of_stream, "bogus")  # WebIDL enum first

    def test_step1_closed_is_invalid_state(self):
        raises("InvalidStateError", closed_ms().end_of_stream)

    def test_step1_ended_is_invalid_state(self):
        p, _ = ended_pair()
        raises("InvalidStateError", p.ms.end_of_stream)

    def test_step2_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", p.ms.end_of_stream)
        assert p.ms.ready_state == "open"
        p.run()

    def test_step3_runs_end_of_stream(self):
        p, _ = buffered_pair()
        p.ms.end_of_stream()
        assert p.ms.ready_state == "ended"  # synchronously
        assert "ms:sourceended" in p.run()


class TestLiveSeekableRange:
    def test_set_step1_closed_is_invalid_state(self):
        raises("InvalidStateError", closed_ms().set_live_seekable_range, 0, 1)

    def test_set_step1_ended_is_invalid_state(self):
        p, _ = ended_pair()
        raises("InvalidStateError", p.ms.set_live_seekable_range, 0, 1)

    def test_set_step2_negative_start_is_type_error(self):
        p = Pair()
        raises("TypeError", p.ms.set_live_seekable_range, -1, 5)

    def test_set_step2_start_after_end_is_type_error(self):
        p = Pair()
        raises("TypeError", p.ms.set_live_seekable_range, 6, 5)

    def test_set_step2_empty_range_is_allowed(self):
        p = Pair()
        p.ms.set_live_seekable_range(5, 5)

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_set_webidl_double_rejects_non_finite(self, bad):
        p = Pair()
        raises("TypeError", p.ms.set_live_seekable_range, 0, bad)
        raises("TypeError", p.ms.set_live_seekable_range, bad, 10)

    def test_set_webidl_conversion_comes_before_step1(self):
        # ``double`` arguments are converted (and NaN rejected) before the steps run.
        raises("TypeError", closed_ms().set_live_seekable_range, math.nan, 1)

    def test_clear_step1_not_open_is_invalid_state(self):
        raises("InvalidStateError", closed_ms().clear_live_seekable_range)
        p, _ = ended_pair()
        raises("InvalidStateError", p.ms.clear_live_seekable_range)

    def test_clear_when_open(self):
        p = Pair()
        p.ms.set_live_seekable_range(1, 2)
        p.ms.clear_live_seekable_range()
        p.ms.clear_live_seekable_range()  # already empty: fine


# == SourceBuffer attributes ===============================================================

class TestMode:
    def test_invalid_enum_value_is_ignored(self):
        # WebIDL: assigning an unknown enum value to an attribute does nothing.
        p = Pair()
        sb = p.add()
        sb.mode = "bogus"
        assert sb.mode == "segments"

    def test_step1_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", set_attr(sb, "mode", "sequence"))

    def test_step2_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", set_attr(sb, "mode", "sequence"))
        p.run()
        assert sb.mode == "segments"

    def test_step4_segments_with_generate_timestamps_is_type_error(self):
        p = Pair()
        sb = add_generating_timestamps(p)
        raises("TypeError", set_attr(sb, "mode", "segments"))
        assert sb.mode == "sequence"
        sb.mode = "sequence"  # allowed

    def test_step5_ended_reopens_then_step6_parsing_media_segment_throws(self):
        # An unfinished media segment is in the input buffer ([[append state]] is
        # PARSING_MEDIA_SEGMENT), then endOfStream().  Step 5 reopens *before* step 6
        # throws.
        p = Pair()
        sb = p.add()
        p.append(sb, INIT_V + "M\n" + gop_lines(0))
        p.ms.end_of_stream()
        p.run()
        raises("InvalidStateError", set_attr(sb, "mode", "sequence"))
        assert p.ms.ready_state == "open"
        assert "ms:sourceopen" in p.run()
        assert sb.mode == "segments"

    def test_step7_sequence_sets_group_start_to_group_end(self):
        p, sb = buffered_pair()
        sb.mode = "sequence"
        p.append(sb, "M\n" + gop_lines(5000) + "E\n")
        # The group start timestamp was the group end timestamp (1.0).
        assert ranges(sb.buffered) == [(0.0, 1.3)]
        sb.mode = "segments"
        assert sb.mode == "segments"


class TestTimestampOffset:
    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_webidl_double_rejects_non_finite(self, bad):
        p = Pair()
        sb = p.add()
        raises("TypeError", set_attr(sb, "timestamp_offset", bad))

    def test_step2_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", set_attr(sb, "timestamp_offset", 1))

    def test_step3_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", set_attr(sb, "timestamp_offset", 1))
        p.run()

    def test_step5_parsing_media_segment_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.append(sb, INIT_V + "M\n" + gop_lines(0))
        raises("InvalidStateError", set_attr(sb, "timestamp_offset", 1))
        p.append(sb, "E\n")
        sb.timestamp_offset = 1  # fine between segments
        assert sb.timestamp_offset == 1

    def test_negative_offset_is_allowed(self):
        p = Pair()
        sb = p.add()
        sb.timestamp_offset = -2.5
        assert sb.timestamp_offset == -2.5

    def test_step6_sequence_mode_sets_group_start(self):
        p = Pair()
        sb = p.add()
        p.append(sb, INIT_V)
        sb.mode = "sequence"
        sb.timestamp_offset = 10
        p.append(sb, "M\n" + gop_lines(5000) + "E\n")
        assert ranges(sb.buffered) == [(10.0, 10.3)]
        # Coded frame processing step 3.1: timestampOffset = group start - pts.
        assert sb.timestamp_offset == pytest.approx(10 - 5)


class TestAppendWindow:
    def test_start_step1_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", set_attr(sb, "append_window_start", 1))

    def test_start_step2_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", set_attr(sb, "append_window_start", 1))
        p.run()

    def test_start_step3_negative_is_type_error(self):
        p = Pair()
        sb = p.add()
        raises("TypeError", set_attr(sb, "append_window_start", -0.5))

    def test_start_step3_not_below_end_is_type_error(self):
        p = Pair()
        sb = p.add()
        sb.append_window_end = 5
        raises("TypeError", set_attr(sb, "append_window_start", 5))
        raises("TypeError", set_attr(sb, "append_window_start", 6))
        sb.append_window_start = 4.999
        assert sb.append_window_start == 4.999

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_start_webidl_double_rejects_non_finite(self, bad):
        p = Pair()
        sb = p.add()
        raises("TypeError", set_attr(sb, "append_window_start", bad))

    def test_end_step1_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", set_attr(sb, "append_window_end", 1))

    def test_end_step1_removed_comes_before_step3_nan(self):
        # appendWindowEnd is an unrestricted double: NaN reaches the steps.
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", set_attr(sb, "append_window_end", math.nan))

    def test_end_step2_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", set_attr(sb, "append_window_end", 1))
        p.run()

    def test_end_step3_nan_is_type_error(self):
        p = Pair()
        sb = p.add()
        raises("TypeError", set_attr(sb, "append_window_end", math.nan))

    def test_end_step4_not_above_start_is_type_error(self):
        p = Pair()
        sb = p.add()
        sb.append_window_start = 2
        raises("TypeError", set_attr(sb, "append_window_end", 2))
        raises("TypeError", set_attr(sb, "append_window_end", 1))
        sb.append_window_end = math.inf
        assert sb.append_window_end == math.inf

    def test_setting_the_window_does_not_reopen_an_ended_source(self):
        p, sb = ended_pair()
        sb.append_window_start = 0.5
        sb.append_window_end = 10
        assert p.ms.ready_state == "ended"
        assert "ms:sourceopen" not in p.run()


# == SourceBuffer methods ==================================================================

class TestAppendBuffer:
    def test_prepare_append_step1_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", sb.append_buffer, INIT_V.encode())

    def test_prepare_append_step2_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", sb.append_buffer, MEDIA.encode())
        p.run()
        assert sb.buffered.length == 0  # the second append never happened

    def test_prepare_append_step4_element_error_is_invalid_state(self):
        p, sb = buffered_pair()
        p.ms.end_of_stream("decode")
        p.run()
        assert p.el.error is not None
        raises("InvalidStateError", sb.append_buffer, MEDIA.encode())
        # Step 4 comes before step 5: the MediaSource stays "ended".
        assert p.ms.ready_state == "ended"
        assert "ms:sourceopen" not in p.run()

    def test_appendbuffer_steps3_4_updating_then_queued_updatestart(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        assert sb.updating  # 3. synchronously
        assert p.log == []  # 4. updatestart is queued, not fired
        assert p.run() == ["sb:updatestart", "VideoTrackList:addtrack",
                           "VideoTrackList:addtrack", "asbl:addsourcebuffer",
                           "el:durationchange", "el:loadedmetadata", "sb:update",
                           "sb:updateend"]

    def test_accepts_bytes_like_objects(self):
        p = Pair()
        sb = p.add()
        for data in (bytearray(INIT_V.encode()), memoryview(b"M\n"),
                     gop_lines(0).encode() + b"E\n"):
            sb.append_buffer(data)
            p.run()
        assert ranges(sb.buffered) == [(0.0, 0.3)]

    def test_caller_may_reuse_its_buffer_after_the_call(self):
        p = Pair()
        sb = p.add()
        p.append(sb, INIT_V)
        data = bytearray(MEDIA.encode())
        sb.append_buffer(data)
        data[:] = b"X" * len(data)  # the page overwrites its ArrayBuffer
        p.run()
        assert ranges(sb.buffered) == [(0.0, 1.0)]


class TestAbort:
    def test_step1_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", sb.abort)

    def test_step2_ended_is_invalid_state(self):
        p, sb = ended_pair()
        raises("InvalidStateError", sb.abort)
        assert p.ms.ready_state == "ended"

    def test_step2_closed_is_invalid_state(self):
        p, sb = buffered_pair()
        p.el.src_object = None  # detach: the SourceBuffer is removed as well
        p.run()
        raises("InvalidStateError", sb.abort)

    def test_step3_during_remove_is_invalid_state(self):
        p, sb = buffered_pair()
        sb.remove(0, 0.5)
        raises("InvalidStateError", sb.abort)
        assert sb.updating  # the removal carries on
        assert p.run() == ["sb:updatestart", "sb:update", "sb:updateend"]

    def test_steps6_7_reset_the_append_window(self):
        p = Pair()
        sb = p.add()
        sb.append_window_end = 10
        sb.append_window_start = 2
        sb.abort()
        assert sb.append_window_start == 0 and sb.append_window_end == math.inf

    def test_when_idle_fires_nothing(self):
        p = Pair()
        sb = p.add()
        sb.abort()
        assert p.run() == []


class TestChangeType:
    def test_step1_empty_is_type_error(self):
        p = Pair()
        sb = p.add()
        raises("TypeError", sb.change_type, "")

    def test_step1_comes_before_step3(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("TypeError", sb.change_type, "")

    def test_step3_removed_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", sb.change_type, MP4)

    def test_step4_updating_is_invalid_state(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", sb.change_type, MP4)
        p.run()

    def test_step4_comes_before_step5(self):
        p = Pair()
        sb = p.add()
        sb.append_buffer(INIT_V.encode())
        raises("InvalidStateError", sb.change_type, "video/x-unknown")
        p.run()

    def test_step5_unsupported_is_not_supported(self):
        p = Pair()
        sb = p.add()
        raises("NotSupportedError", sb.change_type, "video/x-unknown")
        raises("NotSupportedError", sb.change_type, 'video/mp4; codecs="nope"')

    def test_step10_keeps_mode_without_generate_timestamps(self):
        p = Pair()
        sb = add_generating_timestamps(p)
        assert sb.mode == "sequence"
        sb.change_type(MP4)  # flag now false: mode stays "sequence" (step 10 Otherwise)
        assert sb.mode == "sequence"
        sb.mode = "segments"  # and "segments" is allowed again
        assert sb.mode == "segments"


class TestRemove:
    def test_step1_removed_is_invalid_state(self):
        p, sb = buffered_pair()
        p.ms.remove_source_buffer(sb)
        raises("InvalidStateError", sb.remove, 0, 1)

    def test_step2_updating_is_invalid_state(self):
        p, sb = buffered_pair()
        sb.append_buffer(MEDIA.encode())
        raises("InvalidStateError", sb.remove, 0, 1)
        p.run()

    def test_step3_duration_nan_is_type_error(self):
        # Open, but no initialization segment yet: duration is NaN.
        p = Pair()
        sb = p.add()
        assert math.isnan(p.ms.duration)
        raises("TypeError", sb.remove, 0, 1)

    def test_step4_negative_start_is_type_error(self):
        p, sb = buffered_pair()
        raises("TypeError", sb.remove, -1, 1)

    def test_step4_start_after_duration_is_type_error(self):
        p, sb = buffered_pair()
        p.ms.duration = 5
        raises("TypeError", sb.remove, 5.5, 6)
        sb.remove(5, 6)  # start == duration is allowed
        p.run()

    def test_step4_nan_start_is_type_error(self):
        p, sb = buffered_pair()
        raises("TypeError", sb.remove, math.nan, 1)

    @pytest.mark.parametrize("start", [math.nan, math.inf])
    def test_webidl_double_start_is_converted_before_step1(self, start):
        # ``start`` is a (restricted) double: NaN/Infinity throw before the steps run.
        p, sb = buffered_pair()
        p.ms.remove_source_buffer(sb)
        raises("TypeError", sb.remove, start, math.inf)

    @pytest.mark.parametrize("end", [0.5, 0.4, math.nan])
    def test_step5_end_not_after_start_or_nan_is_type_error(self, end):
        p, sb = buffered_pair()
        raises("TypeError", sb.remove, 0.5, end)

    def test_step5_infinite_end_is_allowed(self):
        p, sb = buffered_pair()
        sb.remove(0, math.inf)  # end is an unrestricted double
        p.run()
        assert sb.buffered.length == 0

    def test_step7_range_removal_events(self):
        p, sb = buffered_pair()
        sb.remove(0, 1)
        assert sb.updating
        assert p.run() == ["sb:updatestart", "sb:update", "sb:updateend"]
        assert not sb.updating


class TestRemovedSourceBuffer:
    """Every method and setter on a SourceBuffer no longer in sourceBuffers."""

    def test_every_operation_throws_invalid_state(self):
        p, sb = buffered_pair()
        p.ms.remove_source_buffer(sb)
        p.run()
        ops = {
            "appendBuffer": lambda: sb.append_buffer(b"M\n"),
            "abort": sb.abort,
            "changeType": lambda: sb.change_type(MP4),
            "remove": lambda: sb.remove(0, 1),
            "mode": set_attr(sb, "mode", "sequence"),
            "timestampOffset": set_attr(sb, "timestamp_offset", 1),
            "appendWindowStart": set_attr(sb, "append_window_start", 0.5),
            "appendWindowEnd": set_attr(sb, "append_window_end", 5),
            "buffered": lambda: sb.buffered,
        }
        for name, op in ops.items():
            with pytest.raises(InvalidStateError):
                op()
        assert sb.updating is False
        assert sb.mode == "segments"


# == readyState "ended" -> "open" ==========================================================

REOPENERS = {
    "appendBuffer (prepare append step 5)": lambda p, sb: sb.append_buffer(MEDIA.encode()),
    "remove (step 6)": lambda p, sb: sb.remove(0, 0.5),
    "timestampOffset (step 4)": lambda p, sb: setattr(sb, "timestamp_offset", 2),
    "mode (step 5)": lambda p, sb: setattr(sb, "mode", "sequence"),
    "changeType (step 7)": lambda p, sb: sb.change_type(MP4),
}


@pytest.mark.parametrize("op", list(REOPENERS), ids=list(REOPENERS))
def test_ended_source_reopens_with_sourceopen(op):
    p, sb = ended_pair()
    REOPENERS[op](p, sb)
    assert p.ms.ready_state == "open"  # synchronously
    events = p.run()
    assert events.count("ms:sourceopen") == 1
    if "sb:updatestart" in events:  # the reopen step runs before updatestart is queued
        assert events.index("ms:sourceopen") < events.index("sb:updatestart")


def test_reopened_source_can_end_again():
    p, sb = ended_pair()
    p.append(sb, "M\n" + gop_lines(1000) + "E\n")
    assert p.ms.ready_state == "open"
    p.ms.end_of_stream()
    assert "ms:sourceended" in p.run()
    assert p.ms.duration == pytest.approx(1.3)


# == SourceBufferList / misc =================================================================

def test_source_buffer_list_is_indexable_in_creation_order():
    p = Pair()
    a, b = p.add("a"), p.add("b")
    assert p.ms.source_buffers.length == 2
    assert p.ms.source_buffers[0] is a and p.ms.source_buffers[1] is b


def test_a_closed_media_source_cannot_be_attached_twice():
    p = Pair()
    other = HTMLMediaElement(queue=p.queue)
    other.src_object = p.ms  # already open: the resource fetch fails
    p.run()
    assert other.error is not None and other.error.code == 4
    assert p.ms.ready_state == "open"


def test_exception_names_are_the_dom_names():
    assert exception_name(NotFoundError("x")) == "NotFoundError"
    assert exception_name(NotSupportedError("x")) == "NotSupportedError"
    assert exception_name(TypeError("x")) == "TypeError"


@pytest.mark.parametrize("rate, ok", [(0, True), (0.0625, True), (16, True), (2.5, True),
                                      (-1, False), (0.05, False), (16.5, False),
                                      (math.nan, False)])
def test_playback_rate_range_is_chromiums(rate, ok):
    """HTML: an unsupported playbackRate throws NotSupportedError; Chromium supports 0
    and 1/16..16.  A refused rate changes nothing and fires no ratechange."""
    queue = TaskQueue()
    el = HTMLMediaElement(queue=queue)
    fired = []
    el.add_event_listener("ratechange", lambda e: fired.append(e.type))
    if ok:
        el.playback_rate = rate
        queue.run_until_idle()
        assert el.playback_rate == rate and fired == ([] if rate == 1 else ["ratechange"])
    else:
        with pytest.raises(NotSupportedError):
            el.playback_rate = rate
        queue.run_until_idle()
        assert el.playback_rate == 1 and fired == []


def test_resource_selection_runs_after_a_stable_state_as_chromiums():
    """HTML's media element load algorithm and resource selection: the abort and
    emptied it queues see NETWORK_NO_SOURCE (resource selection step 1); the rest -
    NETWORK_LOADING, loadstart, MSE's attach and sourceopen - runs in a task of its
    own after them (Chromium's load timer; e2e/idl.test.mjs compares with a native
    <video>).  An empty src attribute fails (MEDIA_ERR_SRC_NOT_SUPPORTED)."""
    queue = TaskQueue()
    el = HTMLMediaElement(queue=queue)
    first, second = MediaSource(queue=queue), MediaSource(queue=queue)
    seen = []
    for target, name in [(el, "abort"), (el, "emptied"), (el, "loadstart"), (el, "error"),
                         (first, "sourceopen"), (first, "sourceclose"), (second, "sourceopen")]:
        target.add_event_listener(name, lambda e, n=name: seen.append((n, el.network_state)))
    el.src_object = first
    assert (el.network_state, first.ready_state) == (3, "closed")   # NETWORK_NO_SOURCE
    queue.run_until_idle()
    assert seen == [("loadstart", 2), ("sourceopen", 2)] and first.ready_state == "open"
    seen.clear()
    el.src_object = second
    el.src_object = second       # a second load() before the first selection ran:
    queue.run_until_idle()       # emptied again (NO_SOURCE is not EMPTY), one selection
    assert seen == [("abort", 3), ("sourceclose", 3), ("emptied", 3), ("emptied", 3),
                    ("loadstart", 2), ("sourceopen", 2)]
    seen.clear()
    el.src_object = ""           # (what the page sends for src="")
    queue.run_until_idle()
    # (The failure is in the same task: loadstart already sees NO_SOURCE, as in Chromium.)
    assert seen == [("abort", 3), ("emptied", 3), ("loadstart", 3), ("error", 3)]
    assert el.error.code == 4


def test_progress_fires_while_loading():
    """HTML's progress event, on the host's 350 ms timer (msepy.js calls
    ``loading_progress`` when an append came in that time): only while NETWORK_LOADING."""
    p = Pair()
    fired = []
    p.el.add_event_listener("progress", lambda e: fired.append(p.el.network_state))
    p.el.loading_progress()
    p.run()
    assert fired == [2]
    p.el.src_object = None       # the load algorithm: NETWORK_EMPTY
    p.run()
    p.el.loading_progress()
    p.run()
    assert fired == [2]
