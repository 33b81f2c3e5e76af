"""Raw file descriptors: writing to them (pipes, ptys, files take less than asked at times), and waking
a thread that polls."""

from __future__ import annotations

import contextlib
import os


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`, blocking as long as it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Waker:
    """A pipe that wakes a thread polling it: `wake` from any thread, `drain` in the polling one."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def fileno(self) -> int:
        return self._read

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: wake-ups are pending already
            os.write(self._write, b"\0")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass
