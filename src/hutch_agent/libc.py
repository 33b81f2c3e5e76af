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


_SYS_OPENAT2 = 437  # x86_64 and aarch64 alike
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_IN_ROOT = 0x01, 0x02, 0x10


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def openat2(dir_fd: int, path: str, flags: int, resolve: int, mode: int = 0) -> int:
    """openat2(2) (Linux 5.6): `resolve` confines how `path` is walked, symlinks included."""
    how = _OpenHow(flags=flags | os.O_CLOEXEC, mode=mode, resolve=resolve)
    return checked(int(libc.syscall(_SYS_OPENAT2, dir_fd, path.encode(), ctypes.byref(how), ctypes.sizeof(how))), path)
