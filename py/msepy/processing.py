"""Coded frame processing and coded frame removal, with the splice frame algorithms.

Every step below cites the spec section ("Coded Frame Processing" step N).  The spec
states the steps in doubles; here each track buffer's times are integer ticks
(``TrackBuffer.timescale``) and the SourceBuffer-wide values (``timestampOffset``,
group start/end timestamps, the append window) are exact ``Fraction`` seconds, turned
into ticks once per track buffer.  Comparisons are therefore exact, and the inner loop
is integer arithmetic.
"""

from __future__ import annotations

from fractions import Fraction
from operator import add, sub
from typing import TYPE_CHECKING, Callable, Iterable

from ._time import ceil_ticks, floor_ticks
from .bytestream import CodedFrame, FrameRun, frame_list
from .trackbuffer import SpliceFrame, TrackBuffer

if TYPE_CHECKING:
    from .sourcebuffer import SourceBuffer

__all__ = ["AppendError", "coded_frame_processing", "coded_frame_removal"]

SPLICE_MS = 5  # "Audio Splice Frame" step 10: the splice duration of 5 milliseconds
_LOWEST = float("-inf")


class AppendError(Exception):
    """Internal: the bytes or frames call for the append error algorithm."""


def coded_frame_processing(sb: "SourceBuffer", frames: Iterable[CodedFrame | FrameRun],
                           chunks: bool = False,
                           order: Callable[[list[CodedFrame]], list[CodedFrame]] | None = None
                           ) -> None:
    """"Coded Frame Processing" step 1 for each frame; steps 2-5 are run by the caller
    (``SourceBuffer._after_coded_frames``) once per batch.

    ``order``: puts the frames in the order they are to be processed (decode order
    across tracks), where that matters.  It does not when every frame is steady (see
    `_steady_run`): each frame's steps then read and write only its own track buffer's
    variables, in which every track's frames come in decode order already, so the
    batch is first tried as it is, and only a batch with a frame that needs the full
    steps is put in order (after the try is undone).  A batch of ``FrameRun``s is taken
    a run at a time when every frame of it is steady (`_take_runs`), after the first
    frames in decode order that are not, one by one; what is left then is made into
    frames."""
    frames = frames if isinstance(frames, list) else list(frames)
    if order is not None:
        frames = _take_runs(sb, frames)  # type: ignore[arg-type]
        if not frames:
            return
    frames = frame_list(frames)  # type: ignore[arg-type]
    if order is not None:
        done, states = _steady_scan(sb, frames, 0, chunks)
        if done == len(frames):
            _steady_commit(sb, states)
            return
        _steady_undo(states)
        frames = order(frames)
    windows: dict[int, tuple[int, int, int | float, int | float]] = {}
    i, n = 0, len(frames)
    while i < n:
        i = _steady_run(sb, frames, i, chunks)
        if i < n:
            _process_frame(sb, frames[i], windows, chunks)
            i += 1


class _Steady:
    """A track buffer's coded frame processing variables while a steady run lasts."""

    __slots__ = ("tb", "factor", "off", "lo", "hi", "gaps", "ldt", "lfd", "het",
                 "ldt_before", "serial", "info", "run", "need_rap",
                 "size", "lead_lo", "lead_hi", "dist", "top_pts", "top_end", "held")


