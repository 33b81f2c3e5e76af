"""Directory watches with inotify (through ctypes), as the contract's `FilesystemEvent`s.

Event names follow fsnotify (what E2B's agent uses): a file moved in is a `create`, moved out a
`rename`. A recursive watch adds each new subdirectory as it appears and reports what was already
inside it by the time its watch was in place, so `mkdir -p a/b/c` loses nothing.
"""

from __future__ import annotations

import errno
import os
import struct

from .errors import HttpError
from .files import UPLOAD_PREFIX
from .libc import checked, libc

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
_KINDS = (
    (IN_CREATE | IN_MOVED_TO, "create"),
    (IN_MODIFY, "write"),
    (IN_DELETE, "remove"),
    (IN_MOVED_FROM, "rename"),
    (IN_ATTRIB, "chmod"),
)
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len
# The agent's own upload temp files are not the user's business: their events are hidden, and the
# rename that puts an upload in place reads as the file's create + write.


def _limit_reached(exc: OSError, sysctl: str) -> HttpError:
    return HttpError(500, f"cannot watch: the sandbox reached its inotify limit ({sysctl}): {exc.strerror}")


class Watcher:
    """An inotify instance watching `root` (and, if `recursive`, every directory below it)."""

    def __init__(self, root: str, recursive: bool) -> None:
        self.root = root
        self.recursive = recursive
        self.root_gone = False
        self._dirs: dict[int, str] = {}  # watch descriptor -> directory
        self._uploads: set[int] = set()  # rename cookies of upload temp files moved into place
        try:
            self._fd = checked(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        except OSError as exc:
            raise _limit_reached(exc, "fs.inotify.max_user_instances") from None
        try:
            self._add(root)
            if recursive:
                self._add_below(root, [])
        except OSError as exc:
            self.close()
            if exc.errno == errno.ENOSPC:
                raise _limit_reached(exc, "fs.inotify.max_user_watches") from None
            raise

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        os.close(self._fd)

    def _add(self, directory: str) -> None:
        wd = checked(libc.inotify_add_watch(self._fd, os.fsencode(directory), _MASK | IN_ONLYDIR), directory)
        self._dirs[wd] = directory

    def _add_below(self, directory: str, found: list[str]) -> None:
        """Watch every directory under `directory`, collecting the paths met into `found`."""
        try:
            with os.scandir(directory) as scan:
                items = list(scan)
        except OSError:
            return  # gone again, or not readable by the user: nothing to watch there
        for item in items:
            found.append(item.path)
            if item.is_dir(follow_symlinks=False):
                try:
                    self._add(item.path)
                except OSError:
                    continue
                self._add_below(item.path, found)

    def _forget_below(self, directory: str) -> None:
        prefix = directory + "/"
        for wd, path in list(self._dirs.items()):
            if path == directory or path.startswith(prefix):
                libc.inotify_rm_watch(self._fd, wd)
                del self._dirs[wd]

    def read(self) -> list[dict[str, Any]]:
        """The events that are ready (none if nothing happened)."""
        events: list[dict[str, Any]] = []
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return events
            offset = 0
            while offset < len(data):
                wd, mask, cookie, size = _HEADER.unpack_from(data, offset)
                offset += _HEADER.size
                name = os.fsdecode(data[offset : offset + size].rstrip(b"\0"))
                offset += size
                if name.startswith(UPLOAD_PREFIX):
                    if mask & IN_MOVED_FROM:
                        self._uploads.add(cookie)
                    continue
                if mask & IN_MOVED_TO and cookie in self._uploads:
                    self._uploads.discard(cookie)
                    path = os.path.join(self._dirs.get(wd, self.root), name)
                    events += [self._event("create", path), self._event("write", path)]
                    continue
                self._handle(wd, mask, name, events)

    def _handle(self, wd: int, mask: int, name: str, events: list[dict[str, Any]]) -> None:
        directory = self._dirs.get(wd)
        if directory is None:
            return  # a watch we just dropped
        if mask & IN_IGNORED:
            del self._dirs[wd]
            return
        if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
            if directory == self.root:
                self.root_gone = True
                events.append(self._event("remove" if mask & IN_DELETE_SELF else "rename", self.root))
            return  # for a subdirectory its parent's watch already told
        path = os.path.join(directory, name)
        for bits, kind in _KINDS:
            if mask & bits:
                events.append(self._event(kind, path))
        if self.recursive and mask & IN_ISDIR:
            if mask & (IN_CREATE | IN_MOVED_TO):
                found: list[str] = []
                try:
                    self._add(path)
                except OSError:
                    return
                self._add_below(path, found)
                events.extend(self._event("create", inner) for inner in found)
            elif mask & IN_MOVED_FROM:
                self._forget_below(path)

    def _event(self, kind: str, path: str) -> dict[str, Any]:
        return {"type": kind, "name": os.path.relpath(path, self.root), "path": path}
