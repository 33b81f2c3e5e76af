"""The C library through ctypes, for the few system calls Python's os module does not offer."""

from __future__ import annotations

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)


def checked(result: int, filename: str | None = None) -> int:
    """`result`, or the OSError that a -1 from libc means."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), filename)
    return result


PR_SET_DUMPABLE = 4


def make_undumpable() -> None:
    """Keep every process in the sandbox, its root included, from tracing the agent, reading or
    writing its memory (/proc/<pid>/mem) or taking its fds (pidfd_getfd): against a non-dumpable
    process those need CAP_SYS_PTRACE, which sandboxes do not get. Children reset it at exec."""
    checked(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
