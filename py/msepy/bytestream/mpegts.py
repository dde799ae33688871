"""MPEG-2 Transport Stream byte stream parser, ``video/mp2t`` (MSE "MPEG-2 TS Byte Stream
Format"; ISO/IEC 13818-1; byte-streams.md "MPEG-2 TS").

Theory of operation
-------------------
The input is read one 188-byte transport packet at a time (2.4.3.2).  A packet that
does not start with the sync byte 0x47 means the stream holds an incomplete packet
or lost its alignment: an append error, as is a set ``transport_error_indicator``.
Packets are routed by PID:

* PID 0 carries the PAT (2.4.4.3), the PMT PID it names carries the PMT (2.4.4.8).
  Sections are reassembled across packets (``pointer_field``), CRC_32-checked and
  parsed; a section repeated unchanged is ignored.  A PAT naming more than one
  program is an append error.  From the PMT the parser selects, as Chromium, the
  lowest-PID H.264 stream (stream_type 0x1B) and the lowest-PID audio stream (0x0F
  ADTS AAC, 0x03/0x04 MPEG-1/2 audio); other streams are ignored.
* A selected PID carries PES packets (2.4.3.6), reassembled from
  ``payload_unit_start_indicator`` to the next one (or to ``PES_packet_length``).
  A PES is joined into one buffer once (the single copy a payload interleaved with
  packet headers needs; a PES in one packet stays a view of the appended bytes).
  A PES without PTS, a PES cut short by the next one, one longer than its
  ``PES_packet_length``, or a ``continuity_counter`` gap inside a PES (lost packets)
  is an append error.  A packet repeating the last one's continuity_counter and
  payload is a duplicate (2.4.3.3) and is dropped.

Elementary streams (``_es``):

* H.264: a PES holds one access unit, or several separated by access unit
  delimiters.  The decoder configuration comes from the SPS (codec ``avc1.PPCCLL``,
  no ``description``: frames stay Annex B, WebCodecs ``avc: {format: "annexb"}``);
  a keyframe is an access unit whose first slice is IDR.  Access units before the
  first SPS are dropped (undecodable).  A frame's duration is the DTS step to the
  next PES of its PID, so an access unit is handed out when the next PES header
  arrives; the units of a PES after the first get evenly spaced decode times.
* Audio: ADTS / MPEG audio frames, which may straddle PES packets.  The first frame
  starting in a PES takes its PTS (2.7.4); the following ones follow it by their
  exact duration.  Audio tracks use the timescale lcm(90000, sample rate), so both
  are exact.

The initialization segment is the PAT and PMT; it is reported (``InitSegment``, Track
ID = PID) once every selected stream has a decoder configuration, i.e. after its
first SPS / audio frame (frames wait, at most ``MAX_HELD`` bytes), and again when a
track's description changes (new PMT, new SPS, new audio configuration).  A media
segment starts with the first frame after it and ends at the end of a ``parse`` that
leaves no partial packet (Chromium keeps it open until ``abort()``; ending it lets
``timestampOffset`` be set between appends, as the byte stream format expects).

Timestamps (the format's MPEG2TS_timestampOffset, ``_ts.Timeline``): 33-bit PTS/DTS
(90 kHz) are unwrapped to the representative nearest the previous timestamp, across
PIDs (a rollover adds 2^33, as Chromium's ``TimestampUnroller``).  After a
``discontinuity_indicator`` on the PCR PID (a system time-base discontinuity,
2.4.3.5) the offset is set so that the next PES's PTS is the presentation end of the
latest frame so far (video frames waiting for a duration get their last one).  A
jump without that flag is kept (as Chromium): an app appending a segment from
elsewhere in the timeline means it.  The offset is reset by ``reset()`` (abort) and
``timestamp_offset_set()``.

Not enforced: the presence of a PCR before media data (Chromium does not check it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

from . import _es
from ._driver import StreamingParser
from ._input import InputBuffer
from ._ts import (PesHeader, Pmt, Timeline, crc32_mpeg2, parse_pat, parse_pes_header,
                  parse_pmt)
from ._types import (CodedFrame, CodedFrames, DecoderConfig, InitSegment, MediaSegmentEnd,
                     MediaSegmentStart, ParseError, SegmentEvent, TrackInfo)

PACKET_SIZE = 188
SYNC_BYTE = 0x47
MAX_PES = 32 << 20
"""Largest PES accepted (a whole access unit is buffered)."""
MAX_HELD = 16 << 20
"""Frame bytes held while waiting for every selected stream's decoder configuration."""
MAX_WITHOUT_PSI = 8 << 20
"""Bytes accepted before a PAT and PMT have been seen."""
MAX_STEP = 10 * 90000
"""A DTS step beyond this (or not positive) is not a frame duration."""
DEFAULT_DURATION = 3000
"""A video frame duration when none can be measured (1/30 s)."""