def _steady(sb: "SourceBuffer", tb: TrackBuffer | None, chunks: bool) -> _Steady | None:
    """``tb``'s state for a steady run, or None if a frame of it needs the full steps."""
    if tb is None or tb.last_decode_timestamp is None or tb.highest_end_timestamp is None:
        return None
    offset = sb._timestamp_offset
    st = _Steady()
    st.off = tb.offset_ticks(offset) if offset else 0  # (may rescale: before reading ts)
    ts = tb.timescale
    if tb.max_pts() >= tb.highest_end_timestamp:
        return None  # frames after the highest end timestamp: step 14 may remove some
    st.tb, st.factor, st.serial, st.info = tb, ts // tb.info.timescale, tb.group_serial, tb.info
    st.lo = ceil_ticks(sb._append_window_start, ts)
    st.hi = floor_ticks(sb._append_window_end, ts)
    st.gaps = chunks or tb.kind == "text"  # step 6 ignores gaps (see _process_frame)
    st.ldt = st.ldt_before = tb.last_decode_timestamp
    st.lfd, st.het = tb.last_frame_duration, tb.highest_end_timestamp
    st.run = []
    st.need_rap = tb.need_random_access_point
    # The run's bookkeeping for TrackBuffer.extend, made as its frames are scanned.
    st.size, st.lead_lo, st.lead_hi, st.dist = 0, tb.min_lead, tb.max_lead, 0
    st.top_pts = st.top_end = _LOWEST
    return st


def _steady_run(sb: "SourceBuffer", frames: list[CodedFrame], i: int, chunks: bool) -> int:
    """Steps 1-21 for ``frames[i:]`` while they are steady, where most steps cannot
    apply; returns the index of the first frame that needs them all (`_process_frame`).

    Steady: timestamps are not generated and no group start timestamp is pending
    (steps 3 and 21 do nothing); the frame's track buffer has a last decode timestamp
    and a highest end timestamp (step 13 does nothing), does not need a random access
    point or its first frame in the run is one (steps 10-12 clear the flag: as after
    an initialization segment, "Initialization Segment Received" step 3.3), and holds
    no frame starting at or after the highest end timestamp, so step 14 removes
    nothing (every frame it holds or the run adds starts before it).
    A frame for which step 6 finds a discontinuity, or steps 8-9 put outside the append
    window, ends the run.  Steps 4, 7 and 16-20 are the integer arithmetic of
    `_process_frame`; each track buffer takes its run of frames at the end, in order
    (``TrackBuffer.extend``), and the group end timestamp its highest frame end."""
    k, states = _steady_scan(sb, frames, i, chunks)
    _steady_commit(sb, states)
    return k


def _steady_scan(sb: "SourceBuffer", frames: list[CodedFrame], i: int, chunks: bool
                 ) -> tuple[int, dict[int, _Steady]]:
    """`_steady_run`'s steps for each frame, which leave every track buffer's frames
    and variables as they were (a buffer may only be rescaled, to hold the offset in
    whole ticks): the frames' new times (step 16) and each track's run and variables
    (steps 17-20), and the track buffer's bookkeeping for the run (``extend``), are in
    the returned states, for `_steady_commit`."""
    states: dict[int, _Steady] = {}
    if sb._generate_timestamps or (sb._mode == "sequence" and sb._group_start is not None):
        return i, states
    n = len(frames)
    k = i
    while k < n:
        tid = frames[k].track_id
        st = states.get(tid)
        if st is None:
            st = _steady(sb, sb._track_buffers.get(tid), chunks)
            if st is None:
                break
            states[tid] = st
            if st.need_rap and not frames[k].is_rap:
                break  # 11. dropped: a frame the full steps take
        # This track's frames from k on (a parser hands out a track's frames together),
        # with its variables in locals.
        factor, off, lo, hi, gaps = st.factor, st.off, st.lo, st.hi, st.gaps
        serial, info, run = st.serial, st.info, st.run
        ldt, lfd, het = st.ldt, st.lfd, st.het
        size, lead_lo, lead_hi, dist = st.size, st.lead_lo, st.lead_hi, st.dist
        top_pts, top_end = st.top_pts, st.top_end
        steady = True
        while k < n:
            frame = frames[k]
            if frame.track_id != tid:
                break
            pts = frame.pts * factor + off                          # 4.
            dts = frame.dts * factor + off
            dur = frame.duration * factor
            step = dts - ldt
            if step < 0 or (step > 2 * lfd and not gaps):           # 6.
                steady = False
                break
            if dur <= 0:
                steady = False
                break  # an empty frame at the highest end timestamp: step 14 may remove it
            end = pts + dur                                         # 7.
            if pts < lo or end > hi:                                # 8-9.
                steady = False
                break
            frame.pts, frame.dts, frame.duration = pts, dts, dur    # 16.
            frame.group, frame.info = serial, info
            run.append(frame)
            ldt, lfd = dts, dur                                     # 17-18.
            if end > het:                                           # 19.
                het = end
            if end > top_end:
                top_end = end
            if pts > top_pts:
                top_pts = pts
            size += len(frame.data)
            lead = pts - dts
            if lead > lead_hi:
                lead_hi = lead
            elif lead < lead_lo:
                lead_lo = lead
            if step > dist:
                dist = step
            if dur > dist:
                dist = dur
            k += 1
        st.ldt, st.lfd, st.het = ldt, lfd, het
        st.size, st.lead_lo, st.lead_hi, st.dist = size, lead_lo, lead_hi, dist
        st.top_pts, st.top_end = top_pts, top_end
        if not steady:
            break
    return k, states


