"""File operations, each done as the requesting user (see creds.py) so the kernel checks permissions
and new files and directories belong to that user. Data is streamed (in chunks, or spliced by the
kernel from the request's socket), never held whole."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from contextlib import suppress

from .creds import acting_on
from .errors import HttpError
from .fdio import write_all
from .timestamps import rfc3339
from .users import User

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

UPLOAD_PREFIX = ".hutch-upload-"  # temp files of writes in progress (hidden from watchers)


class _Names:
    """uid/gid -> name, looked up once per request (a listing can hold thousands of entries)."""

    def __init__(self) -> None:
        import grp
        import pwd

        self._users = _NameCache(lambda uid: pwd.getpwuid(uid).pw_name)
        self._groups = _NameCache(lambda gid: grp.getgrgid(gid).gr_name)

    def user(self, uid: int) -> str:
        return self._users.name(uid)

    def group(self, gid: int) -> str:
        return self._groups.name(gid)


class _NameCache:
    def __init__(self, lookup: Callable[[int], str]) -> None:
        self._lookup = lookup
        self._names: dict[int, str] = {}

    def name(self, number: int) -> str:
        """The name, or the number itself when the sandbox has no name for it."""
        if number not in self._names:
            try:
                self._names[number] = self._lookup(number)
            except KeyError:
                self._names[number] = str(number)
        return self._names[number]


def _entry(path: str, st: os.stat_result, names: _Names) -> dict[str, Any]:
    """As the contract's `EntryInfo`."""
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        kind = "dir"
    elif stat.S_ISREG(mode):
        kind = "file"
    elif stat.S_ISLNK(mode):
        kind = "symlink"
    else:
        kind = "other"
    return {
        "name": os.path.basename(path) or "/",
        "path": path,
        "type": kind,
        "size": st.st_size,
        "mode": stat.S_IMODE(mode),
        "permissions": stat.filemode(mode),
        "owner": names.user(st.st_uid),
        "group": names.group(st.st_gid),
        "modifiedTime": rfc3339(st.st_mtime),
        "symlinkTarget": os.readlink(path) if kind == "symlink" else None,
    }


class EntryLookup:
    """Entries of changed paths for a watch with `includeEntry` (names cached for the watch's life)."""

    def __init__(self) -> None:
        self._names = _Names()

    def __call__(self, path: str) -> dict[str, Any] | None:
        """The entry at `path` now; None when it is gone (or unreadable) by the time it is looked at."""
        try:
            return _entry(path, os.lstat(path), self._names)
        except OSError:
            return None


def stat_path(user: User, path: str) -> dict[str, Any]:
    """The entry at `path`, not following a final symlink."""
    with acting_on(user, path):
        return _entry(path, os.lstat(path), _Names())


def open_for_read(user: User, path: str) -> int:
    """A read-only fd on the regular file at `path` (following symlinks), opened as `user`."""
    with acting_on(user, path):
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block us
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        what = "is a directory" if os.path.isdir(path) else "is not a regular file"
        raise HttpError(409, f"{what}: {path}")
    return fd


def write_chunks(chunks: Iterable[bytes]) -> Callable[[int], None]:
    """A `write_file` content that writes `chunks` one after the other."""

    def fill(fd: int) -> None:
        for chunk in chunks:
            write_all(fd, chunk)

    return fill


def write_file(user: User, path: str, fill: Callable[[int], None]) -> dict[str, str]:
    """Replace the file at `path` with what `fill(fd)` writes to it, atomically: readers see the old or
    the new content.

    The data goes to a temporary file beside the target, renamed over it once complete. A symlink
    is followed (its target is written). An existing file keeps its permission bits. When the user
    may write the file but not its directory, the file is rewritten in place instead.
    """
    with acting_on(user, path):
        target = os.path.realpath(path) if os.path.islink(path) else path
        try:
            old_mode: int | None = os.stat(target).st_mode
        except FileNotFoundError:
            old_mode = None
        if old_mode is not None and not stat.S_ISREG(old_mode):
            what = "is a directory" if stat.S_ISDIR(old_mode) else "is not a regular file"
            raise HttpError(409, f"{what}: {path}")
        parent = os.path.dirname(target)
        _make_parents(parent)
        temp = os.path.join(parent, f"{UPLOAD_PREFIX}{os.urandom(6).hex()}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except PermissionError:
            if old_mode is None:
                raise
            _fill(os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC), fill)
        else:
            try:
                if old_mode is not None:
                    os.fchmod(fd, stat.S_IMODE(old_mode))
                _fill(fd, fill)
                os.rename(temp, target)
            except BaseException:
                os.unlink(temp)
                raise
    return {"path": path, "name": os.path.basename(path), "type": "file"}


def _fill(fd: int, fill: Callable[[int], None]) -> None:
    """Fill `fd`, then close it."""
    try:
        fill(fd)
    finally:
        os.close(fd)


def _make_parents(directory: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise HttpError(409, f"not a directory: {directory}") from None


def list_dir(user: User, path: str, depth: int) -> list[dict[str, Any]]:
    """Entries under the directory `path`, `depth` levels down (1 = its own entries), sorted by path.

    Symlinks to directories are listed, not followed; subdirectories the user cannot read are
    listed without their contents.
    """
    names = _Names()
    entries: list[dict[str, Any]] = []

    def walk(directory: str, level: int) -> None:
        with os.scandir(directory) as scan:
            found = list(scan)
        for item in found:
            try:
                entries.append(_entry(item.path, item.stat(follow_symlinks=False), names))
            except FileNotFoundError:
                continue  # removed while we listed
            if level < depth and item.is_dir(follow_symlinks=False):
                with suppress(PermissionError, FileNotFoundError):
                    walk(item.path, level + 1)

    with acting_on(user, path):
        if not os.path.isdir(path):
            os.lstat(path)  # 404 if missing
            raise HttpError(409, f"not a directory: {path}")
        walk(path, 1)
    entries.sort(key=lambda entry: entry["path"])
    return entries


def remove(user: User, path: str) -> None:
    """Remove a file, a symlink (not its target) or a directory with everything in it."""
    if path == "/":
        raise HttpError(422, "refusing to remove the root directory")
    with acting_on(user, path):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            import shutil

            shutil.rmtree(path)
        else:
            os.unlink(path)


def rename(user: User, source: str, destination: str) -> dict[str, Any]:
    """Move `source` to `destination` (replacing a file there), making its parent directories;
    across file systems (e.g. home to /tmp) it copies then removes, as `mv` does."""
    with acting_on(user, source):
        os.lstat(source)
    with acting_on(user, destination):
        _make_parents(os.path.dirname(destination))
        try:
            os.rename(source, destination)
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # a valid request the file tree refuses, as mv does
                raise HttpError(409, f"cannot move a directory into itself: {source} to {destination}") from None
            if exc.errno != errno.EXDEV:
                raise
            import shutil

            shutil.move(source, destination)
        return _entry(destination, os.lstat(destination), _Names())


def make_dir(user: User, path: str) -> tuple[bool, dict[str, Any]]:
    """Make `path` and its parents; answers whether it was made (False: it was already there)."""
    with acting_on(user, path):
        try:
            os.makedirs(path)
            made = True
        except FileExistsError:
            if not os.path.isdir(path):
                raise HttpError(409, f"exists and is not a directory: {path}") from None
            made = False
        return made, _entry(path, os.lstat(path), _Names())
