"""Timed text: WebVTT cues from text track buffers, and HTML's "time marches on".

Theory of operation
-------------------
Text coded frames are buffered like any others (``TrackBuffer`` of kind ``"text"``;
coded frame processing runs the "Text Splice Frame" algorithm for them).  Nothing here
keeps cues of its own: a ``TextTrack``'s ``cues`` is a live ``TextTrackCueList`` read
from its track buffer whenever it is looked at, so appends, splices, ``remove()`` and
eviction show at once.  A cue's times are its frame's presentation interval (after
``timestampOffset``), exact ``Fraction`` seconds; its id, settings and text come from
the frame's payload, decoded by the track's codec (``TrackInfo.codec``):

``"wvtt"``    ISO BMFF (ISO/IEC 14496-30 §7): a sample is a sequence of boxes:
              ``vttc`` (a cue: ``iden`` identifier, ``sttg`` settings, ``payl`` text),
              ``vtte`` (no cue in this interval), ``vtta`` (a comment, ignored).  Every
              ``vttc`` of a sample is a cue over the sample's interval.  A cue lasting
              over several samples is stored in each of them: the same cue in samples
              that follow each other without a gap is one cue over their joint
              interval (so a fragment boundary does not cut it).  The ``vttC`` header
              is not exposed by the MP4 parser.
``"webvtt"``  WebM (the "WebVTT in WebM" mapping, ``D_WEBVTT/*``): a block is
              ``identifier LF settings LF payload`` (lines end in LF, CR or CRLF), as
              Chromium's ``WebMWebVTTParser`` reads it.  Matroska's ``S_TEXT/WEBVTT``
              keeps the payload alone in the block and the settings and identifier in
              ``BlockAdditional``; the WebM parser rewrites such blocks into the
              ``D_WEBVTT`` layout, so one decoder serves both.

Other text codecs (``tx3g``, ``stpp``, ...) give no cues.  A malformed payload gives no
cue either (``decode_*`` raise ``ParseError``; the cue list skips that frame), as a
WebVTT parser skips a cue it cannot read.

``update_active_cues(element, since)`` is HTML's "time marches on" as far as text
tracks go.  The element calls it from SourceBuffer Monitoring (a position update - with
``since``, the position normal playback moved from - a finished seek, a removal, a
track mode change) and after coded frames were processed (HTML: "newly introduced
cues" run time marches on).  Each text track whose mode is ``showing`` or ``hidden``
gets the cues whose interval ``[start, end)`` holds the position as its active cues.
Cues that became active fire ``enter``, cues no longer active fire ``exit``, and
"missed cues" (normal playback went past the whole of them between two runs) fire
both; in time order, then ``cuechange`` at each track they are in.  A cue with its
pause-on-exit flag that exits during playback pauses the element.  A ``disabled``
track has no active cues and fires nothing; ``cues`` and ``active_cues`` are then
``None`` (HTML's null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence
from weakref import WeakKeyDictionary

from .bytestream import ParseError
from .events import CueEvent

if TYPE_CHECKING:
    from .trackbuffer import TrackBuffer

__all__ = ["VTTCue", "CueText", "TextTrackCueList", "decode_wvtt_sample",
           "decode_webm_block", "decode_frame", "track_cues", "cues_at", "cue_list_of", "cue_order",
           "update_active_cues"]


@dataclass(frozen=True, slots=True)
class CueText:
    """What one cue's payload says, before it has times."""

    id: str
    """The WebVTT cue identifier ("" when there is none)."""
    settings: str
    """The cue settings list as written (``"line:10% align:start"``)."""
    text: str
    """The cue payload text (WebVTT cue text markup, unparsed)."""


@dataclass(frozen=True, slots=True)
class VTTCue:
    """A WebVTT cue of a text track (HTML ``VTTCue``), times exact."""

    id: str
    start: Fraction
    """Start time in seconds (the frame's presentation timestamp)."""
    end: Fraction
    """End time in seconds (the frame's presentation end)."""
    text: str
    settings: str = ""
    key: int | None = None
    """A cue the page added (``TextTrack.add_cue``): its handle there, so that two
    cues with the same times and text stay two cues; None for a cue of the media."""
    pause_on_exit: bool = False
    """HTML's text track cue pause-on-exit flag (a page's cue's ``pauseOnExit``)."""

    @property
    def start_time(self) -> float:
        """``startTime`` as the API reports it (a double)."""
        return float(self.start)

    @property
    def end_time(self) -> float:
        return float(self.end)

    @property
    def cue_settings(self) -> dict[str, str]:
        """The settings list as ``name -> value`` (WebVTT "parse the WebVTT cue
        settings": space-separated ``name:value`` pairs; later ones win)."""
        out = {}
        for setting in self.settings.split():
            name, colon, value = setting.partition(":")
            if colon and name and value:
                out[name] = value
        return out

    def __repr__(self) -> str:
        return (f"<VTTCue {self.id!r} {float(self.start):.6g}-{float(self.end):.6g} "
                f"{self.text!r}>")


