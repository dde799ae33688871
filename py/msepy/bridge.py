"""The bridge between the browser front end (``web/msepy.js``) and the engine.

Theory of operation
-------------------
The engine and the media element model run in a Web Worker; the page's objects are
mirrors on the main thread (``web/PROTOCOL.md`` is the message schema).  The page's
calls reach ``Bridge.handle`` in *batches*: every call one page task made, in order.
The bridge runs each call's synchronous steps, then drains the ``TaskQueue`` - exactly
"run the task, then the tasks it queued" - and returns:

    {"results": [{"result": …} | {"exception": {"name", "message"}}, …],
     "steps":   [["event", target_id, type, detail], ["state", {id: {…}}],
                 ["internal", element_id, name, payload], …],
     "snapshot": {id: {…}}}

``steps`` is the replay of what happened, in order: before each event, a ``state``
step carries every object whose state changed since the last one - the changed fields,
which the mirror merges (so a page listener reads exactly what a Python listener
would) - and ``internal`` steps are the spec's
"post an internal … message" notifications (create/remove track mirror, duration
change, network/decode error, active track added, sourcebuffers ready, update track
state), which the worker posts on the attachment's MessagePort.  ``snapshot`` is the
full state at the end: authoritative for every object the page has not touched since.
What a record holds is ``msepy.bridge_state``'s; when records are made and what of
them is sent is this module's.

Everything here is plain dicts, lists, numbers, strings and bytes/memoryviews, so
CPython tests drive it directly (``tests/test_bridge.py``).  Only ``handle_js`` (the
worker's entry point) touches Pyodide, and imports it lazily.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from . import bridge_extras as extras
from ._time import from_double
from . import bytestream
from .bridge_state import _TRACK_STATE, StateRecords, cue_record
from .element import HTMLMediaElement
from .errors import DOMException, NotFoundError, exception_name
from .events import CueEvent, Event, EventTarget, TaskQueue, TrackEvent
from .feed import FeedBatch, FrameFeed
from .managed import ManagedMediaSource
from .mediasource import MediaSource
from .sourcebuffer import SourceBuffer
from .tracks import AudioTrack, TextTrack, VideoTrack, _Track, _TrackList, change_count
from .webvtt import VTTCue

__all__ = ["Bridge", "support_table", "handle_js"]

# IDL operation name -> (class, Python method).  Only these are reachable.
_METHODS: dict[type, dict[str, str]] = {
    MediaSource: {"addSourceBuffer": "add_source_buffer",
                  "removeSourceBuffer": "remove_source_buffer",
                  "endOfStream": "end_of_stream",
                  "setLiveSeekableRange": "set_live_seekable_range",
                  "clearLiveSeekableRange": "clear_live_seekable_range"},
    SourceBuffer: {"appendBuffer": "append_buffer", "abort": "abort",
                   "changeType": "change_type", "remove": "remove",
                   "appendEncodedChunks": "append_encoded_chunks"},
    HTMLMediaElement: {"play": "play", "pause": "pause", "load": "load",
                       "internalPause": "internal_pause",
                       "setPlaybackPosition": "set_playback_position",
                       "addTextTrack": "add_text_track", "loadingProgress": "loading_progress"},
    TextTrack: {"addCue": "add_cue", "removeCue": "remove_cue", "cueChanged": "cue_changed"},
}
# IDL attribute name -> Python attribute, for setters.
_SETTERS: dict[type, dict[str, str]] = {
    MediaSource: {"duration": "duration"},
    SourceBuffer: {"mode": "mode", "timestampOffset": "timestamp_offset",
                   "appendWindowStart": "append_window_start",
                   "appendWindowEnd": "append_window_end"},
    HTMLMediaElement: {"currentTime": "current_time", "playbackRate": "playback_rate",
                       "volume": "volume", "muted": "muted", "autoplay": "autoplay",
                       "loop": "loop", "srcObject": "src_object"},
    AudioTrack: {"enabled": "enabled"},
    VideoTrack: {"selected": "selected"},
    TextTrack: {"mode": "mode"},
}


def _names_for(table: dict[type, dict[str, str]], target: Any) -> dict[str, str]:
    """The reachable names of the target's class or its nearest listed base
    (ManagedMediaSource is a MediaSource)."""
    for cls in type(target).__mro__:
        if cls in table:
            return table[cls]
    return {}
# Ops that change no state (the frame feed's reads, the demo's inspection).
_READ_ONLY = frozenset({"pull", "inspect"})


def _fire_task_code() -> Any:
    """The code object of the task ``TaskQueue.fire`` queues (a bare event firing)."""
    probe = TaskQueue()
    probe.fire(EventTarget(), "probe")
    return probe._tasks[0][0].__code__


_FIRE_TASK = _fire_task_code()
_UNSENT = object()  # a field no earlier state record had


def support_table() -> dict[str, Any]:
    """What ``MediaSource.isTypeSupported`` needs on the main thread, synchronously:
    the registry's own patterns and tables (``msepy.bytestream``), not a copy."""
    return {
        "mime": bytestream._MIME.pattern,
        "param": bytestream._PARAM.pattern,
        "codecs": {family: p.pattern for family, p in bytestream._CODECS.items()},
        "kinds": dict(bytestream._KIND),
        "containers": {essence: [sorted(families), required]
                       for essence, (families, required) in bytestream._CONTAINERS.items()},
        "generateTimestamps": [e for e in bytestream._CONTAINERS
                               if bytestream.generates_timestamps(e)],
        "chunkCodecs": extras.chunk_codecs(),
    }


