"""appendEncodedChunks() and SourceBufferConfig (spec: addSourceBuffer 2, changeType,
appendEncodedChunks, "Chunks Append")."""

import pytest

from helpers import Pair, ranges
from msepy.chunks import EncodedAudioChunk, EncodedVideoChunk
from msepy.errors import AbortError, InvalidStateError, NotSupportedError

VIDEO = {"videoConfig": {"codec": "vp8", "codedWidth": 320, "codedHeight": 240}}
AUDIO = {"audioConfig": {"codec": "opus", "sampleRate": 48000, "numberOfChannels": 2}}


def video_chunks(start_us=0, n=10, dur=33_333, gop=5):
    return [EncodedVideoChunk(type="key" if i % gop == 0 else "delta",
                              timestamp=start_us + i * dur, duration=dur, data=bytes(50))
            for i in range(n)]


def outcome(p, promise):
    p.run()
    return promise.state, type(promise.result).__name__


def test_chunks_buffer_and_resolve_the_promise_without_update_events():
    p = Pair()
    sb = p.ms.add_source_buffer(VIDEO)
    p.run()
    promise = sb.append_encoded_chunks(video_chunks(n=30))
    assert sb.updating and promise.state == "pending"
    events = p.run()
    assert promise.state == "fulfilled" and not sb.updating
    assert not [e for e in events if "update" in e]  # the promise replaces them
    assert ranges(sb.buffered) == [(0.0, 0.99999)]
    assert p.el.ready_state == 4 and len(p.el.video_tracks) == 1


def test_chunk_without_duration_is_a_type_error():
    p = Pair()
    sb = p.ms.add_source_buffer(VIDEO)
    with pytest.raises(TypeError):
        sb.append_encoded_chunks([EncodedVideoChunk(type="key", timestamp=0, duration=None,
                                                    data=b"x")])
    assert not sb.updating


@pytest.mark.parametrize("config", [
    {}, {"audioConfig": AUDIO["audioConfig"], "videoConfig": VIDEO["videoConfig"]},
    {"videoConfig": {"codec": ""}}, {"audioConfig": {"codec": "opus", "sampleRate": 48000}},
    {"videoConfig": {"codec": "vp8", "codedWidth": 320}},
])
def test_invalid_configs_are_type_errors(config):
    p = Pair()
    with pytest.raises(TypeError):
        p.ms.add_source_buffer(config)


def test_unsupported_config_is_not_supported():
    p = Pair()
    with pytest.raises(NotSupportedError):
        p.ms.add_source_buffer({"videoConfig": {"codec": "theora"}})


def test_audio_chunk_after_video_config_rejects_with_abort_error():
    p = Pair()
    sb = p.ms.add_source_buffer(VIDEO)
    promise = sb.append_encoded_chunks([EncodedAudioChunk(type="key", timestamp=0,
                                                          duration=20_000, data=b"a")])
    assert outcome(p, promise) == ("rejected", "AbortError")
    assert p.ms.ready_state == "ended"  # append error runs end of stream("decode")


def test_abort_rejects_the_pending_promise():
    p = Pair()
    sb = p.ms.add_source_buffer(VIDEO)
    promise = sb.append_encoded_chunks(video_chunks())
    sb.abort()
    assert outcome(p, promise) == ("rejected", "AbortError")
    assert [e for e in p.log if e.startswith("SourceBuffer")] == []


def test_append_buffer_on_a_chunks_buffer_is_an_append_error():
    p = Pair()
    sb = p.ms.add_source_buffer(VIDEO)
    p.names[id(sb)] = "sb"
    p.run()
    sb.append_buffer(b"\x00\x00\x00\x08free")
    events = p.run()
    assert events[:3] == ["sb:updatestart", "sb:error", "sb:updateend"]


def test_change_type_switches_between_bytes_and_chunks():
    p = Pair()
    sb = p.add()
    p.append(sb, "I v1/1000\nM\nF 1 K 0 0 100\nF 1 . 100 100 100\nE\n")
    sb.change_type(VIDEO)
    promise = sb.append_encoded_chunks(video_chunks(start_us=1_000_000, n=5))
    assert outcome(p, promise) == ("fulfilled", "NoneType")
    assert ranges(sb.buffered) == [(0.0, 0.2), (1.0, 1.166665)]
    with pytest.raises(InvalidStateError):
        sb.append_encoded_chunks(video_chunks())
        sb.change_type("video/webm")  # updating


def test_chunks_after_bytes_are_stored_in_decode_order_after_them():
    # Chunk frames keep their append order in the track buffer (not all at dts 0 ahead
    # of the byte stream's frames), and discontinuity detection stays off for chunks.
    p = Pair()
    sb = p.add()
    p.append(sb, "I v1/1000\nM\nF 1 K 0 0 100\nF 1 . 100 100 100\nE\n")
    sb.change_type(VIDEO)
    promise = sb.append_encoded_chunks(video_chunks(start_us=200_000, n=3, dur=100_000)
                                       + video_chunks(start_us=5_000_000, n=2, dur=100_000))
    assert outcome(p, promise) == ("fulfilled", "NoneType")
    frames = sb._track_buffers[1].frames
    ts = sb._track_buffers[1].timescale
    assert [f.pts * 1000 // ts for f in frames] == [0, 100, 200, 300, 400, 5000, 5100]
    assert [f.dts for f in frames] == sorted(f.dts for f in frames)