PEELS = 4
"""Most frames `_take_runs` takes through the full steps before it gives up on a batch."""


def _take_runs(sb: "SourceBuffer", batch: list[CodedFrame | FrameRun]
               ) -> list[CodedFrame | FrameRun]:
    """Steps 1-21 for a batch of ``FrameRun``s: while a frame of the batch is not
    steady, the first frame in decode order takes the full steps (`_process_frame`: a
    new coded frame group's first frames, where a discontinuity was found), up to
    ``PEELS`` of them; once every frame is steady, each track buffer takes its runs
    whole (`_take_steady_runs`).  Returns what is left for the frame-by-frame steps:
    nothing, or the rest of the batch (in the batch's decode order, from where this
    stopped)."""
    if not batch or any(type(item) is not FrameRun for item in batch):
        return batch
    runs: list[FrameRun] = list(batch)  # type: ignore[arg-type]
    # The batch's decode order, as `order` sorts it (None: byte order).  A run's frames
    # are in it already: the first frame of the batch is the first of one run.
    key = sb._decode_key(runs)
    windows: dict[int, tuple[int, int, int | float, int | float]] = {}
    for _ in range(PEELS):
        if _take_steady_runs(sb, runs):
            return []
        if key is None:
            firsts, i = [runs[0].first()], 0
        else:
            firsts = [run.first() for run in runs]
            i = min(range(len(firsts)), key=lambda k: (key(firsts[k]), k))
        rest = runs[i].rest()
        runs[i:i + 1] = [rest] if len(rest) else []
        _process_frame(sb, firsts[i], windows, False)
        if not runs:
            return []
    # (Part of the rest may be of one track, which `order` leaves in byte order.)
    rest = frame_list(runs)  # type: ignore[arg-type]
    return rest if key is None else sorted(rest, key=key)  # type: ignore[return-value]


def _take_steady_runs(sb: "SourceBuffer", runs: list[FrameRun]) -> bool:
    """`_steady_run`'s steps for a batch of ``FrameRun``s, a run at a time: when every
    frame of every run is steady, each track buffer takes its runs whole (their frames
    are made when needed, ``TrackBuffer.add_run``) and True; else nothing changes (a
    track buffer may be rescaled) and False.

    Within a run, a frame's decode timestamp is the one before's plus its duration:
    step 6 finds no discontinuity inside a run whose durations are positive, so only
    its first frame's decode timestamp is checked; steps 8-9 need its lowest pts and
    highest frame end, and steps 17-20 its last frame and highest end."""
    if sb._generate_timestamps or (sb._mode == "sequence" and sb._group_start is not None):
        return False
    states: dict[int, _Steady] = {}
    plans = []
    for run in runs:
        st = states.get(run.track_id)
        if st is None:
            st = _steady(sb, sb._track_buffers.get(run.track_id), False)
            if st is None or st.tb.kind == "text":
                return False
            st.held = st.tb.last_dts()
            states[run.track_id] = st
        plan = _plan_run(st, run)
        if plan is None:
            return False
        plans.append(plan)
    for st, run, size, distance, top in plans:
        st.tb.add_run(run, st.factor, st.off, st.serial, st.info, size,
                      (st.lead_lo, st.lead_hi), distance, top)
    for st in states.values():
        tb = st.tb
        tb.need_random_access_point = False                         # 12.
        tb.last_decode_timestamp, tb.last_frame_duration = st.ldt, st.lfd  # 17-18.
        tb.highest_end_timestamp = st.het                           # 19.
        g_ticks, g_scale = sb._group_end                            # 20.
        if st.top_end * g_scale > g_ticks * tb.timescale:
            sb._group_end = (st.top_end, tb.timescale)
    return True


