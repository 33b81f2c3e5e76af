"""Acting as a sandbox user for file operations, on the current thread only.

The agent runs as root and serves many requests at once, each on its own thread. glibc's
`seteuid()` changes every thread of the process (POSIX semantics), so concurrent requests would act
as each other's users. The kernel keeps credentials per thread, though: calling the syscalls
directly switches only the thread serving this request. The kernel then applies the user's
permissions exactly, and what the user creates is theirs, as if they had done it in a shell.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import HttpError, from_os_error
from .libc import checked, libc
from .users import User

# (setgroups, setresuid, setresgid) syscall numbers
_SYSCALLS = {"x86_64": (116, 117, 119), "aarch64": (159, 147, 149)}
_NR_SETGROUPS, _NR_SETRESUID, _NR_SETRESGID = _SYSCALLS[os.uname().machine]
_UNCHANGED = ctypes.c_long(-1)


def _syscall(number: int, *args: object) -> None:
    checked(libc.syscall(ctypes.c_long(number), *args))


def _set_groups(groups: list[int]) -> None:
    array = (ctypes.c_uint * len(groups))(*groups)
    _syscall(_NR_SETGROUPS, ctypes.c_long(len(groups)), array)


def _set_ids(uid: int, gid: int) -> None:
    """Set the effective ids; the real and saved ones stay root so we can come back."""
    _syscall(_NR_SETRESGID, _UNCHANGED, ctypes.c_long(gid), _UNCHANGED)
    _syscall(_NR_SETRESUID, _UNCHANGED, ctypes.c_long(uid), _UNCHANGED)


@contextmanager
def acting_as(user: User) -> Iterator[None]:
    """Within the block, this thread's file system calls are made with `user`'s credentials."""
    uid, gid = os.geteuid(), os.getegid()
    if user.uid == uid and user.gid == gid:
        yield
        return
    if uid != 0:
        raise HttpError(403, f"the agent runs as uid {uid} and cannot act as user {user.name!r}")
    groups = os.getgroups()
    _set_groups(user.groups)
    try:
        _set_ids(user.uid, user.gid)
        try:
            yield
        finally:
            _syscall(_NR_SETRESUID, _UNCHANGED, ctypes.c_long(0), _UNCHANGED)  # uid first: it regains the caps
            _syscall(_NR_SETRESGID, _UNCHANGED, ctypes.c_long(gid), _UNCHANGED)
    finally:
        _set_groups(groups)


@contextmanager
def acting_on(user: User, path: str) -> Iterator[None]:
    """`acting_as(user)`, with OS errors turned into the matching HTTP error naming `path`."""
    try:
        with acting_as(user):
            yield
    except OSError as exc:
        raise from_os_error(exc, path) from None
