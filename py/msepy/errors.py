"""Exceptions a caller sees: the DOMException names the spec throws, and TypeError.

These are for *caller misuse* (calling ``append_buffer`` while ``updating``, setting a
negative ``duration`` …).  Bad media bytes never raise out of the engine: they take the
append error algorithm (see ``msepy.bytestream.ParseError``).
"""

from __future__ import annotations

__all__ = [
    "DOMException", "InvalidStateError", "NotSupportedError", "QuotaExceededError",
    "NotFoundError", "AbortError", "DataCloneError", "InvalidAccessError",
]


class DOMException(Exception):
    """Base of the WebIDL DOMException names; ``name`` is what JS code would see."""

    name = "DOMException"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{self.name}({self.message!r})"


class InvalidStateError(DOMException):
    name = "InvalidStateError"


class NotSupportedError(DOMException):
    name = "NotSupportedError"


class QuotaExceededError(DOMException):
    name = "QuotaExceededError"


class NotFoundError(DOMException):
    name = "NotFoundError"


class AbortError(DOMException):
    name = "AbortError"


class DataCloneError(DOMException):
    name = "DataCloneError"


class InvalidAccessError(DOMException):
    name = "InvalidAccessError"


def exception_name(exc: BaseException) -> str:
    """The name a page would see for ``exc`` (``"TypeError"``, ``"InvalidStateError"``)."""
    if isinstance(exc, DOMException):
        return exc.name
    return type(exc).__name__
