"""Writing to raw file descriptors (pipes, ptys, files), which may take less than asked each time."""

from __future__ import annotations

import os


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`, blocking as long as it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
