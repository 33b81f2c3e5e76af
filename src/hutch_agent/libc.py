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
