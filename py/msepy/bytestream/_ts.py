"""MPEG-2 systems syntax (ISO/IEC 13818-1) for the MPEG-2 TS parser (``mpegts``):
PSI sections (PAT 2.4.4.3, PMT 2.4.4.8) with their CRC_32 (Annex A), PES packet
headers (2.4.3.7) and the byte stream format's MPEG2TS_timestampOffset
(``Timeline``: 33-bit rollover, discontinuities).  Pure functions over bytes, and
one small state object; every malformed field raises ``ParseError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._types import ParseError

WRAP = 1 << 33
"""PTS/DTS are 33-bit counters of a 90 kHz clock."""
# stream_ids whose PES packets have no optional header, hence no PTS (Table 2-22).
_NO_PES_HEADER = frozenset({0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xF2, 0xF8, 0xFF})


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else c << 1
        table.append(c & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def crc32_mpeg2(data: bytes) -> int:
    """CRC_32 of Annex A (polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection):
    0 over a whole section, CRC_32 field included, when the section is intact."""
    c = 0xFFFFFFFF
    for b in data:
        c = ((c << 8) & 0xFFFFFFFF) ^ _CRC[(c >> 24) ^ b]
    return c


# -- PSI --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EsInfo:
    stream_type: int
    elementary_PID: int
    language: str = "und"


@dataclass(frozen=True, slots=True)
class Pmt:
    program_number: int
    version_number: int
    PCR_PID: int
    streams: tuple[EsInfo, ...]


def parse_pat(section: bytes) -> tuple[int, int] | None:
    """(program_number, program_map_PID) of the single program of a
    program_association_section; None when it is not current yet."""
    if section[0] != 0x00:
        raise ParseError(f"PAT: table_id 0x{section[0]:02x}, expected 0x00")
    if not section[5] & 1:                         # current_next_indicator
        return None
    programs = []
    for pos in range(8, len(section) - 4, 4):
        program_number = (section[pos] << 8) | section[pos + 1]
        pid = ((section[pos + 2] & 0x1F) << 8) | section[pos + 3]
        if program_number:                         # 0: network_PID
            programs.append((program_number, pid))
    if not programs:
        raise ParseError("PAT: no program")
    if len(programs) > 1:
        raise ParseError(f"PAT: {len(programs)} programs; the byte stream format allows one")
    return programs[0]


def parse_pmt(section: bytes) -> Pmt | None:
    """A TS_program_map_section; None when it is not current yet."""
    if section[0] != 0x02:
        raise ParseError(f"PMT: table_id 0x{section[0]:02x}, expected 0x02")
    if not section[5] & 1:
        return None
    if len(section) < 16:
        raise ParseError("PMT: truncated section")
    program_number = (section[3] << 8) | section[4]
    version_number = (section[5] >> 1) & 0x1F
    PCR_PID = ((section[8] & 0x1F) << 8) | section[9]
    program_info_length = ((section[10] & 0x0F) << 8) | section[11]
    pos, end = 12 + program_info_length, len(section) - 4
    streams = []
    while pos < end:
        if pos + 5 > end:
            raise ParseError("PMT: truncated elementary stream loop")
        stream_type = section[pos]
        pid = ((section[pos + 1] & 0x1F) << 8) | section[pos + 2]
        es_info_length = ((section[pos + 3] & 0x0F) << 8) | section[pos + 4]
        descriptors = section[pos + 5:pos + 5 + es_info_length]
        pos += 5 + es_info_length
        if pos > end:
            raise ParseError(f"PMT: ES_info_length {es_info_length} runs past the section")
        streams.append(EsInfo(stream_type, pid, _language(descriptors)))
    return Pmt(program_number, version_number, PCR_PID, tuple(streams))


def _language(descriptors: bytes) -> str:
    """ISO_639_language_descriptor (tag 10, 2.6.18): the first ISO_639_language_code."""
    pos = 0
    while pos + 2 <= len(descriptors):
        tag, length = descriptors[pos], descriptors[pos + 1]
        body = descriptors[pos + 2:pos + 2 + length]
        if tag == 0x0A and len(body) >= 3 and bytes(body[:3]).isalpha():
            return bytes(body[:3]).decode("ascii").lower()
        pos += 2 + length
    return "und"


# -- PES --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PesHeader:
    payload_offset: int
    """Bytes before PES_packet_data_byte (6 + 3 + PES_header_data_length)."""
    total: int | None
    """6 + PES_packet_length, or None when PES_packet_length is 0 (unbounded)."""
    pts: int
    dts: int | None


def parse_pes_header(head: bytes, pid: int) -> PesHeader | None:
    """The PES packet header (2.4.3.7) at ``head``; None if more bytes are needed."""
    if len(head) < 9:
        if len(head) >= 4 and head[3] in _NO_PES_HEADER:
            raise ParseError(f"PES (PID {pid}): stream_id 0x{head[3]:02x} carries no PTS")
        if bytes(head[:3]) != b"\x00\x00\x01"[:len(head)]:
            raise ParseError(f"PES (PID {pid}): no packet_start_code_prefix")
        return None
    if bytes(head[:3]) != b"\x00\x00\x01":
        raise ParseError(f"PES (PID {pid}): no packet_start_code_prefix")
    stream_id = head[3]
    PES_packet_length = (head[4] << 8) | head[5]
    if stream_id in _NO_PES_HEADER:
        raise ParseError(f"PES (PID {pid}): stream_id 0x{stream_id:02x} carries no PTS")
    if head[6] >> 6 != 2:
        raise ParseError(f"PES (PID {pid}): optional PES header does not start with '10'")
    PTS_DTS_flags = head[7] >> 6
    PES_header_data_length = head[8]
    offset = 9 + PES_header_data_length
    if len(head) < offset:
        return None
    if PTS_DTS_flags == 0:
        raise ParseError(f"PES (PID {pid}): PES packet without a PTS")
    if PTS_DTS_flags == 1:
        raise ParseError(f"PES (PID {pid}): forbidden PTS_DTS_flags '01'")
    if PES_header_data_length < (10 if PTS_DTS_flags == 3 else 5):
        raise ParseError(f"PES (PID {pid}): PES_header_data_length too short for PTS/DTS")
    pts = _timestamp(head[9:14], pid, "PTS")
    dts = _timestamp(head[14:19], pid, "DTS") if PTS_DTS_flags == 3 else None
    total = 6 + PES_packet_length if PES_packet_length else None
    if total is not None and total < offset:
        raise ParseError(f"PES (PID {pid}): PES_packet_length {PES_packet_length} shorter "
                         "than its header")
    return PesHeader(offset, total, pts, dts)


def _timestamp(b: bytes, pid: int, what: str) -> int:
    """A 33-bit PTS/DTS in five bytes, each part followed by a marker_bit."""
    if not (b[0] & b[2] & b[4] & 1):
        raise ParseError(f"PES (PID {pid}): {what} marker_bit not set")
    return (((b[0] >> 1) & 7) << 30) | (b[1] << 22) | ((b[2] >> 1) << 15) | (b[3] << 7) | (b[4] >> 1)


class Timeline:
    """MPEG2TS_timestampOffset: rollover unwrapping and discontinuity shifting."""

    __slots__ = ("offset", "previous", "discontinuity", "high")

    def __init__(self) -> None:
        self.offset = 0
        self.previous: int | None = None
        self.discontinuity = False
        self.high: int | None = None
        """The end (90 kHz) of the latest frame handed out: where a discontinuity goes."""

    def __repr__(self) -> str:
        return f"<timeline offset={self.offset} previous={self.previous} high={self.high}>"

    def unwrap(self, pts: int, dts: int | None) -> tuple[int, int]:
        """A PES's (pts, dts) on the continuous timeline (dts = pts when absent)."""
        if self.discontinuity and self.high is not None:
            self.offset = self.high - pts          # presentation continues where it was
            self.previous = self.high
        self.discontinuity = False
        out_dts = self._one(pts if dts is None else dts)
        return (out_dts if dts is None else self._one(pts)), out_dts

    def _one(self, raw: int) -> int:
        t = raw + self.offset
        if self.previous is not None:
            best = min((t, t - WRAP, t + WRAP), key=lambda c: abs(c - self.previous))
            self.offset += best - t
            t = best
        self.previous = t
        return t

    def note_end(self, end: int) -> None:
        if self.high is None or end > self.high:
            self.high = end