class _ElementLink:
    """Stands in for the media element on ``MediaSource._element``: forwards every
    ``_ms_*`` call to the element model and records the spec's internal message for
    the main thread (the worker's ``[[port to main]]``)."""

    _MESSAGES = {
        "_ms_duration_changed": "durationChange", "_ms_network_error": "networkError",
        "_ms_decode_error": "decodeError", "_ms_active_track_added": "activeTrackAdded",
        "_ms_sourcebuffers_ready": "sourceBuffersReady", "_ms_add_track": "createTrackMirror",
        "_ms_remove_track": "removeTrackMirror",
    }

    def __init__(self, element: HTMLMediaElement, post: Callable[[str, Any], None]) -> None:
        self._element = element
        self._post = post

    # What every append reads or calls (the position, a pending seek, an error, the
    # frames processed), found directly: through __getattr__ each is a failed lookup
    # first, 8 an append (a few us each in Pyodide).
    seeking = property(lambda self: self._element.seeking)
    _position = property(lambda self: self._element._position)
    error = property(lambda self: self._element.error)

    def _ms_frames_processed(self, *args: Any) -> Any:
        return self._element._ms_frames_processed(*args)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._element, name)
        message = self._MESSAGES.get(name)
        if message is None:
            return target

        def forward(*args: Any) -> Any:
            self._post(message, args)
            return target(*args)
        return forward


