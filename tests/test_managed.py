"""ManagedMediaSource / ManagedSourceBuffer: streaming, bufferedchange, UA eviction."""

from msepy import HTMLMediaElement, TaskQueue
from msepy.managed import ManagedMediaSource, ManagedSourceBuffer

from helpers import FrameScriptParser, ranges


class ManagedPair:
    def __init__(self):
        self.queue = TaskQueue()
        self.ms = ManagedMediaSource(queue=self.queue)
        self.el = HTMLMediaElement(queue=self.queue)
        self.log = []
        self.queue.observers.append(lambda t, e: self.log.append((type(t).__name__, e)))
        self.el.src_object = self.ms
        self.queue.run_until_idle()

    def add(self):
        import msepy.sourcebuffer as module
        real, module.parser_for = module.parser_for, lambda essence: FrameScriptParser()
        try:
            sb = self.ms.add_source_buffer('video/mp4; codecs="avc1.64001f"')
        finally:
            module.parser_for = real
        self.queue.run_until_idle()
        return sb

    def append(self, sb, text):
        self.log.clear()
        sb.append_buffer(text.encode())
        self.queue.run_until_idle()
        return [e.type for _, e in self.log]


def seconds(start, end, gop=30):
    """Frames at 30 fps (timescale 30), a keyframe every ``gop`` frames."""
    return "".join(f"F 1 {'K' if i % gop == 0 else '.'} {i} {i} 1\n" for i in range(start * 30, end * 30))


def test_startstreaming_after_sourceopen_and_endstreaming_at_30_s():
    p = ManagedPair()
    assert p.ms.streaming
    assert [e.type for t, e in p.log if t == "ManagedMediaSource"] == ["sourceopen", "startstreaming"]
    sb = p.add()
    assert isinstance(sb, ManagedSourceBuffer)
    events = p.append(sb, "I v1/30\nM\n" + seconds(0, 20) + "E\n")
    assert p.ms.streaming and "endstreaming" not in events  # 20 s < the 30 s high mark
    events = p.append(sb, "M\n" + seconds(20, 31) + "E\n")
    assert not p.ms.streaming and "endstreaming" in events
    # Play to 25 s: only 6 s ahead, below the 10 s low mark: streaming again.
    p.el.play()
    for _ in range(25):
        p.el.advance(1)
        p.queue.run_until_idle()
    assert p.ms.streaming


def test_bufferedchange_reports_added_and_removed_ranges():
    p = ManagedPair()
    sb = p.add()
    got = []
    sb.add_event_listener("bufferedchange", lambda e: got.append(
        (ranges(e.added_ranges), ranges(e.removed_ranges))))
    events = p.append(sb, "I v1/30\nM\n" + seconds(0, 4) + "E\n")
    assert got == [([(0.0, 4.0)], [])]
    assert events.index("bufferedchange") < events.index("update")
    sb.remove(1, 2)
    p.queue.run_until_idle()
    assert got[-1] == ([], [(1.0, 2.0)])


def test_memory_pressure_empties_inactive_buffers_and_trims_behind_the_playhead():
    p = ManagedPair()
    sb = p.add()
    p.append(sb, "I v1/30\nM\n" + seconds(0, 6) + "E\n")
    p.el.current_time = 3.5
    p.queue.run_until_idle()
    p.ms.memory_pressure()
    p.queue.run_until_idle()
    assert ranges(sb.buffered) == [(3.0, 6.0)]  # kept from the GOP holding 3.5
    p.el.video_tracks[0].selected = False  # sb leaves activeSourceBuffers
    p.queue.run_until_idle()
    p.ms.memory_pressure()
    p.queue.run_until_idle()
    assert ranges(sb.buffered) == []


def test_a_first_range_starting_just_after_zero_counts_as_ahead_of_it():
    """hls.js's fMP4 starts at 0.1 s (B-frame delay): the element plays from there, so
    30 s buffered after it ends streaming (the element's seek-to-start fudge room)."""
    p = ManagedPair()
    sb = p.add()
    frames = "".join(f"F 1 {'K' if i % 30 == 0 else '.'} {i + 3} {i + 3} 1\n" for i in range(31 * 30))
    events = p.append(sb, "I v1/30\nM\n" + frames + "E\n")
    assert ranges(sb.buffered)[0][0] == 0.1
    assert "endstreaming" in events and not p.ms.streaming