def _plan_run(st: _Steady, run: FrameRun
              ) -> tuple[_Steady, FrameRun, int, int, tuple[int, int]] | None:
    """Steps 4-20 for every frame of ``run`` (see `_take_steady_runs`) on its track's
    variables in ``st``; None if a frame is not steady.  Returns what ``add_run`` takes
    besides ``st``'s: the run, its bytes, its largest frame distance, its highest pts
    and end."""
    factor, off = st.factor, st.off
    durations, dts = run.durations, run.dts
    if st.need_rap:                                                 # 10-11.
        if not run.raps[0]:
            return None
        st.need_rap = False
    first = dts[0] * factor + off                                   # 4.
    step = first - st.ldt
    if step < 0 or (step > 2 * st.lfd and not st.gaps):              # 6.
        return None
    if first < st.held:
        return None  # before a frame held in decode order: added one at a time (16.)
    if min(durations) <= 0:
        return None  # an empty frame at the highest end timestamp: step 14 may remove it
    pts = run.pts
    if pts is dts:  # each frame ends where the next one starts
        low, high, end = dts[0], dts[-1], dts[-1] + durations[-1]
        lead_lo = lead_hi = 0
    else:
        low, high, end = min(pts), max(pts), max(map(add, pts, durations))
        leads = list(map(sub, pts, dts))
        lead_lo, lead_hi = min(leads) * factor, max(leads) * factor
    low, high, end = low * factor + off, high * factor + off, end * factor + off  # 7.
    if low < st.lo or end > st.hi:                                  # 8-9.
        return None
    st.ldt = st.held = dts[-1] * factor + off                       # 17-19.
    st.lfd = durations[-1] * factor
    st.het = max(st.het, end)
    st.top_pts, st.top_end = max(st.top_pts, high), max(st.top_end, end)
    st.lead_lo, st.lead_hi = min(st.lead_lo, lead_lo), max(st.lead_hi, lead_hi)
    return st, run, sum(run.sizes), max(step, max(durations) * factor), (high, end)


def _steady_undo(states: dict[int, _Steady]) -> None:
    """Put back the times `_steady_scan` rewrote (step 16): step 4 in reverse."""
    for st in states.values():
        for frame in st.run:
            frame.pts = (frame.pts - st.off) // st.factor
            frame.dts = (frame.dts - st.off) // st.factor
            frame.duration //= st.factor


def _steady_commit(sb: "SourceBuffer", states: dict[int, _Steady]) -> None:
    """Each track buffer takes its steady run (`_steady_scan`)."""
    for st in states.values():
        if not st.run:
            continue
        tb = st.tb
        tb.need_random_access_point = False                         # 12.
        tb.extend(st.run, st.ldt_before, st.size, (st.lead_lo, st.lead_hi), st.dist,
                  (st.top_pts, st.top_end))
        tb.last_decode_timestamp, tb.last_frame_duration = st.ldt, st.lfd
        tb.highest_end_timestamp = st.het
        g_ticks, g_scale = sb._group_end                            # 20.
        if st.top_end * g_scale > g_ticks * tb.timescale:
            sb._group_end = (st.top_end, tb.timescale)


