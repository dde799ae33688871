"""What msepy's byte stream parser sees in a file (``python -m msepy inspect FILE``).

Theory of operation
-------------------
``inspect_bytes`` feeds a file's bytes to ``msepy.bytestream.parser_for(essence)``
(whole, or in ``chunk``-sized pieces as appends would arrive) and records every segment
event: the init segments' tracks, and each coded frame's times, keyframe flag and size
(not its payload).  No MediaSource is involved: this is the byte stream alone, before
timestampOffset, append windows or coded frame processing.

A ``ParseError`` ends the run; the ``Report`` keeps everything parsed until then, the
message and the stream offset the parser had reached (the start of the structure it
was reading: bytes fed minus ``buffered_bytes``).  ``render_text`` and ``render_json``
turn a report into the CLI's two outputs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bytestream import (CodedFrames, InitSegment, MediaSegmentEnd, MediaSegmentStart,
                         ParseError, TrackInfo, parse_mime, parser_for)

__all__ = ["guess_type", "inspect_bytes", "Report", "render_text", "render_json", "main"]

EXTENSIONS = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".m4s": "video/mp4", ".cmfv": "video/mp4",
    ".m4a": "audio/mp4", ".cmfa": "audio/mp4",
    ".webm": "video/webm", ".weba": "audio/webm",
    ".ts": "video/mp2t", ".mp3": "audio/mpeg", ".mp2": "audio/mpeg", ".aac": "audio/aac",
}
MP4_FIRST_BOXES = (b"ftyp", b"styp", b"moov", b"moof", b"sidx")
EBML_MAGIC = bytes.fromhex("1A45DFA3")
HEX_PREFIX = 16
"""Bytes of a decoder description shown as hex."""


def guess_type(name: str, head: bytes) -> tuple[str, str] | None:
    """(MIME type, how it was guessed): the container from the first bytes (an ISO
    BMFF box type, the EBML magic), audio or video from the extension; the extension
    alone when the first bytes say nothing."""
    ext = Path(name).suffix.lower()
    by_ext = EXTENSIONS.get(ext)
    sniffed = ("mp4", f"first box {head[4:8].decode()!r}") if head[4:8] in MP4_FIRST_BOXES \
        else ("webm", "EBML magic 1A45DFA3") if head[:4] == EBML_MAGIC else None
    if sniffed is not None:
        container, how = sniffed
        if by_ext is not None and by_ext.endswith("/" + container):
            return by_ext, f"{how}, extension {ext}"  # the extension tells audio/video
        return f"video/{container}", how
    if by_ext is not None:
        return by_ext, f"extension {ext}"
    return None


# -- the report ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FrameRow:
    """A coded frame as the parser emitted it (ticks of its track's timescale)."""

    pts: int
    dts: int
    duration: int
    key: bool
    size: int


@dataclass(slots=True)
class Report:
    name: str
    mime: str
    size: int
    inits: list[tuple[int, InitSegment]] = field(default_factory=list)
    """(stream offset when reported, init segment)."""
    tracks: dict[int, TrackInfo] = field(default_factory=dict)
    """Track ID → the latest init segment's description of it."""
    frames: dict[int, list[FrameRow]] = field(default_factory=dict)
    """Track ID → frames in the order the parser emitted them (decode order)."""
    media_segments: int = 0
    open_segment: bool = False
    """A media segment started but the file ended before its end."""
    unparsed: int = 0
    """Bytes left in the parser's input buffer at the end (an incomplete structure)."""
    error: str | None = None
    error_offset: int | None = None


def inspect_bytes(data: bytes | memoryview, mime: str, name: str = "",
                  chunk: int | None = None) -> Report:
    """Run ``data`` through the parser for ``mime``; never raises ParseError (it is in
    the report).  ``ValueError`` if msepy has no parser for the type."""
    parsed = parse_mime(mime)
    if parsed is None:
        raise ValueError(f"malformed MIME type {mime!r}")
    parser = parser_for(parsed[0])
    view = memoryview(data)
    report = Report(name=name, mime=mime, size=len(view))
    step = chunk or len(view) or 1
    fed = 0
    try:
        for start in range(0, max(len(view), 1), step):
            piece = view[start:start + step]
            parser.feed(piece)
            fed += len(piece)
            for event in parser.parse():
                _record(report, event, fed - parser.buffered_bytes)
        report.unparsed = parser.buffered_bytes
    except ParseError as exc:
        report.error = str(exc)
        report.error_offset = fed - parser.buffered_bytes
    return report


def _record(report: Report, event: Any, position: int) -> None:
    kind = type(event)
    if kind is CodedFrames:
        for f in event.frames:
            if f.track_id not in report.tracks:  # a parser bug: say so, do not crash
                raise ParseError(f"(inspect) frame of track {f.track_id}, which no "
                                 f"init segment described")
            report.frames.setdefault(f.track_id, []).append(
                FrameRow(f.pts, f.dts, f.duration, f.is_rap, len(f.data)))
    elif kind is InitSegment:
        report.inits.append((position, event))
        for track in event.tracks:
            report.tracks[track.track_id] = track
            report.frames.setdefault(track.track_id, [])
    elif kind is MediaSegmentStart:
        report.media_segments += 1
        report.open_segment = True
    elif kind is MediaSegmentEnd:
        report.open_segment = False


# -- numbers --------------------------------------------------------------------------------
def seconds(ticks: int, timescale: int) -> float:
    return round(ticks / timescale, 6)


def track_dict(t: TrackInfo) -> dict[str, Any]:
    c = t.config
    desc = c.description if c is not None else None
    return {
        "track_id": t.track_id, "kind": t.kind, "codec": t.codec,
        "timescale": t.timescale, "language": t.language, "label": t.label,
        "default": t.default, "kinds": list(t.kinds), "encrypted": t.encrypted,
        "coded_width": c and c.coded_width, "coded_height": c and c.coded_height,
        "display_width": c and c.display_width, "display_height": c and c.display_height,
        "sample_rate": c and c.sample_rate, "channel_count": c and c.channel_count,
        "description_length": None if desc is None else len(desc),
        "description_prefix": None if desc is None else bytes(desc[:HEX_PREFIX]).hex(),
    }


def frame_dict(index: int, f: FrameRow, timescale: int) -> dict[str, Any]:
    return {"index": index, "pts": f.pts, "dts": f.dts, "duration": f.duration,
            "pts_s": seconds(f.pts, timescale), "dts_s": seconds(f.dts, timescale),
            "duration_s": seconds(f.duration, timescale), "key": f.key, "size": f.size}


def summary(frames: list[FrameRow], timescale: int) -> dict[str, Any]:
    """Counts, the presentation span, and bitrate / frame rate over that span."""
    out: dict[str, Any] = {"frames": len(frames), "keyframes": sum(f.key for f in frames),
                           "bytes": sum(f.size for f in frames)}
    if not frames:
        return out | {"first_pts": None, "last_pts": None, "end_pts": None,
                      "first_pts_s": None, "last_pts_s": None, "end_s": None,
                      "bitrate_bps": None, "frame_rate": None}
    first = min(f.pts for f in frames)
    last = max(f.pts for f in frames)
    end = max(f.pts + f.duration for f in frames)
    span = (end - first) / timescale
    if span <= 0 and len(frames) > 1:  # no durations: frame-to-frame spacing
        span = (last - first) / timescale * len(frames) / (len(frames) - 1)
    return out | {
        "first_pts": first, "last_pts": last, "end_pts": end,
        "first_pts_s": seconds(first, timescale), "last_pts_s": seconds(last, timescale),
        "end_s": seconds(end, timescale),
        "bitrate_bps": round(out["bytes"] * 8 / span) if span > 0 else None,
        "frame_rate": round(len(frames) / span, 3) if span > 0 else None,
    }


# -- output ------------------------------------------------------------------------------------
def render_json(report: Report, frames: int | None = None, no_frames: bool = False) -> str:
    tracks = []
    for tid, rows in report.frames.items():
        info = report.tracks[tid]
        entry: dict[str, Any] = {"track_id": tid, "kind": info.kind, "codec": info.codec,
                                 "summary": summary(rows, info.timescale)}
        if not no_frames:
            shown = rows if frames is None else rows[:frames]
            entry["frames"] = [frame_dict(i, f, info.timescale) for i, f in enumerate(shown)]
        tracks.append(entry)
    doc = {
        "file": report.name, "type": report.mime, "bytes": report.size,
        "init_segments": [
            {"position": pos,
             "duration": None if init.duration is None else list(init.duration),
             "duration_s": None if init.duration is None else seconds(*init.duration),
             "tracks": [track_dict(t) for t in init.tracks]}
            for pos, init in report.inits],
        "media_segments": report.media_segments,
        "tracks": tracks,
        "incomplete_segment": report.open_segment,
        "unparsed_bytes": report.unparsed,
        "error": None if report.error is None else
        {"message": report.error, "offset": report.error_offset},
    }
    return json.dumps(doc, indent=1)


def _track_lines(t: TrackInfo) -> list[str]:
    d = track_dict(t)
    flags = ("default" if t.default else "not default") + (", encrypted" if t.encrypted else "")
    kinds = f", kinds {','.join(t.kinds)}" if t.kinds else ""
    lines = [f"  track {t.track_id}: {t.kind} {t.codec}  timescale {t.timescale}  "
             f"language {t.language}  label {t.label!r}  {flags}{kinds}"]
    media = []
    if d["coded_width"] is not None:
        media.append(f"coded {d['coded_width']}x{d['coded_height']}")
    if d["display_width"] is not None:
        media.append(f"display {d['display_width']}x{d['display_height']}")
    if d["sample_rate"] is not None:
        media.append(f"{d['sample_rate']} Hz")
    if d["channel_count"] is not None:
        media.append(f"{d['channel_count']} ch")
    if d["description_length"] is None:
        media.append("no description")
    else:
        more = "…" if d["description_length"] > HEX_PREFIX else ""
        media.append(f"description {d['description_length']} bytes "
                     f"{d['description_prefix']}{more}")
    lines.append("           " + ", ".join(media))
    return lines


def render_text(report: Report, frames: int | None = None, no_frames: bool = False) -> str:
    out = [f"{report.name}: {report.size} bytes, {report.mime}"]
    for n, (pos, init) in enumerate(report.inits):
        dur = ("no duration" if init.duration is None else
               f"duration {seconds(*init.duration):.6f} s ({init.duration[0]}/"
               f"{init.duration[1]})")
        out.append(f"init segment {n} (parsed by byte {pos}): {len(init.tracks)} "
                   f"track(s), {dur}")
        for t in init.tracks:
            out.extend(_track_lines(t))
    out.append(f"media segments started: {report.media_segments}")
    if not no_frames:
        for tid, rows in report.frames.items():
            ts = report.tracks[tid].timescale
            shown = rows if frames is None else rows[:frames]
            out.append("")
            out.append(f"track {tid} frames ({report.tracks[tid].codec}, timescale {ts}):")
            out.append(f"{'#':>6} {'pts':>10} {'dts':>10} {'dur':>7} {'pts s':>12} "
                       f"{'dts s':>12} {'dur s':>9} key {'size':>7}")
            for i, f in enumerate(shown):
                out.append(f"{i:>6} {f.pts:>10} {f.dts:>10} {f.duration:>7} "
                           f"{f.pts / ts:>12.6f} {f.dts / ts:>12.6f} {f.duration / ts:>9.6f} "
                           f"{'K' if f.key else '.':>3} {f.size:>7}")
            if len(shown) < len(rows):
                out.append(f"{'':>6} … {len(rows) - len(shown)} more")
    out.append("")
    out.append("summary:")
    for tid, rows in report.frames.items():
        info = report.tracks[tid]
        s = summary(rows, info.timescale)
        line = (f"  track {tid} {info.kind} {info.codec}: {s['frames']} frames, "
                f"{s['keyframes']} keyframes, {s['bytes']} bytes")
        if s["first_pts"] is not None:
            line += (f", pts {s['first_pts_s']:.6f} .. {s['last_pts_s']:.6f} s "
                     f"(ends {s['end_s']:.6f} s)")
        if s["bitrate_bps"] is not None:
            line += f", {s['bitrate_bps'] / 1000:.1f} kbit/s, {s['frame_rate']:.3f} frames/s"
        out.append(line)
    if report.open_segment and report.error is None:
        out.append("warning: the last media segment is incomplete")
    if report.unparsed and report.error is None:
        out.append(f"warning: {report.unparsed} bytes at the end were not parsed "
                   f"(an incomplete structure)")
    if report.error is not None:
        out.append(f"ParseError at byte offset {report.error_offset}: {report.error}")
    return "\n".join(out)


def main(path: str, mime: str | None = None, frames: int | None = None,
         no_frames: bool = False, as_json: bool = False, chunk: int | None = None) -> int:
    """The CLI: 0 when the file parsed, 1 on a ParseError, 2 on a usage error."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        print(f"inspect: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    how = "given"
    if mime is None:
        guess = guess_type(path, data[:16])
        if guess is None:
            print(f"inspect: cannot tell the type of {path}; pass --type", file=sys.stderr)
            return 2
        mime, how = guess
    try:
        report = inspect_bytes(data, mime, name=path, chunk=chunk)
    except ValueError as exc:
        print(f"inspect: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(render_json(report, frames, no_frames))
    else:
        report.mime = f"{mime} ({how})"
        print(render_text(report, frames, no_frames))
    return 1 if report.error is not None else 0
