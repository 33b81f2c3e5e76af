"""``sbx.commands`` (sync; mirrors ``sandbox_async.commands``)."""

from __future__ import annotations

import functools
from typing import Literal, Unpack, overload

from hutch._core import request as ops
from hutch._core.base import SubModule
from hutch._core.output import Callbacks, CommandChunk, CommandOutput
from hutch._features.sandboxes import RunOptions, plan_run
from hutch.sandbox_sync.handles import CommandHandle
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import CommandResult, ProcessInfo


class Commands(SubModule[ApiClient]):
    """Run and manage processes in a sandbox."""

    @overload
    def run(self, cmd: str, background: Literal[False] = False, **opts: Unpack[RunOptions]) -> CommandResult: ...
    @overload
    def run(self, cmd: str, background: Literal[True], **opts: Unpack[RunOptions]) -> CommandHandle: ...
    @overload
    def run(self, cmd: str, background: bool, **opts: Unpack[RunOptions]) -> CommandResult | CommandHandle: ...
    def run(self, cmd: str, background: bool = False, **opts: Unpack[RunOptions]) -> CommandResult | CommandHandle:
        """Run ``cmd`` with ``/bin/bash -l -c``; see :class:`~hutch.RunOptions` for the keywords.

        In the foreground it waits and returns a :class:`CommandResult`; ``on_stdout`` /
        ``on_stderr`` get each line live, as the command prints it. A non-zero exit raises
        :class:`~hutch.exceptions.CommandExitException`. With ``background=True`` it returns a
        :class:`CommandHandle` at once. ``timeout`` (default 60 s, 0 = none) is enforced inside
        the sandbox by killing the command's process tree.
        """
        started = plan_run(self._sandbox_id, cmd, opts)
        info = self._api.call(started.op, started.request_timeout)
        handle = self._handle(info.pid, started.callbacks)
        return handle if background else handle.wait()

    def _handle(
        self, pid: int, callbacks: Callbacks[CommandChunk] | None = None, limit: float | None = None
    ) -> CommandHandle:
        state = CommandOutput(pid)
        make_op = functools.partial(ops.command_output, self._sandbox_id, pid)
        return CommandHandle(self, pid, lambda: self._api.follow(make_op, state, limit), state, callbacks)

    def connect(self, pid: int, timeout: float = 60) -> CommandHandle:
        """Attach to a running or finished command: its output is replayed from the start, then followed
        for up to ``timeout`` seconds (0 = no limit; the command itself is not affected).

        Raises:
            NotFoundException: if there is no such command.
        """
        self._api.call(ops.get_process(self._sandbox_id, pid))
        return self._handle(pid, limit=timeout)

    def list(self, request_timeout: float | None = None) -> list[ProcessInfo]:
        """Commands started in this sandbox, running and finished, oldest first."""
        return self._api.call(ops.list_processes(self._sandbox_id), request_timeout)

    def kill(self, pid: int, request_timeout: float | None = None) -> bool:
        """SIGKILL the command's process group; False if it was already gone."""
        return self._api.call(ops.kill_process(self._sandbox_id, pid), request_timeout)

    def send_signal(self, pid: int, signal: int, request_timeout: float | None = None) -> None:
        """Send any signal (a number or a ``signal.Signals``) to the command's process group."""
        self._api.call(ops.signal_process(self._sandbox_id, pid, signal), request_timeout)

    def send_stdin(self, pid: int, data: str | bytes, request_timeout: float | None = None) -> None:
        """Write to the stdin of a command started with ``stdin=True``."""
        self._api.call(ops.send_stdin(self._sandbox_id, pid, data), request_timeout)

    def close_stdin(self, pid: int, request_timeout: float | None = None) -> None:
        """Close the command's stdin so that it reads end of file."""
        self._api.call(ops.close_stdin(self._sandbox_id, pid), request_timeout)
