"""Hostile appends through the whole engine (hypothesis).

Real streams of every byte stream format (the fixtures: ffmpeg and mkvmerge output) are
appended clean, then again bit-flipped, with size and count fields rewritten, cut short,
and split into pieces - the bytes a broken server, a proxy or a bad muxer hands a
player.  Whatever the bytes:

* ``appendBuffer()`` returns, or throws an exception the spec names for it;
* every append runs to ``updateend`` (in either mode, with ``abort()`` between pieces) and the task queue goes idle: nothing raises out
  of it, nothing hangs;
* a stream the parser cannot take runs the append error algorithm - ``error`` before
  ``updateend``, then end of stream with a decode error: the MediaSource is "ended",
  the element's error is MEDIA_ERR_DECODE, and the next ``appendBuffer()`` throws
  InvalidStateError (the element has an error);
* every track buffer's ranges, kept incrementally, equal the ranges computed from its
  frames, and its cached highest timestamps equal its frames';
* the buffered data stays, except what the spec lets the new frames remove: frames
  their presentation intervals reach (overlap and the gap before a frame,
  coded frame processing step 14) and the frames depending on those, up to the next
  random access point (step 15).
"""

from __future__ import annotations

import os
from fractions import Fraction as F

from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import Pair, draw_mutation, draw_pieces
from msepy import DOMException, MediaError

HERE = os.path.dirname(__file__)

FIXTURES = [
    ("mp4/h264_aac.mp4", 'video/mp4; codecs="avc1.64000b,mp4a.40.2"'),
    ("webm/opus.webm", 'audio/webm; codecs="opus"'),
    ("webm/av1.webm", 'video/webm; codecs="av01.0.00M.08"'),
    ("ts/h264_aac.ts", 'video/mp2t; codecs="avc1.64000b,mp4a.40.2"'),
    ("audio/cbr_44k.mp3", "audio/mpeg"),
    ("audio/adts_44k.aac", "audio/aac"),
]
_BYTES = {name: open(os.path.join(HERE, "fixtures", name), "rb").read() for name, _ in FIXTURES}

WORDS = [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x00\x00\x01", b"\x80\x00\x00\x00",
         b"\x1a\x45\xdf\xa3", b"\x47\x40\x00\x10", b"moof", b"\xff\xf1\x50\x80"]
"""Size and count fields' extremes, and sync words: an EBML header, a TS packet with
payload_unit_start, a box type, an ADTS header."""

SETTINGS = settings(max_examples=int(os.environ.get("MSEPY_PROPERTY_EXAMPLES", "100")),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frames_by_track(sb) -> dict[int, list[tuple]]:
    """``(pts, end, dts, is_rap)`` of every frame, exact seconds, per track buffer
    (keyed by the object: a later initialization segment may give a track another
    track ID - allowed while there is one track of its type, Initialization Segment
    Received step 3 - and the track buffer goes with it)."""
    out = {}
    for tb in sb._track_buffers.values():
        ts = tb.timescale
        out[id(tb)] = [(F(f.pts, ts), F(f.pts + f.duration, ts), F(f.dts, ts), f.is_rap)
                    for f in tb.frames]
    return out


def check_track_buffers(sb) -> None:
    for tid, tb in sb._track_buffers.items():
        expected, _ = tb.ranges_over_frames()  # (leaves the track buffer as it is)
        assert tb.spans() == expected, (tid, tb.spans(), expected)
        intervals = list(tb._intervals())
        if intervals:
            assert tb.max_pts() == max(s for s, _ in intervals)
            assert tb.end_of_frames() == max(e for _, e in intervals)


def check_kept(before: dict[int, list[tuple]], after: dict[int, list[tuple]]) -> None:
    """Each frame gone since ``before`` was removed by one of coded frame processing's
    removal steps: it lies in the span the new frames of its track cover, or depends
    (decode order, no random access point between) on a frame that did."""
    for key, old in before.items():
        now, kept = set(after.get(key, ())), set(old)
        added = [f for f in now if f not in kept]
        lo = min((f[0] for f in added), default=None)
        hi = max((f[1] for f in added), default=None)
        carried = False
        for frame in sorted(old, key=lambda f: f[2]):
            pts, end, _, rap = frame
            if rap:
                carried = False
            if frame in now:
                continue
            reached = added and pts < hi and end > lo
            assert reached or carried, (
                f"track buffer {key:#x}: frame at {float(pts)} s was lost; the new frames cover "
                f"{None if lo is None else float(lo)}..{None if hi is None else float(hi)} s")
            carried = True


@SETTINGS
@given(st.data())
def test_hostile_appends_get_the_spec_answer_and_keep_the_buffered_data(data):
    name, mime = data.draw(st.sampled_from(FIXTURES), label="fixture")
    raw = _BYTES[name]
    p = Pair()
    sb = p.add("sb", mime, script=False)
    if not sb._generate_timestamps:  # (MP3 and ADTS are always in "sequence" mode)
        sb.mode = data.draw(st.sampled_from(["segments", "sequence"]), label="mode")
    events = p.append(sb, raw)
    assert "sb:updateend" in events and "sb:error" not in events, events
    assert sb.buffered.length > 0
    check_track_buffers(sb)
    # Over the clean copy or after it (a player re-appending, or moving on), off its
    # frames' grid: a frame the hostile bytes add is never equal to one they replaced.
    sb.timestamp_offset = data.draw(st.sampled_from([0.0101, 1000.0101]), label="offset")
    hostile = draw_mutation(data, raw, flips=8, words=WORDS, rewrites=3)
    before = frames_by_track(sb)
    failed = False
    at = 0
    for size in draw_pieces(data, len(hostile), max_cuts=5):
        piece, at = hostile[at:at + size], at + size
        if not failed and data.draw(st.integers(0, 5), label="abort") == 0:
            sb.abort()  # a player giving up on a segment: the parser starts over
            assert p.run() == []
        if failed:  # appendBuffer() step 3: the element's error is set
            try:
                sb.append_buffer(piece)
            except DOMException as exc:
                assert exc.name == "InvalidStateError"
            else:
                raise AssertionError("appendBuffer() after a decode error did not throw")
            break
        try:
            sb.append_buffer(piece)
        except DOMException as exc:  # prepare append: the buffer is full
            assert exc.name == "QuotaExceededError", exc
            continue
        events = p.run()
        assert not sb.updating
        assert events[0] == "sb:updatestart" and "sb:updateend" in events, events
        if "sb:error" in events:
            assert events.index("sb:error") < events.index("sb:updateend"), events
            assert p.ms.ready_state == "ended"
            assert p.el.error is not None and p.el.error.code == MediaError.MEDIA_ERR_DECODE
            failed = True
        else:
            assert "sb:update" in events, events
        check_track_buffers(sb)
    check_kept(before, frames_by_track(sb))
