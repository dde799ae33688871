"""Normalized TimeRanges.

A ``TimeRanges`` is immutable and always *normalized* as HTML defines it: ranges
sorted, start <= end, neither overlapping nor touching.  Bounds are exact
(``Fraction`` seconds, or ``math.inf`` for an unbounded end); the DOM-style accessors
``start(i)`` / ``end(i)`` return doubles, as a page would read them.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Iterator, Sequence

from .errors import DOMException

__all__ = ["TimeRanges", "IndexSizeError"]

Bound = Fraction | float | int


class IndexSizeError(DOMException):
    name = "IndexSizeError"


class TimeRanges:
    __slots__ = ("_ranges", "_doubles")

    def __init__(self, ranges: Iterable[tuple[Bound, Bound]] = ()) -> None:
        self._ranges: tuple[tuple[Bound, Bound], ...] = _normalize(ranges)
        self._doubles: list[list[float]] | None = None

    @classmethod
    def _of(cls, ranges: tuple[tuple[Bound, Bound], ...]) -> "TimeRanges":
        """A TimeRanges of ``ranges``, which are normalized already."""
        self = cls.__new__(cls)
        self._ranges, self._doubles = ranges, None
        return self

    # -- the DOM interface ----------------------------------------------------------
    @property
    def length(self) -> int:
        return len(self._ranges)

    def start(self, index: int) -> float:
        if not 0 <= index < len(self._ranges):
            raise IndexSizeError(f"index {index} out of range (length {len(self._ranges)})")
        return float(self._ranges[index][0])

    def end(self, index: int) -> float:
        if not 0 <= index < len(self._ranges):
            raise IndexSizeError(f"index {index} out of range (length {len(self._ranges)})")
        return float(self._ranges[index][1])

    # -- Python conveniences ----------------------------------------------------------
    @property
    def ranges(self) -> tuple[tuple[Bound, Bound], ...]:
        """The exact ranges."""
        return self._ranges

    def __len__(self) -> int:
        return len(self._ranges)

    def __iter__(self) -> Iterator[tuple[Bound, Bound]]:
        return iter(self._ranges)

    def __bool__(self) -> bool:
        return bool(self._ranges)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeRanges) and self._ranges == other._ranges

    def __hash__(self) -> int:
        return hash(self._ranges)

    def __repr__(self) -> str:
        body = ", ".join(f"[{float(s):.6g}, {float(e):.6g})" for s, e in self._ranges)
        return f"TimeRanges({body})"

    def as_floats(self) -> list[tuple[float, float]]:
        return [(s, e) for s, e in self.doubles()]

    def doubles(self) -> list[list[float]]:
        """``[[start, end], ...]`` as the page reads them: computed once per object
        (it is immutable), shared by every caller - do not modify."""
        if self._doubles is None:
            self._doubles = [[float(s), float(e)] for s, e in self._ranges]
        return self._doubles

    def contains(self, t: Bound) -> bool:
        """True if ``start <= t < end`` for some range."""
        return any(s <= t < e for s, e in self._ranges)

    def range_containing(self, t: Bound) -> tuple[Bound, Bound] | None:
        for s, e in self._ranges:
            if s <= t < e:
                return (s, e)
        return None

    @property
    def highest_end(self) -> Bound | None:
        return self._ranges[-1][1] if self._ranges else None

    # -- set operations ------------------------------------------------------------------
    def union(self, other: "TimeRanges") -> "TimeRanges":
        return TimeRanges(self._ranges + other._ranges)

    def intersection(self, other: "TimeRanges") -> "TimeRanges":
        out: list[tuple[Bound, Bound]] = []
        a, b = self._ranges, other._ranges
        i = j = 0
        while i < len(a) and j < len(b):
            s = max(a[i][0], b[j][0])
            e = min(a[i][1], b[j][1])
            if s < e:
                out.append((s, e))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        # Sorted, non-empty, and apart: a gap of one operand lies between any two.
        return TimeRanges._of(tuple(out))

    def difference(self, other: "TimeRanges") -> "TimeRanges":
        """Self minus other (what ManagedMediaSource's bufferedchange reports)."""
        out: list[tuple[Bound, Bound]] = []
        for s, e in self._ranges:
            cur = s
            for os_, oe in other._ranges:
                if oe <= cur or os_ >= e:
                    continue
                if os_ > cur:
                    out.append((cur, os_))
                cur = max(cur, oe)
                if cur >= e:
                    break
            if cur < e:
                out.append((cur, e))
        return TimeRanges(out)


def _normalize(ranges: Iterable[tuple[Bound, Bound]]) -> tuple[tuple[Bound, Bound], ...]:
    items: Sequence[tuple[Bound, Bound]] = sorted(
        (s, e) for s, e in ranges if s <= e and not (isinstance(s, float) and math.isnan(s)))
    out: list[tuple[Bound, Bound]] = []
    for s, e in items:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return tuple(out)
