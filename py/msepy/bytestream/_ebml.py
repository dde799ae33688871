"""EBML (RFC 8794) and the Matroska elements WebM uses, read like the specs name them.

Theory of operation
-------------------
An EBML element is ``ID | DataSize | Data``.  Both ID and DataSize are *variable-size
integers* (VINT, RFC 8794 §4): the count of leading zero bits of the first byte, plus
one, is the VINT_WIDTH in bytes (1..8); the remaining bits are VINT_DATA.  An Element
ID keeps its marker bits (``0x1A45DFA3``) and is at most 4 bytes in Matroska
(EBMLMaxIDLength); a DataSize drops them, and a DataSize whose VINT_DATA bits are all
ones means *unknown size* (RFC 8794 §6.2: only Segment and Cluster use it in WebM).

``ELEMENTS`` maps an ID to its Matroska name and type; ``read_master`` decodes a whole,
already buffered master element (EBML header, Info, Tracks, BlockGroup) into a dict of
lists keyed by those names, skipping IDs it does not know (Matroska readers must).
``read_header`` reads one element header from the start of an ``InputBuffer`` without
consuming it, peeking only the header's own bytes so payloads stay zero-copy.
``read_block`` splits a (Simple)Block into its frames, undoing the three lacings.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ._input import InputBuffer
from ._types import ParseError

MAX_ELEMENT_SIZE = 64 << 20
"""Largest non-media element (EBML header, Info, Tracks, anything skipped) accepted."""
MAX_BLOCK_SIZE = 256 << 20
"""Largest SimpleBlock / BlockGroup: bigger than any frame the engine could buffer
(Chromium's default video budget is 150 MiB), so waiting for it would be forever."""
MAX_DEPTH = 8
"""Deepest master nesting ``read_master`` descends (Matroska needs 5 for Tracks)."""

MASTER, UINT, INT, FLOAT, STRING, UTF8, BINARY, DATE = (
    "master", "uint", "int", "float", "string", "utf-8", "binary", "date")


@dataclass(frozen=True, slots=True)
class Element:
    name: str
    type: str


def _table(*rows: tuple[int, str, str]) -> dict[int, Element]:
    return {eid: Element(name, type_) for eid, name, type_ in rows}


# The elements msepy reads (Matroska spec / RFC 9559 names).  Everything else is skipped.
ELEMENTS: dict[int, Element] = _table(
    # EBML header (RFC 8794 §11.2) and the global elements
    (0x1A45DFA3, "EBML", MASTER),
    (0x4286, "EBMLVersion", UINT), (0x42F7, "EBMLReadVersion", UINT),
    (0x42F2, "EBMLMaxIDLength", UINT), (0x42F3, "EBMLMaxSizeLength", UINT),
    (0x4282, "DocType", STRING), (0x4287, "DocTypeVersion", UINT),
    (0x4285, "DocTypeReadVersion", UINT),
    (0xEC, "Void", BINARY), (0xBF, "CRC-32", BINARY),
    # Segment and its top-level children
    (0x18538067, "Segment", MASTER),
    (0x114D9B74, "SeekHead", MASTER), (0x1549A966, "Info", MASTER),
    (0x1F43B675, "Cluster", MASTER), (0x1654AE6B, "Tracks", MASTER),
    (0x1C53BB6B, "Cues", MASTER), (0x1941A469, "Attachments", MASTER),
    (0x1043A770, "Chapters", MASTER), (0x1254C367, "Tags", MASTER),
    # Info
    (0x2AD7B1, "TimestampScale", UINT), (0x4489, "Duration", FLOAT),
    (0x7BA9, "Title", UTF8), (0x4D80, "MuxingApp", UTF8), (0x5741, "WritingApp", UTF8),
    # Cluster
    (0xE7, "Timestamp", UINT), (0xA7, "Position", UINT), (0xAB, "PrevSize", UINT),
    (0xA3, "SimpleBlock", BINARY), (0xA0, "BlockGroup", MASTER),
    (0xAF, "EncryptedBlock", BINARY),
    # BlockGroup
    (0xA1, "Block", BINARY), (0x9B, "BlockDuration", UINT),
    (0xFB, "ReferenceBlock", INT), (0x75A2, "DiscardPadding", INT),
    (0x75A1, "BlockAdditions", MASTER), (0xA6, "BlockMore", MASTER),
    (0xEE, "BlockAddID", UINT), (0xA5, "BlockAdditional", BINARY),
    # Tracks
    (0xAE, "TrackEntry", MASTER),
    (0xD7, "TrackNumber", UINT), (0x73C5, "TrackUID", UINT), (0x83, "TrackType", UINT),
    (0xB9, "FlagEnabled", UINT), (0x88, "FlagDefault", UINT), (0x55AA, "FlagForced", UINT),
    (0x9C, "FlagLacing", UINT), (0x23E383, "DefaultDuration", UINT),
    (0x536E, "Name", UTF8), (0x22B59C, "Language", STRING),
    (0x22B59D, "LanguageBCP47", STRING),
    (0x86, "CodecID", STRING), (0x63A2, "CodecPrivate", BINARY),
    (0x258688, "CodecName", UTF8),
    (0x56AA, "CodecDelay", UINT), (0x56BB, "SeekPreRoll", UINT),
    (0xE0, "Video", MASTER),
    (0xB0, "PixelWidth", UINT), (0xBA, "PixelHeight", UINT),
    (0x54B0, "DisplayWidth", UINT), (0x54BA, "DisplayHeight", UINT),
    (0x54B2, "DisplayUnit", UINT),
    (0x55B0, "Colour", MASTER), (0x55B2, "BitsPerChannel", UINT),
    (0x55B3, "ChromaSubsamplingHorz", UINT), (0x55B4, "ChromaSubsamplingVert", UINT),
    (0xE1, "Audio", MASTER),
    (0xB5, "SamplingFrequency", FLOAT), (0x78B5, "OutputSamplingFrequency", FLOAT),
    (0x9F, "Channels", UINT), (0x6264, "BitDepth", UINT),
    (0x6D80, "ContentEncodings", MASTER), (0x6240, "ContentEncoding", MASTER),
    (0x5031, "ContentEncodingOrder", UINT), (0x5032, "ContentEncodingScope", UINT),
    (0x5033, "ContentEncodingType", UINT),
    (0x5034, "ContentCompression", MASTER), (0x5035, "ContentEncryption", MASTER),
    (0x47E1, "ContentEncAlgo", UINT), (0x47E2, "ContentEncKeyID", BINARY),
)
ID = {element.name: eid for eid, element in ELEMENTS.items()}


def element_name(eid: int) -> str:
    element = ELEMENTS.get(eid)
    return element.name if element else f"element 0x{eid:X}"


# --- variable-size integers (RFC 8794 §4) -------------------------------------------

def vint_width(first: int, what: str, max_width: int = 8) -> int:
    """VINT_WIDTH from the first byte: leading zero bits + 1."""
    if first == 0:
        raise ParseError(f"{what}: variable-size integer longer than 8 bytes")
    width = 9 - first.bit_length()
    if width > max_width:
        raise ParseError(f"{what}: variable-size integer of {width} bytes "
                         f"(at most {max_width} allowed)")
    return width


def read_vint(data: memoryview, pos: int, what: str) -> tuple[int | None, int]:
    """A DataSize-style VINT at ``data[pos:]``: ``(VINT_DATA, VINT_WIDTH)``, with
    ``None`` for the reserved all-ones value (unknown size)."""
    if pos >= len(data):
        raise ParseError(f"{what}: truncated variable-size integer")
    width = vint_width(data[pos], what)
    if pos + width > len(data):
        raise ParseError(f"{what}: truncated variable-size integer")
    value = int.from_bytes(data[pos:pos + width], "big") & ((1 << (7 * width)) - 1)
    return (None if value == (1 << (7 * width)) - 1 else value), width


def read_id(data: memoryview, pos: int, what: str) -> tuple[int, int]:
    """An Element ID at ``data[pos:]`` (marker bits kept): ``(ID, width)``."""
    if pos >= len(data):
        raise ParseError(f"{what}: truncated Element ID")
    width = vint_width(data[pos], what, max_width=4)
    if pos + width > len(data):
        raise ParseError(f"{what}: truncated Element ID")
    eid = int.from_bytes(data[pos:pos + width], "big")
    vint_data = eid & ((1 << (7 * width)) - 1)
    if vint_data == 0 or vint_data == (1 << (7 * width)) - 1:
        raise ParseError(f"{what}: invalid Element ID 0x{eid:X}")  # RFC 8794 §5
    return eid, width


@dataclass(frozen=True, slots=True)
class Header:
    """An element header: its ID, DataSize (``None``: unknown) and header length."""

    id: int
    size: int | None
    header_size: int

    @property
    def name(self) -> str:
        return element_name(self.id)


def read_header(buf: InputBuffer, what: str) -> Header | None:
    """The element header at the front of ``buf`` (not consumed), ``None`` if more
    bytes are needed.  Peeks only the header bytes, so a payload that lies in one
    appended chunk stays a zero-copy slice of it."""
    first = buf.peek(1)
    if first is None:
        return None
    id_width = vint_width(first[0], what, max_width=4)
    head = buf.peek(id_width + 1)
    if head is None:
        return None
    size_width = vint_width(head[id_width], what)
    head = buf.peek(id_width + size_width)
    if head is None:
        return None
    eid, _ = read_id(head, 0, what)
    size, _ = read_vint(head, id_width, f"{what}: {element_name(eid)}")
    return Header(eid, size, id_width + size_width)


# --- element values (RFC 8794 §7) ----------------------------------------------------

def _value(element: Element, data: memoryview) -> object:
    n = len(data)
    if element.type == UINT or element.type == INT:
        if n > 8:
            raise ParseError(f"{element.name}: integer of {n} bytes")
        return int.from_bytes(data, "big", signed=element.type == INT)
    if element.type == FLOAT:
        if n == 0:
            return 0.0
        if n == 4:
            return struct.unpack(">f", data)[0]
        if n == 8:
            return struct.unpack(">d", data)[0]
        raise ParseError(f"{element.name}: float of {n} bytes")
    if element.type == STRING or element.type == UTF8:
        text = bytes(data).split(b"\0", 1)[0]   # trailing NULs pad strings (§7.4)
        return text.decode("utf-8" if element.type == UTF8 else "ascii", "replace")
    return data  # binary (and date, unused): a view, not a copy


def read_master(data: memoryview, name: str, depth: int = 0) -> dict[str, list]:
    """The children of a fully buffered master element, decoded by ``ELEMENTS``:
    ``{"TrackEntry": [{...}, ...], "TimestampScale": [1000000]}``.  Unknown IDs,
    Void and CRC-32 are skipped; master children are decoded recursively."""
    if depth > MAX_DEPTH:
        raise ParseError(f"{name}: elements nested too deeply")
    children: dict[str, list] = {}
    pos = 0
    while pos < len(data):
        eid, id_width = read_id(data, pos, name)
        size, size_width = read_vint(data, pos + id_width, f"{name}: {element_name(eid)}")
        start = pos + id_width + size_width
        if size is None:
            raise ParseError(f"{name}: {element_name(eid)} with unknown size")
        if start + size > len(data):
            raise ParseError(f"{name}: {element_name(eid)} extends past the end of {name}")
        pos = start + size
        element = ELEMENTS.get(eid)
        if element is None or element.name in ("Void", "CRC-32"):
            continue
        payload = data[start:pos]
        value = (read_master(payload, element.name, depth + 1) if element.type == MASTER
                 else _value(element, payload))
        children.setdefault(element.name, []).append(value)
    return children


def one(master: dict[str, list], name: str, default=None):
    """The first ``name`` child's value, or ``default`` (the spec's default value)."""
    values = master.get(name)
    return values[0] if values else default


# --- Matroska Block structure (RFC 9559 §10) -----------------------------------------

@dataclass(frozen=True, slots=True)
class Block:
    """A SimpleBlock or Block: header fields and its frames (views, laces undone)."""

    track_number: int
    timestamp: int
    """Signed 16-bit, relative to the Cluster Timestamp (TimestampScale units)."""
    flags: int
    frames: list[memoryview]


LACING_NONE, LACING_XIPH, LACING_FIXED, LACING_EBML = 0, 1, 2, 3


def read_block(data: memoryview, what: str) -> Block:
    """Track number (VINT), Timestamp (int16), flags, then the frames (§10.1-10.4)."""
    track_number, pos = read_vint(data, 0, what)
    if track_number is None:
        raise ParseError(f"{what}: invalid track number")
    if pos + 3 > len(data):
        raise ParseError(f"{what}: truncated block header")
    timestamp = int.from_bytes(data[pos:pos + 2], "big", signed=True)
    flags = data[pos + 2]
    pos += 3
    lacing = (flags >> 1) & 3
    if lacing == LACING_NONE:
        return Block(track_number, timestamp, flags, [data[pos:]])
    if pos >= len(data):
        raise ParseError(f"{what}: truncated lace header")
    count = data[pos] + 1  # "number of frames in the lace - 1"
    pos += 1
    if lacing == LACING_FIXED:
        size, rest = divmod(len(data) - pos, count)
        if rest:
            raise ParseError(f"{what}: {len(data) - pos} bytes do not split into "
                             f"{count} fixed-size laced frames")
        sizes = [size] * count
    else:
        sizes = []
        for i in range(count - 1):
            if lacing == LACING_XIPH:   # sum of bytes up to the first one below 255
                size = 0
                while True:
                    if pos >= len(data):
                        raise ParseError(f"{what}: truncated Xiph lace sizes")
                    byte = data[pos]
                    pos += 1
                    size += byte
                    if byte != 255:
                        break
            else:  # EBML lacing: first size a VINT, then signed differences
                value, width = read_vint(data, pos, f"{what}: EBML lace size")
                if value is None:
                    raise ParseError(f"{what}: EBML lace size is all ones")
                pos += width
                if i == 0:
                    size = value
                else:
                    size = sizes[-1] + value - ((1 << (7 * width - 1)) - 1)
                    if size < 0:
                        raise ParseError(f"{what}: negative EBML laced frame size")
            sizes.append(size)
        last = len(data) - pos - sum(sizes)
        if last < 0:
            raise ParseError(f"{what}: laced frame sizes exceed the block")
        sizes.append(last)
    frames = []
    for size in sizes:
        frames.append(data[pos:pos + size])
        pos += size
    return Block(track_number, timestamp, flags, frames)
