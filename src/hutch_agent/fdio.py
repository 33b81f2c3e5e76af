"""Raw file descriptors: writing to them (pipes, ptys, files take less than asked at times), moving
bytes from a socket to a file in the kernel, and waking a thread that polls."""

from __future__ import annotations

import contextlib
import fcntl
import os

PIPE_SIZE = 1024 * 1024  # the default /proc/sys/fs/pipe-max-size: one splice moves up to this much


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`, blocking as long as it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def splice_to_file(source: int, fd: int, size: int) -> int:
    """Move up to `size` bytes from the socket `source` to the file `fd` through a pipe, in the kernel
    (splice: the bytes never enter this process); the count moved, fewer at the end of the stream.
    Every file system a sandbox writes to (overlayfs, tmpfs, ext4) takes spliced writes."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    try:
        with contextlib.suppress(OSError):  # a smaller pipe only means more calls
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        moved = 0
        while moved < size:
            piped = os.splice(source, write_end, min(size - moved, PIPE_SIZE), flags=os.SPLICE_F_MOVE)
            if not piped:
                break
            while piped:
                written = os.splice(read_end, fd, piped, flags=os.SPLICE_F_MOVE)
                piped -= written
                moved += written
        return moved
    finally:
        os.close(read_end)
        os.close(write_end)


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
