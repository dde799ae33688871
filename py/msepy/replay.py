"""Replay an MSE script against the engine (``python -m msepy replay SCRIPT.json``).

Theory of operation
-------------------
The script format and its output are a contract ("MSE replay scripts", in the
project's documents and README): the browser polyfill records scripts in it and a
browser's native MediaSource can run them.  A script is ``{"base": "media/", "ops":
[...]}``; each op is one call a page made on its MediaSource, a SourceBuffer or the
media element.

``run_script`` first *compiles* the whole script (every field checked, every file
found), so a bad script fails with ``ScriptError`` before anything runs.  It then
creates a ``TaskQueue``, a ``MediaSource`` and an ``HTMLMediaElement``, attaches them,
drains the queue until ``sourceopen``, and for each op: makes the call, drains every
task the call queued (so an ``append``/``remove`` has reached ``updateend`` or the
append error), and yields one output record.  The events come from
``TaskQueue.observers``, which sees every event fired, in order.

A record's keys are in the order of the format's example, values are plain JSON
(times rounded to whole microseconds, non-finite numbers as strings), so two runs of
the same script (or a run here and one in a browser) compare line by line.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from .element import HTMLMediaElement
from .errors import DOMException, exception_name
from .events import Event, EventTarget, TaskQueue
from .mediasource import MediaSource
from .timeranges import TimeRanges

__all__ = ["ScriptError", "run_script", "format_line", "number"]

NO_SOURCE_BUFFER = "NoSourceBuffer"
"""``exc`` of an op naming a SourceBuffer that was never added (or whose add threw)."""

RESERVED_NAMES = frozenset({"ms", "el", "sbl", "asbl"})
"""Event targets the format names itself; a SourceBuffer may not be called so."""

SB_ATTRS = {"mode": "mode", "timestampOffset": "timestamp_offset",
            "appendWindowStart": "append_window_start",
            "appendWindowEnd": "append_window_end"}
MS_ATTRS = {"duration": "duration"}
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# op name -> (required fields, optional fields).  ``append``'s data fields are checked
# apart (exactly one of file / hex / bytes).
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "add": (frozenset({"sb", "type"}), frozenset()),
    "append": (frozenset({"sb"}), frozenset({"file", "range", "hex", "bytes"})),
    "remove": (frozenset({"sb", "start", "end"}), frozenset()),
    "set": (frozenset({"attr", "value"}), frozenset({"sb"})),
    "get": (frozenset({"attr"}), frozenset({"sb"})),
    "abort": (frozenset({"sb"}), frozenset()),
    "changeType": (frozenset({"sb", "type"}), frozenset()),
    "removeSourceBuffer": (frozenset({"sb"}), frozenset()),
    "seek": (frozenset({"time"}), frozenset()),
    "eos": (frozenset(), frozenset({"error"})),
}


class ScriptError(ValueError):
    """The script itself is malformed (unknown op, missing field, missing file)."""


# -- output values -----------------------------------------------------------------------
def number(x: float) -> float | int | str:
    """A time as the format writes it: rounded to whole microseconds, integral values
    as JSON integers (``0``, ``30``, as JavaScript prints them), non-finite as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    scaled = x * 1e6
    r = round(scaled) / 1e6 if math.isfinite(scaled) else x
    # Integral values below 1e21 print as integers, as JavaScript prints them.
    return int(r) if r.is_integer() and abs(r) < 1e21 else r


def _ranges(tr: TimeRanges) -> list[list[float | int | str]]:
    return [[number(tr.start(i)), number(tr.end(i))] for i in range(tr.length)]


def format_line(record: dict[str, Any]) -> str:
    """One output line, as the CLI prints it."""
    return json.dumps(record, separators=(", ", ": "))


# -- compiling ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One checked op: ``name`` is the output's ``op`` (``set:mode``)."""

    name: str
    op: str
    sb: str | None
    args: tuple[Any, ...]
    """Arguments already converted (numbers as floats, bytes loaded lazily)."""


def _fail(index: int, op: Any, message: str) -> ScriptError:
    return ScriptError(f"op {index} ({op}): {message}")


def _num(index: int, op: str, field: str, value: Any) -> float:
    """A JSON number or one of "NaN" / "Infinity" / "-Infinity"."""
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(index, op, f"{field} must be a number or \"NaN\"/\"Infinity\"/"
                               f"\"-Infinity\", not {json.dumps(value)}")
    return float(value)


