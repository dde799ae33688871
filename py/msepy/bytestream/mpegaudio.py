"""MPEG audio byte stream parser: ``audio/mpeg`` (MP3, MPEG-1/2/2.5 Layers I-III) and
``audio/aac`` (ADTS) (MSE "MPEG Audio Byte Stream Format"; byte-streams.md).

Theory of operation
-------------------
The stream is a sequence of frames, with metadata blocks between them.  At each step
the parser looks at the first four bytes (as Chromium's ``MPEGAudioStreamParserBase``):

* a frame sync (11 bits for MPEG audio, the 12-bit syncword for ADTS): the frame
  header is parsed and, once the whole frame has arrived, the frame is handed out as
  a zero-copy slice of the appended bytes (``CodedFrames``).  A sync whose header
  fields are invalid is an append error (Chromium: ``ParseFrame`` fails);
* ``"ICY "``: an Icecast/SHOUTcast response header, up to the blank line (at most
  4096 bytes, else an append error);
* ``"TAG"``: an ID3v1 tag (128 bytes; 227 for ``"TAG+"``, the extended tag);
* ``"ID3"``: an ID3v2 tag: 10-byte header, syncsafe size (a byte with its top bit
  set is an append error), plus a 10-byte footer when the footer flag is set.
  The tag is skipped as it arrives, never buffered;
* anything else is garbage: the parser resynchronises on the first 0xFF that starts
  three consecutive valid frame headers (Chromium's ``FindNextValidStartCode``).
  Bytes before a candidate that cannot be confirmed yet are dropped; the candidate
  waits for more data.

"Each frame header acts as its initialization segment": the first frame, and every
frame whose decoder configuration (codec string, sample rate, channel count; for AAC
the AudioSpecificConfig) differs from the last one, is preceded by an ``InitSegment``
with one audio track, Track ID 1, timescale = the sample rate, no duration.  A
Layer III frame carrying a Xing/Info/VBRI tag counts for the configuration but is not
handed out (it decodes to silence).

Frames: every frame is a random access point; ``pts = dts`` = samples counted since
the stream (or the last ``reset``) began - informative only, as the byte stream sets
the generate timestamps flag and the engine stamps the frames itself; ``duration`` is
exact (384/1152/576 samples for MPEG audio, 1024 per ADTS raw_data_block).
MPEG audio frames keep their header (the decoder reads it; codec ``mp3`` for Layer
III, ``mp4a.6B``/``mp4a.69`` for Layers I/II of MPEG-1 / MPEG-2 and 2.5).  ADTS frames
are handed out without the ADTS header: ``description`` is the AudioSpecificConfig
built from it, as WebCodecs' ``aac`` format wants.

Media segments (Chromium's choice): a run of frames is one media segment; it ends at
a metadata block, before a new initialization segment, and at the end of each
``parse`` unless a frame is still incomplete.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable, Iterator

from . import _es
from ._driver import StreamingParser
from ._input import InputBuffer
from ._types import (CodedFrame, DecoderConfig, InitSegment, MediaSegmentEnd,
                     MediaSegmentStart, ParseError, SegmentEvent, TrackInfo)

TRACK_ID = 1
MAX_ICY_HEADER = 4096
"""Chromium's bound on an Icecast header (``kMaxIcecastHeaderSize``)."""
RESYNC_WINDOW = 32 << 10
"""Bytes searched at once for three consecutive frames (3 of the largest frames fit)."""
_FRAMES_TO_CONFIRM = 3
_END_OF_HEADERS = re.compile(rb"\n\r?\n")


class _Format:
    """What differs between MP3 and ADTS."""

    def __init__(self, name: str, is_sync: Callable, header: Callable, min_header: int,
                 skip_vbr_info: bool) -> None:
        self.name, self.is_sync, self.header = name, is_sync, header
        self.min_header, self.skip_vbr_info = min_header, skip_vbr_info


MPEG_AUDIO = _Format("MPEG audio", _es.is_mpeg_audio_sync, _es.mpeg_audio_header,
                     _es.MPEG_AUDIO_HEADER_SIZE, True)
ADTS = _Format("ADTS", _es.is_adts_sync, _es.adts_header, _es.ADTS_MIN_HEADER_SIZE, False)