class Bridge(StateRecords):
    """One worker's engine: every object the page made, by the id the page gave it."""

    def __init__(self, *, memory_limits: dict[str, int] | None = None) -> None:
        self.queue = TaskQueue()
        self.memory_limits = memory_limits
        self._objects: dict[str, Any] = {}
        self._state_of: dict[str, Callable[[str, Any], dict[str, Any]]] = {}
        """Id -> the function making its state record, for the objects that have one."""
        self._track_lists: dict[str, None] = {}
        self._track_ids: set[str] = set()
        self._children: dict[str, list[str]] = {}
        """Id -> the ids of its lists (``sourceBuffers``, ``audioTracks``, ...)."""
        self._names: dict[int, str] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self._steps: list[list[Any]] = []
        self._feeds: dict[str, FrameFeed] = {}
        self._track_state: dict[str, Any] = {}
        self.managed_budget = extras.DEFAULT_MANAGED_BUDGET
        """Bytes the ManagedMediaSources may hold before the user agent evicts."""
        self._has_managed = False
        self._pressured_total: Any = None
        self._cue_records: dict[int, tuple[Any, list[list[Any]]]] = {}
        """id(cue tuple) -> (the tuple, its records): a text track's cue records are
        rebuilt only when its cue list changed."""
        self._sizes: dict[str, tuple[int, int] | None] = {}
        """Element id -> the video size last announced by ``resize`` (None: no metadata)."""
        self._resize_pending: dict[str, None] = {}
        self._quotas: dict[str, tuple[Any, float]] = {}
        """SourceBuffer id -> (what its appendQuota depends on, the quota)."""
        self._clean = True
        """Nothing that could change state ran since the last state step."""
        self._only: set[str] | None = None
        """When not clean: the only objects whose state may have changed (None: any)."""
        self._unsettled: set[str] = set()
        """Objects whose whole record the next state step sends even if unchanged: an
        append's SourceBuffer, whose step before updatestart was left out (its record
        then equals the last one sent - `updating` is back to false - but the page's
        pending `updating` must be settled before update and updateend)."""
        self._diverged: set[str] = set()
        """Objects the page changed itself in this batch: their next state record is
        whole (a delta against the last one sent may leave a pending field unsettled)."""
        self._in_fire = False
        """The running task is a bare ``TaskQueue.fire``."""
        self._task_scope: set[str] | None = None
        """The objects the running task's algorithm may change (None: any)."""
        self.queue.observers.append(self._observe)

    def __repr__(self) -> str:
        return f"<Bridge {len(self._objects)} objects, {self.queue!r}>"

    # -- ids -------------------------------------------------------------------------------
    def _register(self, oid: str, obj: Any) -> None:
        self._objects[oid] = obj
        self._names[id(obj)] = oid
        state = self._state_function(obj)
        if state is not None:
            self._state_of[oid] = state
        if isinstance(obj, _TrackList):
            self._track_lists[oid] = None
        if isinstance(obj, _Track):
            self._track_ids.add(oid)
        children: dict[str, Any] = {}
        if isinstance(obj, MediaSource):
            children = {"sourceBuffers": obj.source_buffers,
                        "activeSourceBuffers": obj.active_source_buffers}
        elif isinstance(obj, (SourceBuffer, HTMLMediaElement)):
            children = {"audioTracks": obj.audio_tracks, "videoTracks": obj.video_tracks,
                        "textTracks": obj.text_tracks}
        for name, child in children.items():
            self._register(f"{oid}.{name}", child)
        if children:
            self._children[oid] = [f"{oid}.{name}" for name in children]

    def name_of(self, obj: Any) -> str | None:
        if obj is None:
            return None
        oid = self._names.get(id(obj))
        if oid is None and isinstance(obj, _Track):
            oid = f"track{obj.id}"
            self._register(oid, obj)
        return oid

    def get(self, oid: str) -> Any:
        try:
            return self._objects[oid]
        except KeyError:
            raise NotFoundError(f"no object {oid!r}") from None

    def _arg(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"ref"}:
            return self.get(value["ref"])
        return value

    # -- the entry point ------------------------------------------------------------------
    def handle(self, ops: list[dict[str, Any]], touched: list[str] | None = None
               ) -> dict[str, Any]:
        """Run one page task's calls in order, then drain the task queue.

        ``touched``: the ids of the objects the page changed locally in this batch (its
        pending fields); the snapshot holds those of them whose pending fields no whole
        record in the steps settled (every object when None)."""
        # Between batches nothing runs here, so the state is what was last sent; only
        # ops that may change it (all but the frame feed's reads) and tasks other than
        # a bare event firing make it "dirty" (see _observe).
        self._clean = all(op.get("op") in _READ_ONLY for op in ops)
        self._only = None
        self._diverged = set(self._objects if touched is None else touched)
        if len(ops) == 1 and ops[0].get("method") == "appendBuffer":
            results = [self._run_append(ops[0])]
        else:
            results = [self._run(op) for op in ops]
        self._drain()
        extras.after_batch(self)
        if not self._clean:
            self._state_step()
        self._resize_step()
        self._clean = True
        steps, self._steps = self._steps, []
        if touched is not None:
            touched = [oid for oid in touched if oid in self._diverged]
        return {"results": results, "steps": steps, "snapshot": self._snapshot_of(touched)}

    def _drain(self, limit: int = 1_000_000) -> None:
        """``TaskQueue.run_until_idle``, noting which tasks are a bare "fire an event"
        (nothing else runs in them: no state can change but by a listener)."""
        tasks = self.queue._tasks
        n = 0
        while tasks:
            if n >= limit:
                raise RuntimeError(f"task queue did not go idle after {limit} tasks")
            task, _, owner = tasks.popleft()
            fire = getattr(task, "__code__", None) is _FIRE_TASK
            if not fire:
                self._task_scope = self._family(owner)
                self._dirty(self._task_scope)
                tracks_before = change_count()
            self._in_fire = fire
            try:
                task()
            finally:
                self._in_fire, self._task_scope = False, None
            if not fire and change_count() != tracks_before:
                # A track changed (added, removed, enabled, its SourceBuffer gone): the
                # lists and every track too.  (No state step runs inside a task:
                # events fire in tasks of their own.)
                family = self._family(owner, lists=True)
                self._dirty(None if family is None else family | self._track_ids)
            n += 1

    def _dirty(self, scope: set[str] | None) -> None:
        """State may have changed since the last state step, in ``scope`` only (the ids
        of the objects that may have changed; None: any)."""
        if self._clean:
            self._clean, self._only = False, scope
        elif self._only is not None:
            self._only = None if scope is None else self._only | scope

    def _family(self, owner: Any, lists: bool = False) -> set[str] | None:
        """The objects whose state a task of ``owner``'s algorithm can change: for a
        SourceBuffer's (buffer append, range removal), its MediaSource, every
        SourceBuffer of it (an append error ends the stream, and an ended MediaSource's
        buffers report other ranges) and the element it is attached to, with their
        SourceBufferLists - and with ``lists``, or for a SourceBuffer with text tracks
        (its cues come with appends), their track lists and tracks: a task that
        changes a track gets those too (``_drain``).  None (any object) for any other
        task: an element's promise reactions run the page's script."""
        if not isinstance(owner, SourceBuffer):
            return None
        family: list[Any] = [owner]
        source = owner._source
        if source is not None:
            family += [source, *source.source_buffers]
            element = source._element
            if isinstance(element, _ElementLink):
                element = element._element
            if element is not None:
                family.append(element)
        lists = lists or any(owner.text_tracks)
        ids = set()
        for obj in family:
            oid = self._names.get(id(obj))
            if oid is not None:
                ids.add(oid)
                ids.update(c for c in self._children.get(oid, ())
                           if lists or c not in self._track_lists)
        # The page's only session, with its lists: every object is in it.
        return None if len(ids) + len(self._track_ids) >= len(self._state_of) else ids

    def _run_append(self, op: dict[str, Any]) -> dict[str, Any]:
        """A batch of one ``appendBuffer()``.  Its synchronous steps (the prepare append
        algorithm, then updating and the input buffer) change only the SourceBuffer's
        state record - unless coded frame eviction removed frames or an ended
        MediaSource reopened: then any record may have changed.  So the state step
        before ``updatestart`` computes that one record (the buffer append algorithm
        runs in a later task, and the step before ``update`` computes them all) - or
        none, when the page changed that SourceBuffer itself (its mirror set
        `updating`: the usual case)."""
        sb = self._objects.get(op.get("target"))  # type: ignore[arg-type]
        before = _media_state(sb)
        result = self._run(op)
        if before is not None and _media_state(sb) == before:
            if op["target"] in self._diverged:
                # What changed is `updating`, which the page's mirror set itself: no
                # state step before updatestart.  The next one sends the SourceBuffer's
                # whole record (before update, in this batch), changed or not.
                self._clean = True
                self._unsettled.add(op["target"])
            else:
                self._only = {op["target"]}
        return result

    def _run(self, op: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"result": self._dispatch(op)}
        except (DOMException, TypeError, ValueError) as exc:
            name = exception_name(exc)
            return {"exception": {"name": "TypeError" if name == "ValueError" else name,
                                  "message": str(exc)}}

    def _dispatch(self, op: dict[str, Any]) -> Any:
        kind = op["op"]
        if kind == "create":
            cls = {"MediaSource": MediaSource, "ManagedMediaSource": ManagedMediaSource,
                   "HTMLMediaElement": HTMLMediaElement}[op["type"]]
            obj = cls(queue=self.queue, **({"memory_limits": self.memory_limits}
                                           if issubclass(cls, MediaSource) else {}))
            self._register(op["id"], obj)
            self._has_managed |= cls is ManagedMediaSource
            return None
        if kind in extras.ENGINE_OPS:
            return extras.engine_op(self, op)
        if kind == "release":
            self._release(op["ids"])
            return None
        target = self.get(op["target"])
        if kind == "set":
            attr = _names_for(_SETTERS, target).get(op["name"])
            if attr is None:
                raise TypeError(f"{type(target).__name__}.{op['name']} is not settable here")
            value = self._arg(op["value"])
            if isinstance(target, HTMLMediaElement) and attr == "src_object":
                return self._attach(op["target"], target, value)
            setattr(target, attr, value)
            if isinstance(target, _Track):  # the page's own change: no message back
                self._track_state[op["target"]] = value
            return None
        if kind == "call":
            return self._call(op, target)
        if kind == "pull":
            return self._pull(op["target"], target, op["key"], op.get("max", 30))
        if kind == "mediaError":
            # The renderer's decoder failed: HTML "the media data is corrupted".
            if target.error is None:
                target._ms_decode_error(op.get("message", "decode error"))
            return None
        if kind == "feedSeek":
            self._feed(op["target"], target).seek(op.get("time"))
            return None
        if kind == "inspect":
            return inspect_source_buffer(self, target)
        raise TypeError(f"unknown op {kind!r}")

    def _release(self, ids: list[str]) -> None:
        """The page's mirrors of these objects were garbage collected: no page code can
        reach them again, so the engine keeps nothing for them.  An element first lets
        its MediaSource go ("Detaching from a media element": the SourceBuffers free
        their frames), as Chromium's collected element does.  Whatever the page still
        holds stays: a MediaSource attached to a live element, a SourceBuffer of a live
        MediaSource, a track in a live list (it can come back in a record)."""
        gone = {oid for oid in ids if oid in self._objects}
        for oid in gone:
            obj = self._objects[oid]
            if isinstance(obj, HTMLMediaElement) and obj.src_object is not None:
                self._attach(oid, obj, None)
        for oid in gone:
            obj = self._objects[oid]
            if isinstance(obj, MediaSource) and obj._element is not None:
                continue
            if isinstance(obj, SourceBuffer) and obj._source is not None:
                continue
            self._forget(oid)

    def _forget(self, oid: str) -> None:
        obj = self._objects.pop(oid)
        if self._names.get(id(obj)) == oid:
            del self._names[id(obj)]
        for table in (self._state_of, self._sent, self._feeds, self._track_state,
                      self._sizes, self._resize_pending, self._quotas):
            table.pop(oid, None)  # type: ignore[attr-defined]
        self._track_lists.pop(oid, None)
        self._children.pop(oid, None)
        self._track_ids.discard(oid)

    def _call(self, op: dict[str, Any], target: Any) -> Any:
        name = op["method"]
        method = _names_for(_METHODS, target).get(name)
        if method is None:
            raise TypeError(f"{type(target).__name__}.{name} is not callable here")
        args = [self._arg(a) for a in op.get("args", ())]
        if name == "abort" and op.get("pageSawUpdating") and not target.updating:
            # The page saw ``updating`` but its append already finished here (it was
            # in flight): the page's abort() still ran abort()'s "if updating" steps.
            target.abort()
            self.queue.fire(target, "abort")
            self.queue.fire(target, "updateend")
            return None
        if name == "setPlaybackPosition":
            args = [float(args[0])]
        if name == "removeSourceBuffer" and op.get("pageSawUpdating") and args \
                and isinstance(args[0], SourceBuffer) and not args[0].updating:
            # As abort() above: the page saw updating, so step 2's events come first.
            self.queue.fire(args[0], "abort")
            self.queue.fire(args[0], "updateend")
            target.remove_source_buffer(args[0])
            return None
        if name == "appendEncodedChunks":
            return extras.append_encoded_chunks(self, op, target, args)
        if name in ("addCue", "removeCue", "cueChanged"):
            args = [page_cue(args[0])]
        result = getattr(target, method)(*args)
        if name in ("addSourceBuffer", "addTextTrack"):
            self._register(op["as"], result)
            return op["as"]
        return None

    # -- attaching ------------------------------------------------------------------------
    def _attach(self, eid: str, element: HTMLMediaElement, source: Any) -> None:
        """``srcObject`` / a MediaSource object URL: "Attaching to a media element".
        The MediaSource's link to the element becomes an ``_ElementLink`` so each
        element-bound step is also an internal message on the port."""
        def link(ms: Any) -> None:  # once the resource selection attached it
            if isinstance(ms, MediaSource) and ms._element is element:
                ms._element = _ElementLink(element, lambda name, args:
                                           self._internal(eid, name, args))
        element._on_attach = link
        element.src_object = source

    def _internal(self, eid: str, name: str, args: tuple[Any, ...]) -> None:
        payload: dict[str, Any] = {}
        if name in ("createTrackMirror", "removeTrackMirror"):
            track = args[0]
            payload = {"track": self.name_of(track), **self._track_dict(track)}
        elif name == "durationChange":
            payload = {"duration": float(args[0])}
        elif name in ("networkError", "decodeError"):
            payload = {"message": args[0]}
        self._steps.append(["internal", eid, name, payload])

    # -- events and state ---------------------------------------------------------------------
    def _observe(self, target: EventTarget, event: Event) -> None:
        # A state step before every event - unless nothing ran since the last one (this
        # event's task is a bare firing and so was everything since the last step).
        if not (self._in_fire and self._clean):
            self._state_step()
        listened = bool(target._listeners.get(event.type)) \
            or target._handlers.get(event.type) is not None
        self._clean = self._in_fire and not listened
        # What may change after this event: anything if a listener runs, else what the
        # running task's algorithm may change.
        self._only = None if listened else self._task_scope
        tid = self.name_of(target)
        if tid is None:
            return  # an object the page never named (a removed SourceBuffer's lists)
        detail: dict[str, Any] = {}
        if isinstance(event, TrackEvent):
            detail["track"] = self.name_of(event.track)
        if isinstance(event, CueEvent):
            detail["cue"] = cue_record(event.cue)  # (the page fires it at its cue object)
        detail.update(extras.event_detail(event))
        if isinstance(target, HTMLMediaElement) and event.type != "durationchange":
            self._resize_step()   # Chromium's order: durationchange, resize, loadedmetadata
        self._steps.append(["event", tid, event.type, detail])

    def _resize_step(self) -> None:
        """HTML: "whenever the intrinsic width or height of the video changes", with
        readyState not HAVE_NOTHING, fire ``resize`` at the element (noted by
        ``_state_step``, fired before the next event)."""
        for eid in self._resize_pending:
            self._steps.append(["event", eid, "resize", {}])
        self._resize_pending.clear()

    def _state_step(self) -> None:
        changed = {}
        fields: dict[str, dict[str, Any]] = {}
        only, self._only = self._only, None
        sent = self._sent
        unsettled, self._unsettled = self._unsettled, set()
        for oid, state in self._states(only).items():
            old = sent.get(oid)
            if old != state or oid in unsettled:
                sent[oid] = state
                changed[oid] = state
                # Only the fields that changed (the mirrors merge them) - but the whole
                # record of an object the page changed itself in this batch (its
                # mirror's pending fields are settled by the first record after them)
                # and of a track (a client's new mirror is made from it).
                if old is None or oid in self._diverged or oid.startswith("track"):
                    fields[oid] = state
                    self._diverged.discard(oid)
                else:
                    fields[oid] = {k: v for k, v in state.items() if old.get(k, _UNSENT) != v}
        if changed:
            self._steps.append(["state", fields])
        for oid, state in changed.items():
            if "videoWidth" in state:  # an element: has its video size changed?
                # HTML's media data processing: once the duration and dimensions are
                # known, "for video elements, set the videoWidth and videoHeight
                # attributes, and ... fire resize" - at metadata even when they are 0
                # (audio only, as Chromium); after that, when they change.
                size = (state["videoWidth"], state["videoHeight"]) if state["readyState"] else None
                if size != self._sizes.get(oid):
                    self._sizes[oid] = size
                    if size is not None:
                        self._resize_pending[oid] = None
        for oid in changed:
            track = self._objects[oid]
            if isinstance(track, _Track):
                self._update_track_state(oid, track)

    def _update_track_state(self, oid: str, track: _Track) -> None:
        """"update track state" (Changes to selected/enabled track state): a change
        the engine made to a track reaches the Window mirror.  Changes the page made
        came from the mirror, so they are not echoed."""
        value = getattr(track, _TRACK_STATE[type(track)])
        old = self._track_state.get(oid, value)
        self._track_state[oid] = value
        if old == value:
            return
        for eid, obj in self._objects.items():
            if isinstance(obj, HTMLMediaElement) and any(
                    track in lst for lst in (obj.audio_tracks, obj.video_tracks,
                                             obj.text_tracks)):
                self._steps.append(["internal", eid, "updateTrackState",
                                    {"track": oid, "value": value}])

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {oid: dict(state) for oid, state in self._states().items()}

    def mirrored(self, oid: str) -> dict[str, Any]:
        """``oid``'s state as the page's mirror holds it: the records sent, merged."""
        return self._sent[oid]

    def _snapshot_of(self, touched: list[str] | None) -> dict[str, dict[str, Any]]:
        """The last state step's records (current: ``handle`` ends with one)."""
        ids = self._objects if touched is None else touched
        return {oid: self._sent[oid] for oid in ids
                if oid in self._objects and oid in self._sent}

    # -- the frame feed ---------------------------------------------------------------------
    def _feed(self, eid: str, element: HTMLMediaElement) -> FrameFeed:
        feed = self._feeds.get(eid)
        if feed is None:
            feed = self._feeds[eid] = FrameFeed(element)
        return feed

    def _pull(self, eid: str, element: HTMLMediaElement, key: str, max_frames: int
              ) -> dict[str, Any]:
        if getattr(element._ms, "_context_destroyed", False):
            return pack_batch(FeedBatch())  # its worker is gone, and its media with it
        feed = self._feed(eid, element)
        batch = feed.pull(key, max_frames)
        # The frames are in their track buffer's timescale *now*: a pull may rescale the
        # buffer (TrackBuffer.ticks) after the batch noted the old one.
        track = next((t for t in feed.tracks() if t.key == key), None)
        if track is not None:
            batch.timescale = track.track_buffer.timescale
        return pack_batch(batch)


