"""ISO BMFF (fragmented MP4) byte stream parser (MSE "ISO BMFF Byte Stream Format").

Theory of operation
-------------------
The stream is a sequence of top-level boxes.  At a box boundary the parser reads the
box header and decides by type:

* ``moov`` (initialization segment) and ``moof`` are buffered whole (at most
  ``MAX_BOX`` bytes) and parsed with the box table of ``_boxes``;
* every other box (``ftyp``, ``styp``, ``sidx``, ``emsg``, ``prft``, ``free``, ``skip``,
  ``udta``, unknown ones, and ``mdat`` outside a media segment) is skipped as its bytes
  arrive, never buffered, whatever its size.

A ``moof`` header starts a media segment (``MediaSegmentStart``, as soon as the
header is in: the spec's "the input buffer begins with a media segment"; Chromium
signals it only once the whole ``moof`` is parsed).  Parsing the
``moof`` yields the absolute stream offset, size and times of every sample its
``trun`` boxes describe; the samples are then read from the following ``mdat``
box(es) in byte order, each handed out (``CodedFrames``) as soon as its last byte has
arrived, its payload a zero-copy slice of the appended buffer.  The samples of a
``trun`` that arrive together are handed out as one ``FrameRun`` (the columns the
``trun`` gave, and the appended chunk).  Bytes between samples are dropped as they
pass.  ``MediaSegmentEnd`` follows the end of the ``mdat`` holding the last sample.
Within a track frames are handed out in decode order even if the file stores a track's
runs out of order (a frame waits for its predecessors; such a fragment's frames are
handed out as ``CodedFrame`` objects).

Rules from the byte stream format (append error = ``ParseError``)
------------------------------------------------------------------
* init segment: a ``moov`` track with samples, a ``moov`` without ``mvex``, external
  data references; ``ftyp`` is not required before ``moov`` (Chromium does not).
* media segment: no ``traf``; a ``traf`` without ``tfdt``; ``base-data-offset-present``
  (not movie-fragment-relative addressing); a sample outside the ``mdat`` boxes that
  follow the ``moof``; a ``moof``/``moov`` arriving before every sample was read.
* Edit lists: see ``_moov.edit_list_shift``.
* Random access points: see ``_sample_is_rap`` and ``codecs.keyframes_from_nal_units``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, islice, repeat
from operator import add, le
from typing import Any, Iterator

from . import _boxes as B
from ._driver import StreamingParser
from ._input import InputBuffer
from ._moov import MovieTrack, movie_from_moov
from ._types import (CodedFrame, FrameRun, InitSegment, MediaSegmentEnd,
                     MediaSegmentStart, ParseError, SegmentEvent)
from .codecs import keyframes_from_nal_units, keyframes_in_chunk

MAX_BOX = 64 << 20
"""Largest moov/moof accepted: anything bigger is hostile, not a fragment header."""

MAX_SAMPLES = 1 << 18
"""Most samples one moof may describe (bounds the memory a hostile trun costs)."""
MAX_WHOLE = 64 << 20
"""Largest muxed fragment (moof start to its samples' end) whose samples wait for all
of its data (``_Fragment.whole``); a larger one goes out as its bytes arrive."""

_FOREVER = -1
_EMPTY = memoryview(b"")
_SEGMENT_BOUNDARY = frozenset({"moov", "moof", "ftyp", "styp"})


def _sample_is_rap(flags: int, depends_on: int, video: bool) -> bool:
    """14496-12 8.8.3.1 sample_flags: a sync sample is a random access point.  As
    Chromium (``PopulateSampleInfo``), a video sample that depends on others is not
    one even when marked sync (crbug.com/507916)."""
    return not flags & 0x10000 and not (video and depends_on == 1)


@dataclass(slots=True)
class _Fragment:
    """The media segment being read: its samples in byte order, as columns (track ID,
    presentation and decode timestamp, duration, random access point flag - what each
    sample's coded frame will hold; stream offset; size; the track's NAL unit format for
    the keyframe check; its index within its track), and progress.  A sample becomes a
    ``CodedFrame`` once its bytes have arrived (``_deliver``).  ``seqs`` is None when
    byte order is decode order within every track, the usual layout; otherwise a frame
    waits in ``held`` for its predecessors."""

    tids: list[int] = field(default_factory=list)
    pts: list[int] = field(default_factory=list)
    dts: list[int] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    raps: list[bool] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    nal: list[tuple[int, bool] | None] = field(default_factory=list)
    seqs: list[int] | None = None
    ends: list[int] | None = field(default_factory=list)
    """Each sample's end offset, when no sample is empty (then, in byte order, they
    never decrease: ``_read_samples`` bisects them)."""
    spans: list[tuple[int, int, bool]] = field(default_factory=list)
    """Each trun's data, in the order read: start, end, and whether a sample of it
    is empty.  A trun's samples lie one after another (14496-12 8.8.8.1)."""
    trun_starts: list[int] | None = field(default_factory=list)
    """The index of each trun's first sample (a ``FrameRun`` never spans two); None
    when the samples are not in the usual layout (see ``_check_layout``): they are
    then handed out as ``CodedFrame`` objects."""
    trun_leads: list[bool] = field(default_factory=list)
    """Whether a trun's samples have composition time offsets (else pts is dts)."""
    next: int = 0
    mdat_end: int = 0
    whole: int = 0
    """Muxed audio and video: the stream offset where the data of the moof's samples
    ends; none is handed out before the bytes up to there have arrived (0: no wait)."""
    next_seq: dict[int, int] | None = None
    held: dict[tuple[int, int], CodedFrame] | None = None

    def columns(self) -> tuple[list[Any], ...]:
        return (self.tids, self.pts, self.dts, self.durations, self.raps, self.offsets,
                self.sizes, self.nal) + ((self.seqs,) if self.seqs is not None else ())

    def __repr__(self) -> str:
        return f"<fragment {self.next}/{len(self.offsets)} samples, mdat end {self.mdat_end}>"