_VIDEO_TYPES = {0x1B: "h264"}
_AUDIO_TYPES = {0x0F: "adts", 0x03: "mpeg", 0x04: "mpeg"}


@dataclass(eq=False)
class _Stream:
    """A selected elementary stream: PES reassembly and elementary stream state."""

    pid: int
    stream_type: int
    kind: str
    language: str
    config: DecoderConfig | None = None
    sps: bytes | None = None
    pieces: list[memoryview] = field(default_factory=list)
    size: int = 0
    header: PesHeader | None = None
    times: tuple[int, int] | None = None
    """The current PES's unwrapped (pts, dts)."""
    cc: int | None = None
    last_payload: memoryview | None = None
    pending: tuple[int, int, list] | None = None
    """Video: (pts, dts, [(data, is_rap, config)]) of the last PES, waiting for the
    next DTS (its duration)."""
    last_duration: int = DEFAULT_DURATION
    carry: bytes = b""
    """Audio: the start of a frame that continues in the next PES."""
    next_pts: tuple[int, int] | None = None
    """Audio: (ticks, timescale) where the next frame starts."""

    def __repr__(self) -> str:
        return (f"<stream PID {self.pid} type 0x{self.stream_type:02x} "
                f"{self.config.codec if self.config else '?'} pes {self.size}B>")

    def clear(self) -> None:
        self.pieces, self.size, self.header, self.times = [], 0, None, None
        self.cc, self.pending, self.carry, self.next_pts = None, None, b"", None
        self.last_payload = None


def audio_timescale(config: DecoderConfig) -> int:
    return math.lcm(90000, config.sample_rate or 90000)


