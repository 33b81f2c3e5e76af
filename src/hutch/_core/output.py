"""State of a command's (or terminal's) output stream and callback dispatch (sans-I/O, shared).

An :class:`OutputState` is fed the NDJSON events of ``streamCommandOutput`` / ``streamPtyOutput``
and keeps everything needed to re-attach after a dropped connection (``offset``), to answer
``stdout``/``stderr``/``exit_code`` at any time, and to build the final result.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from hutch._core.errors import MALFORMED
from hutch._core.ndjson import LineSplitter
from hutch.exceptions import CommandExitException, SandboxException
from hutch.types import CommandResult

C = TypeVar("C")

CommandChunk = tuple[str | None, str | None]
"""What iterating a command handle yields: ``(stdout, stderr)``, one of them None."""

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
                chunk = None
            else:
                chunk = self._chunk(kind, event)
        except (*MALFORMED, binascii.Error) as exc:
            raise SandboxException(f"The server sent a malformed output event {dict(event)!r}: {exc}") from exc
        self.offset += 1
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
        """The result of a finished process; raises CommandExitException on a non-zero exit."""
        result = self.result()
        if result.exit_code != 0:
            raise CommandExitException(result.stdout, result.stderr, result.exit_code, result.error)
        return result


class CommandOutput(OutputState[CommandChunk]):
    """Output of a command: ``stdout`` and ``stderr`` events."""

    def _chunk(self, kind: str, event: Mapping[str, Any]) -> CommandChunk | None:
        if kind == "stdout":
            return (str(event["data"]), None)
        if kind == "stderr":
            return (None, str(event["data"]))
        return None  # "start" and types a newer server may add

    def _text(self) -> tuple[str, str]:
        return self.stdout, self.stderr

    @property
    def stdout(self) -> str:
        return "".join(out for out, _ in self.chunks if out is not None)

    @property
    def stderr(self) -> str:
        return "".join(err for _, err in self.chunks if err is not None)


class PtyOutput(OutputState[bytes]):
    """Output of a terminal: base64 ``data`` events."""

    def _chunk(self, kind: str, event: Mapping[str, Any]) -> bytes | None:
        if kind == "data":
            return base64.b64decode(str(event["data"]), validate=True)
        return None

    def _text(self) -> tuple[str, str]:
        return b"".join(self.chunks).decode("utf-8", "replace"), ""


class Callbacks(Generic[C]):
    """Turns chunks into the callback calls to make."""

    def calls(self, chunk: C) -> list[Call]:
        raise NotImplementedError

    def flush(self) -> list[Call]:
        return []


LineCallback = Callable[[str], object]
"""``on_stdout`` / ``on_stderr``: called with each line; on async handles it may be a coroutine function."""


class LineCallbacks(Callbacks[CommandChunk]):
    """``on_stdout`` / ``on_stderr`` get each complete line (without its ``\\n``) as soon as it arrives."""

    @classmethod
    def of(cls, on_stdout: LineCallback | None, on_stderr: LineCallback | None) -> LineCallbacks | None:
        """The callbacks, or None when neither is given."""
        return cls(on_stdout, on_stderr) if on_stdout or on_stderr else None

    def __init__(self, on_stdout: Callable[[str], object] | None, on_stderr: Callable[[str], object] | None) -> None:
        self._targets = ((on_stdout, LineSplitter()), (on_stderr, LineSplitter()))

    def calls(self, chunk: CommandChunk) -> list[Call]:
        out: list[Call] = []
        for (callback, splitter), text in zip(self._targets, chunk, strict=True):
            if callback is not None and text is not None:
                out.extend((callback, line) for line in splitter.feed(text))
        return out

    def flush(self) -> list[Call]:
        return [(cb, line) for cb, splitter in self._targets if cb is not None for line in splitter.flush()]


class DataCallbacks(Callbacks[bytes]):
    """``on_data`` gets each chunk of terminal output as it arrives."""

    def __init__(self, on_data: Callable[[bytes], object] | None) -> None:
        self._on_data = on_data

    def calls(self, chunk: bytes) -> list[Call]:
        return [] if self._on_data is None else [(self._on_data, chunk)]
