"""Events, EventTarget, and the deterministic task queue.

Theory of operation
-------------------
The spec says "queue a task to fire an event".  msepy has no threads and no asyncio:
every MediaSource, SourceBuffer and media element model shares one ``TaskQueue``,
a FIFO of callables that the *host* drains (``run_until_idle``).  A test appends and
then drains, and sees events in the exact order the spec's steps queued them.  In the
browser the worker drains after every message it handles.

``EventTarget`` mirrors the DOM: ``add_event_listener`` / ``remove_event_listener`` /
``dispatch_event`` and ``on<type>`` handler attributes (set to a callable or None).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

__all__ = ["Event", "TrackEvent", "CueEvent", "EventTarget", "TaskQueue", "Promise",
           "default_queue", "set_default_queue"]


class Event:
    """A DOM Event: ``type``, ``target`` and ``current_target`` (set on dispatch)."""

    __slots__ = ("type", "target", "current_target", "_stop")

    def __init__(self, type: str) -> None:
        self.type = type
        self.target: EventTarget | None = None
        self.current_target: EventTarget | None = None
        self._stop = False

    def stop_immediate_propagation(self) -> None:
        self._stop = True

    def __repr__(self) -> str:
        return f"<Event {self.type}>"


class TrackEvent(Event):
    """Fired at track lists (addtrack/removetrack): ``track`` is the track."""

    __slots__ = ("track",)

    def __init__(self, type: str, track: Any) -> None:
        super().__init__(type)
        self.track = track


class CueEvent(Event):
    """A text track cue's ``enter`` or ``exit`` (HTML "time marches on").  The DOM
    fires it at the cue; msepy's cues are values, so it is fired at the cue's track,
    with the cue as ``cue`` (the page side fires it at its cue object)."""

    __slots__ = ("cue",)

    def __init__(self, type: str, cue: Any) -> None:
        super().__init__(type)
        self.cue = cue


class _HandlerAttribute:
    """An ``on<type>`` event handler IDL attribute (a callable or None)."""

    def __init__(self, type: str) -> None:
        self.type = type

    def __get__(self, obj: "EventTarget | None", owner: type) -> Any:
        if obj is None:
            return self
        return obj._handlers.get(self.type)

    def __set__(self, obj: "EventTarget", value: Any) -> None:
        obj._handlers[self.type] = value if callable(value) else None


class EventTarget:
    """DOM-style listeners plus ``on<type>`` handler attributes.

    Subclasses list their event types in ``_event_types``; an ``on<type>`` attribute
    is made for each.
    """

    _event_types: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for type_ in cls.__dict__.get("_event_types", ()):
            setattr(cls, "on" + type_, _HandlerAttribute(type_))

    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[[Event], Any]]] = {}
        self._handlers: dict[str, Callable[[Event], Any] | None] = {}

    def add_event_listener(self, type: str, listener: Callable[[Event], Any]) -> None:
        listeners = self._listeners.setdefault(type, [])
        if listener not in listeners:
            listeners.append(listener)

    def remove_event_listener(self, type: str, listener: Callable[[Event], Any]) -> None:
        listeners = self._listeners.get(type)
        if listeners and listener in listeners:
            listeners.remove(listener)

    def dispatch_event(self, event: Event) -> bool:
        """Fire ``event`` now: the handler attribute first if it was set before any
        listener (as the DOM orders them, simplified: handler, then listeners)."""
        event.target = self
        event.current_target = self
        handler = self._handlers.get(event.type)
        if handler is not None:
            handler(event)
        for listener in list(self._listeners.get(event.type, ())):
            if event._stop:
                break
            listener(event)
        return True


class TaskQueue:
    """The event loop's task queue, drained by the host."""

    __slots__ = ("_tasks", "observers")

    def __init__(self) -> None:
        self._tasks: deque[tuple[Callable[[], Any], str, Any]] = deque()
        """(task, label, owner): ``owner`` is the object whose algorithm queued the task
        (a SourceBuffer's buffer append, say), or None."""
        self.observers: list[Callable[[EventTarget, Event], Any]] = []
        """Called for every event fired through ``fire`` (the replay tool's log)."""

    def __len__(self) -> int:
        return len(self._tasks)

    def __repr__(self) -> str:
        names = ", ".join(label for _, label, _ in list(self._tasks)[:8])
        more = f", … {len(self._tasks) - 8} more" if len(self._tasks) > 8 else ""
        return f"<TaskQueue [{names}{more}]>"

    def queue(self, task: Callable[[], Any], label: str = "task", owner: Any = None) -> None:
        """Queue a task (``owner``: the object whose algorithm it runs, if any)."""
        self._tasks.append((task, label, owner))

    def fire(self, target: EventTarget, event: Event | str) -> None:
        """Queue a task to fire an event at ``target``."""
        ev = Event(event) if isinstance(event, str) else event
        self._tasks.append((lambda: self.fire_now(target, ev), f"{ev.type}", None))

    def fire_now(self, target: EventTarget, event: Event | str) -> None:
        """Fire an event synchronously (for steps that say "fire", not "queue")."""
        ev = Event(event) if isinstance(event, str) else event
        for observer in self.observers:
            observer(target, ev)
        target.dispatch_event(ev)

    def run_one(self) -> bool:
        if not self._tasks:
            return False
        task, _, _ = self._tasks.popleft()
        task()
        return True

    def run_until_idle(self, limit: int = 1_000_000) -> int:
        """Run tasks (including ones they queue) until none are left."""
        n = 0
        while self._tasks:
            if n >= limit:
                raise RuntimeError(f"task queue did not go idle after {limit} tasks")
            task, _, _ = self._tasks.popleft()
            task()
            n += 1
        return n


_default = TaskQueue()


def default_queue() -> TaskQueue:
    """The queue objects use when none is given."""
    return _default


def set_default_queue(queue: TaskQueue) -> TaskQueue:
    """Replace the default queue (tests give each test its own); returns the old one."""
    global _default
    old, _default = _default, queue
    return old


class Promise:
    """A settled-later value, as the IDL's ``Promise<undefined>`` (appendEncodedChunks).

    Callbacks given to ``then`` run as tasks on the queue once the promise settles, as
    promise reactions do; ``state`` is "pending", "fulfilled" or "rejected".
    """

    __slots__ = ("_queue", "state", "result", "_reactions")

    def __init__(self, queue: TaskQueue) -> None:
        self._queue = queue
        self.state = "pending"
        self.result: Any = None
        self._reactions: list[tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]] = []

    def __repr__(self) -> str:
        return f"<Promise {self.state}{'' if self.result is None else ' ' + repr(self.result)}>"

    def then(self, on_fulfilled: Callable[[Any], Any] | None = None,
             on_rejected: Callable[[Any], Any] | None = None) -> None:
        self._reactions.append((on_fulfilled, on_rejected))
        if self.state != "pending":
            self._schedule()

    def resolve(self, value: Any = None) -> None:
        self._settle("fulfilled", value)

    def reject(self, reason: BaseException) -> None:
        self._settle("rejected", reason)

    def _settle(self, state: str, value: Any) -> None:
        if self.state != "pending":
            return
        self.state, self.result = state, value
        self._schedule()

    def _schedule(self) -> None:
        reactions, self._reactions = self._reactions, []
        for on_ok, on_err in reactions:
            callback = on_ok if self.state == "fulfilled" else on_err
            if callback is not None:
                self._queue.queue(lambda cb=callback: cb(self.result), "promise reaction")
