"""msepy: Media Source Extensions in Python.

A sans-IO, exact implementation of the W3C Media Source Extensions algorithms.  The
objects are the spec's IDL in snake_case::

    from msepy import MediaSource, HTMLMediaElement, TaskQueue

    queue = TaskQueue()
    ms = MediaSource(queue=queue)
    video = HTMLMediaElement(queue=queue)
    video.src_object = ms
    queue.run_until_idle()                      # sourceopen
    sb = ms.add_source_buffer('video/mp4; codecs="avc1.64001f"')
    sb.append_buffer(init_and_media_bytes)
    queue.run_until_idle()                      # updatestart, update, updateend
    print(sb.buffered, video.ready_state)

"Queue a task" puts a task on the ``TaskQueue``; nothing runs until the host drains it.
"""

from .bytestream import DecoderConfig, ParseError, TrackInfo
from .element import HTMLMediaElement, MediaError
from .errors import (AbortError, DataCloneError, DOMException, InvalidStateError,
                     NotFoundError, NotSupportedError, QuotaExceededError)
from .events import Event, EventTarget, TaskQueue, TrackEvent
from .chunks import EncodedAudioChunk, EncodedVideoChunk
from .managed import BufferedChangeEvent, ManagedMediaSource, ManagedSourceBuffer
from .mediasource import MediaSource, SourceBufferList
from .sourcebuffer import SourceBuffer
from .timeranges import TimeRanges
from .tracks import (AudioTrack, AudioTrackList, TextTrack, TextTrackList, VideoTrack,
                     VideoTrackList)
from .webvtt import TextTrackCueList, VTTCue

__version__ = "0.1.0"

__all__ = [
    "MediaSource", "SourceBuffer", "SourceBufferList", "TimeRanges", "HTMLMediaElement",
    "MediaError", "AudioTrack", "VideoTrack", "TextTrack", "AudioTrackList",
    "VideoTrackList", "TextTrackList", "Event", "TrackEvent", "EventTarget", "TaskQueue",
    "DOMException", "InvalidStateError", "NotSupportedError", "QuotaExceededError",
    "NotFoundError", "AbortError", "DataCloneError", "ParseError", "DecoderConfig",
    "TrackInfo", "ManagedMediaSource", "ManagedSourceBuffer", "BufferedChangeEvent",
    "EncodedAudioChunk", "EncodedVideoChunk", "TextTrackCueList", "VTTCue",
]