def pack_batch(batch: Any) -> dict[str, Any]:
    """A ``FeedBatch`` as plain data: frame records (times in integer microseconds, as
    WebCodecs takes them) plus one ``payload`` holding every frame's bytes back to back
    (one copy here, then transferred, not copied, to the page)."""
    parts: list[memoryview] = []
    offset = 0

    scale = batch.timescale

    def micros(ticks: int) -> int:  # exact in Python; a tick count may exceed 2**53
        return ticks * 1_000_000 // scale

    def record(f: Any) -> dict[str, Any]:
        nonlocal offset
        size = len(f.data)
        rec = {"timestamp": micros(f.pts), "decodeTimestamp": micros(f.dts),
               "duration": micros(f.pts + f.duration) - micros(f.pts), "key": f.is_rap,
               "offset": offset, "size": size}
        trim_start, trim_end = getattr(f, "trim_start", 0), getattr(f, "trim_end", 0)
        if trim_start or trim_end:  # partial append window trimming: decoded audio to drop
            end = f.pts + f.duration
            rec["trimStart"] = micros(f.pts) - micros(f.pts - trim_start)
            rec["trimEnd"] = micros(end + trim_end) - micros(end)
        parts.append(f.data)
        offset += size
        return rec

    frames = []
    for f in batch.frames:
        rec = record(f)
        fade_out = getattr(f, "fade_out", None)
        if fade_out:
            rec["spliceTimestamp"] = micros(f.splice_pts)
            rec["fadeOut"] = [record(g) for g in fade_out]
        frames.append(rec)
    cfg = batch.config
    return {
        "reset": batch.reset, "timescale": batch.timescale, "frames": frames,
        "config": None if cfg is None else {
            "codec": cfg.codec, "description": cfg.description,
            "codedWidth": cfg.coded_width, "codedHeight": cfg.coded_height,
            "displayWidth": cfg.display_width, "displayHeight": cfg.display_height,
            "sampleRate": cfg.sample_rate, "numberOfChannels": cfg.channel_count},
        "payload": b"".join(parts),
    }


