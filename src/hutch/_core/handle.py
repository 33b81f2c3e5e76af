"""What the sync and async process handles have in common (state, properties, callback plumbing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hutch._core.output import Call, Callbacks, OutputState
from hutch.exceptions import SandboxException
from hutch.types import CommandResult

C = TypeVar("C")
OwnerT = TypeVar("OwnerT")


@dataclass(eq=False, repr=False)
class HandleBase(Generic[C, OwnerT]):
    """A started command or terminal: its pid and what its output stream told so far.

    ``_owner`` is the sub-module (``commands`` or ``pty``) that kills it and writes to it;
    ``_open`` starts following its output into ``_state``.
    """

    _owner: OwnerT
    pid: int
    """The process ID inside the sandbox."""
    _open: Callable[[], Any]
    _state: OutputState[C]
    _callbacks: Callbacks[C] | None = None

    def __post_init__(self) -> None:
        self._started()

    def _started(self) -> None:
        """Hook: the async handles start reading at once."""

    @property
    def exit_code(self) -> int | None:
        """The exit code once it ended (as far as this handle has read), else None."""
        return self._state.exit_code

    @property
    def error(self) -> str | None:
        """Why it ended abnormally, if it did."""
        return self._state.error

    def _calls(self, chunk: C, extra: Callbacks[C] | None) -> list[Call]:
        """Callback calls for a new chunk: the handle's own callbacks and a waiter's."""
        calls = [] if self._callbacks is None else self._callbacks.calls(chunk)
        return calls + ([] if extra is None else extra.calls(chunk))

    def _result(self) -> CommandResult:
        """The final result once the stream has been read to the end."""
        if not self._state.finished:
            raise SandboxException(
                f"Stopped reading process {self.pid} before it ended (disconnected); "
                "attach again with connect(pid) to wait for it"
            )
        return self._state.final()

    @staticmethod
    def _replay(chunks: list[C], extra: Callbacks[C]) -> list[Call]:
        """Calls that bring a late waiter's callbacks up to date with output already read."""
        return [call for chunk in chunks for call in extra.calls(chunk)]

    def __repr__(self) -> str:
        status = "running" if self._state.exit_code is None else f"exited {self._state.exit_code}"
        return f"<{type(self).__name__} pid={self.pid} {status}>"
