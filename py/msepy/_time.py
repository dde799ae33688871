"""Exact time.

Inside msepy a time is a ``fractions.Fraction`` of seconds (or ``math.inf`` where the
spec allows "positive Infinity"), and a coded frame's timestamps are integer ticks of
its track buffer's timescale.  Doubles exist only at the API: ``from_double`` turns an
API double into the rational it most plausibly denotes, ``to_double`` goes back.

``from_double`` picks the closest fraction with a denominator of at most 10**6
(``Fraction.limit_denominator``).  It recovers the value a page meant — ``0.1`` is
1/10, ``1001/30000`` is exactly 1001/30000 — and it is within 10**-12 s of the double
(far below the microsecond the spec's overlap tolerance works in), so
``to_double(from_double(x)) == x`` for every double a page would write.
"""

from __future__ import annotations

import math
from fractions import Fraction

Time = Fraction  # seconds; math.inf where unbounded

INF = math.inf
ZERO = Fraction(0)
MICROSECOND = Fraction(1, 1_000_000)
_MAX_DEN = 1_000_000


def from_double(x: float) -> Fraction | float:
    """An API double (finite or ±inf) → exact time.  NaN is the caller's to reject."""
    if math.isinf(x):
        return x
    f = Fraction(x)
    if f.denominator <= _MAX_DEN:
        return f
    g = f.limit_denominator(_MAX_DEN)
    # Keep the approximation only when it rounds back to the same double.
    return g if float(g) == x else f


def to_double(t: Fraction | float | int) -> float:
    return float(t)


def ticks_to_time(ticks: int, timescale: int) -> Fraction:
    return Fraction(ticks, timescale)


def floor_ticks(t: Fraction | float, timescale: int) -> int | float:
    """The largest tick count whose time is <= t (±inf pass through)."""
    if isinstance(t, float):
        return t
    return (t.numerator * timescale) // t.denominator


def ceil_ticks(t: Fraction | float, timescale: int) -> int | float:
    """The smallest tick count whose time is >= t (±inf pass through)."""
    if isinstance(t, float):
        return t
    return -((-t.numerator * timescale) // t.denominator)


def fmt(t: Fraction | float | None) -> str:
    """A time for messages and reprs: ``1.5`` / ``inf``."""
    if t is None:
        return "unset"
    return f"{float(t):.6g}"