def inspect_source_buffer(bridge: Bridge, sb: SourceBuffer) -> dict[str, Any]:
    """Per track buffer: ranges, random access points, frame count, bytes (the demo's
    buffer timeline).  On request only: it walks every frame."""
    tracks = []
    for tid, tb in sb._track_buffers.items():
        ts = tb.timescale
        track = next(iter(sb._tracks.get(tid, ())), None)
        tracks.append({
            "track": bridge.name_of(track), "kind": tb.kind,
            "codec": tb.info.codec, "ranges": [[float(s), float(e)] for s, e in tb.ranges_seconds()],
            "keyframes": [f.pts / ts for f in tb.frames if f.is_rap],
            "frames": len(tb.frames), "bytes": tb.size,
        })
    return {"tracks": tracks, "summary": repr(sb)}


def _media_state(sb: Any) -> tuple[Any, ...] | None:
    """What a ``SourceBuffer`` call could change beyond the buffer's own record: its
    MediaSource's readyState and its track buffers (their generations)."""
    if not isinstance(sb, SourceBuffer):
        return None
    source = sb._source
    return (source.ready_state if source is not None else None,
            *[tb.generation for tb in sb._track_buffers.values()])


# -- Pyodide ------------------------------------------------------------------------------
_bridge: Bridge | None = None


