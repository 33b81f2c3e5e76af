"""``sbx.pty`` / ``sbx.terminal``: interactive terminals in a sandbox."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Unpack

from hutch._core import checks
from hutch._core.base import SubModule
from hutch._core.output import Callbacks
from hutch._features import pty
from hutch._features.pty import DataCallbacks, PtyOptions, PtyOutput
from hutch.sandbox_async.handles import AsyncPtyHandle
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import PtySize


class AsyncPty(SubModule[AsyncApiClient]):
    """Interactive terminals (``/bin/bash -i -l`` on a pseudo-terminal) in a sandbox."""

    async def create(self, size: PtySize | None = None, **opts: Unpack[PtyOptions]) -> AsyncPtyHandle:
        """Start a terminal of ``size`` (24x80 by default); see :class:`~hutch.PtyOptions` for the keywords
        (on the async SDK, ``on_data`` may be a coroutine function)."""
        started = pty.create(self._sandbox_id, size, opts)
        info = await self._api.call(started.op, started.request_timeout)
        return self._handle(info.pid, started.callbacks)

    def _handle(
        self, pid: int, callbacks: Callbacks[bytes] | None = None, limit: float | None = None
    ) -> AsyncPtyHandle:
        state = PtyOutput(pid)
        make_op = functools.partial(pty.output, self._sandbox_id, pid)
        return AsyncPtyHandle(self, pid, lambda: self._api.follow(make_op, state, limit), state, callbacks)

    async def connect(
        self,
        pid: int,
        on_data: Callable[[bytes], object] | None = None,
        timeout: float = 60,
        request_timeout: float | None = None,
    ) -> AsyncPtyHandle:
        """Attach to a terminal: its output is replayed from the start, then followed for up to ``timeout``
        seconds (0 = no limit; the terminal itself is not affected), as E2B's; ``on_data`` gets each
        chunk. ``request_timeout`` is accepted (attaching sends no request of its own)."""
        return self._handle(checks.pid(pid), DataCallbacks.of(on_data), limit=timeout)

    async def send_stdin(self, pid: int, data: str | bytes, request_timeout: float | None = None) -> None:
        """Type ``data`` into the terminal."""
        await self._api.call(pty.send_input(self._sandbox_id, pid, data), request_timeout)

    async def resize(self, pid: int, size: PtySize, request_timeout: float | None = None) -> None:
        """Set the terminal's rows and columns (its programs get SIGWINCH)."""
        await self._api.call(pty.resize(self._sandbox_id, pid, size), request_timeout)

    async def kill(self, pid: int, request_timeout: float | None = None) -> bool:
        """SIGKILL the terminal; False if it was already gone."""
        return await self._api.call(pty.kill(self._sandbox_id, pid), request_timeout)
