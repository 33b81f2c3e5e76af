"""The NDJSON events a command or terminal produced, kept whole so readers can replay and follow."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

BATCH = 1024 * 1024  # bytes of events sent to a reader in one write
LIVENESS_INTERVAL = 1.0  # seconds between checks that a waiting reader is still connected


def ndjson_line(event: dict[str, Any]) -> bytes:
    """One event as a line of NDJSON (UTF-8 left unescaped: output text is most of the volume)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class EventLog:
    """Append-only lines; any number of readers, each from its own offset, live until `close`.

    With `max_bytes`, the oldest lines are dropped once the log is bigger: event numbers stay
    as they were, and a reader asking for a dropped one starts at the oldest kept.
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self._lines: list[bytes] = []
        self._first = 0  # the event number of self._lines[0]
        self.size = 0  # bytes kept
        self._max_bytes = max_bytes
        self._closed = False
        self._changed = threading.Condition()

    def append(self, line: bytes) -> None:
        with self._changed:
            self._lines.append(line)
            self.size += len(line)
            if self._max_bytes is not None and self.size > self._max_bytes:
                dropped = 0
                while self.size > self._max_bytes and dropped < len(self._lines) - 1:
                    self.size -= len(self._lines[dropped])
                    dropped += 1
                del self._lines[:dropped]
                self._first += dropped
            self._changed.notify_all()

    def close(self) -> None:
        """No more events will come: readers end once they have read everything."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def follow(self, offset: int, reader_gone: Callable[[], bool]) -> Iterator[bytes]:
        """Events from `offset` on, in batches, waiting for new ones until the log is closed.

        While waiting, `reader_gone` is asked now and then, so a reader that hung up on a quiet
        process does not keep its thread forever.
        """
        position = offset
        while True:
            with self._changed:
                while position >= self._first + len(self._lines) and not self._closed:
                    if not self._changed.wait(LIVENESS_INTERVAL) and reader_gone():
                        return
                index = max(0, position - self._first)
                batch: list[bytes] = []
                size = 0
                while index < len(self._lines) and size < BATCH:
                    size += len(self._lines[index])
                    batch.append(self._lines[index])
                    index += 1
                position = self._first + index
                done = self._closed and index >= len(self._lines)
            if batch:
                yield b"".join(batch)
            if done:
                return