def _process_frame(sb: "SourceBuffer", frame: CodedFrame,
                   windows: dict[int, tuple[int, int, int | float, int | float]],
                   chunks: bool) -> None:
    """"Coded Frame Processing" steps 1-21 for one frame, every step as written."""
    track_buffers = sb._track_buffers
    tb = track_buffers.get(frame.track_id)
    if tb is None:
        raise AppendError(f"coded frame for track {frame.track_id}, which the "
                          "initialization segment did not describe")
    in_ts = tb.info.timescale
    # 1. Loop Top (re-entered after a discontinuity, step 6).
    while True:
        if sb._generate_timestamps:
            pts_s = Fraction(0)
        else:
            pts_s = None  # computed lazily: only sequence mode needs seconds
        # 3. Sequence mode with a group start timestamp: re-anchor the offset.
        if sb._mode == "sequence" and sb._group_start is not None:
            if pts_s is None:
                pts_s = Fraction(frame.pts, in_ts)
            sb._timestamp_offset = sb._group_start - pts_s
            sb._set_group_end(sb._group_start)
            for other in track_buffers.values():
                other.need_random_access_point = True
            sb._group_start = None
        # 4. Add timestampOffset (ticks; may rescale the track buffer first).
        offset = sb._timestamp_offset
        off = tb.offset_ticks(offset) if offset else 0
        factor = tb.timescale // in_ts
        if sb._generate_timestamps:
            pts = dts = off
        else:
            pts = frame.pts * factor + off
            dts = frame.dts * factor + off
        dur = frame.duration * factor
        # 6. Discontinuity detection.  A gap between cues is normal in a text track
        # ("not necessarily continuous", SourceBuffer.buffered step 4), so for text
        # only a decode timestamp going backwards starts a new coded frame group:
        # otherwise every subtitle pause would make muxed video drop frames up to
        # its next keyframe (need random access point is set on all track buffers).
        last = tb.last_decode_timestamp
        if not chunks and last is not None and (
                dts < last or (dts - last > 2 * tb.last_frame_duration
                               and tb.kind != "text")):
            if sb._mode == "segments":
                sb._set_group_end(Fraction(pts, tb.timescale))
            else:
                sb._group_start = sb.group_end_timestamp
            for other in track_buffers.values():
                other.reset_group_state()
            continue  # Jump to the Loop Top step
        break
    ts = tb.timescale
    # 7. Frame end timestamp.
    end = pts + dur
    # Steps 18 and 21 keep the coded frame's duration and end when it is trimmed
    # below, as Chromium's FrameProcessor keeps it ("reduces spurious discontinuity
    # detection"): a frame cut at appendWindowEnd would otherwise make the next one,
    # a whole frame later, a discontinuity - which in "sequence" mode moves
    # timestampOffset (e2e differential "sequence mode with an append window").
    full, frame_end = dur, end
    # 8-9. Append window (bounds in ticks, exact: pts is an integer).
    win = windows.get(frame.track_id)
    if win is None or win[0] != ts:
        win = (ts, ts, ceil_ticks(sb._append_window_start, ts),
               floor_ticks(sb._append_window_end, ts))
        windows[frame.track_id] = win
    if pts < win[2] or end > win[3]:
        if not (tb.kind == "audio" and pts < win[3] and end > win[2]):
            tb.need_random_access_point = True
            if sb._generate_timestamps:
                # Step 21 as for a frame kept: the generated timeline goes on past a
                # dropped frame.  As written, step 21 is not reached ("jump to the top
                # of the loop"), so every later frame would get this one's timestamp
                # and be dropped too - an MP3 or ADTS append with appendWindowStart
                # 0.5 would buffer nothing.  Chromium advances it (its step 21 is the
                # batch's predicted end): [0.5, 1.0449) buffered for a 1.0449 s ADTS
                # file (e2e differential "timestampOffset and append windows").
                sb._timestamp_offset = Fraction(end, ts)
            return
        # Audio straddling the window is trimmed to it rather than dropped, as
        # Chromium's FrameProcessor does ("partial append window trimming"; the
        # notes to steps 8-9 allow collecting such frames).  The renderer drops the
        # decoded samples outside it: trim_start/trim_end, in track buffer ticks.
        if pts < win[2]:
            frame.trim_start = win[2] - pts
            dts += win[2] - pts
            pts = win[2]
        if end > win[3]:
            frame.trim_end = end - win[3]
            end = win[3]
        dur = end - pts  # (step 18 keeps the coded duration, `full`)
    # 10. Need random access point.
    if tb.need_random_access_point:
        if not frame.is_rap:
            return
        tb.need_random_access_point = False
    first_in_group = tb.last_decode_timestamp is None
    if first_in_group:
        tb.group_serial += 1  # a new coded frame group starts in this track buffer
    serial = tb.group_serial
    to_remove: list[int] = []
    spliced: CodedFrame | None = None
    # 13. Overlap with an existing frame at the start of a coded frame group.
    if tb.last_decode_timestamp is None and pts < tb.end_of_frames():
        overlapped = tb.frame_containing(pts)
        if overlapped is not None:
            if tb.kind == "audio":
                spliced = audio_splice_frame(tb, frame, pts, dts, dur, overlapped)
            elif tb.kind == "video":
                # 13.2: remove window timestamp = overlapped pts + 1 microsecond.
                if (pts - overlapped.pts) * 1_000_000 < ts:
                    to_remove.extend(tb.indices_of([overlapped]))
            else:
                text_splice_frame(tb, pts, end, overlapped)
    # 14. Remove existing coded frames overlapped by this one.
    het = tb.highest_end_timestamp
    start = pts if het is None else (het if het <= pts else None)
    if start is not None and start <= tb.max_pts():
        to_remove.extend(tb.frames_in(start, end))
    # 15. ... and every frame depending on them, up to the next random access point.
    if to_remove:
        tb.remove_indices(to_remove, protect_group=serial)
    # 16. Add the coded frame (or the splice frame) with its new timestamps.
    frame.pts = pts
    frame.dts = dts
    frame.duration = dur
    frame.group = serial
    frame.info = tb.info
    if spliced is not None:
        spliced.group = serial
        spliced.info = tb.info
        tb.add(spliced)
    else:
        tb.add(frame)
    if first_in_group:
        _anchor_group_start(sb, tb, pts)
    # 17-19.
    tb.last_decode_timestamp = dts
    tb.last_frame_duration = full
    if het is None or end > het:
        tb.highest_end_timestamp = end
    # 20. Group end timestamp.
    g_ticks, g_scale = sb._group_end
    if end * g_scale > g_ticks * ts:
        sb._group_end = (end, ts)
    # 21. Generated timestamps: the next frame follows this one - its frame end
    # timestamp (step 7), not the trimmed end: an ADTS append cut by appendWindowEnd
    # 1.0 left timestampOffset at 1.0232 where Chromium's timeline says 1.0449 (e2e
    # differential "appendWindowEnd mid-stream, then the rest").
    if sb._generate_timestamps:
        sb._timestamp_offset = Fraction(frame_end, ts)


