"""The engine's warm-up at boot: a private session appends a small real fMP4.

In Pyodide a fresh worker runs its first appends cold: V8 compiles WebAssembly with a
baseline compiler first and optimizes the hot functions (the interpreter loop above
all) only after they have run a while, and CPython specializes its bytecode as it runs.
Measured in Chromium on the 720p benchmark, the first 512 KiB appends of a cold worker
took about twice as long as a warm worker's.  So at boot, before the page's first
call, the worker runs the append path - parsing, coded frame processing, removal, the
bridge's state steps - on ``warmup.mp4`` (2 s of 160x120 H.264 + AAC made by ffmpeg,
the ``h264_aac`` test fixture) for a bounded time, in a private ``Bridge`` whose
objects the page never sees (and whose tracks do not use up track ids).
"""

from __future__ import annotations

import itertools
import time
from importlib import resources

from . import tracks
from .bridge import Bridge

TYPE = 'video/mp4; codecs="avc1.64000b,mp4a.40.2"'


def warm_up(budget: float = 0.3) -> int:
    """Append the sample over and over (in "sequence" mode, removing everything every
    16 rounds) for about ``budget`` seconds; returns the number of appends made."""
    saved_ids, tracks._ids = tracks._ids, itertools.count(1)
    try:
        return _append_for(budget)
    finally:
        tracks._ids = saved_ids  # leave no trace: the page's first track is still id "1"


def _append_for(budget: float) -> int:
    data = memoryview(resources.files("msepy").joinpath("warmup.mp4").read_bytes())
    bridge = Bridge()
    bridge.handle([
        {"op": "create", "type": "MediaSource", "id": "ms"},
        {"op": "create", "type": "HTMLMediaElement", "id": "el"},
        {"op": "set", "target": "el", "name": "srcObject", "value": {"ref": "ms"}},
    ])
    bridge.handle([{"op": "call", "target": "ms", "method": "addSourceBuffer",
                    "args": [TYPE], "as": "sb"},
                   {"op": "set", "target": "sb", "name": "mode", "value": "sequence"}])
    append = [{"op": "call", "target": "sb", "method": "appendBuffer", "args": [data]}]
    remove = [{"op": "call", "target": "sb", "method": "remove", "args": [0, float("inf")]}]
    start, rounds = time.perf_counter(), 0
    while time.perf_counter() - start < budget:
        reply = bridge.handle(remove if rounds % 16 == 15 else append, ["sb"])
        if reply["results"][0].get("exception"):
            break  # (never expected: the sample is valid) warming is best effort
        rounds += 1
    return rounds