def _str(index: int, op: str, field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(index, op, f"{field} must be a string, not {json.dumps(value)}")
    return value


def _append_source(index: int, raw: dict[str, Any], base: Path) -> Callable[[], bytes]:
    """The bytes an ``append`` op gives, as a loader (files are read when the op runs)."""
    given = [k for k in ("file", "hex", "bytes") if k in raw]
    if len(given) != 1:
        raise _fail(index, "append", "needs exactly one of file, hex, bytes"
                    + (f" (got {', '.join(given)})" if given else ""))
    if "range" in raw and given != ["file"]:
        raise _fail(index, "append", "range goes with file only")
    if "hex" in raw:
        try:
            data = bytes.fromhex(_str(index, "append", "hex", raw["hex"]))
        except ValueError as exc:
            raise _fail(index, "append", f"hex: {exc}") from None
        return lambda: data
    if "bytes" in raw:
        values = raw["bytes"]
        if not isinstance(values, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255
                for v in values):
            raise _fail(index, "append", "bytes must be a list of integers 0-255")
        data = bytes(values)
        return lambda: data
    path = base / _str(index, "append", "file", raw["file"])
    if not path.is_file():
        raise _fail(index, "append", f"no such file: {path}")
    size = path.stat().st_size
    offset, length = 0, size
    if "range" in raw:
        rng = raw["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in rng)):
            raise _fail(index, "append", "range must be [offset, length] (integers >= 0)")
        offset, length = rng
        if offset + length > size:
            raise _fail(index, "append", f"range {rng} runs past the end of {path} "
                                         f"({size} bytes)")

    def load() -> bytes:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(length)
    return load


def compile_script(script: Any, base_dir: str | Path | None = None) -> list[Step]:
    """Check a script and turn its ops into ``Step`` s; ``ScriptError`` if malformed."""
    if not isinstance(script, dict):
        raise ScriptError("a script is a JSON object with \"ops\" (and optional \"base\")")
    unknown = set(script) - {"base", "ops"}
    if unknown:
        raise ScriptError(f"unknown top-level field(s): {', '.join(sorted(unknown))}")
    if "ops" not in script or not isinstance(script["ops"], list):
        raise ScriptError("the script needs \"ops\": a list of ops")
    base = Path(base_dir if base_dir is not None else ".")
    if "base" in script:
        if not isinstance(script["base"], str):
            raise ScriptError("\"base\" must be a string (a folder relative to the script)")
        base = base / script["base"]

    steps = []
    for index, raw in enumerate(script["ops"]):
        if not isinstance(raw, dict) or "op" not in raw:
            raise ScriptError(f"op {index}: each op is an object with an \"op\" field")
        op = raw["op"]
        if op not in FIELDS:
            raise _fail(index, op, f"unknown op; known ops: {', '.join(FIELDS)}")
        required, optional = FIELDS[op]
        missing = required - set(raw)
        if missing:
            raise _fail(index, op, f"missing field(s): {', '.join(sorted(missing))}")
        extra = set(raw) - required - optional - {"op"}
        if extra:
            raise _fail(index, op, f"unknown field(s): {', '.join(sorted(extra))}")
        sb = _str(index, op, "sb", raw["sb"]) if "sb" in raw else None
        if sb in RESERVED_NAMES:
            raise _fail(index, op, f"sb name {sb!r} is reserved for an event target")
        name, args = op, ()
        if op in ("add", "changeType"):
            args = (_str(index, op, "type", raw["type"]),)
        elif op == "append":
            args = (_append_source(index, raw, base),)
        elif op == "remove":
            args = (_num(index, op, "start", raw["start"]), _num(index, op, "end", raw["end"]))
        elif op in ("set", "get"):
            attr = _str(index, op, "attr", raw["attr"])
            attrs = SB_ATTRS if sb is not None else MS_ATTRS
            if attr not in attrs:
                where = "a SourceBuffer" if sb is not None else "the MediaSource (no sb)"
                raise _fail(index, op, f"attr {attr!r} is not one of {', '.join(attrs)} "
                                       f"on {where}")
            name = f"{op}:{attr}"
            if op == "set":
                value = raw["value"]
                value = (_str(index, op, "value", value) if attr == "mode"
                         else _num(index, op, "value", value))
                args = (attrs[attr], value)
            else:
                args = (attrs[attr],)
        elif op == "seek":
            args = (_num(index, op, "time", raw["time"]),)
        elif op == "eos":
            args = ((_str(index, op, "error", raw["error"]),) if "error" in raw else ())
        steps.append(Step(name=name, op=op, sb=sb, args=args))
    return steps


# -- running ------------------------------------------------------------------------------
class _Session:
    """The MediaSource, the element, the named SourceBuffers and the event log."""

    def __init__(self) -> None:
        self.queue = TaskQueue()
        self.ms = MediaSource(queue=self.queue)
        self.el = HTMLMediaElement(queue=self.queue)
        self.sbs: dict[str, Any] = {}
        """Script name → SourceBuffer (kept after removeSourceBuffer: ops on it then
        throw as they would in a page; dropped when an ``add`` of that name throws)."""
        self.targets: dict[int, str] = {
            id(self.ms): "ms", id(self.el): "el",
            id(self.ms.source_buffers): "sbl", id(self.ms.active_source_buffers): "asbl"}
        self.events: list[str] = []
        self.queue.observers.append(self._observe)
        self.el.src_object = self.ms
        self.queue.run_until_idle()
        if self.ms.ready_state != "open":
            raise RuntimeError(f"the MediaSource did not open (readyState "
                               f"{self.ms.ready_state!r})")
        self.events.clear()  # the attach is not an op: op 0 starts with a clean log

    def _observe(self, target: EventTarget, event: Event) -> None:
        # The format's targets only: ms, el, sbl, asbl and the named SourceBuffers.
        # Events at the track lists (addtrack, removetrack, change) and at tracks are
        # not in it, so they are left out.
        name = self.targets.get(id(target))
        if name is not None:
            self.events.append(f"{name}:{event.type}")

    def run(self, step: Step) -> dict[str, Any]:
        exc: str | None = None
        value: Any = None
        try:
            value = self._call(step)
        except _NoSourceBuffer:
            exc = NO_SOURCE_BUFFER
        except (DOMException, TypeError) as e:  # what a page would see thrown
            exc = exception_name(e)
        self.queue.run_until_idle()
        record: dict[str, Any] = {
            "op": step.name, "exc": exc, "events": self.events,
            "readyState": self.ms.ready_state, "duration": number(self.ms.duration),
            "buffered": {name: self._buffered(sb) for name, sb in self.sbs.items()},
            "elBuffered": _ranges(self.el.buffered), "elReadyState": self.el.ready_state,
        }
        if step.op == "get":
            record["value"] = value
        self.events = []
        return record

    @staticmethod
    def _buffered(sb: Any) -> list[list[Any]] | str:
        try:
            return _ranges(sb.buffered)
        except (DOMException, TypeError) as e:
            return exception_name(e)

    def _sb(self, name: str | None) -> Any:
        if name not in self.sbs:
            raise _NoSourceBuffer(name)
        return self.sbs[name]

    def _call(self, step: Step) -> Any:
        op, args = step.op, step.args
        if op == "add":
            self.sbs.pop(step.sb, None)
            sb = self.ms.add_source_buffer(*args)
            self.sbs[step.sb] = sb
            self.targets[id(sb)] = step.sb
        elif op == "set" and step.sb is None:
            setattr(self.ms, *args)
        elif op == "get" and step.sb is None:
            return _value(getattr(self.ms, *args))
        elif op == "seek":
            self.el.current_time = args[0]
        elif op == "eos":
            self.ms.end_of_stream(*args)
        else:
            sb = self._sb(step.sb)
            if op == "append":
                sb.append_buffer(args[0]())
            elif op == "remove":
                sb.remove(*args)
            elif op == "set":
                setattr(sb, *args)
            elif op == "get":
                return _value(getattr(sb, *args))
            elif op == "abort":
                sb.abort()
            elif op == "changeType":
                sb.change_type(*args)
            elif op == "removeSourceBuffer":
                self.ms.remove_source_buffer(sb)
        return None


class _NoSourceBuffer(Exception):
    pass


def _value(v: Any) -> Any:
    return v if isinstance(v, str) else number(v)


def run_script(script: Any, base_dir: str | Path | None = None) -> Iterator[dict[str, Any]]:
    """Run a replay script; yield one output record per op.

    ``base_dir`` is the script's folder (``base`` and ``file`` are relative to it; the
    current directory when None).  The whole script is checked first: a malformed one
    raises ``ScriptError`` here, before any op runs.
    """
    steps = compile_script(script, base_dir)
    return _run(steps)


def _run(steps: list[Step]) -> Iterator[dict[str, Any]]:
    session = _Session()
    for step in steps:
        yield session.run(step)


def main(path: str) -> int:
    """The CLI: print each record as a line; 2 for a bad script."""
    try:
        if path == "-":
            script, base_dir = json.load(sys.stdin), Path.cwd()
        else:
            with open(path, encoding="utf-8") as f:
                script = json.load(f)
            base_dir = Path(path).resolve().parent
        records = run_script(script, base_dir)
    except OSError as exc:
        print(f"replay: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"replay: {path} is not valid JSON: {exc}", file=sys.stderr)
        return 2
    except ScriptError as exc:
        print(f"replay: {path}: {exc}", file=sys.stderr)
        return 2
    for record in records:
        print(format_line(record), flush=True)
    return 0
