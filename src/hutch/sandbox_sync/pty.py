"""``sbx.pty`` / ``sbx.terminal`` (sync; mirrors ``sandbox_async.pty``)."""

from __future__ import annotations

import functools
from typing import Unpack

from hutch._core import request as ops
from hutch._core.base import SubModule
from hutch._core.output import Callbacks, PtyOutput
from hutch._features.sandboxes import PtyOptions, plan_pty
from hutch.sandbox_sync.handles import PtyHandle
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import PtySize


class Pty(SubModule[ApiClient]):
    """Interactive terminals (``/bin/bash -i -l`` on a pseudo-terminal) in a sandbox."""

    def create(self, size: PtySize | None = None, **opts: Unpack[PtyOptions]) -> PtyHandle:
        """Start a terminal of ``size`` (24x80 by default); see :class:`~hutch.PtyOptions` for the keywords."""
        started = plan_pty(self._sandbox_id, size, opts)
        info = self._api.call(started.op, started.request_timeout)
        return self._handle(info.pid, started.callbacks)

    def _handle(self, pid: int, callbacks: Callbacks[bytes] | None = None) -> PtyHandle:
        state = PtyOutput(pid)
        make_op = functools.partial(ops.pty_output, self._sandbox_id, pid)
        return PtyHandle(self, pid, lambda: self._api.follow(make_op, state), state, callbacks)

    def connect(self, pid: int) -> PtyHandle:
        """Attach to a terminal; its output is replayed from the start, then followed."""
        return self._handle(pid)

    def send_stdin(self, pid: int, data: str | bytes) -> None:
        """Type ``data`` into the terminal."""
        self._api.call(ops.pty_input(self._sandbox_id, pid, data))

    def resize(self, pid: int, size: PtySize) -> None:
        """Set the terminal's rows and columns (its programs get SIGWINCH)."""
        self._api.call(ops.pty_resize(self._sandbox_id, pid, size))

    def kill(self, pid: int) -> bool:
        """SIGKILL the terminal; False if it was already gone."""
        return self._api.call(ops.pty_kill(self._sandbox_id, pid))
