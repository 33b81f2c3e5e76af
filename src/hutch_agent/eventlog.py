"""The NDJSON events a command or terminal produced, kept for readers to replay and follow.

A log keeps a bounded amount whatever the process prints: the first `head` bytes of events and the
last `tail` bytes (by default 4 and 12 MiB); what falls between is dropped. The logs still open
share `OPEN_BUDGET`: when more than a few processes print that much at once, each keeps less (down
to `MIN_SHARE`), so the agent's memory stays bounded however many there are. Event numbers (the
offsets readers re-attach at) stay as they were. A reader whose next event was dropped gets one
`dropped` line instead, which stands for every event it skips (`events` of them: its offset
advances by that many) and says how many bytes of output the log has dropped in all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

BATCH = 1024 * 1024  # bytes of events sent to a reader in one write
LIVENESS_INTERVAL = 1.0  # seconds between checks that a waiting reader is still connected
HEAD = 4 * 1024 * 1024  # a command's first events kept (bytes of NDJSON)
TAIL = 12 * 1024 * 1024  # and its last ones
OPEN_BUDGET = 64 * 1024 * 1024  # what the open logs keep together, unless each is down to MIN_SHARE
MIN_SHARE = 512 * 1024
_open_logs = 0  # logs not closed yet
_open_lock = threading.Lock()
LINE_COST = 96  # what keeping a line costs beyond its bytes (its object, its list slots, its weight)


def ndjson_line(event: dict[str, Any]) -> bytes:
    """One event as a line of NDJSON (UTF-8 left unescaped: output text is most of the volume)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class EventLog:
    """Append-only lines, the first `head` and last `tail` bytes of them kept; any number of readers,
    each from its own offset, live until `close`."""

    def __init__(self, head: int = HEAD, tail: int = TAIL) -> None:
        global _open_logs
        with _open_lock:
            _open_logs += 1
        self._head: list[bytes] = []  # events 0 .. len(_head) - 1
        self._head_max = head
        self._tail: list[bytes] = []  # events _count - (len(_tail) - _start) .. _count - 1 from _start on
        self._weights: list[int] = []  # bytes of output each tail line carries
        self._start = 0  # index of the oldest kept tail line (the ones before are dropped, not yet compacted)
        self._tail_max = tail
        self._count = 0  # events appended
        self.size = 0  # what the kept lines cost, in bytes
        self._tail_size = 0
        self.dropped_bytes = 0  # bytes of output in the dropped events
        self._closed = False
        self._changed = threading.Condition()

    def append(self, line: bytes, weight: int = 0) -> None:
        """Add an event; `weight` is how many bytes of output it carries (for the `dropped` count)."""
        cost = len(line) + LINE_COST
        with self._changed:
            self._count += 1
            self.size += cost
            share = max(MIN_SHARE, OPEN_BUDGET // max(1, _open_logs))
            if self._start == len(self._tail) and self.size - self._tail_size <= min(self._head_max, share // 4):
                self._head.append(line)  # the head is open until the first line that goes past it
            else:
                self._tail.append(line)
                self._weights.append(weight)
                self._tail_size += cost
                self._drop_oldest(min(self._tail_max, share - share // 4))
            self._changed.notify_all()

    def _drop_oldest(self, limit: int) -> None:
        """Drop tail lines, oldest first, until the tail fits in `limit` (the newest line is always kept)."""
        while self._tail_size > limit and self._start < len(self._tail) - 1:
            cost = len(self._tail[self._start]) + LINE_COST
            self._tail_size -= cost
            self.size -= cost
            self.dropped_bytes += self._weights[self._start]
            self._tail[self._start] = b""  # its memory goes now, its slot with the next compaction
            self._start += 1
        if self._start > 1024 and self._start * 2 > len(self._tail):  # compact now and then: O(1) per line
            del self._tail[: self._start]
            del self._weights[: self._start]
            self._start = 0

    def close(self) -> None:
        """No more events will come: readers end once they have read everything."""
        global _open_logs
        with self._changed:
            if not self._closed:
                with _open_lock:
                    _open_logs -= 1
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
                while position >= self._count and not self._closed:
                    if not self._changed.wait(LIVENESS_INTERVAL) and reader_gone():
                        return
                batch, position = self._read(position)
                done = self._closed and position >= self._count
            if batch:
                yield b"".join(batch)
            if done:
                return

    def _read(self, position: int) -> tuple[list[bytes], int]:
        """Up to a batch of lines from event `position` on, and the position after them."""
        batch: list[bytes] = []
        size = 0
        tail_first = self._count - (len(self._tail) - self._start)  # the event number of the oldest kept
        while position < self._count and size < BATCH:
            if position < len(self._head):
                line = self._head[position]
                position += 1
            elif position < tail_first:
                skipped = tail_first - position
                line = ndjson_line({"type": "dropped", "events": skipped, "bytes": self.dropped_bytes})
                position = tail_first
            else:
                line = self._tail[self._start + position - tail_first]
                position += 1
            batch.append(line)
            size += len(line)
        return batch, position
