"""Reading a child's output until it is done, shared by commands and terminals.

One thread per child polls its output fds and a pidfd (readable when the child exits), so output,
exit and timeout are all seen without a thread per pipe. Output may outlive the child: a background
job can hold the pipe open for ever. So once the child has exited, the pump drains what keeps
coming and stops after `DRAIN_GRACE` seconds of silence, or `DRAIN_MAX` seconds after the exit (the
child's own last output fits in the pipe buffer, so anything later is some other process's).
"""

from __future__ import annotations

import errno
import os
import select
import time
from collections.abc import Callable

READ_SIZE = 64 * 1024
DRAIN_GRACE = 0.2
DRAIN_MAX = 1.0


def pump(pid: int, outputs: dict[int, Callable[[bytes], None]], timeout: float, on_timeout: Callable[[], None]) -> None:
    """Feed every chunk read from `outputs` to its callback until `pid` exited and output went quiet.

    `on_timeout` is called once if `pid` still runs `timeout` seconds from now (0 = never).
    The caller reaps `pid` afterwards and closes the fds.
    """
    pidfd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        for fd in outputs:
            poller.register(fd, select.POLLIN)
        open_fds = set(outputs)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        drain_until: float | None = None  # set when the child exits
        while open_fds or drain_until is None:
            now = time.monotonic()
            if drain_until is not None:
                wait: float | None = min(DRAIN_GRACE, drain_until - now)
            elif deadline is not None:
                if now >= deadline:
                    on_timeout()
                    deadline = None
                    continue
                wait = deadline - now
            else:
                wait = None
            ready = poller.poll(None if wait is None else max(0.0, wait) * 1000)
            if drain_until is not None and (not ready or now >= drain_until):
                return  # the child is gone and its output went quiet (or never will)
            for fd, _ in ready:
                if fd == pidfd:
                    drain_until = time.monotonic() + DRAIN_MAX
                    poller.unregister(pidfd)
                    continue
                data = _read(fd)
                if data:
                    outputs[fd](data)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
    finally:
        os.close(pidfd)


def _read(fd: int) -> bytes:
    """A chunk, or b"" at end of file (a pty master reports that as EIO)."""
    try:
        return os.read(fd, READ_SIZE)
    except OSError as exc:
        if exc.errno == errno.EIO:
            return b""
        raise
