"""Coded frame eviction's choice of GOPs (msepy.eviction) and the append quota that
counts what it could free: the same choice as a walk over every GOP, made by walking
only the GOPs it takes and the two it keeps."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings, strategies as st

from msepy.bridge_state import append_quota
from msepy.bytestream import CodedFrame, TrackInfo
from msepy.eviction import ADTS_HEADER, FRAME_OVERHEAD, _removal_ranges, freeable_bytes
from msepy.trackbuffer import TrackBuffer

INFO = TrackInfo(track_id=1, kind="video", codec="test", timescale=1000, config=None)


def reference_ranges(tb, position, excess, seek_pending=False):
    """The choice as a walk over a list of every GOP, Chromium's steps one by one
    (SourceBufferStream::GarbageCollectIfNeeded): after the last append up to a
    position past it, the front up to the position, the back down to the GOP last
    appended; with a seek pending, then any GOP from the front."""
    frames = tb.frames
    starts = [i for i, f in enumerate(frames) if f.is_rap and i > 0]
    gops = list(zip([0] + starts, starts + [len(frames)])) if frames else []
    if not gops:
        return []
    pos = position * tb.timescale
    sizes = [sum(len(f.data) + FRAME_OVERHEAD for f in frames[a:b]) for a, b in gops]
    spans = [(min(f.pts for f in frames[a:b]), max(f.pts + f.duration for f in frames[a:b]))
             for a, b in gops]
    appended = [i for i, f in enumerate(frames) if f.dts == tb.last_decode_timestamp]
    last = next((g for g, (a, b) in enumerate(gops) if a <= appended[-1] < b), None) if appended else None
    playing = None if seek_pending else next(
        (i for i, (s, e) in enumerate(spans) if s <= pos < e),
        next((i for i, (s, _) in enumerate(spans) if s > pos), None))
    chosen, freed = [], 0

    def take(i):
        nonlocal freed
        chosen.append(i)
        freed += sizes[i]

    front_limit = pos
    het = tb.highest_end_timestamp
    if last is not None and het is not None and pos > het:
        start = het + (tb.max_distance if frames[appended[-1]].is_rap else 0)
        for i in range(last + 1, len(gops)):
            if freed >= excess or spans[i][0] >= pos:
                break
            first = frames[gops[i][0]]
            if first.is_rap and first.pts >= start:
                take(i)
        front_limit = next((s for s, e in tb.ranges() if s <= frames[gops[last][0]].pts < e),
                           frames[gops[last][0]].pts)
    for i in range(len(gops)):
        if freed >= excess or (playing is not None and i >= playing) or spans[i][1] > front_limit:
            break
        if i != last and i not in chosen:
            take(i)
    for i in range(len(gops) - 1, -1, -1):
        if freed >= excess or i in (last, playing) or i in chosen:
            break
        take(i)
    if seek_pending:
        for i in range(len(gops)):
            if freed >= excess:
                break
            if i != last and i not in chosen:
                take(i)
    ts = tb.timescale
    return sorted((Fraction(spans[i][0], ts), Fraction(spans[i][1], ts)) for i in chosen)


def buffer_of(gops):
    """A track buffer of GOPs in presentation order, each ``(gap, frames, size)``: a
    keyframe and ``frames - 1`` more, 10 ticks each, the GOP ``gap`` ticks after the one
    before (a leading GOP without a keyframe when ``frames`` is negative)."""
    tb = TrackBuffer(INFO)
    t = 0
    for gap, frames, size in gops:
        t += gap
        for k in range(abs(frames)):
            tb.add(CodedFrame(track_id=1, pts=t, dts=t, duration=10, is_rap=k == 0 and frames > 0,
                              data=memoryview(bytes(size))))
            t += 10
    return tb


gop = st.tuples(st.sampled_from([0, 0, 0, 5, 40]), st.integers(1, 6), st.integers(1, 50))


@settings(max_examples=300, deadline=None)
@given(st.lists(gop, min_size=1, max_size=12), st.booleans(), st.integers(-20, 800),
       st.one_of(st.integers(1, 600), st.just(float("inf"))), st.data())
def test_the_choice_is_the_walk_over_every_gop(gops, leading, position, excess, data):
    if leading:
        gops = [(0, -gops[0][1], gops[0][2])] + gops[1:]
    tb = buffer_of(gops)
    frames = tb.frames
    # The frame appended last (none: a new coded frame group), and where the appends end.
    if data.draw(st.booleans()):
        k = data.draw(st.integers(0, len(frames) - 1))
        tb.last_decode_timestamp = frames[k].dts
        tb.highest_end_timestamp = frames[k].pts + frames[k].duration + data.draw(st.sampled_from([0, 0, 7]))
    seek_pending = data.draw(st.booleans())
    position = Fraction(max(position, 0), 1000)
    assert _removal_ranges(tb, position, excess, seek_pending) == reference_ranges(
        tb, position, excess, seek_pending)
    # The append quota counts what the unbounded choice frees.
    freed = sum(len(f.data) + FRAME_OVERHEAD for f in tb.frames
                if any(s * 1000 <= f.pts < e * 1000 for s, e in reference_ranges(tb, position, float("inf"))))
    assert freeable_bytes(tb, position) == freed


class CountingFrames(list):
    """A frame list that counts the frames read from it."""
    reads = 0

    def __getitem__(self, index):
        item = super().__getitem__(index)
        CountingFrames.reads += len(item) if isinstance(index, slice) else 1
        return item

    def __iter__(self):
        CountingFrames.reads += len(self)
        return super().__iter__()


def test_the_quota_of_a_long_audio_buffer_reads_only_what_stays():
    """An audio track buffer over half its limit (12 MB by default: about 13 minutes
    of 128 kbit/s AAC, which a player that keeps its back buffer reaches): every frame
    is a GOP.  The quota in every state record walked every frame against every GOP
    (20 s an append at 37,000 frames).  Now it reads the frames eviction would keep -
    from the one played to the one last appended - once, and not the back buffer."""
    from msepy import HTMLMediaElement, MediaSource, TaskQueue
    queue = TaskQueue()
    ms = MediaSource(queue=queue)
    el = HTMLMediaElement(queue=queue)
    el.src_object = ms
    queue.run_until_idle()
    sb = ms.add_source_buffer("audio/mp4")
    tb = TrackBuffer(TrackInfo(track_id=1, kind="audio", codec="mp4a.40.2", timescale=48000,
                               config=None))
    for k in range(20_000):
        tb.add(CodedFrame(track_id=1, pts=k * 1024, dts=k * 1024, duration=1024, is_rap=True,
                          data=memoryview(bytes(400))))
    tb.last_decode_timestamp = 19_999 * 1024  # appending at the end
    sb._track_buffers[1] = tb
    sb._limits["audio"] = 12_000_000
    el._position = Fraction(400)  # 26 s before the end (the frames span 426 s)
    tb._frames = CountingFrames(tb.frames)
    CountingFrames.reads = 0
    # The front (the 18,750 frames before the one playing) is freeable; the frame
    # played and the 1,249 after it (up to the one last appended) stay.
    charge = 400 + FRAME_OVERHEAD + ADTS_HEADER  # (an AAC frame has an ADTS header in Chromium)
    assert append_quota(sb) == 12_000_000 - 1_250 * charge
    assert CountingFrames.reads < 1_250 + 100


def test_eviction_of_audio_removes_touching_gops_in_one_removal(monkeypatch):
    """Every frame of an audio track is a GOP.  The GOPs eviction takes from the front
    touch one another, and "Coded Frame Removal" of touching ranges is that of their
    union: one removal, not one per frame - with the same frames left."""
    from pathlib import Path

    import msepy.eviction as eviction
    from msepy import HTMLMediaElement, MediaSource, TaskQueue

    data = (Path(__file__).parent / "fixtures/mp4/aac_44k.mp4").read_bytes()

    def session():
        queue = TaskQueue()
        ms = MediaSource(queue=queue, memory_limits={"audio": 60_000})
        el = HTMLMediaElement(queue=queue)
        el.src_object = ms
        queue.run_until_idle()
        sb = ms.add_source_buffer("audio/mp4")
        sb.mode = "sequence"
        for _ in range(12):
            if sb.buffered.length:
                el._position = Fraction(sb.buffered.end(0)) - 1  # near the live edge
            sb.append_buffer(data)
            queue.run_until_idle()
        tb = next(iter(sb._track_buffers.values()))
        return sb.buffered.ranges, [(f.pts, f.duration) for f in tb.frames]

    removals = []
    removal = eviction.coded_frame_removal
    monkeypatch.setattr(eviction, "coded_frame_removal",
                        lambda sb, start, end: removals.append((start, end)) or removal(sb, start, end))
    joined = session()
    assert removals and len(removals) <= 12  # at most one per append
    monkeypatch.setattr(eviction, "_joined", lambda ranges: ranges)
    removals.clear()
    assert session() == joined
    assert len(removals) > 100  # one per frame


def test_a_long_session_evicting_at_every_append_walks_no_whole_buffer(monkeypatch):
    """A player keeping its back buffer until the limits bite: every append evicts
    GOPs from the front of both tracks (the playhead follows the appends).  No append
    recomputes the ranges or the extent over every frame held - the costs that made a
    full buffer's appends take 186 ms in Pyodide at 117,700 frames."""
    from pathlib import Path

    from msepy import HTMLMediaElement, MediaSource, TaskQueue

    data = (Path(__file__).parent / "fixtures/mp4/bench_720p.mp4").read_bytes()
    walks = []
    for name in ("_compute_ranges", "_extent"):
        real = getattr(TrackBuffer, name)
        monkeypatch.setattr(TrackBuffer, name,
                            lambda self, real=real, name=name: walks.append(name) or real(self))
    queue = TaskQueue()
    ms = MediaSource(queue=queue, memory_limits={"video": 4_000_000, "audio": 400_000})
    el = HTMLMediaElement(queue=queue)
    el.src_object = ms
    queue.run_until_idle()
    sb = ms.add_source_buffer('video/mp4; codecs="avc1.64001f,mp4a.40.2"')
    sb.mode = "sequence"
    evicting = 0
    for copy in range(12):
        if sb.buffered.length:
            el._position = Fraction(sb.buffered.end(0)) - 5  # 5 s behind the live edge
        before = sb.memory_used
        walks.clear()
        sb.append_buffer(data)
        queue.run_until_idle()
        assert sb.last_error is None
        if sb.memory_used < before + len(data) // 2:  # it evicted
            evicting += 1
            assert walks == [], copy
            sb.buffered, el.buffered  # (the ranges as a page reads them: still no walk)
            assert walks == [], copy
    assert evicting >= 6
