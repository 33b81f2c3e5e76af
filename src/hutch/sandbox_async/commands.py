"""``sbx.commands``: run and manage processes in a sandbox."""

from __future__ import annotations

import functools
from typing import Literal, Unpack, overload

from hutch._core.base import SubModule
from hutch._core.output import Callbacks
from hutch._features import commands
from hutch._features.commands import CommandChunk, CommandOutput, OutputCallback, OutputCallbacks, RunOptions
from hutch.sandbox_async.handles import AsyncCommandHandle
from hutch.sandbox_async.transport import AsyncApiClient, AsyncFollow
from hutch.types import CommandResult, ProcessInfo


class AsyncCommands(SubModule[AsyncApiClient]):
    """Run and manage processes in a sandbox."""

    @overload
    async def run(self, cmd: str, background: Literal[False] = False, **opts: Unpack[RunOptions]) -> CommandResult: ...
    @overload
    async def run(self, cmd: str, background: Literal[True], **opts: Unpack[RunOptions]) -> AsyncCommandHandle: ...
    @overload
    async def run(
        self, cmd: str, background: bool, **opts: Unpack[RunOptions]
    ) -> CommandResult | AsyncCommandHandle: ...
    async def run(
        self, cmd: str, background: bool = False, **opts: Unpack[RunOptions]
    ) -> CommandResult | AsyncCommandHandle:
        """Run ``cmd`` with ``/bin/bash -l -c``; see :class:`~hutch.RunOptions` for the keywords.

        In the foreground it waits and returns a :class:`CommandResult`; ``on_stdout`` /
        ``on_stderr`` get each chunk live, as the command prints it (on the async SDK they may be
        coroutine functions). A non-zero exit raises :class:`~hutch.exceptions.CommandExitException`.
        With ``background=True`` it returns a handle at once. ``timeout`` (default 60 s, 0 = none) is
        enforced inside the sandbox by killing the command's process tree.
        """
        started = commands.run(self._sandbox_id, cmd, opts, background=background)
        if background:
            info = await self._api.call(started.op, started.request_timeout)
            return self._handle(info.pid, started.callbacks)
        output = functools.partial(commands.output, self._sandbox_id)
        follow = await self._api.start_following(started.op, output, CommandOutput, started.request_timeout)
        handle = self._handle(follow.state.pid, started.callbacks, follow=follow)
        try:
            return await handle.wait()
        finally:
            handle._stop()

    def _handle(
        self,
        pid: int,
        callbacks: Callbacks[CommandChunk] | None = None,
        limit: float | None = None,
        follow: AsyncFollow[CommandChunk] | None = None,
    ) -> AsyncCommandHandle:
        """A handle on ``pid``; ``follow`` is the output stream its start already opened, read first."""
        state = CommandOutput(pid) if follow is None else follow.state
        make_op = functools.partial(commands.output, self._sandbox_id, pid)
        opened = [] if follow is None else [follow]

        def open_follow() -> AsyncFollow[CommandChunk]:
            return opened.pop() if opened else self._api.follow(make_op, state, limit)

        return AsyncCommandHandle(self, pid, open_follow, state, callbacks)

    async def connect(
        self,
        pid: int,
        timeout: float = 60,
        request_timeout: float | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
    ) -> AsyncCommandHandle:
        """Attach to a running or finished command: its output is replayed from the start, then followed
        for up to ``timeout`` seconds (0 = no limit; the command itself is not affected); ``on_stdout`` /
        ``on_stderr`` (E2B's async ones) get every chunk.

        Raises:
            NotFoundException: if there is no such command.
        """
        await self._api.call(commands.get_process(self._sandbox_id, pid), request_timeout)
        return self._handle(pid, OutputCallbacks.of(on_stdout, on_stderr), limit=timeout)

    async def list(self, request_timeout: float | None = None) -> list[ProcessInfo]:
        """Commands started in this sandbox, running and finished, oldest first."""
        return await self._api.call(commands.list_processes(self._sandbox_id), request_timeout)

    async def kill(self, pid: int, request_timeout: float | None = None) -> bool:
        """SIGKILL the command's process group; False if it was already gone."""
        return await self._api.call(commands.kill(self._sandbox_id, pid), request_timeout)

    async def send_signal(self, pid: int, signal: int, request_timeout: float | None = None) -> None:
        """Send any signal (a number or a ``signal.Signals``) to the command's process group."""
        await self._api.call(commands.signal(self._sandbox_id, pid, signal), request_timeout)

    async def send_stdin(self, pid: int, data: str | bytes, request_timeout: float | None = None) -> None:
        """Write to the stdin of a command started with ``stdin=True``."""
        await self._api.call(commands.send_stdin(self._sandbox_id, pid, data), request_timeout)

    async def close_stdin(self, pid: int, request_timeout: float | None = None) -> None:
        """Close the command's stdin so that it reads end of file."""
        await self._api.call(commands.close_stdin(self._sandbox_id, pid), request_timeout)
