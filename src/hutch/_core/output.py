"""The state of a process's output stream and callback dispatch (sans-I/O; commands and pty build on it).

An :class:`OutputState` is fed the NDJSON events of ``streamCommandOutput`` / ``streamPtyOutput``
and keeps everything needed to re-attach after a dropped connection (``offset``), to answer
``stdout``/``stderr``/``exit_code`` at any time, and to build the final result.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hutch._core.errors import MALFORMED
from hutch.exceptions import CommandExitException, CommandTimeoutException, SandboxException
from hutch.types import CommandResult

if TYPE_CHECKING:
    from hutch._core.request import Op

C = TypeVar("C")

Call = tuple[Callable[[Any], object], Any]
"""A callback and the value to call it with; the facade calls it (and awaits it on async)."""


class OutputState(Generic[C]):
    """Output seen so far, how the process ended, and how many events were read."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.offset = 0
        self.chunks: list[C] = []
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.error: str | None = None
        self.timed_out = False
        self.finished = False

    def apply(self, event: Mapping[str, Any]) -> C | None:
        """Take one event; return the output chunk it carries, if any."""
        try:
            kind = event["type"]
            if kind == "exit":
                self.exit_code = int(event["exitCode"])
                signal = event.get("signal")
                self.signal = None if signal is None else int(signal)
                error = event.get("error")
                self.error = None if error is None else str(error)
                self.timed_out = event.get("reason") == "timeout"
                chunk = None
            else:
                chunk = self._chunk(kind, event)
            step = int(event["events"]) if kind == "dropped" else 1  # one line for the events the agent did not keep
        except (*MALFORMED, binascii.Error) as exc:
            raise SandboxException(f"The server sent a malformed output event {dict(event)!r}: {exc}") from exc
        self.offset += step
        self.finished = self.exit_code is not None
        if chunk is not None:
            self.chunks.append(chunk)
        return chunk

    def _chunk(self, kind: str, event: Mapping[str, Any]) -> C | None:
        raise NotImplementedError

    def _text(self) -> tuple[str, str]:
        raise NotImplementedError

    def result(self) -> CommandResult:
        """The result so far (``exit_code`` is -1 while it runs)."""
        stdout, stderr = self._text()
        code = -1 if self.exit_code is None else self.exit_code
        return CommandResult(stdout=stdout, stderr=stderr, exit_code=code, error=self.error)

    def final(self) -> CommandResult:
        """The result of a finished process; raises CommandExitException on a non-zero exit
        (CommandTimeoutException when the sandbox killed it for running past its timeout)."""
        result = self.result()
        if self.timed_out:
            raise CommandTimeoutException(result.stdout, result.stderr, result.exit_code, result.error)
        if result.exit_code != 0:
            raise CommandExitException(result.stdout, result.stderr, result.exit_code, result.error)
        return result


class Callbacks(Generic[C]):
    """Turns chunks into the callback calls to make."""

    def calls(self, chunk: C) -> list[Call]:
        raise NotImplementedError


@dataclass
class Started(Generic[C]):
    """A request that starts a process (command or terminal), with what its handle needs."""

    op: Op[Any]
    """Answers with the process (``ProcessInfo``) or, started in the foreground, its output stream."""
    callbacks: Callbacks[C] | None
    request_timeout: float | None