class MpegTsParser(StreamingParser):
    """The ``ByteStreamParser`` for ``video/mp2t``."""

    generate_timestamps = False

    def __init__(self) -> None:
        self._pmt_pid: int | None = None
        self._program_number: int | None = None
        self._pmt: Pmt | None = None
        self._streams: dict[int, _Stream] = {}
        self._sent: tuple[TrackInfo, ...] | None = None
        self._last_sections: dict[int, bytes] = {}
        self.reset()

    def __repr__(self) -> str:
        return (f"<MpegTsParser PMT PID {self._pmt_pid} streams {list(self._streams.values())} "
                f"{self._timeline!r} {self._buf!r}>")

    def reset(self) -> None:
        """Reset parser state: drop buffered bytes, partial sections and PES packets,
        frames not yet handed out, and MPEG2TS_timestampOffset.  The PAT/PMT and
        decoder configurations are kept."""
        self._buf = InputBuffer()
        self._sections: dict[int, bytearray] = {}
        for stream in self._streams.values():
            stream.clear()
        self._timeline = Timeline()
        self._ready: list[tuple[_Stream, DecoderConfig, CodedFrame]] = []
        self._ready_bytes = 0
        self._out: list[SegmentEvent | CodedFrame] = []
        self._in_segment = False
        self._without_psi = 0
        self._error: ParseError | None = None

    def timestamp_offset_set(self) -> None:
        """``timestampOffset`` was set: MPEG2TS_timestampOffset becomes 0."""
        self._timeline = Timeline()

    def _format_name(self) -> str:
        return "MPEG-2 TS"

    def _events(self, frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        # Frames go out through self._out / _flush_out (held back per PES), not `frames`.
        buf = self._buf
        while True:
            packet = buf.peek(PACKET_SIZE)
            if packet is None:
                break
            self._packet(packet)
            buf.skip(PACKET_SIZE)
            if self._out:
                yield from self._flush_out()
        if self._in_segment and not len(buf):
            self._in_segment = False
            yield MediaSegmentEnd()

    def _flush_out(self) -> Iterator[SegmentEvent]:
        frames: list[CodedFrame] = []
        for item in self._out:
            if type(item) is CodedFrame:
                frames.append(item)
                continue
            if frames:
                yield CodedFrames(frames)
                frames = []
            yield item
        if frames:
            yield CodedFrames(frames)
        self._out.clear()

    # -- transport packets ----------------------------------------------------------

    def _packet(self, p: memoryview) -> None:
        """One transport_packet (2.4.3.2) and its adaptation_field (2.4.3.4)."""
        if p[0] != SYNC_BYTE:
            raise ParseError(f"TS packet at stream offset {self._buf.consumed}: sync_byte "
                             f"0x{p[0]:02x}, expected 0x47 (incomplete or misaligned packet)")
        if p[1] & 0x80:
            raise ParseError(f"TS packet at stream offset {self._buf.consumed}: "
                             "transport_error_indicator is set")
        pusi = bool(p[1] & 0x40)
        pid = ((p[1] & 0x1F) << 8) | p[2]
        if pid == 0x1FFF:                          # null packet
            return
        scrambling, afc, cc = p[3] >> 6, (p[3] >> 4) & 3, p[3] & 0xF
        if afc == 0:
            raise ParseError(f"TS packet (PID {pid}): reserved adaptation_field_control '00'")
        pos, discontinuity = 4, False
        if afc & 2:
            length = p[4]
            pos = 5 + length
            if pos > PACKET_SIZE:
                raise ParseError(f"TS packet (PID {pid}): adaptation_field_length {length} "
                                 "runs past the packet")
            discontinuity = bool(length and p[5] & 0x80)
        payload = p[pos:] if afc & 1 else p[PACKET_SIZE:]
        if self._pmt is None:
            self._without_psi += PACKET_SIZE
            if self._without_psi > MAX_WITHOUT_PSI:
                raise ParseError(f"MPEG-2 TS: no {'PMT' if self._pmt_pid is not None else 'PAT'} "
                                 f"in the first {MAX_WITHOUT_PSI >> 20} MiB: the "
                                 "initialization segment is missing")
        elif discontinuity and pid == self._pmt.PCR_PID:
            self._timeline.discontinuity = True    # system time-base discontinuity
        if pid == 0 or pid == self._pmt_pid:
            if scrambling:
                raise ParseError(f"PSI (PID {pid}): scrambled")
            if afc & 1:
                self._psi(pid, pusi, payload)
            return
        stream = self._streams.get(pid)
        if stream is None:
            return
        if scrambling:
            raise ParseError(f"PES (PID {pid}): transport_scrambling_control is set "
                             "(encrypted streams are not supported)")
        if afc & 1:
            self._pes_packet(stream, pusi, payload, cc, discontinuity)

    # -- PSI sections ------------------------------------------------------------------

    def _psi(self, pid: int, pusi: bool, payload: memoryview) -> None:
        """Reassemble PSI sections (2.4.4.1-2): a new section starts after the
        pointer_field, whose bytes end the previous one."""
        section = self._sections.get(pid)
        if pusi:
            if not payload or 1 + payload[0] > len(payload):
                raise ParseError(f"PSI (PID {pid}): pointer_field runs past the packet")
            pointer = payload[0]
            if section is not None and len(section):
                section += payload[1:1 + pointer]
                self._sections_complete(pid, section, final=True)
            section = self._sections[pid] = bytearray(payload[1 + pointer:])
        elif section is None:
            return                                 # the middle of a section we missed
        else:
            section += payload
        self._sections_complete(pid, section, final=False)

    def _sections_complete(self, pid: int, section: bytearray, final: bool) -> None:
        while section:
            if section[0] == 0xFF:                 # stuffing until the next section
                section.clear()
                return
            if len(section) < 3:
                break
            section_length = ((section[1] & 0x0F) << 8) | section[2]
            if section_length > 1021:
                raise ParseError(f"PSI (PID {pid}): section_length {section_length} > 1021")
            total = 3 + section_length
            if len(section) < total:
                break
            self._section(pid, bytes(section[:total]))
            del section[:total]
        if final and section:
            raise ParseError(f"PSI (PID {pid}): incomplete section before the next one")

    def _section(self, pid: int, section: bytes) -> None:
        if self._last_sections.get(pid) == section:
            return                                 # repeated unchanged PSI: ignored
        if len(section) < 12 or not section[1] & 0x80:
            raise ParseError(f"PSI (PID {pid}): not a long-form section")
        if crc32_mpeg2(section):
            raise ParseError(f"PSI (PID {pid}): CRC_32 mismatch")
        if pid == 0:
            program = parse_pat(section)
            if program is None:
                return
            if program != (self._program_number, self._pmt_pid):
                self._program_number, self._pmt_pid = program
                self._pmt = None
                self._last_sections.pop(program[1], None)
        else:
            if section[0] != 0x02:
                return                             # another table on the PMT PID
            pmt = parse_pmt(section)
            if pmt is None:
                return
            if pmt.program_number != self._program_number:
                raise ParseError(f"PMT: program_number {pmt.program_number}, the PAT "
                                 f"names {self._program_number}")
            self._select_streams(pmt)
        self._last_sections[pid] = section

    def _select_streams(self, pmt: Pmt) -> None:
        """The lowest-PID video and audio streams msepy can play (Chromium's rule)."""
        video = [s for s in pmt.streams if s.stream_type in _VIDEO_TYPES]
        audio = [s for s in pmt.streams if s.stream_type in _AUDIO_TYPES]
        chosen = [min(group, key=lambda s: s.elementary_PID) for group in (video, audio) if group]
        if not chosen:
            types = ", ".join(f"0x{s.stream_type:02x}" for s in pmt.streams) or "none"
            raise ParseError(f"PMT: no H.264, ADTS AAC or MPEG audio stream (stream_types: {types})")
        streams = {}
        for info in sorted(chosen, key=lambda s: s.elementary_PID):
            old = self._streams.get(info.elementary_PID)
            if old is not None and old.stream_type == info.stream_type:
                old.language = info.language
                streams[info.elementary_PID] = old
            else:
                kind = "video" if info.stream_type in _VIDEO_TYPES else "audio"
                streams[info.elementary_PID] = _Stream(info.elementary_PID, info.stream_type,
                                                       kind, info.language)
        self._streams = streams
        self._pmt = pmt

    # -- PES packets ---------------------------------------------------------------------

    def _pes_packet(self, s: _Stream, pusi: bool, payload: memoryview, cc: int,
                    discontinuity: bool) -> None:
        if s.cc is not None:
            if cc == s.cc and not discontinuity and payload == s.last_payload:
                return                             # duplicate packet (2.4.3.3)
            if cc != (s.cc + 1) & 0xF and not discontinuity and not pusi and s.pieces:
                raise ParseError(f"PES (PID {s.pid}): continuity_counter jumps from {s.cc} "
                                 f"to {cc} inside a PES packet (lost TS packets)")
        s.cc, s.last_payload = cc, payload
        if pusi:
            if s.pieces:
                self._pes_complete(s)
            s.pieces, s.size, s.header = [payload], len(payload), None
        elif not s.pieces:
            return                                 # no PES start seen (yet)
        else:
            s.pieces.append(payload)
            s.size += len(payload)
            if s.size > MAX_PES:
                raise ParseError(f"PES (PID {s.pid}): larger than {MAX_PES >> 20} MiB")
        if s.header is None:
            head = s.pieces[0] if len(s.pieces) == 1 else memoryview(b"".join(s.pieces[:8]))
            s.header = parse_pes_header(head[:264], s.pid)
            if s.header is None:
                return
            self._pes_start(s)
        total = s.header.total
        if total is not None:
            if s.size > total:
                raise ParseError(f"PES (PID {s.pid}): {s.size} bytes, more than its "
                                 f"PES_packet_length announces ({total})")
            if s.size == total:
                self._pes_complete(s)

    def _pes_start(self, s: _Stream) -> None:
        header = s.header
        assert header is not None
        timeline = self._timeline
        if timeline.discontinuity:                 # frames before it end where they are
            for other in self._streams.values():
                if other.pending:
                    self._release_video(other, None)
        s.times = timeline.unwrap(header.pts, header.dts)
        if s.kind == "video" and s.pending:
            self._release_video(s, s.times[1])

    def _pes_complete(self, s: _Stream) -> None:
        header, pieces, size = s.header, s.pieces, s.size
        s.pieces, s.size, s.header = [], 0, None
        if header is None:
            raise ParseError(f"PES (PID {s.pid}): incomplete PES header")
        if header.total is not None and size < header.total:
            raise ParseError(f"PES (PID {s.pid}): incomplete PES packet ({size} of "
                             f"{header.total} bytes)")
        assert s.times is not None
        if s.kind == "video":                      # bytes.find wants bytes: join always
            self._video_pes(s, b"".join(pieces), header.payload_offset, *s.times)
        else:
            data = pieces[0] if len(pieces) == 1 else memoryview(b"".join(pieces))
            self._audio_pes(s, data[header.payload_offset:], s.times[0])

    # -- H.264 ---------------------------------------------------------------------------

    def _video_pes(self, s: _Stream, data: bytes, offset: int, pts: int, dts: int) -> None:
        """The access units of a PES (``data[offset:]``), held until the next DTS."""
        view = memoryview(data)
        nals = _es.nal_units(data, offset)
        units = []
        for start, end in _es.access_units(data, nals, offset):
            for begin, header in nals:
                if start <= header < end and data[header] & 0x1F == _es.NAL_SPS:
                    stop = next((b for b, h in nals if h > header), end)
                    sps = data[header:min(stop, end)].rstrip(b"\x00")
                    if sps != s.sps:
                        s.config, s.sps = _es.avc_config_from_sps(sps), sps
            if s.config is None:
                continue                           # before the first SPS: undecodable
            units.append((view[start:end], _es.annexb_keyframe(data, nals, start, end), s.config))
        if units:
            s.pending = (pts, dts, units)

    def _release_video(self, s: _Stream, next_dts: int | None) -> None:
        """Hand out the access units of the last PES, now that the next DTS (and so
        their duration) is known; None: use the last known frame duration."""
        assert s.pending is not None
        pts, dts, units = s.pending
        s.pending = None
        n = len(units)
        span = None if next_dts is None else next_dts - dts
        if span is None or not 0 < span <= MAX_STEP:
            span = n * s.last_duration
        s.last_duration = max(1, span // n)
        for i, (data, is_rap, config) in enumerate(units):
            start, end = dts + span * i // n, dts + span * (i + 1) // n
            frame_pts = pts if i == 0 else start + (pts - dts)
            self._timeline.note_end(frame_pts + end - start)
            self._queue(s, config, CodedFrame(s.pid, frame_pts, start, end - start, is_rap, data))

    # -- audio ---------------------------------------------------------------------------

    def _audio_pes(self, s: _Stream, payload: memoryview, pts90: int) -> None:
        adts = _AUDIO_TYPES[s.stream_type] == "adts"
        parse = _es.adts_header if adts else _es.mpeg_audio_header
        min_header = _es.ADTS_MIN_HEADER_SIZE if adts else _es.MPEG_AUDIO_HEADER_SIZE
        carried = len(s.carry)
        data = memoryview(s.carry + bytes(payload)) if carried else payload
        pes_pts_used = False
        pos = 0
        while len(data) - pos >= min_header:
            header = parse(data[pos:pos + 9])
            if isinstance(header, str):
                pos = _resync(data, pos + 1, parse, min_header)
                continue
            if pos + header.frame_size > len(data):
                break
            frame = data[pos:pos + header.frame_size]
            starts_here = pos >= carried
            pos += header.frame_size
            config = header.config
            ts = audio_timescale(config)
            if starts_here and not pes_pts_used:
                pes_pts_used = True
                start = pts90 * (ts // 90000)
            elif s.next_pts is not None:
                ticks, old_ts = s.next_pts
                start = ticks * ts // old_ts
            else:
                continue                           # its PES was not seen: no time
            duration = header.samples * (ts // config.sample_rate)
            s.next_pts = (start + duration, ts)
            if not adts and _es.is_vbr_info_frame(frame):
                continue
            s.config = config
            self._timeline.note_end((start + duration) * 90000 // ts)
            self._queue(s, config, CodedFrame(s.pid, start, start, duration, True,
                                              frame[header.data_offset:]))
        s.carry = bytes(data[pos:])

    # -- initialization segments and the output ------------------------------------------

    def _queue(self, s: _Stream, config: DecoderConfig, frame: CodedFrame) -> None:
        self._ready.append((s, config, frame))
        self._ready_bytes += len(frame.data)
        self._release()

    def _release(self) -> None:
        """Hand out ready frames in order, each after the initialization segment that
        describes it; wait while a selected stream has no decoder configuration."""
        ready, out = self._ready, self._out
        done = 0
        for s, config, frame in ready:
            if self._streams.get(s.pid) is not s:
                done += 1                          # its stream left the PMT
                continue
            if not self._described(s, config):
                tracks = self._tracks(s, config)
                if tracks is None:
                    break
                if self._in_segment:
                    self._in_segment = False
                    out.append(MediaSegmentEnd())
                out.append(InitSegment(tracks=tracks, duration=None))
                self._sent = tracks
            if not self._in_segment:
                self._in_segment = True
                out.append(MediaSegmentStart())
            out.append(frame)
            self._ready_bytes -= len(frame.data)
            done += 1
        del ready[:done]
        if ready and self._ready_bytes > MAX_HELD:
            missing = [f"PID {s.pid}" for s in self._streams.values() if s.config is None]
            raise ParseError(f"MPEG-2 TS: no decoder configuration (SPS / audio frame) for "
                             f"{', '.join(missing) or 'a stream'} after {MAX_HELD >> 20} MiB "
                             "of frames: cannot report the initialization segment")

    def _described(self, s: _Stream, config: DecoderConfig) -> bool:
        sent = self._sent
        if sent is None or len(sent) != len(self._streams):
            return False
        for info in sent:
            stream = self._streams.get(info.track_id)
            if stream is None or info.language != stream.language:
                return False
            if stream is s and info.config != config:
                return False
        return True

    def _tracks(self, s: _Stream, config: DecoderConfig) -> tuple[TrackInfo, ...] | None:
        """The tracks of a new initialization segment: ``s`` with ``config``, the other
        streams as last reported (else their current configuration)."""
        sent = {info.track_id: info.config for info in self._sent or ()}
        tracks = []
        for stream in self._streams.values():
            cfg = config if stream is s else sent.get(stream.pid) or stream.config
            if cfg is None:
                return None
            timescale = 90000 if stream.kind == "video" else audio_timescale(cfg)
            tracks.append(TrackInfo(track_id=stream.pid, kind=stream.kind, codec=cfg.codec,
                                    timescale=timescale, config=cfg,
                                    language=stream.language))
        return tuple(tracks)


def _resync(data: memoryview, pos: int, parse, min_header: int) -> int:
    """The next position at or after ``pos`` holding a valid audio frame header that
    the following header confirms (or whose frame runs to the end of the data);
    ``len(data)`` when there is none.  A header cut by the end of the data is kept."""
    n = len(data)
    while pos < n:
        if data[pos] == 0xFF:
            if n - pos < min_header:
                return pos
            header = parse(data[pos:pos + 9])
            if not isinstance(header, str):
                after = pos + header.frame_size
                if after >= n or n - after < min_header or \
                        not isinstance(parse(data[after:after + 9]), str):
                    return pos
        pos += 1
    return n
