"""Track buffers: the coded frames of one track, in decode order, in exact ticks.

Theory of operation
-------------------
A ``TrackBuffer`` holds the spec's per-track state (last decode timestamp, last frame
duration, highest end timestamp, need random access point flag) and the coded frames
themselves.  Every timestamp is an integer count of ``timescale`` ticks; when frames or
a ``timestampOffset`` arrive that the current timescale cannot express exactly, the
buffer rescales itself (``ensure_timescale``): ints only, so 29.97 fps and 44.1 kHz
never drift.

``frames`` is a list sorted by decode timestamp (ties keep insertion order).  Frames
that start a presentation interval in ``[a, b)`` have a decode timestamp in
``(a - max_lead, b - min_lead]`` where ``lead = pts - dts``, so presentation-order
queries bisect on dts and filter a short window instead of scanning (WebKit keeps two
maps, decode and presentation order; one list plus the lead bounds is enough here).

Track buffer ranges are the union of the frames' presentation intervals, a gap
coalesced where the next frame starts no later than the fudge room (``2 × max
inter-frame distance``) after the start of the range's highest frame - Chromium's rule
(``SourceBufferRange::IsNextInPresentationSequence``; the spec lets the threshold be
implementation-specific, see "Track Buffers").  So each range is kept as ``[start,
end, top]``, ``top`` the highest pts in it, and reaches ``max(end, top + fudge)``: a
frame starting there or before joins it.  They are kept
in place as frames come (a run with holes and a frame presented before the last range
merge in) and as a block of frames in decode order goes (``_cut_block``, when the frames
around it do not overlap it in presentation); anything else marks them for a recompute
over every frame.  So the usual appends - at the end, with eviction from the front or
the back - walk no more than the frames they add and remove, however many the buffer
holds (minutes of media: tens of thousands).

Frames appended as a ``FrameRun`` by coded frame processing's run path (``add_run``)
are kept as that run's columns at the end of the buffer, with the timestamp offset,
coded frame group and track description to apply, until something needs them as
objects: ``frames`` makes every pending run's ``CodedFrame`` objects (in order, once),
``frames_upto`` only as many as asked for (the frame feed).  Frames added at the end
after a pending run wait behind it (``_AddedFrames``).  The bookkeeping, the ranges
and the extent never need the objects.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count, islice
from math import gcd
from operator import attrgetter, sub
from typing import Iterable, Iterator

from .bytestream import CodedFrame, FrameRun, TrackInfo

__all__ = ["TrackBuffer", "SpliceFrame", "payload_bytes"]

_DTS = lambda f: f.dts  # noqa: E731  (bisect key)
_DATA = attrgetter("data")
_generations = count()


@dataclass(slots=True, repr=False)
class SpliceFrame(CodedFrame):
    """An audio splice frame (spec: "Audio Splice Frame" step 13).

    ``data`` is the fade-in frame's payload; pts/dts/duration are the splice frame's
    (starting at the overlapped frame).  The renderer decodes ``fade_out`` and the
    fade-in frame and crossfades over 5 ms from ``splice_pts`` ("Audio Splice
    Rendering").
    """

    fade_out: list[CodedFrame] = field(default_factory=list)
    fade_in: CodedFrame | None = None
    splice_pts: int = 0

    def __repr__(self) -> str:
        return (f"<SpliceFrame t{self.track_id} pts={self.pts} dur={self.duration} "
                f"splice@{self.splice_pts} fade_out={len(self.fade_out)}>")


@dataclass(slots=True)
class _PendingRun:
    """A ``FrameRun`` added to a track buffer (coded frame processing step 16) whose
    ``CodedFrame`` objects are not made yet: its frame k has pts ``run.pts[k] * factor +
    shift`` ticks (dts alike), duration ``run.durations[k] * factor``."""

    run: FrameRun
    factor: int
    shift: int
    group: int
    info: TrackInfo

    def __len__(self) -> int:
        return len(self.run)

    def first_dts(self) -> int:
        return self.run.dts[0] * self.factor + self.shift

    def last_dts(self) -> int:
        return self.run.dts[-1] * self.factor + self.shift

    def tail_pts(self, count: int) -> list[int]:
        return FrameRun.scaled(self.run.pts[-count:], self.factor, self.shift)

    def rescale(self, factor: int) -> None:
        self.factor *= factor
        self.shift *= factor

    def intervals(self) -> Iterator[tuple[int, int]]:
        """Each frame's presentation interval, in ticks."""
        factor = self.factor
        for pts, duration in zip(FrameRun.scaled(self.run.pts, factor, self.shift),
                                 self.run.durations):
            yield pts, pts + duration * factor

    def make_frames(self) -> list[CodedFrame]:
        return self.run.frames(self.factor, self.shift, self.group, self.info)

    def payload_bytes(self) -> int:
        return sum(self.run.sizes)


@dataclass(slots=True)
class _AddedFrames:
    """Frames added at the end of a track buffer, made already, after a pending run
    (their place in decode order: the pending runs are made first)."""

    frames: list[CodedFrame]

    def __len__(self) -> int:
        return len(self.frames)

    def first_dts(self) -> int:
        return self.frames[0].dts

    def last_dts(self) -> int:
        return self.frames[-1].dts

    def tail_pts(self, count: int) -> list[int]:
        return [f.pts for f in self.frames[-count:]]

    def rescale(self, factor: int) -> None:
        _rescale_frames(self.frames, factor)

    def intervals(self) -> Iterator[tuple[int, int]]:
        for f in self.frames:
            yield f.pts, f.pts + f.duration

    def make_frames(self) -> list[CodedFrame]:
        return self.frames

    def payload_bytes(self) -> int:
        return payload_bytes(self.frames)


def payload_bytes(frames: list[CodedFrame]) -> int:
    """The payload bytes of ``frames``."""
    return sum(map(len, map(_DATA, frames)))


def _rescale_frames(frames: list[CodedFrame], factor: int) -> None:
    for f in frames:
        f.pts *= factor
        f.dts *= factor
        f.duration *= factor
        f.trim_start *= factor
        f.trim_end *= factor
        if isinstance(f, SpliceFrame):
            f.splice_pts *= factor


class TrackBuffer:
    def __init__(self, info: TrackInfo) -> None:
        self.info = info
        """The track description (replaced by later initialization segments)."""
        self.track_id = info.track_id
        self.kind = info.kind
        self.timescale = info.timescale
        self._frames: list[CodedFrame] = []
        """The frames made so far, in decode order; the pending runs follow them."""
        self._pending: list[_PendingRun | _AddedFrames] = []
        self._pending_count = 0
        # The spec's per-track coded frame processing variables (in ticks).
        self.last_decode_timestamp: int | None = None
        self.last_frame_duration: int | None = None
        self.highest_end_timestamp: int | None = None
        self.need_random_access_point = True
        # Bookkeeping.
        self.size = 0
        """Bytes of coded frame payload held."""
        self._bytes_memo = (0, 0)
        """(k, the payload bytes of the first k frames): ``bytes_before``'s last answer,
        kept while no insertion or removal reaches before frame k (``_rewritten``)."""
        self.rewrites = 0
        """Counts the insertions and removals of frames (not appends at the end of
        decode order): while it holds, frame i is the same frame for every i held."""
        self.max_lead = 0
        self.min_lead = 0
        self.max_distance = 0
        """Largest inter-frame distance seen (dts delta or duration), for coalescing."""
        self._ranges: list[list[int]] = []
        self._ranges_dirty = False
        self.modified_from_dts: int | float = float("inf")
        """Lowest dts touched by a removal or out-of-order insert since the frame feed
        last looked (the feed resets its decoder when this is at/before its cursor)."""
        self._offset_cache: tuple[object, int] | None = None
        self.group_serial = 0
        """Serial of the current coded frame group (bumped when one starts)."""
        self._max_pts: int | None = None
        self._max_end: int | None = None
        self.anchors: dict[int, int] = {}
        """Range start for the first frame of a coded frame group (its pts → the group's
        start time across the SourceBuffer's tracks), see ``anchor``."""
        self._highest_memo: tuple[int, Fraction | None, Fraction | None] = (-1, None, None)
        self.generation = next(_generations)
        """Renewed (unique among all track buffers) by every change to the frames, the
        ranges or the timescale: equal generations, equal ranges (the SourceBuffer's
        ``buffered`` is memoized on them)."""

    def __repr__(self) -> str:
        return (f"<TrackBuffer {self.kind} id={self.track_id} {self.frame_count} frames "
                f"{self.size}B ts={self.timescale} ranges={self.ranges_seconds()}>")

    # -- the frames ---------------------------------------------------------------------
    @property
    def frames(self) -> list[CodedFrame]:
        """Every frame, in decode order (making the pending runs' objects first)."""
        if self._pending:
            self._make_pending(len(self._pending))
        return self._frames

    @property
    def frame_count(self) -> int:
        return len(self._frames) + self._pending_count

    def frames_upto(self, stop: int) -> list[CodedFrame]:
        """The frames, of which at least the first ``stop`` (or all) are made."""
        pending, made = self._pending, len(self._frames)
        runs = 0
        while runs < len(pending) and made < stop:
            made += len(pending[runs])
            runs += 1
        if runs:
            self._make_pending(runs)
        return self._frames

    def next_rap(self, i: int) -> int:
        """The index of the first random access point at or after frame ``i`` in decode
        order (the frame count if none), making pending runs only as far as it looks."""
        while True:
            frames = self._frames
            while i < len(frames) and not frames[i].is_rap:
                i += 1
            if i < len(frames) or not self._pending:
                return i
            self._make_pending(1)

    def bytes_before(self, k: int) -> int:
        """The payload bytes of the first ``k`` frames in decode order (made already).
        Incremental: from the last answer, while no insertion or removal reached before
        it (appends at the end do not), only the frames between the two are counted;
        else the shorter side of frame ``k`` is (a long back buffer, or what is ahead)."""
        at, total = self._bytes_memo
        frames = self._frames
        if at and k >= at:
            total += payload_bytes(frames[at:k])
        elif at and at - k < k:
            total -= payload_bytes(frames[k:at])
        elif k <= self.frame_count - k:
            total = payload_bytes(frames[:k])
        else:
            total = self.size - payload_bytes(frames[k:]) - sum(p.payload_bytes() for p in self._pending)
        self._bytes_memo = (k, total)
        return total

    def _rewritten(self, index: int) -> None:
        """Frames were inserted or removed from ``index`` on (decode order)."""
        self.rewrites += 1
        if self._bytes_memo[0] > index:
            self._bytes_memo = (0, 0)

    def _make_pending(self, runs: int) -> None:
        for p in self._pending[:runs]:
            made = p.make_frames()
            self._frames.extend(made)
            self._pending_count -= len(made)
        del self._pending[:runs]

    def last_dts(self) -> int | float:
        """The highest decode timestamp held (-inf when empty)."""
        if self._pending:
            return self._pending[-1].last_dts()
        return self._frames[-1].dts if self._frames else float("-inf")

    def _append_made(self, frames: list[CodedFrame]) -> None:
        """Put frames at the end of decode order (after any pending run)."""
        if not self._pending:
            self._frames.extend(frames)
            return
        tail = self._pending[-1]
        if type(tail) is not _AddedFrames:
            tail = _AddedFrames([])
            self._pending.append(tail)
        tail.frames.extend(frames)
        self._pending_count += len(frames)

    def index_after(self, frame: CodedFrame) -> int | None:
        """The index after ``frame`` (a frame made already), or None if it is gone."""
        frames = self._frames
        i = bisect_left(frames, frame.dts, key=_DTS)
        while i < len(frames):
            if frames[i] is frame:
                return i + 1
            i += 1
        return None

    def _intervals(self) -> Iterator[tuple[int, int]]:
        """Every frame's presentation interval in decode order, without making the
        pending runs' frames."""
        for f in self._frames:
            yield f.pts, f.pts + f.duration
        for p in self._pending:
            yield from p.intervals()

    # -- exact time -------------------------------------------------------------------
    def ensure_timescale(self, timescale: int) -> int:
        """Make ``timescale`` ticks expressible; return the factor from ``timescale``
        ticks to this buffer's ticks."""
        if self.timescale % timescale:
            self.rescale(timescale // gcd(self.timescale, timescale))
        return self.timescale // timescale

    def rescale(self, factor: int) -> None:
        """Multiply the timescale (and every stored tick count) by ``factor``."""
        if factor == 1:
            return
        self.generation = next(_generations)
        self.timescale *= factor
        _rescale_frames(self._frames, factor)
        for p in self._pending:
            p.rescale(factor)
        for name in ("last_decode_timestamp", "last_frame_duration", "highest_end_timestamp"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, v * factor)
        if isinstance(self._max_pts, int):
            self._max_pts *= factor
        if isinstance(self._max_end, int):
            self._max_end *= factor
        self.max_lead *= factor
        self.min_lead *= factor
        self.max_distance *= factor
        for r in self._ranges:
            r[0] *= factor
            r[1] *= factor
            r[2] *= factor
        self.anchors = {p * factor: s * factor for p, s in self.anchors.items()}
        if self.modified_from_dts != float("inf"):
            self.modified_from_dts *= factor
        self._offset_cache = None

    def ticks(self, t: Fraction) -> int:
        """``t`` seconds in ticks, rescaling first if ``t`` falls between ticks."""
        num = t.numerator * self.timescale
        if num % t.denominator:
            self.rescale(t.denominator // gcd(num, t.denominator))
            num = t.numerator * self.timescale
        return num // t.denominator

    def offset_ticks(self, offset: Fraction) -> int:
        """``timestampOffset`` in ticks (cached per value; may rescale once)."""
        cache = self._offset_cache
        if cache is not None and (cache[0] is offset or cache[0] == offset):  # per frame: identity first
            return cache[1]
        ticks = self.ticks(offset)
        self._offset_cache = (offset, ticks)
        return ticks

    def seconds(self, ticks: int) -> Fraction:
        return Fraction(ticks, self.timescale)

    # -- adding -------------------------------------------------------------------------
    def add(self, frame: CodedFrame) -> None:
        """Add a frame (coded frame processing step 16): decode order by dts."""
        self.generation = next(_generations)
        if frame.dts >= self.last_dts():
            self._append_made([frame])
        else:
            frames = self.frames
            at = bisect_right(frames, frame.dts, key=_DTS)
            frames.insert(at, frame)
            self._rewritten(at)
            if frame.dts < self.modified_from_dts:
                self.modified_from_dts = frame.dts
        self.size += len(frame.data)
        if self._max_pts is not None and frame.pts > self._max_pts:
            self._max_pts = frame.pts
        e = frame.pts + frame.duration
        if self._max_end is not None and e > self._max_end:
            self._max_end = e
        lead = frame.pts - frame.dts
        if lead > self.max_lead:
            self.max_lead = lead
        elif lead < self.min_lead:
            self.min_lead = lead
        dist = frame.duration
        last = self.last_decode_timestamp
        if last is not None and frame.dts - last > dist:
            dist = frame.dts - last
        if dist > self.max_distance:
            self.max_distance = dist
            self._ranges_dirty = True  # a larger fudge may join ranges
        if not self._ranges_dirty:
            self._extend_ranges(self.anchors.get(frame.pts, frame.pts),
                                frame.pts + frame.duration, frame.pts)

    def extend(self, run: list[CodedFrame], last_dts: int, size: int,
               lead: tuple[int, int], distance: int, top: tuple[int, int]) -> None:
        """``add`` for a run of frames in non-decreasing decode order that a steady run
        of coded frame processing (``processing._steady_run``) appended one after
        another, ``last_dts`` being the last decode timestamp before the first, with
        the bookkeeping the run made as it went: its bytes, the lowest and highest
        ``pts - dts`` (from this buffer's), the largest distance between frames (a
        duration or a decode step from ``last_dts`` on), the highest pts and end."""
        self.generation = next(_generations)
        if run[0].dts < self.last_dts():
            for f in run:  # not after every frame held: one at a time
                self.last_decode_timestamp = last_dts
                self.add(f)
                last_dts = f.dts
            return
        self._append_made(run)
        if not self._took(size, lead, distance, top):
            return
        ranges, anchors, fudge = self._ranges, self.anchors, self.fudge
        last = ranges[-1] if ranges else None
        for f in run:
            pts = f.pts
            start = anchors.get(pts, pts) if anchors else pts
            end = pts + f.duration
            if last is not None and last[0] <= start <= max(last[1], last[2] + fudge):
                if end > last[1]:
                    last[1] = end
                if pts > last[2]:
                    last[2] = pts
            elif last is None or start > max(last[1], last[2] + fudge):
                last = [start, end, pts]
                ranges.append(last)
            else:
                self._ranges_dirty = True
                return

    def add_run(self, run: FrameRun, factor: int, shift: int, group: int, info: TrackInfo,
                size: int, lead: tuple[int, int], distance: int, top: tuple[int, int]) -> None:
        """``extend`` for a ``FrameRun`` that coded frame processing's run path takes
        whole (``processing._take_runs``), its frame k at ``run.pts[k] * factor +
        shift`` ticks (dts alike), all after every frame held in decode order; with the
        run's bookkeeping (as ``extend``'s).  The frames are made when needed."""
        self.generation = next(_generations)
        self._pending.append(_PendingRun(run, factor, shift, group, info))
        self._pending_count += len(run)
        if not self._took(size, lead, distance, top):
            return
        top_pts, top_end = top
        # The run's presentation intervals make one range (else: recompute).  With pts
        # = dts, each frame starts where the one before ends; else, they do when no two
        # starts next to each other in presentation order are more than the fudge apart.
        if run.pts is run.dts:
            start = run.pts[0] * factor + shift
        else:
            starts = sorted(run.pts)
            if len(starts) > 1 and max(map(sub, islice(starts, 1, None), starts)) * factor > self.fudge:
                # (An append that cuts a B-frame pyramid: the run's frames leave holes
                # that the next run's fill.)
                self._merge_run(run, factor, shift)
                return
            start = starts[0] * factor + shift
        if self.anchors and any(start <= p <= top_pts for p in self.anchors):
            self._merge_run(run, factor, shift)  # a frame of the run may start a range earlier
            return
        self._extend_ranges(start, top_end, top_pts)

    def _merge_run(self, run: FrameRun, factor: int, shift: int) -> None:
        """Merge the presentation intervals of ``run`` (its frame k at ``run.pts[k] *
        factor + shift``, an anchored pts at its anchor) into the clean ranges, each as
        ``_merge_range`` does: in the run's own terms, not over every frame held (a
        player appending small chunks of B-frame video, or a long buffer, made that
        walk on every few appends)."""
        anchors = self.anchors
        for p, d in zip(run.pts, run.durations):
            p = p * factor + shift
            self._merge_range(anchors.get(p, p), p + d * factor, p)

    def _took(self, size: int, lead: tuple[int, int], distance: int,
              top: tuple[int, int]) -> bool:
        """The bookkeeping of a run ``extend`` or ``add_run`` added at the end (see
        ``extend``); True if its ranges are to be extended (else they are recomputed
        when next asked for)."""
        self.size += size
        self.min_lead, self.max_lead = lead
        top_pts, top_end = top
        if self._max_pts is not None and top_pts > self._max_pts:
            self._max_pts = top_pts
        if self._max_end is not None and top_end > self._max_end:
            self._max_end = top_end
        if distance > self.max_distance:
            self.max_distance = distance
            self._ranges_dirty = True  # a larger fudge may join ranges
        return not self._ranges_dirty

    def _extend_ranges(self, start: int, end: int, pts: int) -> None:
        """Add a frame's interval ``[start, end]`` (``start``: its pts, or the group
        start it is anchored to) to the clean ranges."""
        ranges = self._ranges
        if ranges:
            last = ranges[-1]
            reach = max(last[1], last[2] + self.fudge)
            if last[0] <= start <= reach:
                if end > last[1]:
                    last[1] = end
                if pts > last[2]:
                    last[2] = pts
                return
            if start > reach:
                ranges.append([start, end, pts])
                return
            self._merge_range(start, end, pts)  # (a frame presented before the last range)
        else:
            ranges.append([start, end, pts])

    @property
    def fudge(self) -> int:
        """How far past the start of a range's highest frame the next frame may start
        and join the range: 2 × max inter-frame distance, and at least 1 ms (Chromium's
        fudge room)."""
        return max(2 * self.max_distance, -(-self.timescale // 1000))

    # -- presentation-order queries -------------------------------------------------------
    def max_pts(self) -> int | float:
        """Highest presentation timestamp held (-inf when empty)."""
        if self._max_pts is None:
            self._extent()
        return self._max_pts  # type: ignore[return-value]

    def end_of_frames(self) -> int | float:
        """Highest presentation end timestamp held (-inf when empty)."""
        if self._max_end is None:
            self._extent()
        return self._max_end  # type: ignore[return-value]

    def _extent(self) -> None:
        if not self.frame_count:
            self._max_pts = self._max_end = float("-inf")  # type: ignore[assignment]
            return
        self._max_pts = max(s for s, _ in self._intervals())
        self._max_end = max(e for _, e in self._intervals())

    def indices_of(self, frames: list[CodedFrame]) -> list[int]:
        wanted = {id(f) for f in frames}
        lo = bisect_left(self.frames, min(f.dts for f in frames), key=_DTS)
        return [i for i in range(lo, len(self.frames)) if id(self.frames[i]) in wanted]

    def _window(self, start: int, end: int) -> tuple[int, int]:
        """Index window of frames whose pts may lie in ``[start, end)``."""
        lo = bisect_right(self.frames, start - self.max_lead - 1, key=_DTS)
        hi = bisect_right(self.frames, end - self.min_lead, key=_DTS)
        return lo, hi

    def frame_containing(self, t: int) -> CodedFrame | None:
        """The frame whose presentation interval ``[pts, pts + duration)`` holds ``t``."""
        frames = self.frames
        if not frames:
            return None
        # A frame holding t starts at or before t; its dts is <= t - min_lead.
        hi = bisect_right(frames, t - self.min_lead, key=_DTS)
        best = None
        # Scan back far enough to cover the longest frame (durations are bounded by
        # max_distance) plus the lead spread.
        reach = t - self.max_distance - self.max_lead - 1
        i = hi - 1
        while i >= 0:
            f = frames[i]
            if f.dts < reach:
                break
            if f.pts <= t < f.pts + f.duration and (best is None or f.pts > best.pts):
                best = f
            i -= 1
        return best

    def frames_in(self, start: int, end: int) -> list[int]:
        """Indices (decode order) of frames with ``start <= pts < end``."""
        lo, hi = self._window(start, end)
        frames = self.frames
        return [i for i in range(lo, hi) if start <= frames[i].pts < end]

    def first_rap_at_or_after(self, t: int) -> int | None:
        """The lowest pts >= t of a random access point (coded frame removal step 3.2).
        Overlapping coded frame groups can leave RAPs whose decode order is not their
        presentation order, so the scan goes on until no later frame can present before
        the best one found (a frame's pts is at least its dts + min_lead)."""
        frames, best = self.frames, None
        for i in range(bisect_left(frames, t - self.max_lead, key=_DTS), len(frames)):
            f = frames[i]
            if best is not None and f.dts > best - self.min_lead:
                break
            if f.is_rap and f.pts >= t and (best is None or f.pts < best):
                best = f.pts
        return best

    # -- removal ----------------------------------------------------------------------
    def remove_indices(self, indices: Iterable[int], protect_group: int | None = None,
                       split: bool = False) -> list[CodedFrame]:
        """Remove the frames at ``indices`` and, per the spec's dependency rule, every
        frame after each of them in decode order up to the next random access point
        (frames of coded frame group ``protect_group`` are new and kept).  ``split``:
        the Coded Frame Removal algorithm's removal (``remove()``, eviction), which
        ends the group start ranges of the frames it leaves first (``_unanchor``).
        Returns the removed frames."""
        doomed = set(indices)
        if not doomed:
            return []
        frames = self.frames
        keep: list[CodedFrame] = []
        removed: list[CodedFrame] = []
        first, last = min(doomed), max(doomed)
        dropping = False
        i = first
        # Up to the last doomed frame and its dependents: the frames after stay put
        # (not walked - eviction from the front removes near the start of a long buffer).
        block = True  # the removed frames follow one another in decode order
        while i < len(frames) and (dropping or i <= last):
            f = frames[i]
            if i in doomed or (dropping and not f.is_rap and f.group != protect_group):
                removed.append(f)  # doomed, or a frame depending on one
                dropping = True
                block = block and not keep
            else:
                if f.is_rap and f.group != protect_group:
                    dropping = False
                keep.append(f)
            i += 1
        if removed:
            self.generation = next(_generations)
            frames[first:i] = keep
            self._rewritten(first)
            self.size -= payload_bytes(removed)
            dropped = self._unanchor(removed) if split and self.anchors else set()
            clean, self._ranges_dirty = not self._ranges_dirty, True
            if clean and block:
                self._cut_block(first, removed, dropped)
            self._forget_extent(removed)
            low = removed[0].dts
            if low < self.modified_from_dts:
                self.modified_from_dts = low
        return removed

    def _unanchor(self, removed: list[CodedFrame]) -> set[int]:
        """A removal that takes frames of a range before an anchored frame splits the
        range there, and the part left starts at its first frame, not at the group
        start its frame was anchored to: Chromium starts a range split by a removal
        (or cut by eviction from the front) at its first keyframe, and keeps a
        coded frame group's start time only for the range that group began.  Checked
        (e2e differential "overlapping appends replace what they overlap"): with the
        frames before a muxed group's video keyframe removed, its range starts at the
        keyframe, not at the group's earlier audio start.  Returns the starts of the
        anchors dropped."""
        fudge = self.fudge
        low = min(f.pts for f in removed)
        high = max(f.pts + f.duration for f in removed)
        gone = {f.pts for f in removed}  # (a removed frame's anchor is _cut_block's)
        dropped = set()
        for p, s in [(p, s) for p, s in self.anchors.items()
                     if p > low and s - fudge <= high and p not in gone]:
            if any(f.pts < p and max(f.pts + f.duration, f.pts + fudge) >= s for f in removed):
                del self.anchors[p]
                dropped.add(s)
        return dropped

    def _cut_block(self, first: int, removed: list[CodedFrame], dropped: set[int]) -> None:
        """The ranges after the frames from index ``first`` on, one block in decode
        order, went (eviction, ``remove()``): in place when the frames before the block
        end at or before any other starts, and the removed ones end at or before the
        lowest start after the block (an anchored group start counted).  The intervals
        then sort as before the block, the block, after it: the frames before keep
        their old ranges up to their highest end; the frames after, theirs from their
        lowest start (a removed interval reaches no start beyond the first one left,
        whose own interval reaches as far); the two join where the fudge bridges the
        hole.  Else the ranges stay marked for a recompute - as when the range before
        the block started at an anchor start ``_unanchor`` just ``dropped`` (a group
        whose start reached back past earlier frames)."""
        anchors = self.anchors
        lowest = min(anchors.get(f.pts, f.pts) for f in removed)  # (as the ranges had them)
        for p in {f.pts for f in removed if f.pts in anchors}:
            if not self.frames_in(p, p + 1):
                del anchors[p]  # (as the recompute forgets it)
        highest = self._highest_before(first)
        before, before_top = highest if highest is not None else (None, None)
        after = self._lowest_start_from(first)
        if before is not None and before > (lowest if after is None else min(lowest, after)):
            return
        if after is not None and max(f.pts + f.duration for f in removed) > after:
            return
        ranges, out = self._ranges, []
        if before is not None:
            k = next((k for k in range(len(ranges) - 1, -1, -1) if ranges[k][0] <= before), None)
            if k is None:
                return
            if ranges[k][0] in dropped:
                return
            out = [list(r) for r in ranges[:k]] + [[ranges[k][0], before, before_top]]
        if after is not None:
            k = next((k for k in range(len(ranges)) if ranges[k][1] >= after), None)
            if k is None or ranges[k][0] > after or ranges[k][2] < after:
                return  # (the range's highest frame not after the block: recompute)
            tail = [[after, ranges[k][1], ranges[k][2]]] + [list(r) for r in ranges[k + 1:]]
            if out and tail[0][0] <= max(out[-1][1], out[-1][2] + self.fudge):
                joined = tail.pop(0)
                out[-1][1], out[-1][2] = joined[1], max(out[-1][2], joined[2])
            out += tail
        self._ranges, self._ranges_dirty = out, False

    def _highest_before(self, first: int) -> tuple[int, int] | None:
        """The highest presentation end and the highest pts of the frames before
        index ``first`` (None: none).  A frame starts at most max_lead after its dts
        and lasts at most max_distance: the walk back stops where no earlier one can
        reach further (nor start later: the frame with the highest end starts after
        that end less max_distance)."""
        best = top = None
        for i in range(first - 1, -1, -1):
            f = self._frames[i]
            if best is not None and f.dts + self.max_lead + self.max_distance < best:
                break
            end = f.pts + f.duration
            if best is None or end > best:
                best = end
            if top is None or f.pts > top:
                top = f.pts
        return None if best is None else (best, top)

    def _lowest_start_from(self, first: int) -> int | None:
        """The lowest range start of the frames from index ``first`` on (None: none):
        a pts, or its group's earlier start (``anchor``)."""
        frames, best = self._frames, None
        for i in range(first, len(frames)):  # later frames start at dts + min_lead or after
            f = frames[i]
            if best is not None and f.dts + self.min_lead >= best:
                break
            if best is None or f.pts < best:
                best = f.pts
        if best is not None:
            for p, start in self.anchors.items():
                if start < best and any(i >= first for i in self.frames_in(p, p + 1)):
                    best = start
        return best

    def _forget_extent(self, removed: list[CodedFrame]) -> None:
        """The highest pts and end held stand unless a removed frame had them."""
        if self._max_pts is not None and max(f.pts for f in removed) >= self._max_pts:
            self._max_pts = None
        if self._max_end is not None and max(f.pts + f.duration for f in removed) >= self._max_end:
            self._max_end = None

    def remove_frame(self, frame: CodedFrame) -> None:
        """Remove exactly one frame (no dependency removal)."""
        for i in range(bisect_left(self.frames, frame.dts, key=_DTS), len(self.frames)):
            if self.frames[i] is frame:
                self.generation = next(_generations)
                del self.frames[i]
                self._rewritten(i)
                self.size -= len(frame.data)
                self._ranges_dirty = True
                self._forget_extent([frame])
                if frame.dts < self.modified_from_dts:
                    self.modified_from_dts = frame.dts
                return

    def clear(self) -> None:
        self.generation = next(_generations)
        if self.frame_count:
            first = self._frames[0].dts if self._frames else self._pending[0].first_dts()
            self.modified_from_dts = min(self.modified_from_dts, first)
        self._frames.clear()
        self._pending.clear()
        self._pending_count = 0
        self._rewritten(0)
        self.anchors = {}
        self._max_pts = self._max_end = None
        self.size = 0
        self._ranges = []
        self._ranges_dirty = False

    # -- ranges -------------------------------------------------------------------------
    def ranges(self) -> list[list[int]]:
        """Track buffer ranges in ticks (normalized, coalesced): ``[start, end]``."""
        return [[s, e] for s, e, _ in self.spans()]

    def spans(self) -> list[list[int]]:
        """The ranges as kept: ``[start, end, top]``, ``top`` the highest pts in the
        range (where its reach is measured from)."""
        if self._ranges_dirty:
            self._ranges = self._compute_ranges()
            self._ranges_dirty = False
        return self._ranges

    def anchor(self, pts: int, start: int) -> None:
        """Let the range holding the frame at ``pts`` start at ``start`` (<= pts): the
        spec's "MAY use coded frame group start times as range start times across
        track buffers in a muxed SourceBuffer" ("Track Buffers"), as Chromium does."""
        old = self.anchors.get(pts)
        if start < pts and old != start:
            self.generation = next(_generations)
            self.anchors[pts] = start
            # The usual case - the first frame of the group just added, ranges clean, the
            # range only growing - merges [start, pts] into the ranges; else recompute.
            if self._ranges_dirty or (old is not None and old < start) \
                    or not self._holds_recent(pts):
                self._ranges_dirty = True
            else:
                self._merge_range(start, pts, pts)  # (the frame itself is in already)

    def _holds_recent(self, pts: int, look: int = 64) -> bool:
        """A frame at ``pts`` among the last ``look`` frames in decode order."""
        for entry in reversed(self._pending):
            if pts in entry.tail_pts(look):
                return True
            look -= len(entry)
            if look <= 0:
                return False
        return any(f.pts == pts for f in self._frames[-look:])

    def _merge_range(self, s: int, e: int, t: int) -> None:
        """Add a frame's interval ``[s, e]`` (pts ``t``) to the (clean) ranges,
        coalescing as ``_compute_ranges`` does: the ranges are sorted and each starts
        past the reach of the one before, so the new interval joins one run of them."""
        ranges, fudge = self._ranges, self.fudge
        i, n = 0, len(ranges)
        while i < n and max(ranges[i][1], ranges[i][2] + fudge) < s:
            i += 1
        j = i
        while j < n and ranges[j][0] <= max(e, t + fudge):
            s, e, t = min(s, ranges[j][0]), max(e, ranges[j][1]), max(t, ranges[j][2])
            j += 1
        ranges[i:j] = [[s, e, t]]

    def _compute_ranges(self) -> list[list[int]]:
        out, self.anchors = self.ranges_over_frames()  # (anchors whose frame is gone go)
        return out

    def ranges_over_frames(self) -> tuple[list[list[int]], dict[int, int]]:
        """The ranges computed over every frame held - what the ranges kept in place
        must equal - and the anchors of the frames held.  Changes nothing."""
        fudge = self.fudge
        out: list[list[int]] = []
        anchors = self.anchors
        if anchors:
            present = {s for s, _ in self._intervals() if s in anchors}
            anchors = {p: s for p, s in anchors.items() if p in present}
        for s, e, p in sorted((anchors.get(p, p), e, p) for p, e in self._intervals()):
            if out and s <= max(out[-1][1], out[-1][2] + fudge):
                if e > out[-1][1]:
                    out[-1][1] = e
                if p > out[-1][2]:
                    out[-1][2] = p
            else:
                out.append([s, e, p])
        return out, anchors

    def ranges_seconds(self) -> list[tuple[Fraction, Fraction]]:
        ts = self.timescale
        return [(Fraction(s, ts), Fraction(e, ts)) for s, e, _ in self.spans()]

    def highest_end(self) -> Fraction | None:
        """The end of the last track buffer range, in seconds."""
        return self._highest()[0]

    def highest_pts(self) -> Fraction | None:
        """The highest presentation timestamp buffered (duration change step 2)."""
        return self._highest()[1]

    def _highest(self) -> tuple[Fraction | None, Fraction | None]:
        # Read by every state snapshot: computed once per generation.
        memo = self._highest_memo
        if memo[0] != self.generation:
            r = self.spans()
            ts = self.timescale
            memo = self._highest_memo = (
                self.generation, Fraction(r[-1][1], ts) if r else None,
                Fraction(self.max_pts(), ts) if self.frame_count else None)
        return memo[1], memo[2]

    # -- random access points (seeking, the frame feed) -----------------------------------
    def rap_index_for(self, t: int) -> int | None:
        """Index of the random access point to start decoding from to present ``t``:
        the last RAP in decode order whose pts is <= t (Seeking step 3)."""
        limit = t - self.min_lead  # no later frame in decode order presents at or before t
        frames = self._frames
        while self._pending and (not frames or frames[-1].dts <= limit):
            self._make_pending(1)
        hi = bisect_right(frames, limit, key=_DTS)
        for i in range(min(hi, len(frames)) - 1, -1, -1):
            if frames[i].is_rap and frames[i].pts <= t:
                return i
        return None

    def reset_group_state(self) -> None:
        """Unset last decode timestamp, last frame duration and highest end timestamp;
        set the need random access point flag (shared by several algorithms)."""
        self.last_decode_timestamp = None
        self.last_frame_duration = None
        self.highest_end_timestamp = None
        self.need_random_access_point = True
