"""Following a command's or terminal's output across reconnects (sans-I/O, shared)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from hutch._core.ndjson import NdjsonDecoder, decode_line
from hutch._core.output import OutputState
from hutch._core.request import Op
from hutch._core.retry import Attempts
from hutch.config import ConnectionConfig
from hutch.exceptions import NotFoundException, SandboxException, TimeoutException

C = TypeVar("C")


class Follower(Generic[C]):
    """Decides which request to send next, turns the bytes read into output chunks, and says how
    long to wait before re-attaching (at the event offset reached) when a stream breaks off."""

    def __init__(
        self,
        make_op: Callable[[int], Op[Any]],
        state: OutputState[C],
        config: ConnectionConfig,
        limit: float | None = None,
    ) -> None:
        self._make_op = make_op
        self._state = state
        self._attempts = Attempts(config, True, NotFoundException)
        self._decoder = NdjsonDecoder()
        self._limit = limit or None
        self._deadline = None if self._limit is None else time.monotonic() + self._limit

    @property
    def time_left(self) -> float | None:
        """Seconds left to follow (``connect(pid, timeout=...)``), or None for no limit."""
        return None if self._deadline is None else max(0.001, self._deadline - time.monotonic())

    def _check_deadline(self) -> None:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise TimeoutException(
                f"Stopped following process {self._state.pid} after {self._limit} s (the timeout given to "
                "connect); it may still be running: connect again, or pass timeout=0 for no limit"
            )

    @property
    def state(self) -> OutputState[C]:
        return self._state

    @property
    def done(self) -> bool:
        return self._state.finished

    def next_op(self) -> Op[Any] | None:
        """The request for the next connection, or None once the process has ended."""
        if self._state.finished:
            return None
        self._check_deadline()
        self._decoder = NdjsonDecoder()
        op = self._make_op(self._state.offset)
        return op if self._deadline is None else dataclasses.replace(op, idle=False)

    def feed(self, data: bytes) -> list[C]:
        """Output chunks in ``data`` (events after ``exit`` are ignored)."""
        self._check_deadline()
        chunks: list[C] = []
        for event in self._decoder.feed(data):
            if self._state.finished:
                break
            self._attempts.reset()
            chunk = self._state.apply(event)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    def ended(self) -> float:
        """The stream closed; the delay before re-attaching if the process has not ended (or raise)."""
        for event in self._decoder.close():
            self._state.apply(event)
        if self._state.finished:
            return 0.0
        return self._attempts.after_drop(SandboxException("The output stream ended before the process did"))

    def dropped(self, exc: Exception) -> float:
        """The connection failed mid-stream: the delay before re-attaching, or raise it mapped."""
        self._check_deadline()
        return self._attempts.after_drop(exc)


def started_pid(head: bytes) -> int | None:
    """The pid of a process whose start answered with its event stream (``startCommand?stream=true``),
    once ``head`` (the stream's first bytes) holds the first line, its ``start`` event; else None."""
    end = head.find(b"\n")
    if end < 0:
        return None
    event = decode_line(head[:end])
    pid = event.get("pid")
    if event.get("type") != "start" or not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise SandboxException(f"The server's output stream did not begin with a start event: {head[:200]!r}")
    return pid