def _from_js(value: Any) -> Any:
    """A converted JS message: ``jsnull`` → None, typed arrays → read-only views."""
    if isinstance(value, dict):
        return {k: _from_js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_js(v) for v in value]
    if isinstance(value, memoryview):
        # to_py() already copied the bytes out of the page's buffer: that copy is the
        # one WebIDL asks for, so the engine may keep it as is.
        return value.toreadonly()
    if type(value).__name__ == "JsNull":
        return None
    return value


def page_cue(record: list[Any]) -> VTTCue:
    """A cue the page added to a track of its own, from its record ``[id, startTime,
    endTime, text, key, pauseOnExit]`` (times exact from the doubles; ``key`` the
    page's handle)."""
    cue_id, start, end, text, key, pause_on_exit = record
    return VTTCue(str(cue_id), from_double(float(start)), from_double(float(end)),
                  str(text), "", int(key), bool(pause_on_exit))


def handle_js(js_ops: Any, js_touched: Any = None) -> Any:
    """The worker's entry point: a JS array of ops (and of the ids the page touched)
    in, a JS object out."""
    global _bridge
    if _bridge is None:
        _bridge = Bridge()
    return handle_js_with(_bridge, js_ops, js_touched)


def handle_js_with(bridge: Bridge, js_ops: Any, js_touched: Any = None) -> Any:
    """``handle_js`` on a given bridge (the boot warm-up's private one)."""
    from js import Object  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    t0 = time.perf_counter()
    ops = _from_js(js_ops.to_py())
    t1 = time.perf_counter()
    touched = js_touched.to_py() if js_touched is not None else None
    reply = bridge.handle(ops, touched)
    t2 = time.perf_counter()
    reply["timing"] = {"toPy": (t1 - t0) * 1000, "handle": (t2 - t1) * 1000}
    out = to_js(reply, dict_converter=Object.fromEntries)
    out.timing.toJs = (time.perf_counter() - t2) * 1000
    return out


