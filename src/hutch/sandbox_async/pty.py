"""``sbx.pty`` / ``sbx.terminal`` (async; mirrors ``sandbox_sync.pty``)."""

from __future__ import annotations

import functools
from typing import Unpack

from hutch._core import request as ops
from hutch._core.base import SubModule
from hutch._core.output import Callbacks, PtyOutput
from hutch._features.sandboxes import PtyOptions, plan_pty
from hutch.sandbox_async.handles import AsyncPtyHandle
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import PtySize


class AsyncPty(SubModule[AsyncApiClient]):
    """Interactive terminals in a sandbox (every method is awaited)."""

    async def create(self, size: PtySize | None = None, **opts: Unpack[PtyOptions]) -> AsyncPtyHandle:
        """Start a terminal of ``size`` (24x80 by default); ``on_data`` may be sync or async."""
        started = plan_pty(self._sandbox_id, size, opts)
        info = await self._api.call(started.op, started.request_timeout)
        return self._handle(info.pid, started.callbacks)

    def _handle(self, pid: int, callbacks: Callbacks[bytes] | None = None) -> AsyncPtyHandle:
        state = PtyOutput(pid)
        make_op = functools.partial(ops.pty_output, self._sandbox_id, pid)
        return AsyncPtyHandle(self, pid, lambda: self._api.follow(make_op, state), state, callbacks)

    async def connect(self, pid: int) -> AsyncPtyHandle:
        """Attach to a terminal; its output is replayed from the start, then followed."""
        return self._handle(pid)

    async def send_stdin(self, pid: int, data: str | bytes) -> None:
        """Type ``data`` into the terminal."""
        await self._api.call(ops.pty_input(self._sandbox_id, pid, data))

    async def resize(self, pid: int, size: PtySize) -> None:
        """Set the terminal's rows and columns."""
        await self._api.call(ops.pty_resize(self._sandbox_id, pid, size))

    async def kill(self, pid: int) -> bool:
        """SIGKILL the terminal; False if it was already gone."""
        return await self._api.call(ops.pty_kill(self._sandbox_id, pid))
