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



# -- the code cache's ballast (Pyodide in Chromium, after a cold boot) --------------------

def code_cache_ballast(seconds: float) -> None:
    """Run a broad sample of CPython's C code (the compiler, re, json, zlib, hashlib,
    decimal, big integers, unicode, pickle, ...) for about ``seconds``.

    What it is for: after a cold boot the worker runs the warm-up session until the
    append path is optimized, and then this.  Chromium stores V8's optimized code for
    Pyodide's WebAssembly when V8 reports a "chunk": once 1 MB of new optimized code has
    built up, or (early in a page's life only, as measured) 2 s after the last new
    code.  A page that plays makes new code in a trickle, so the last chunk of a first
    visit came at about `ready`, before the warm-up's code, and every later visit
    restored a cache without it.  The ballast is new code in bulk: its megabyte sends
    a chunk with the append path in it (web/worker.js, primeCodeCache).

    In parts of well under a millisecond in CPython (each first one imports its
    modules), so that a page's batch waits little behind a slice of it."""
    global _ballast_next
    start = time.perf_counter()
    while True:
        part = _BALLAST_PARTS[_ballast_next % len(_BALLAST_PARTS)]
        part(_ballast_next)
        _ballast_next += 1
        if time.perf_counter() - start >= seconds:
            break


_ballast_next = 0


def _code(i: int) -> None:
    source = (f"def f{i}(a, b=2, *c, **d):\n"
              f"    x = [j * {i} for j in range(a) if j % 3]\n"
              f"    return {{k: v for k, v in zip(x, x)}}, (lambda y: y + {i})(b)\n"
              f"class K{i}:\n    def m(self): return f'{{self!r}}'\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<ballast {i}>", "exec"), namespace)
    namespace[f"f{i}"](50)


def _text(i: int) -> str:
    return ("Grüße, мир! " * 20 + str(i)) * 5


def _regex(i: int) -> None:
    import re
    text = _text(i)
    re.findall(r"(\w+)[,!]\s*(\d*)", text)
    re.sub(r"\s+", " ", text).upper().lower().split()


def _json(i: int) -> None:
    import json
    json.loads(json.dumps({"a": [1.5, i, "x" * 10, None, True], "b": {"c": _text(i)[:50]}}))


def _bytes(i: int) -> None:
    import base64, binascii, hashlib, zlib
    packed = zlib.compress(_text(i).encode("utf-8") * 4, 6)
    zlib.decompress(packed)
    for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1, hashlib.blake2b):
        digest(packed).hexdigest()
    base64.b64encode(packed), binascii.hexlify(packed[:64])


def _numbers(i: int) -> None:
    import decimal, fractions, math
    d = decimal.Decimal(i) / decimal.Decimal(7)
    str(d.sqrt()), str(d.quantize(decimal.Decimal("0.001")))
    n = 3 ** (200 + i % 50) * 12345678901234567890
    str(n), n // 987654321, n % 97, pow(n, 3, 1000000007), math.isqrt(n), math.gcd(n, 123456)
    repr(1 / 3 + i), float("1.2345e-7"), format(i * 1.1, ".3f"), "%s %d %.2f" % ("a", i, 3.14159)
    fractions.Fraction(i, 7) + fractions.Fraction(3, 11), math.log(i + 1)


def _dates(i: int) -> None:
    import datetime
    datetime.datetime(2024, 1, 1 + i % 28).isoformat()
    datetime.date.fromisoformat("2024-02-03").strftime("%A %d %B %Y")


def _pickle(i: int) -> None:
    import pickle
    pickle.loads(pickle.dumps({"t": (1, 2.5, "s"), "l": list(range(20)), "s": {1, i}}))


def _unicode(i: int) -> None:
    import unicodedata
    text = _text(i)
    [unicodedata.category(ch) for ch in text[:40]], unicodedata.normalize("NFKD", text[:40])
    text.encode("utf-16"), text.encode("latin-1", "replace"), text.encode().decode()


def _sequences(i: int) -> None:
    import bisect, heapq, random
    h = list(range(100, 0, -1))
    heapq.heapify(h)
    [heapq.heappop(h) for _ in range(10)]
    sorted(_text(i).split(), key=str.lower)
    bisect.insort(h, 50)
    rng = random.Random(i)
    [rng.random() for _ in range(20)]
    rng.shuffle(h)


def _containers(i: int) -> None:
    import collections, csv, io, struct
    from array import array
    text = _text(i)
    array("d", range(50)).tobytes(), collections.Counter(text).most_common(3)
    collections.deque(range(100), 20).rotate(3)
    list(csv.reader(io.StringIO("a,b,c\n1,2,3\n")))
    struct.pack("<IdhB", i, 1.5, -3, 7), struct.unpack(">Q", bytes(8))
    set(text) & set("abcdef"), frozenset(range(i % 50)) | {1, 2}, dict.fromkeys(text.split(), 0)


_BALLAST_PARTS = (_code, _regex, _json, _bytes, _numbers, _dates, _pickle, _unicode,
                  _sequences, _containers)