def _anchor_group_start(sb: "SourceBuffer", tb: TrackBuffer, pts: int) -> None:
    """Track buffer ranges of a muxed SourceBuffer start at the coded frame group's
    start time (the spec allows it in "Track Buffers"), as Chromium's do: the
    presentation timestamp of the group's first frame in processing order - decode
    order across the tracks, audio first on a tie (``SourceBuffer._decode_order``,
    Chromium's MergeBufferQueues) - is where every track's range of the group starts,
    unless the track's own first frame starts earlier.  So a fragment whose video
    keyframe (decode time 1.0 s, presented at 1.08 s) comes before its first audio
    frame (1.0187 s) starts at 1.08 s (e2e differential "media segments out of order,
    then all again").  A group starts for the SourceBuffer when every track buffer's
    last decode timestamp is unset (discontinuity, reset parser state, removal)."""
    others = [t for t in sb._track_buffers.values() if t is not tb]
    if not others:
        return
    if all(t.last_decode_timestamp is None for t in others):
        sb._group_firsts = []
    sb._group_firsts.append((tb, pts))
    first, first_pts = sb._group_firsts[0]
    start = Fraction(first_pts, first.timescale)
    if tb is not first and Fraction(pts, tb.timescale) > start:
        tb.anchor(pts, floor_ticks(start, tb.timescale))


