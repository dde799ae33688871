"""The SourceBuffer's ``[[input buffer]]``: appended chunks, read without copying.

Chunks are kept as the memoryviews ``feed`` was given.  Reading ``n`` bytes that lie in
one chunk returns a slice of it (no copy).  Reading bytes that straddle chunks joins
*exactly the bytes needed* into one new ``bytes`` object, which replaces them in the
queue, so a byte is copied at most once however it is read afterwards.
"""

from __future__ import annotations

from collections import deque


class InputBuffer:
    __slots__ = ("_chunks", "_size", "consumed")

    def __init__(self) -> None:
        self._chunks: deque[memoryview] = deque()
        self._size = 0
        self.consumed = 0
        """Total bytes consumed since creation (stream position of ``peek(…)[0]``)."""

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"<InputBuffer {self._size} bytes in {len(self._chunks)} chunks @ {self.consumed}>"

    def feed(self, data: memoryview) -> None:
        if len(data):
            if data.format != "B" or data.ndim != 1:
                data = data.cast("B")
            self._chunks.append(data)
            self._size += len(data)

    def clear(self) -> None:
        self._chunks.clear()
        self._size = 0

    def front(self) -> memoryview | None:
        """The first buffered chunk as it is (contiguous, starting at ``consumed``)."""
        return self._chunks[0] if self._chunks else None

    def peek(self, n: int) -> memoryview | None:
        """The first ``n`` bytes as one contiguous view, or ``None`` if fewer are
        buffered.  Joins chunks only when the bytes straddle them."""
        if n > self._size:
            return None
        if n == 0:
            return memoryview(b"")
        first = self._chunks[0]
        if len(first) >= n:
            return first[:n]
        # Join exactly the chunks covering n bytes (and no more) into one.
        parts = []
        need = n
        while need > 0:
            chunk = self._chunks.popleft()
            if len(chunk) <= need:
                parts.append(chunk)
                need -= len(chunk)
            else:
                parts.append(chunk[:need])
                self._chunks.appendleft(chunk[need:])
                need = 0
        joined = memoryview(b"".join(parts))
        self._chunks.appendleft(joined)
        return joined

    def peek_upto(self, n: int) -> memoryview:
        """Up to ``n`` bytes from the front, contiguous (fewer if fewer are buffered)."""
        return self.peek(min(n, self._size))  # type: ignore[return-value]

    def skip(self, n: int) -> None:
        """Consume ``n`` bytes (``n`` <= len(self))."""
        if n > self._size:
            raise ValueError("skip past end of input buffer")
        self._size -= n
        self.consumed += n
        while n:
            chunk = self._chunks[0]
            if len(chunk) <= n:
                self._chunks.popleft()
                n -= len(chunk)
            else:
                self._chunks[0] = chunk[n:]
                n = 0

    def take(self, n: int) -> memoryview | None:
        """``peek(n)`` then ``skip(n)``: the bytes, consumed."""
        view = self.peek(n)
        if view is not None:
            self.skip(n)
        return view