def warm_up(budget: float = 0.0) -> int:
    """Import what the first ``addSourceBuffer()`` / append would (the byte stream
    parsers are imported lazily), and with a ``budget`` (seconds) run the append path
    that long (``msepy.warmup``): at boot, not inside the first appends' latency."""
    from .bytestream import isobmff, mpegaudio, mpegts, webm  # noqa: F401
    from .warmup import warm_up as run
    return run(budget) if budget > 0 else 0


def reserve_heap() -> None:
    """The last step of the worker's boot (``msepy.warmup.reserve_heap``)."""
    from .warmup import reserve_heap as reserve
    reserve()


_idle_session: Any = None


def warm_idle(seconds: float) -> bool:
    """Rounds of the warm-up session for about ``seconds`` (at least one), run by the
    worker between the page's batches after a boot from its snapshot (web/worker.js);
    False when the session failed and warming is over."""
    global _idle_session
    from .warmup import Session
    if _idle_session is None:
        _idle_session = Session()
    _idle_session.run_for(seconds)
    return not _idle_session.failed


def warm_idle_end() -> None:
    """The idle warm-up is over: its session goes, with its garbage."""
    global _idle_session
    import gc
    _idle_session = None
    gc.collect()


def code_cache_ballast(seconds: float) -> bool:
    """``msepy.warmup.code_cache_ballast``, for the worker after a cold boot (True: it
    ran, as ``warm_idle`` reports)."""
    from .warmup import code_cache_ballast as run
    run(seconds)
    return True


def support_js() -> Any:
    from js import Object  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    return to_js(support_table(), dict_converter=Object.fromEntries)