class MpegAudioParser(StreamingParser):
    """The ``ByteStreamParser`` for ``audio/mpeg`` (``adts=False``) and ``audio/aac``
    (``adts=True``)."""

    generate_timestamps = True

    def __init__(self, adts: bool = False) -> None:
        self._format = ADTS if adts else MPEG_AUDIO
        self._config: DecoderConfig | None = None
        self.reset()

    def __repr__(self) -> str:
        where = "in segment" if self._in_segment else "between segments"
        return (f"<MpegAudioParser {self._format.name} {where} "
                f"t={self._elapsed} {self._buf!r}>")

    def reset(self) -> None:
        """Drop buffered bytes; the next frame starts a new media segment.  The last
        configuration is kept (no new initialization segment unless it changes)."""
        self._buf = InputBuffer()
        self._skip = 0
        self._in_segment = False
        self._resync = False
        self._elapsed = 0
        """Samples since the start (in the current sample rate): the next frame's pts."""
        self._error: ParseError | None = None

    def _format_name(self) -> str:
        return self._format.name

    # -- the loop -------------------------------------------------------------------

    def _events(self, frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        buf, fmt = self._buf, self._format
        partial_frame = False
        while True:
            if self._skip:
                n = min(self._skip, len(buf))
                buf.skip(n)
                self._skip -= n
                if self._skip:
                    break
            head = buf.peek_upto(10)
            if len(head) < 4:                      # Chromium needs 4 bytes to decide
                break
            if fmt.is_sync(head) and not self._resync:
                frame = self._frame(head)
                if frame is None:
                    partial_frame = True
                    break
                yield from self._deliver(frame, frames)
                continue
            lead = bytes(head[:4])
            if lead == b"ICY ":
                if not self._icy_header():
                    break
            elif lead[:3] == b"TAG":               # ID3v1 (Chromium: 'TAG' + any byte)
                self._skip = 227 if lead == b"TAG+" else 128
            elif lead[:3] == b"ID3":
                if len(head) < 10:
                    break
                self._skip = _id3v2_size(head)
            elif not self._find_sync():
                break
            else:
                continue
            if self._in_segment:                   # metadata ends the media segment
                self._in_segment = False
                yield MediaSegmentEnd()
        if self._in_segment and not partial_frame:
            self._in_segment = False
            yield MediaSegmentEnd()

    def _frame(self, head: memoryview) -> tuple[_es.AudioFrame, memoryview] | None:
        """The frame at the front of the input, consumed; None if incomplete."""
        fmt = self._format
        if len(head) < fmt.min_header:
            return None
        if fmt is ADTS and not head[1] & 1 and len(head) < 9:
            return None                            # protection_absent 0: CRC follows
        header = fmt.header(head)
        if isinstance(header, str):
            raise ParseError(f"{fmt.name}: invalid frame header at stream offset "
                             f"{self._buf.consumed}: {header}")
        data = self._buf.take(header.frame_size)
        if data is None:
            return None
        return header, data

    def _deliver(self, frame: tuple[_es.AudioFrame, memoryview],
                 frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        header, data = frame
        config = header.config
        if config != self._config:
            if self._in_segment:
                self._in_segment = False
                yield MediaSegmentEnd()
            if self._config is not None and config.sample_rate != self._config.sample_rate:
                self._elapsed = _rescale(self._elapsed, self._config.sample_rate,
                                         config.sample_rate)
            self._config = config
            yield InitSegment(tracks=(TrackInfo(
                track_id=TRACK_ID, kind="audio", codec=config.codec,
                timescale=config.sample_rate, config=config),), duration=None)
        if self._format.skip_vbr_info and _es.is_vbr_info_frame(data):
            return
        if not self._in_segment:
            self._in_segment = True
            yield MediaSegmentStart()
        frames.append(CodedFrame(TRACK_ID, self._elapsed, self._elapsed, header.samples,
                                 True, data[header.data_offset:]))
        self._elapsed += header.samples

    def _icy_header(self) -> bool:
        """Consume an Icecast header up to its blank line; False: need more data."""
        view = self._buf.peek_upto(MAX_ICY_HEADER)
        end = _END_OF_HEADERS.search(bytes(view), 4)
        if end is None:
            if len(view) >= MAX_ICY_HEADER:
                raise ParseError(f"ICY: Icecast header longer than {MAX_ICY_HEADER} bytes")
            return False
        self._buf.skip(end.end())
        return True

    def _find_sync(self) -> bool:
        """Garbage at the front: drop it up to the first 0xFF that starts
        ``_FRAMES_TO_CONFIRM`` valid frame headers in a row.  Returns whether it made
        progress (dropped bytes, or confirmed the frame now at the front); False:
        the candidate at the front needs more data to be confirmed or refuted."""
        buf = self._buf
        window = bytes(buf.peek_upto(RESYNC_WINDOW))
        start = 0
        while True:
            candidate = window.find(b"\xff", start)
            if candidate < 0:
                buf.skip(len(window))              # no candidate at all: all garbage
                self._resync = True
                return True
            verdict = self._confirm(window, candidate)
            if verdict is None:                    # needs more data
                buf.skip(candidate)
                self._resync = True
                return candidate > 0
            if verdict:
                buf.skip(candidate)
                self._resync = False
                return True
            start = candidate + 1

    def _confirm(self, window: bytes, pos: int) -> bool | None:
        """Do ``_FRAMES_TO_CONFIRM`` valid headers follow each other from ``pos``?
        None: the window ends first (Chromium also wants the byte after the last)."""
        fmt = self._format
        for _ in range(_FRAMES_TO_CONFIRM):
            if len(window) - pos < fmt.min_header:
                return None
            header = fmt.header(window[pos:pos + 9])
            if isinstance(header, str):
                return False
            pos += header.frame_size
            if pos >= len(window):                 # a window from the candidate on
                return None                        # always holds 3 frames (< 24 KiB)
        return True


def _id3v2_size(head: memoryview) -> int:
    """Bytes of the ID3v2 tag starting at ``head`` (ID3v2.4 3.1: syncsafe size of
    the tag after the header; a footer adds 10 bytes)."""
    flags = head[5]
    size = 0
    for b in head[6:10]:
        if b & 0x80:
            raise ParseError("ID3v2: tag size is not a syncsafe integer")
        size = (size << 7) | b
    return 10 + size + (10 if flags & 0x10 else 0)


def _rescale(samples: int, old_rate: int | None, new_rate: int | None) -> int:
    if not old_rate or not new_rate:
        return samples
    return int(Fraction(samples * new_rate, old_rate))
