"""Following a command's or terminal's output across reconnects (sans-I/O, shared)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from hutch._ndjson import NdjsonDecoder
from hutch._ops import Op
from hutch._output import OutputState
from hutch._retry import Attempts
from hutch.config import ConnectionConfig
from hutch.exceptions import NotFoundException, SandboxException

C = TypeVar("C")


class Follower(Generic[C]):
    """Decides which request to send next, turns the bytes read into output chunks, and says how
    long to wait before re-attaching (at the event offset reached) when a stream breaks off."""

    def __init__(self, make_op: Callable[[int], Op[Any]], state: OutputState[C], config: ConnectionConfig) -> None:
        self._make_op = make_op
        self._state = state
        self._attempts = Attempts(config, True, NotFoundException)
        self._decoder = NdjsonDecoder()

    @property
    def done(self) -> bool:
        return self._state.finished

    def next_op(self) -> Op[Any] | None:
        """The request for the next connection, or None once the process has ended."""
        if self._state.finished:
            return None
        self._decoder = NdjsonDecoder()
        return self._make_op(self._state.offset)

    def feed(self, data: bytes) -> list[C]:
        """Output chunks in ``data`` (events after ``exit`` are ignored)."""
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
        return self._attempts.after_drop(exc)