class TextTrackCueList:
    """HTML ``TextTrackCueList``: a live, read-only list of cues in text track cue
    order (start time, then end time descending, then the order they were added)."""

    def __init__(self, read: Callable[[], Sequence[VTTCue]]) -> None:
        self._read = read

    @property
    def length(self) -> int:
        return len(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __getitem__(self, index: int) -> VTTCue:
        return self._read()[index]

    def __iter__(self) -> Iterator[VTTCue]:
        return iter(self._read())

    def get_cue_by_id(self, id: str) -> VTTCue | None:
        """The first cue whose identifier is ``id``; None for "" or no match."""
        if not id:
            return None
        return next((c for c in self._read() if c.id == id), None)

    def __repr__(self) -> str:
        return f"<TextTrackCueList {list(self._read())}>"


# -- payload decoding ---------------------------------------------------------------------

def _text(data: memoryview) -> str:
    return bytes(data).decode("utf-8", "replace")


def _boxes(data: memoryview, where: str) -> Iterator[tuple[str, memoryview]]:
    """ISO BMFF boxes laid end to end (14496-12 4.2): ``(type, payload)``."""
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < 8:
            raise ParseError(f"{where}: {end - pos} bytes left, too few for a box header")
        size = int.from_bytes(data[pos:pos + 4], "big")
        box = bytes(data[pos + 4:pos + 8]).decode("latin-1")
        header = 8
        if size == 1:                   # largesize follows
            if end - pos < 16:
                raise ParseError(f"{where}: {box} box truncated in its largesize")
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
            header = 16
        elif size == 0:                 # the box extends to the end
            size = end - pos
        if size < header:
            raise ParseError(f"{where}: {box} box size {size} is smaller than its header")
        if size > end - pos:
            raise ParseError(f"{where}: {box} box of {size} bytes runs past the end "
                             f"({end - pos} bytes left)")
        yield box, data[pos + header:pos + size]
        pos += size


def decode_wvtt_sample(data: memoryview | bytes) -> tuple[CueText, ...]:
    """The cues of an ISO BMFF ``wvtt`` sample (ISO/IEC 14496-30 §7.3-7.4)."""
    cues = []
    for box, body in _boxes(memoryview(data), "wvtt sample"):
        if box == "vttc":               # VTTCueBox
            fields = {"iden": "", "sttg": "", "payl": ""}
            for child, value in _boxes(body, "vttc"):
                if child in fields:     # CueIDBox, CueSettingsBox, CuePayloadBox
                    fields[child] = _text(value)
                # ctim (CueTimeBox), vsid (CueSourceIDBox), unknown: not needed
            cues.append(CueText(fields["iden"], fields["sttg"], fields["payl"]))
        # vtte (VTTEmptyCueBox): no cue; vtta (VTTAdditionalTextBox): a comment.
    return tuple(cues)


def _line(data: bytes, pos: int) -> tuple[str, int]:
    """One line from ``pos``: ends at LF, CR or CRLF, or the end of the data."""
    end = len(data)
    i = pos
    while i < end and data[i] not in (0x0A, 0x0D):
        i += 1
    line = data[pos:i].decode("utf-8", "replace")
    if i < end:
        i += 2 if data[i] == 0x0D and i + 1 < end and data[i + 1] == 0x0A else 1
    return line, i


def decode_webm_block(data: memoryview | bytes) -> CueText:
    """A ``D_WEBVTT`` block: the identifier line, the settings line, then the cue
    payload (WebM's WebVTT mapping; read as Chromium's WebMWebVTTParser does)."""
    raw = bytes(data)
    id_, pos = _line(raw, 0)
    settings, pos = _line(raw, pos)
    return CueText(id_, settings, raw[pos:].decode("utf-8", "replace"))


def decode_frame(codec: str, data: memoryview | bytes) -> tuple[CueText, ...]:
    """The cues a text coded frame of ``codec`` (``TrackInfo.codec``) carries."""
    if codec == "wvtt":
        return decode_wvtt_sample(data)
    if codec == "webvtt":
        return (decode_webm_block(data),)
    return ()


# -- cues of a track buffer -----------------------------------------------------------------

def cue_order(cue: VTTCue) -> tuple[Fraction, Fraction]:
    """Text track cue order: by start time, then by end time, latest first (a stable
    sort keeps ties in the order they were added)."""
    return cue.start, -cue.end



@dataclass(slots=True)
class _BufferCues:
    """What this module remembers of one track buffer (never its frames' times)."""

    decoded: dict[int, tuple[Any, tuple[CueText, ...]]] = field(default_factory=dict)
    """id(frame) -> (its payload view, its decoded cues).  The entry holds the view,
    so the id of a dropped frame is not mistaken for a new frame's while it lives."""
    key: tuple = ()
    """The frames (identity, pts, duration) the ``cues`` below were built from."""
    held: tuple = ()
    """Those frames, held so that their ids in ``key`` stay theirs."""
    cues: tuple[VTTCue, ...] = ()

    def texts(self, codec: str, frame: Any) -> tuple[CueText, ...]:
        hit = self.decoded.get(id(frame))
        if hit is not None and hit[0] is frame.data:
            return hit[1]
        try:
            texts = decode_frame(codec, frame.data)
        except ParseError:
            texts = ()              # a malformed cue shows nothing
        self.decoded[id(frame)] = (frame.data, texts)
        return texts

    def prune(self, frames: list[Any]) -> None:
        live = {id(f) for f in frames}
        self.decoded = {k: v for k, v in self.decoded.items() if k in live}


_STATE: "WeakKeyDictionary[TrackBuffer, _BufferCues]" = WeakKeyDictionary()


def _state(tb: "TrackBuffer") -> _BufferCues:
    state = _STATE.get(tb)
    if state is None:
        state = _STATE[tb] = _BufferCues()
    return state


SPLIT_CODECS = frozenset({"wvtt"})
"""Codecs whose cues are cut at sample boundaries (14496-30: a cue lasting over several
samples is repeated in each); ``_runs`` joins the pieces back into one cue."""


def _occurrences(texts: tuple[CueText, ...]) -> list[tuple[CueText, int]]:
    """Each cue text of a frame with its rank among identical ones in that frame."""
    seen: dict[CueText, int] = {}
    out = []
    for t in texts:
        n = seen[t] = seen.get(t, -1) + 1
        out.append((t, n))
    return out


def _joins(before: Any, after: Any) -> bool:
    return before.pts + before.duration == after.pts


def _cue(key: tuple[CueText, int], start: int, end: int, ts: int) -> VTTCue:
    t = key[0]
    return VTTCue(t.id, Fraction(start, ts), Fraction(end, ts), t.text, t.settings)


def _runs(tb: "TrackBuffer", state: _BufferCues) -> list[VTTCue]:
    """Every cue of the buffer: one per cue text of each frame, except that for
    ``SPLIT_CODECS`` the same cue in frames that follow each other without a gap is
    one cue over their joint interval."""
    codec, ts = tb.info.codec, tb.timescale
    merge = codec in SPLIT_CODECS
    cues: list[VTTCue] = []
    open_runs: dict[tuple[CueText, int], list[int]] = {}   # cue -> [start, end] ticks
    previous = None
    for f in tb.frames:
        joined = merge and previous is not None and _joins(previous, f)
        runs = {}
        for key in _occurrences(state.texts(codec, f)):
            run = open_runs.pop(key, None) if joined else None
            if run is not None:
                run[1] = f.pts + f.duration
            else:
                run = [f.pts, f.pts + f.duration]
            runs[key] = run
        cues.extend(_cue(key, *run, ts) for key, run in open_runs.items())
        open_runs, previous = runs, f
    cues.extend(_cue(key, *run, ts) for key, run in open_runs.items())
    return cues


def track_cues(tb: "TrackBuffer") -> tuple[VTTCue, ...]:
    """Every cue of a text track buffer, in text track cue order (rebuilt when the
    buffer's frames or their times changed since the last call)."""
    state = _state(tb)
    key = (tb.timescale, tb.info.codec, tuple((id(f), f.pts, f.duration) for f in tb.frames))
    if key != state.key:
        state.prune(tb.frames)
        cues = _runs(tb, state)
        state.key, state.held = key, tuple(tb.frames)
        state.cues = tuple(sorted(cues, key=cue_order))
    return state.cues


def cues_at(tb: "TrackBuffer", t: Fraction) -> tuple[VTTCue, ...]:
    """The cues whose interval holds ``t`` (HTML "current cues": start <= t < end),
    in text track cue order, as ``track_cues`` would give them.  Looks only at the
    frames that can hold ``t`` (none lasts longer than the buffer's largest
    inter-frame distance) and, for a cue cut into pieces, at its neighbours."""
    codec, ts = tb.info.codec, tb.timescale
    merge = codec in SPLIT_CODECS
    frames = tb.frames
    tick = t.numerator * ts // t.denominator           # floor(t) in ticks
    state = _state(tb)
    if len(state.decoded) > 2 * len(frames) + 64:
        state.prune(frames)

    def holds(i: int, key: tuple[CueText, int]) -> bool:
        return key in _occurrences(state.texts(codec, frames[i]))

    found: dict[VTTCue, None] = {}
    for i in tb.frames_in(tick - tb.max_distance, tick + 1):
        f = frames[i]
        if not Fraction(f.pts, ts) <= t < Fraction(f.pts + f.duration, ts):
            continue
        for key in _occurrences(state.texts(codec, f)):
            lo = hi = i
            while merge and lo > 0 and _joins(frames[lo - 1], frames[lo]) and holds(lo - 1, key):
                lo -= 1
            while merge and hi + 1 < len(frames) and _joins(frames[hi], frames[hi + 1]) \
                    and holds(hi + 1, key):
                hi += 1
            end = frames[hi].pts + frames[hi].duration
            found[_cue(key, frames[lo].pts, end, ts)] = None
    return tuple(sorted(found, key=cue_order))


def _track_buffer(track: Any) -> "TrackBuffer | None":
    sb = track.source_buffer
    if sb is None:
        return None
    return sb._track_buffers.get(track.byte_stream_track_id)


def cue_list_of(track: Any) -> tuple[VTTCue, ...]:
    """A TextTrack's text track list of cues: the page's own for a track made by
    ``addTextTrack()``, else its track buffer's (empty without one)."""
    if track._own_cues is not None:
        return track._own_cues
    tb = _track_buffer(track)
    return track_cues(tb) if tb is not None else ()


# -- time marches on ------------------------------------------------------------------------

def update_active_cues(element: Any, since: Fraction | None = None) -> None:
    """HTML "time marches on", for the text tracks of ``element``.  ``since``: the
    position before normal playback moved it to the current one (None: anything else
    ran it - a seek, new cues, a mode change)."""
    position = element._position
    events: list[tuple[Any, ...]] = []
    affected: list[Any] = []
    exit_pause = False
    for index, track in enumerate(element.text_tracks):
        if track.mode == "disabled":
            track._active_cues = ()     # no active flags, no event (HTML: null lists)
            continue
        if track._own_cues is not None:
            # The page's cues: not before playback starts or a seek (HTML's show
            # poster flag; Chromium runs no "time marches on" until then).  (A
            # SourceBuffer's cues show at 0 at once: Chromium has no in-band WebVTT in
            # MSE to follow.)
            if element._show_poster:
                continue
            active = tuple(c for c in track._own_cues if c.start <= position < c.end)  # 1.
        else:
            tb = _track_buffer(track)
            active = cues_at(tb, position) if tb is not None else ()
        old, track._active_cues = track._active_cues, active   # 17. (the flags)
        # 4. Missed cues: normal playback went past the whole of them.
        missed = _missed(track, since, position) if since is not None and since < position else ()
        if active == old and not missed:
            continue
        now = {_identity(c) for c in active}
        was = {_identity(c) for c in old}
        # (A cue active at the last run is no missed cue: it exits, once.)
        missed = tuple(c for c in missed if _identity(c) not in was)
        entering = [*missed, *(c for c in active if _identity(c) not in was)]   # 10., 12.
        exiting = [*(c for c in old if _identity(c) not in now), *missed]       # 11.
        if not entering and not exiting:
            continue  # 7. the same cues (a page's cue whose times were set is one cue)
        exit_pause = exit_pause or (since is not None and any(c.pause_on_exit for c in exiting))
        events += [(c.start, index, c.start, -c.end, 0, track, "enter", c) for c in entering]
        events += [(max(c.end, c.start), index, c.start, -c.end, 1, track, "exit", c)
                   for c in exiting]
        affected.append(track)
    if exit_pause:
        element.internal_pause()  # 8. a pause-on-exit cue exited during playback
    # 13-14: by time, then text track cue order (track, start, end latest first), enter
    # before exit.  The DOM fires enter/exit at the cue; msepy's cues are values, so at
    # its track, with the cue (``CueEvent.cue``); the page fires them at its cue objects.
    events.sort(key=lambda e: e[:5])
    for *_, track, kind, cue in events:
        element._queue.fire(track, CueEvent(kind, cue))
    for track in affected:  # 15-16. (in list order already)
        element._queue.fire(track, "cuechange")


def _missed(track: Any, since: Fraction, position: Fraction) -> tuple[VTTCue, ...]:
    """HTML time marches on 4: the cues starting at or after ``since`` and ending at or
    before ``position``."""
    if track._own_cues is not None:
        return tuple(c for c in track._own_cues if since <= c.start and c.end <= position)
    tb = _track_buffer(track)
    if tb is None:
        return ()
    ts = tb.timescale
    lo = since.numerator * ts // since.denominator
    hi = position.numerator * ts // position.denominator + 1
    found: dict[VTTCue, None] = {}
    for i in tb.frames_in(lo, hi):   # (a cue starts where one of its frames does)
        for c in cues_at(tb, Fraction(tb.frames[i].pts, ts)):
            if since <= c.start and c.end <= position:
                found[c] = None
    return tuple(found)


def _identity(cue: VTTCue) -> Any:
    return cue if cue.key is None else cue.key