def audio_splice_frame(tb: TrackBuffer, new: CodedFrame, pts: int, dts: int, dur: int,
                       overlapped: CodedFrame) -> SpliceFrame | None:
    """"Audio Splice Frame": crossfade ``overlapped`` (and what follows it within 5 ms)
    into ``new``.  Track buffers of audio are kept in a timescale that is a multiple of
    the sample rate and of 200 (5 ms), so every step here is integer arithmetic."""
    ts = tb.timescale
    rate = (tb.info.config.sample_rate if tb.info.config else None) or 0
    # 7. Round to the nearest audio sample of the overlapped frame (ties go up).
    if rate and ts % rate == 0:
        k = ts // rate
        pts = ((2 * pts + k) // (2 * k)) * k
        dts = ((2 * dts + k) // (2 * k)) * k
    # 9-10.
    end = pts + dur
    splice_end = pts + ts * SPLICE_MS // 1000
    # 11-12. Fade out the overlapped frame and the frames starting inside the splice.
    fade_out = [overlapped] + [tb.frames[i] for i in tb.frames_in(pts + 1, splice_end)
                               if tb.frames[i] is not overlapped]
    for f in fade_out:
        tb.remove_frame(f)
    # 13.
    return SpliceFrame(track_id=new.track_id, pts=overlapped.pts, dts=overlapped.dts,
                       duration=end - overlapped.pts, is_rap=True, data=new.data,
                       fade_out=fade_out, fade_in=new, splice_pts=pts)


def text_splice_frame(tb: TrackBuffer, pts: int, end: int, first: CodedFrame) -> None:
    """"Text Splice Frame": truncate the cue that ``pts`` falls in and drop the cues
    starting inside the new frame; the new frame is then added as usual."""
    overlapped = [first] + [tb.frames[i] for i in tb.frames_in(pts + 1, end)
                            if tb.frames[i] is not first]
    for f in overlapped:  # 10.
        tb.remove_frame(f)
    first.duration = pts - first.pts  # 11.
    if first.duration > 0:
        tb.add(first)  # 12.


def coded_frame_removal(sb: "SourceBuffer", start: Fraction, end: Fraction | float) -> None:
    """"Coded Frame Removal" for ``[start, end)`` on every track buffer of ``sb``."""
    duration = sb._source._duration if sb._source is not None else float("inf")
    element = sb._source._element if sb._source is not None else None
    for tb in list(sb._track_buffers.values()):
        ts = tb.timescale
        start_t = ceil_ticks(start, ts)
        # 1-2. Remove up to the next random access point at or after end, else to the
        # duration.
        remove_end: int | float = ceil_ticks(duration, ts) if duration == duration else float("inf")
        end_t = ceil_ticks(end, ts)
        if end_t != float("inf"):
            rap = tb.first_rap_at_or_after(end_t)
            if rap is not None:
                remove_end = rap
        if remove_end == float("inf"):
            remove_end = tb.end_of_frames() + 1
        # 3-4. Remove the frames starting in [start, remove end) and their dependents.
        removed = tb.remove_indices(tb.frames_in(start_t, remove_end), split=True)
        if any(f.dts == tb.last_decode_timestamp for f in removed):
            # 3.1: the last appended frame went: the next one starts a new group.
            if sb._mode == "segments":
                sb._set_group_end(Fraction(removed[-1].pts, ts))
            else:
                sb._group_start = sb.group_end_timestamp
            for other in sb._track_buffers.values():
                other.reset_group_state()
        # 5. The current position lost its data: back to HAVE_METADATA and stall.
        if removed and element is not None and sb in sb._source._active:
            element._data_removed(Fraction(start_t, ts), Fraction(remove_end, ts)
                                  if remove_end != float("inf") else remove_end)
    # 4. Buffer full flag.
    if sb._buffer_full and not sb._over_limit(0):
        sb._buffer_full = False
