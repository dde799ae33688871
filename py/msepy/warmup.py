"""The engine's warm-up at boot: a private session appends a small real fMP4.

In Pyodide a fresh worker runs its first calls cold: V8 compiles WebAssembly with a
baseline compiler first and optimizes the hot functions (the interpreter loop above
all) only after they have run a while, and CPython specializes its bytecode as it runs.
V8 also optimizes speculatively, for the call targets it has seen: a path not yet run
(the JS <-> Python conversions, the frame feed) makes it throw the optimized
interpreter loop away and compile it again - measured in Chromium 156, one such
compile is 150-180 ms of a core, in the middle of the page's first appends.

So at boot, before the page's first call, the worker runs a whole session the way the
page drives one, for a bounded time: a MediaSource attached to a playing element,
appends of ``warmup.mp4`` (2 s of 160x120 H.264 + AAC made by ffmpeg, the ``h264_aac``
test fixture) in three pieces cut inside its segments, removals, the renderer's frame
pulls and clock reports - in Pyodide through the same JS messages in and out as
``handle_js``.  It runs in a private ``Bridge`` whose objects the page never sees (and
whose tracks do not use up track ids).  After it, the heap is settled for the collector
(``settle_heap``); then the worker grows the WebAssembly heap to hold the first appends
(``reserve_heap``), after the boot snapshot (web/worker.js) is taken: the snapshot
holds the heap as it is, and the reserve would double it.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import sys
import time
from importlib import resources
from typing import Any, Callable, Iterator

from . import tracks
from .bridge import Bridge

TYPE = 'video/mp4; codecs="avc1.64000b,mp4a.40.2"'


HEAP_RESERVE = 32 << 20
"""Bytes of the WebAssembly heap grown and touched at boot (Pyodide only).  The heap
starts small and grows as appends arrive: each growth, and the first write to each new
page, then falls inside an append.  Measured in Chromium (five runs of the browser
benchmark with it, five without): the copy of a 512 KiB append into Python fell from
0.26 to 0.06-0.08 ms, the first appends from 12-16 ms to 6-8 ms, and throughput rose
from 53-65 to 63-82 MiB/s.  The memory is what buffered media occupies anyway
(Chromium's default SourceBuffer limits are 150 MB of video and 12 MB of audio)."""


def reserve_heap() -> None:
    """Grow the WebAssembly heap by ``HEAP_RESERVE`` (Pyodide only)."""
    if sys.platform == "emscripten":
        reserve = bytearray(HEAP_RESERVE)  # zero-filled: every page written once
        del reserve                        # back to the allocator, for the appends


def warm_up(budget: float = 0.3) -> int:
    """Run the session for about ``budget`` seconds, then settle the heap; returns the
    number of rounds."""
    session = Session()
    try:
        session.run_for(budget)
        return session.rounds
    finally:
        settle_heap()


def settle_heap() -> None:
    """The end of boot: collect the warm-up session's garbage, then freeze what is left.

    The session's objects are garbage by now, many in reference cycles (a ``Bridge``,
    its objects, their listeners): collected here, or the cyclic collector's first pass
    inside one of the page's appends would (3.4 ms in Pyodide under Node).  What is
    left - modules, functions, the engine's tables - lives as long as the worker, and
    ``gc.freeze()`` takes it out of the collector's view.  CPython 3.14's collector is
    incremental: every young collection also walks a slice of the old generation, and
    without the freeze that includes the whole boot heap again and again.  Measured in
    Pyodide under Node (8 sessions of the browser benchmark's appends each way): mean
    512 KiB append 1.95-2.06 -> 1.65-1.71 ms, p95 4.8-5.6 -> 2.2-2.4 ms, p50 the same.
    Frames are freed by reference counting as before (they hold no cycles).

    Then collections are made rarer (``YOUNG_THRESHOLD``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


YOUNG_THRESHOLD = 10_000
"""Allocations between two collections in the worker (CPython's default: 2000).  A
512 KiB append of 720p makes about 750 objects (a frame and a payload view per sample),
nearly all kept (buffered) or freed by reference counting: a collection finds next to
nothing, but each one also walks a slice of the buffered frames, and it lands inside
an append.  Measured in Pyodide under Node, 36 appends of the browser benchmark: 9
collections, 1.9-2.9 ms in all (pauses up to 1.1 ms), at 2000; 1 collection of
0.8-0.9 ms at 10 000.  Cyclic garbage waits longer for its collection: at most this many
objects, a few hundred KiB."""


def _runner(bridge: Bridge) -> Callable[..., dict[str, Any]]:
    """``bridge.handle``; in Pyodide by way of JS values, as the worker calls it."""
    if sys.platform != "emscripten":
        return bridge.handle
    from js import Object  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    from .bridge import handle_js_with

    def run(ops: list[dict[str, Any]], touched: list[str] | None = None) -> dict[str, Any]:
        js_ops = to_js(ops, dict_converter=Object.fromEntries)
        reply = handle_js_with(bridge, js_ops, to_js(touched) if touched is not None else None)
        return reply.to_py()
    return run


def open_session(run: Callable[..., dict[str, Any]], mime: str) -> None:
    """The page's first batches (``run``: ``Bridge.handle``): MediaSource "ms" attached
    to a playing element "el", with a SourceBuffer "sb" of ``mime`` in "sequence" mode.
    (The engine benchmark's page row starts the same way.)"""
    run([{"op": "create", "type": "MediaSource", "id": "ms"},
         {"op": "create", "type": "HTMLMediaElement", "id": "el"},
         {"op": "set", "target": "el", "name": "srcObject", "value": {"ref": "ms"}}])
    run([{"op": "call", "target": "ms", "method": "addSourceBuffer", "args": [mime], "as": "sb"},
         {"op": "set", "target": "sb", "name": "mode", "value": "sequence"},
         {"op": "call", "target": "el", "method": "play", "args": []}], ["sb"])


class Session:
    """The warm-up session: rounds of appends of the sample in three pieces (in
    "sequence" mode; every 16th round removes everything instead), each followed by
    what the renderer does: pull every fed track's next frames, report the clock.

    Its objects live in a private ``Bridge``, and its tracks take their ids from a
    counter of its own (swapped in for each round), so rounds can run between the
    page's batches too (``msepy.bridge.warm_idle``) and the page's first track is
    still id "1"."""

    def __init__(self) -> None:
        self.rounds = 0
        self.failed = False
        self._ids: Any = itertools.count(1)
        self._position = 0.0
        with self._own_ids():
            data = resources.files("msepy").joinpath("warmup.mp4").read_bytes()
            self.bridge = Bridge()
            self._run = _runner(self.bridge)
            open_session(self._run, TYPE)
        # Three pieces cut inside segments, as a page's fixed-size appends cut them: the
        # parser's paths for a box or a sample split across appends run too.  Measured
        # in Chromium (four fresh pages each way): the page's second 512 KiB append, the
        # first to continue a segment, took 1.8-3.7 ms of Python with whole-file appends
        # here, 1.4-1.7 ms (as later ones) with pieces.
        cuts = (0, len(data) // 3 + 7, 2 * len(data) // 3 + 11, len(data))
        self._appends = [[{"op": "call", "target": "sb", "method": "appendBuffer",
                           "args": [data[a:b]]}] for a, b in zip(cuts, cuts[1:])]
        self._remove = [{"op": "call", "target": "sb", "method": "remove",
                         "args": [0, float("inf")]}]

    @contextlib.contextmanager
    def _own_ids(self) -> Iterator[None]:
        saved, tracks._ids = tracks._ids, self._ids
        try:
            yield
        finally:
            self._ids, tracks._ids = tracks._ids, saved

    def run_for(self, seconds: float) -> None:
        """Rounds until ``seconds`` have passed (at least one)."""
        start = time.perf_counter()
        while not self.failed:
            self.round()
            if time.perf_counter() - start >= seconds:
                break

    def round(self) -> None:
        run = self._run
        with self._own_ids():
            if self.rounds % 16 == 15:
                reply = run(self._remove, ["sb", "el"])
            else:
                for append in self._appends:
                    reply = run(append, ["sb", "el"])
            if reply["results"][0].get("exception"):
                self.failed = True  # (never expected: the sample is valid) best effort
                return
            self.rounds += 1
            for track in self.bridge.mirrored("el")["feedTracks"]:
                run([{"op": "pull", "target": "el", "key": track["key"], "max": 30}])
            self._position += 0.5
            run([{"op": "call", "target": "el", "method": "setPlaybackPosition",
                  "args": [self._position]}])
            if self.rounds % 16 == 0:
                run([{"op": "feedSeek", "target": "el", "time": 0.0}])
                self._position = 0.0
