"""The bridge's ManagedMediaSource, appendEncodedChunks and worker-MSE operations.

``msepy.bridge`` calls these from its dispatch (``web/PROTOCOL.md`` lists the ops):

* ``appendEncodedChunks``: the page sends chunk records (kind, type, timestamp and
  duration in microseconds, offset/size into one transferred ``payload``); the engine's
  promise settles later, as a task, and the settlement reaches the page as an
  ``["event", sb, "msepy-settle", {call, exception}]`` step - in order with the events,
  after a state step (so ``updating`` is already false when the page's promise settles,
  "Chunks Append" steps 5-6).
* ``memoryPressure``: the user agent's eviction of a ManagedMediaSource
  (``ManagedMediaSource.memory_pressure``); the page sends it when it is hidden, and
  the bridge runs it itself after a batch that leaves the ManagedMediaSources holding
  more than ``Bridge.managed_budget`` bytes ("when over the limit").
* ``terminated``: the DedicatedWorker that constructed a MediaSource was terminated:
  the element's ``buffered`` and ``seekable`` are empty from then on (MSE "HTMLMediaElement
  Extensions", step 1 of each).
* ``connect``: a worker's own channel to the engine (``web/worker.js`` keeps the port);
  nothing for the engine to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .chunks import AUDIO_CODECS, AUDIO_FAMILIES, VIDEO_FAMILIES, EncodedAudioChunk, EncodedVideoChunk
from .errors import exception_name
from .events import Event, Promise
from .managed import BufferedChangeEvent, ManagedMediaSource
from .mediasource import MediaSource

if TYPE_CHECKING:
    from .bridge import Bridge
    from .sourcebuffer import SourceBuffer

__all__ = ["ENGINE_OPS", "DEFAULT_MANAGED_BUDGET", "engine_op", "append_encoded_chunks",
           "event_detail", "ms_state", "after_batch", "chunk_codecs"]

MiB = 1024 * 1024
DEFAULT_MANAGED_BUDGET = 256 * MiB
"""Bytes all ManagedMediaSources of one engine may hold before the user agent evicts."""

ENGINE_OPS = frozenset({"connect", "terminated", "memoryPressure", "configure"})


def chunk_codecs() -> dict[str, list[str]]:
    """What ``config_supported`` accepts, for the page's synchronous checks."""
    return {"audio": sorted(AUDIO_FAMILIES), "audioCodecs": sorted(AUDIO_CODECS),
            "video": sorted(VIDEO_FAMILIES)}


def engine_op(bridge: "Bridge", op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind == "terminated":
        prefix = f"{op['client']}."
        for oid, obj in list(bridge._objects.items()):
            if oid.startswith(prefix) and isinstance(obj, MediaSource):
                obj._context_destroyed = True
                obj._buffered_changed()
    elif kind == "memoryPressure":
        targets = [bridge.get(op["target"])] if op.get("target") else list(_managed(bridge))
        for ms in targets:
            if isinstance(ms, ManagedMediaSource) and ms.ready_state != "closed":
                ms.memory_pressure()
    elif kind == "configure":
        if op.get("managedBudget") is not None:
            bridge.managed_budget = int(op["managedBudget"])
            bridge._pressured_total = None
    return None


def _managed(bridge: "Bridge") -> Any:
    return (o for o in bridge._objects.values() if isinstance(o, ManagedMediaSource))


def managed_bytes(bridge: "Bridge") -> int:
    return sum(tb.size for ms in _managed(bridge) for sb in ms.source_buffers
               for tb in sb._track_buffers.values())


def after_batch(bridge: "Bridge") -> None:
    """User agent eviction "when over the limit": again whenever the total or a playback
    position (in whole seconds) changed since the last time."""
    if not bridge._has_managed:
        return
    total = managed_bytes(bridge)
    if total <= bridge.managed_budget:
        return
    open_ = [ms for ms in _managed(bridge) if ms.ready_state != "closed"]
    key = (total, tuple(int(ms._element._position) if ms._element is not None else -1
                        for ms in open_))
    if key == bridge._pressured_total:
        return
    for ms in open_:
        ms.memory_pressure()
    bridge._clean, bridge._only = False, None  # state changed: a full state step ends the batch
    getattr(bridge, "_drain", bridge.queue.run_until_idle)()
    bridge._pressured_total = (managed_bytes(bridge), key[1])


def append_encoded_chunks(bridge: "Bridge", op: dict[str, Any], sb: "SourceBuffer",
                          args: list[Any]) -> None:
    """``{chunks: [{kind, type, timestamp, duration, offset, size}], payload}``: the
    chunks as msepy.chunks objects over slices of the payload (no copy)."""
    if not args or not isinstance(args[0], dict):
        raise TypeError("appendEncodedChunks() takes EncodedAudioChunk/EncodedVideoChunk objects")
    payload = memoryview(args[0].get("payload") or b"")
    chunks = []
    for rec in args[0].get("chunks", ()):
        cls = EncodedAudioChunk if rec.get("kind") == "audio" else EncodedVideoChunk
        duration = rec.get("duration")
        offset, size = int(rec["offset"]), int(rec["size"])
        chunks.append(cls(type=rec["type"], timestamp=int(rec["timestamp"]),
                          duration=None if duration is None else int(duration),
                          data=payload[offset:offset + size]))
    promise: Promise = sb.append_encoded_chunks(chunks)
    tid, call = op["target"], op.get("call")

    def settled(exc: BaseException | None = None) -> None:
        bridge._state_step()
        failure = None if exc is None else {"name": exception_name(exc), "message": str(exc)}
        bridge._steps.append(["event", tid, "msepy-settle", {"call": call, "exception": failure}])

    promise.then(lambda _value: settled(), settled)
    return None


def event_detail(event: Event) -> dict[str, Any]:
    if isinstance(event, BufferedChangeEvent):
        return {"addedRanges": event.added_ranges.doubles(),
                "removedRanges": event.removed_ranges.doubles()}
    return {}


def ms_state(ms: MediaSource) -> dict[str, Any]:
    if isinstance(ms, ManagedMediaSource):
        return {"streaming": ms.streaming}
    return {}
