"""The part every streaming parser shares: its input buffer and a guarded ``parse``.

A parser subclasses ``StreamingParser``, keeps its bytes in ``self._buf`` (an
``InputBuffer``) and writes ``_events(frames)``: a generator of segment events that
appends complete coded frames to ``frames`` as it goes.  ``parse`` hands those frames
out as ``CodedFrames`` before each event (and at the end, and before a ParseError:
the segment parser loop processes the frames that preceded the error), and makes a
ParseError sticky until ``reset()``.  An unexpected exception out of ``_events`` is a
parser bug meeting hostile bytes: it becomes a ParseError too, so nothing else ever
escapes.
"""

from __future__ import annotations

from typing import Iterator

from ._input import InputBuffer
from ._types import CodedFrame, CodedFrames, ParseError, SegmentEvent

UNEXPECTED = (ArithmeticError, AssertionError, IndexError, KeyError, TypeError,
              ValueError, UnicodeError, RecursionError, MemoryError)


class StreamingParser:
    _buf: InputBuffer
    _error: ParseError | None

    def _format_name(self) -> str:
        raise NotImplementedError

    def _events(self, frames: list[CodedFrame]) -> Iterator[SegmentEvent]:
        raise NotImplementedError

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf)

    def feed(self, data: memoryview) -> None:
        self._buf.feed(data)

    def parse(self) -> Iterator[SegmentEvent]:
        if self._error is not None:
            raise self._error
        frames: list[CodedFrame] = []
        try:
            for event in self._events(frames):
                if frames:
                    yield CodedFrames(frames[:])
                    frames.clear()
                yield event
        except ParseError as exc:
            self._error = exc
        except UNEXPECTED as exc:                  # a bug's last line of defence
            self._error = ParseError(f"{self._format_name()}: malformed input ({exc!r})")
            self._error.__cause__ = exc
        if frames:
            yield CodedFrames(frames[:])
            frames.clear()
        if self._error is not None:
            raise self._error