class IsoBmffParser(StreamingParser):
    """The ``ByteStreamParser`` for ``video/mp4`` and ``audio/mp4``."""

    generate_timestamps = False

    def __init__(self) -> None:
        self._tracks: dict[int, MovieTrack] | None = None
        self._moov: tuple[bytes, dict[int, MovieTrack], InitSegment] | None = None
        """The last moov box parsed, and what it gave."""
        self.reset()

    def __repr__(self) -> str:
        where = "in segment" if self._fragment else "between segments"
        return f"<IsoBmffParser {where} {self._fragment or ''} {self._buf!r}>"

    def reset(self) -> None:
        """Reset parser state: drop buffered bytes and any partial segment.  The last
        initialization segment's tracks are kept (a media segment may follow)."""
        self._buf = InputBuffer()
        self._skip = 0
        self._fragment: _Fragment | None = None
        self._announced = False
        self._in_mdat = False
        self._error: ParseError | None = None

    def _format_name(self) -> str:
        return "ISO BMFF"

    # -- the box loop -----------------------------------------------------------

    def _events(self, frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        buf = self._buf
        while True:
            if self._skip:
                n = len(buf) if self._skip == _FOREVER else min(self._skip, len(buf))
                buf.skip(n)
                if self._skip != _FOREVER:
                    self._skip -= n
                if self._skip:
                    return
                if self._segment_complete():
                    yield MediaSegmentEnd()
                continue
            if self._in_mdat:
                if not self._read_samples(frames):
                    return
                self._leave_mdat()
                if self._skip in (0, _FOREVER) and self._segment_complete():
                    yield MediaSegmentEnd()
                continue
            header = self._peek_header()
            if header is None:
                return
            if self._fragment is not None:
                self._segment_box(header)
            elif header.type == "moov":
                view = self._whole_box(header)
                if view is None:
                    return
                if self._moov is None or self._moov[0] != view:
                    # (A player appending the same init segment again, as at every
                    # quality switch back, gets the same immutable result.)
                    self._moov = (bytes(view), *movie_from_moov(view[header.header_size:]))
                self._tracks, segment = self._moov[1], self._moov[2]
                buf.skip(header.size)
                yield segment
            elif header.type == "moof":
                if self._tracks is None:
                    raise ParseError("moof: media segment before any initialization segment")
                if not self._announced:
                    self._announced = True
                    yield MediaSegmentStart()
                view = self._whole_box(header)
                if view is None:
                    return
                start = buf.consumed
                self._fragment = self._fragment_from_moof(view, header.header_size, start)
                buf.skip(header.size)
                self._announced = False
                if not self._fragment.offsets:
                    self._fragment = None
                    yield MediaSegmentEnd()
            else:
                self._skip_box(header)

    def _peek_header(self) -> B.BoxHeader | None:
        """The next box header, peeking only its own bytes (so that joining a header
        that straddles two appends never joins the sample data after it)."""
        view = self._buf.peek(8)
        if view is None:
            return None
        size = 16 if view[:4] == b"\0\0\0\1" else 8
        if view[4:8] == b"uuid":
            size += 16
        if size > 8:
            view = self._buf.peek(size)
            if view is None:
                return None
        return B.parse_header(view)

    def _whole_box(self, header: B.BoxHeader) -> memoryview | None:
        if header.size is None:
            raise ParseError(f"{header.type}: box size 0 is only allowed for a trailing mdat")
        if header.size > MAX_BOX:
            raise ParseError(f"{header.type}: box of {header.size} bytes is larger than "
                             f"the {MAX_BOX >> 20} MiB accepted")
        return self._buf.peek(header.size)

    def _skip_box(self, header: B.BoxHeader) -> None:
        if header.size is None:
            if header.type != "mdat":
                raise ParseError(f"{header.type}: box size 0 is only allowed for a trailing mdat")
            self._skip = _FOREVER
        else:
            self._skip = header.size

    def _segment_box(self, header: B.BoxHeader) -> None:
        """A box between the moof and the mdat holding its last sample."""
        frag = self._fragment
        assert frag is not None
        if header.type in _SEGMENT_BOUNDARY:
            raise ParseError(f"mdat: the mdat boxes after the moof do not hold every sample "
                             f"its truns reference ({len(frag.offsets) - frag.next} missing "
                             f"before this {header.type})")
        if header.type != "mdat":
            self._skip_box(header)
            return
        start = self._buf.consumed
        payload = start + header.header_size
        for i in range(frag.next, len(frag.offsets)):
            if frag.sizes[i]:
                if frag.offsets[i] < payload:
                    raise ParseError(f"trun: sample data at stream offset {frag.offsets[i]} "
                                     f"lies outside the mdat boxes")
                break
        frag.mdat_end = _FOREVER if header.size is None else start + header.size
        self._buf.skip(header.header_size)
        self._in_mdat = True

    def _leave_mdat(self) -> None:
        self._in_mdat = False
        frag = self._fragment
        assert frag is not None
        self._skip = (_FOREVER if frag.mdat_end == _FOREVER
                      else frag.mdat_end - self._buf.consumed)

    def _segment_complete(self) -> bool:
        """At the end of a skipped box or of an mdat: was every sample read?  Then the
        media segment is over (its last mdat has ended, or extends to the end)."""
        frag = self._fragment
        if frag is None or frag.next < len(frag.offsets):
            return False
        self._fragment = None
        return True

    # -- samples ----------------------------------------------------------------

    def _read_samples(self, frames: list[CodedFrame]) -> bool:
        """Take the samples the current mdat holds, in byte order.  False: needs more
        data; True: this mdat holds no more samples (or all have been read)."""
        frag, buf = self._fragment, self._buf
        assert frag is not None
        offsets, sizes, end = frag.offsets, frag.sizes, frag.mdat_end
        if frag.whole and buf.consumed + len(buf) < min(frag.whole, end):
            return False                           # muxed: the whole fragment first
        count = len(offsets)
        while frag.next < count:
            i = frag.next
            offset, size = offsets[i], sizes[i]
            if end != _FOREVER:
                if offset > end or (size and offset >= end):
                    return True                    # in a later mdat
                if offset + size > end:
                    raise ParseError(f"mdat: sample at stream offset {offset} "
                                     f"({size} bytes) runs past the end of the mdat")
            chunk = buf.front()
            base = buf.consumed
            if chunk is not None and base <= offset and offset + size <= base + len(chunk):
                # The samples that lie in the first appended chunk are slices of it,
                # consumed together (one skip, not one per sample).
                limit = base + len(chunk)
                if end != _FOREVER and end < limit:
                    limit = end
                if frag.ends is not None:          # sorted, apart: the ends are too
                    stop = bisect_right(frag.ends, limit, i)
                else:
                    stop = i
                    while stop < count:
                        offset, size = offsets[stop], sizes[stop]
                        if offset + size > limit or (size and offset >= limit) \
                                or (stop > i and offset < offsets[stop - 1] + sizes[stop - 1]):
                            break                  # the general path below decides
                        stop += 1
                self._deliver(i, stop, chunk, base, frames)
                frag.next = stop
                last = stop - 1
                buf.skip(offsets[last] + sizes[last] - base)
                continue
            gap = offset - base
            if gap > 0:
                step = min(gap, len(buf))
                buf.skip(step)
                if step < gap:
                    return False
            data = buf.peek(size) if size else _EMPTY
            if data is None:
                return False
            buf.skip(size)
            frag.next += 1
            self._deliver(i, i + 1, data, offset, frames)
        return True

    def _deliver(self, first: int, stop: int, chunk: memoryview, base: int,
                 out: list[CodedFrame | FrameRun]) -> None:
        """Samples ``first:stop`` of the fragment, whose bytes ``chunk`` (starting at
        stream offset ``base``) holds, become coded frames in ``out``: a ``FrameRun``
        per trun in the usual layout, else ``CodedFrame`` objects."""
        frag = self._fragment
        assert frag is not None
        starts = frag.trun_starts
        if starts is not None:
            k = bisect_right(starts, first) - 1    # the trun holding sample `first`
            while first < stop:
                end = starts[k + 1] if k + 1 < len(starts) and starts[k + 1] < stop else stop
                out.append(self._run(first, end, frag.trun_leads[k], chunk, base))
                first, k = end, k + 1
            return
        datas = [chunk[o - base:o - base + n] for o, n in
                 zip(frag.offsets[first:stop], frag.sizes[first:stop])]
        raps = frag.raps[first:stop]
        keyframes_from_nal_units(datas, frag.nal[first:stop], raps)  # the H.264/HEVC samples
        frames = map(CodedFrame, frag.tids[first:stop], frag.pts[first:stop],
                     frag.dts[first:stop], frag.durations[first:stop], raps, datas)
        if frag.seqs is None:
            out.extend(frames)
        else:
            for frame, seq in zip(frames, frag.seqs[first:stop]):
                self._in_decode_order(frame, seq, out)

    def _run(self, first: int, stop: int, lead: bool, chunk: memoryview, base: int
             ) -> FrameRun:
        """Samples ``first:stop`` of one trun as a ``FrameRun``."""
        frag = self._fragment
        assert frag is not None
        offsets, sizes, raps = frag.offsets[first:stop], frag.sizes[first:stop], frag.raps[first:stop]
        nal = frag.nal[first]
        if nal is not None:  # the H.264/HEVC samples: the bitstream has the last word
            keyframes_in_chunk(chunk, base, offsets, sizes, nal, raps)
        dts = frag.dts[first:stop]
        return FrameRun(frag.tids[first], frag.pts[first:stop] if lead else dts, dts,
                        frag.durations[first:stop], raps, chunk, base, offsets, sizes)

    def _in_decode_order(self, frame: CodedFrame, seq: int, out: list[CodedFrame]) -> None:
        """Hand out ``frame`` (the ``seq``-th of its track in this fragment) once every
        earlier frame of its track has been handed out."""
        frag = self._fragment
        assert frag is not None and frag.next_seq is not None and frag.held is not None
        next_seq, held, tid = frag.next_seq, frag.held, frame.track_id
        if seq != next_seq[tid]:
            held[tid, seq] = frame                 # an earlier frame is still to come
            return
        out.append(frame)
        seq += 1
        while (tid, seq) in held:
            out.append(held.pop((tid, seq)))
            seq += 1
        next_seq[tid] = seq

    # -- moof -------------------------------------------------------------------

    def _fragment_from_moof(self, view: memoryview, header_size: int,
                            moof_start: int) -> _Fragment:
        """Every sample of a moof (14496-12 8.8), with absolute stream offsets."""
        assert self._tracks is not None
        moof = B.children(B.Reader(view, "moof", 0, header_size))
        trafs = moof.all("traf")
        if not trafs:
            raise ParseError("moof: no traf")
        moof_end = moof_start + len(view)
        frag = _Fragment()
        previous_end = moof_start
        for index, traf in enumerate(trafs):
            tfhd: B.Tfhd | None = traf.first("tfhd")
            if tfhd is None:
                raise ParseError("traf: no tfhd")
            track = self._tracks.get(tfhd.track_ID)
            if track is None:
                raise ParseError(f"tfhd: track_ID {tfhd.track_ID} is not a track of the moov")
            if tfhd.base_data_offset is not None:
                raise ParseError("tfhd: base-data-offset-present: the moof does not use "
                                 "movie-fragment relative addressing")
            tfdt: B.Tfdt | None = traf.first("tfdt")
            if tfdt is None:
                raise ParseError("moof: traf without tfdt")
            # 8.8.7.1: without default-base-is-moof, the first traf's base is the moof,
            # a later traf's the end of the data of the traf before it.
            base = moof_start if tfhd.default_base_is_moof or index == 0 else previous_end
            previous_end = _traf_samples(traf, tfhd, tfdt, track, base, frag)
        _check_layout(frag, moof_end)
        # Muxed audio and video: the samples go out when the whole fragment's data is
        # there, as Chromium's MP4StreamParser holds them (HaveEnoughDataToEnqueue-
        # Samples), so they are processed as one batch in decode order across the
        # tracks - which frame starts the coded frame group depends on it (a 7919-byte
        # piece can hold video samples only; e2e differential "append in 7919-byte
        # pieces").
        # (Not past MAX_WHOLE bytes: a bogus offset in a size-0 mdat would hold every
        # byte appended after it.)
        kinds = {t.kind for t in self._tracks.values()}
        if "audio" in kinds and "video" in kinds and frag.offsets:
            # (In the usual layout a trun's samples lie end to end: its data's end.)
            whole = max(end for _, end, _ in frag.spans) if frag.ends is not None \
                else max(map(add, frag.offsets, frag.sizes))
            if whole - moof_start <= MAX_WHOLE:
                frag.whole = whole
        return frag


def _traf_samples(traf: B.Boxes, tfhd: B.Tfhd, tfdt: B.Tfdt, track: MovieTrack,
                  base: int, frag: _Fragment) -> int:
    """Append the samples of one traf to the fragment's columns, a trun at a time;
    return the end of its data."""
    trex = track.trex
    if trex is None:
        raise ParseError(f"mvex: no trex for track_ID {track.track_id}")
    duration_default = _first(tfhd.default_sample_duration, trex.default_sample_duration)
    size_default = _first(tfhd.default_sample_size, trex.default_sample_size)
    flags_default = _first(tfhd.default_sample_flags, trex.default_sample_flags)
    sdtp: B.Sdtp | None = traf.first("sdtp")
    depends = sdtp.sample_depends_on if sdtp else b""
    shift, video = track.shift, track.kind == "video"
    dts = tfdt.baseMediaDecodeTime
    offset = base
    index = 0                                   # sample index within the traf (sdtp)
    tid, nal, keep = track.track_id, track.nal_unit_format, track.info is not None
    for run in traf.all("trun"):
        run: B.Trun
        n = run.sample_count
        if len(frag.offsets) + n > MAX_SAMPLES:
            raise ParseError(f"moof: more than {MAX_SAMPLES} samples")
        if run.data_offset is not None:
            offset = base + run.data_offset     # else: right after the previous run
        durations = run.sample_duration or (duration_default,) * n
        sizes = run.sample_size or (size_default,) * n
        raps = _random_access_points(run, flags_default, depends[index:index + n], video)
        starts = list(accumulate(sizes, initial=offset))
        decode = list(accumulate(durations, initial=dts))
        offset, dts = starts.pop(), decode.pop()
        index += n
        if not keep or not n:
            continue
        ends = starts[1:]
        ends.append(offset)
        frag.spans.append((starts[0], offset, 0 in sizes))
        frag.trun_starts.append(len(frag.offsets))
        ctos = run.sample_composition_time_offset
        frag.trun_leads.append(bool(ctos) and any(ctos))
        presentation = list(map(add, decode, ctos)) if ctos else decode
        if shift:
            presentation = [t + shift for t in presentation]
        frag.tids.extend(repeat(tid, n))
        frag.pts.extend(presentation)
        frag.dts.extend(decode)
        frag.durations.extend(durations)
        frag.raps.extend(raps)
        frag.offsets.extend(starts)
        frag.ends.extend(ends)
        frag.sizes.extend(sizes)
        frag.nal.extend(repeat(nal, n))
    return offset


def _random_access_points(run: B.Trun, flags_default: int, depends: bytes, video: bool
                          ) -> list[bool]:
    """Each sample of ``run``'s ``_sample_is_rap``; ``depends``: the sdtp's
    sample_depends_on of these samples, which counts where sample_flags leaves it 0."""
    n, first = run.sample_count, run.first_sample_flags
    if not n:
        return []
    if run.sample_flags is None and not depends:
        # The usual: every sample has the default flags but the first.
        raps = [_sample_is_rap(flags_default, _depends_on(flags_default, 0), video)] * n
        if first is not None:
            raps[0] = _sample_is_rap(first, _depends_on(first, 0), video)
        return raps
    flags = list(run.sample_flags or (flags_default,) * n)
    if first is not None:
        flags[0] = first
    if not depends:  # the verdict depends on the flags only: once per distinct value
        verdicts = {f: _sample_is_rap(f, _depends_on(f, 0), video) for f in set(flags)}
        return list(map(verdicts.__getitem__, flags))
    return [_sample_is_rap(f, _depends_on(f, depends[i] if i < len(depends) else 0), video)
            for i, f in enumerate(flags)]


def _depends_on(flags: int, sdtp_value: int) -> int:
    value = (flags >> 24) & 3 or sdtp_value
    if value == 3:
        raise ParseError("trun: reserved sample_depends_on value 3")
    return value


def _first(value: int | None, default: int) -> int:
    return default if value is None else value


def _check_layout(frag: _Fragment, moof_end: int) -> None:
    """Samples (sorted by offset) must lie after the moof and not overlap.  Empty
    samples have no data: their offset is only an ordering hint, kept in range.

    The usual layout is checked a trun at a time: no empty sample, every trun's data
    after the moof and after the trun read before it.  Byte order is then the order
    read, in which every track's samples are in decode order; ``ends`` stands."""
    previous_end = moof_end
    for start, end, empty in frag.spans:
        if empty or start < previous_end:
            break
        previous_end = end
    else:
        return
    frag.ends = frag.trun_starts = None
    frag.seqs = _numbered(frag.tids)
    moved = _sort_by_offset(frag)
    offsets, sizes = frag.offsets, frag.sizes
    if offsets and offsets[0] >= moof_end and min(sizes) > 0 \
            and all(map(le, ends := list(map(add, offsets, sizes)), islice(offsets, 1, None))):
        frag.ends = ends  # sorted: every sample after the moof and after the one before it
    else:
        moved = _check_samples(frag, moof_end) or moved
    # Unmoved by the sort, or moved without reordering any track's samples, every
    # track's samples are in decode order; otherwise ``seqs`` says where each belongs.
    if not moved or not _shuffled(frag):
        frag.seqs = None
    else:
        frag.next_seq, frag.held = dict.fromkeys(frag.tids, 0), {}


def _numbered(tids: list[int]) -> list[int]:
    """Each sample's index within its track, in the order read (decode order)."""
    counts: dict[int, int] = {}
    seqs = []
    for tid in tids:
        seq = counts.get(tid, 0)
        seqs.append(seq)
        counts[tid] = seq + 1
    return seqs


def _check_samples(frag: _Fragment, moof_end: int) -> bool:
    """``_check_layout`` sample by sample, placing the empty samples; True if that
    moved any."""
    offsets, sizes = frag.offsets, frag.sizes
    low = high = None
    previous_end = moof_end
    empty = False
    for offset, size in zip(offsets, sizes):
        if not size:
            empty = True
            continue
        if offset < previous_end:
            where = "inside the moof" if offset < moof_end else "overlapping another sample"
            raise ParseError(f"trun: sample data at stream offset {offset} lies {where}")
        previous_end = offset + size
        low = offset if low is None else low
        high = previous_end
    if not empty:
        return False
    for k, size in enumerate(sizes):
        if not size:
            offsets[k] = moof_end if low is None else min(max(offsets[k], low), high)
    return _sort_by_offset(frag)


def _sort_by_offset(frag: _Fragment) -> bool:
    """Put the sample columns in byte order (a stable sort); True if that moved any."""
    offsets = frag.offsets
    if all(map(le, offsets, islice(offsets, 1, None))):
        return False
    order = sorted(range(len(offsets)), key=offsets.__getitem__)
    for column in frag.columns():
        column[:] = [column[k] for k in order]
    return True


def _shuffled(frag: _Fragment) -> bool:
    """Are some track's samples out of decode order in byte order?"""
    assert frag.seqs is not None
    expected: dict[int, int] = {}
    for tid, seq in zip(frag.tids, frag.seqs):
        if seq != expected.get(tid, 0):
            return True
        expected[tid] = seq + 1
    return False
