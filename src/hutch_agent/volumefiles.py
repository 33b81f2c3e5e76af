"""Files of a volume, read and written as root without a sandbox (the volume files API): by the
server on its host's mount of the volume (the local backend), or by the agent of a volume's pod on
the pod's mount of it (the kubernetes backend, volume_routes.py); one code, so one behaviour.

Root acts on a tree that sandboxes write: every walk starts at the volume's root with
openat2(RESOLVE_IN_ROOT), so a symlink a sandbox left (`/data/x -> /etc`) resolves inside the volume
as it would in the sandbox, never to the files outside it; single names below an opened dir are acted
on through its fd (mkdirat, unlinkat, renameat, fstatat without following). Paths are those of the
sandbox files API: absolute or relative to the volume's root, no NUL, names up to 255 bytes.
Files are written to a temporary name and renamed into place, so a reader never sees half a file.
Owners are given and shown as the sandboxes see them; `Ids` says where their ids are on the file
system (the host's are shifted by the sandboxes' user namespace, a pod's are not).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import secrets
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime

from .libc import RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV, openat2

TYPE_CHECKING = False  # typing costs ~5 ms in the agent; annotations are never evaluated
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

_RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV
MAX_DEPTH = 32
MAX_ENTRIES = 100_000
CHUNK = 1 << 20
_SUBDIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Ids:
    """Where the sandboxes' uids and gids 0..count-1 are on the file system acted on: base..base+count-1."""

    base: int = 0
    count: int = 1 << 32

    def on_disk(self, uid: int, gid: int) -> tuple[int, int]:
        return self.base + uid, self.base + gid

    def seen(self, on_disk: int) -> int:
        """An id as the sandboxes see it; ids outside their range show as 65534 (nobody), as there."""
        return on_disk - self.base if self.base <= on_disk < self.base + self.count else 65534


SAME = Ids()  # a pod's file system: the ids are the sandboxes' own


def parts_of(path: str) -> list[str]:
    """The path's names below the volume root ('/' and '' are the root itself)."""
    return [p for p in posixpath.normpath("/" + path).split("/") if p]


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _entry(path: str, st: os.stat_result, target: str | None, ids: Ids) -> dict[str, Any]:
    mode = st.st_mode
    kinds = ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "symlink"))
    kind = next((name for test, name in kinds if test(mode)), "other")
    return {
        "name": posixpath.basename(path) or "/",
        "path": path,
        "type": kind,
        "size": st.st_size,
        "mode": stat.S_IMODE(mode),
        "uid": ids.seen(st.st_uid),
        "gid": ids.seen(st.st_gid),
        "accessedTime": _time(st.st_atime),
        "modifiedTime": _time(st.st_mtime),
        "changedTime": _time(st.st_ctime),
        "symlinkTarget": target,
    }


def _open_root(root: str | Path) -> int:
    return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _open_dir(root_fd: int, names: list[str], make: tuple[int, int, int] | None = None) -> int:
    """An fd of the directory `names` below the root; missing dirs are made (owner, owner, mode) with `make`."""
    fd = os.dup(root_fd)
    for i, name in enumerate(names):
        try:
            child = openat2(root_fd, "/".join(names[: i + 1]), os.O_RDONLY | os.O_DIRECTORY, _RESOLVE)
        except FileNotFoundError:
            if make is None:
                os.close(fd)
                raise
            uid, gid, mode = make
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, mode, dir_fd=fd)
                os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)
            try:
                child = openat2(root_fd, "/".join(names[: i + 1]), os.O_RDONLY | os.O_DIRECTORY, _RESOLVE)
            except OSError:
                os.close(fd)
                raise
        except OSError:
            os.close(fd)
            raise
        os.close(fd)
        fd = child
    return fd


def _stat_at(dir_fd: int, name: str, path: str, ids: Ids) -> dict[str, Any]:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    target = os.readlink(name, dir_fd=dir_fd) if stat.S_ISLNK(st.st_mode) else None
    return _entry(path, st, target, ids)


def stat_path(root: str | Path, path: str, ids: Ids) -> dict[str, Any]:
    names = parts_of(path)
    root_fd = _open_root(root)
    try:
        if not names:
            return _entry("/", os.fstat(root_fd), None, ids)
        parent = _open_dir(root_fd, names[:-1])
        try:
            return _stat_at(parent, names[-1], "/" + "/".join(names), ids)
        finally:
            os.close(parent)
    finally:
        os.close(root_fd)


def open_for_read(root: str | Path, path: str) -> int:
    """An fd of the regular file at `path` (IsADirectoryError for anything else)."""
    root_fd = _open_root(root)
    try:
        fd = openat2(root_fd, "/".join(parts_of(path)) or ".", os.O_RDONLY | os.O_NOCTTY, _RESOLVE)
    finally:
        os.close(root_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(21, "not a regular file", path)
    return fd


def list_dir(root: str | Path, path: str, depth: int, ids: Ids) -> list[dict[str, Any]]:
    """Entries below `path`, `depth` levels down, sorted by path; symlinks are listed, not followed."""
    names = parts_of(path)
    root_fd = _open_root(root)
    try:
        top = _open_dir(root_fd, names)
    finally:
        os.close(root_fd)
    out: list[dict[str, Any]] = []

    def walk(fd: int, prefix: str, level: int) -> None:
        with os.scandir(fd) as entries:
            for entry in entries:
                if len(out) >= MAX_ENTRIES:
                    raise OverflowError(f"more than {MAX_ENTRIES} entries: list with a smaller depth")
                child = f"{prefix}/{entry.name}"
                try:
                    out.append(_stat_at(fd, entry.name, child, ids))
                except FileNotFoundError:  # removed (by a sandbox) while we listed
                    continue
                if level < depth and out[-1]["type"] == "dir":
                    try:
                        sub = os.open(entry.name, _SUBDIR, dir_fd=fd)
                    except (FileNotFoundError, NotADirectoryError):  # replaced meanwhile
                        continue
                    try:
                        walk(sub, child, level + 1)
                    finally:
                        os.close(sub)

    try:
        walk(top, "/" + "/".join(names) if names else "", 1)
    finally:
        os.close(top)
    return sorted(out, key=lambda e: str(e["path"]))


def remove(root: str | Path, path: str) -> None:
    """Remove a file, or a directory and everything in it (fd-relative: symlinks inside are unlinked)."""
    names = parts_of(path)
    if not names:
        raise ValueError("refusing to remove the volume's root directory")
    root_fd = _open_root(root)
    try:
        parent = _open_dir(root_fd, names[:-1])
    finally:
        os.close(root_fd)
    try:
        st = os.stat(names[-1], dir_fd=parent, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(names[-1], dir_fd=parent)
        else:
            os.unlink(names[-1], dir_fd=parent)
    finally:
        os.close(parent)


def make_dir(root: str | Path, path: str, uid: int, gid: int, mode: int, ids: Ids) -> tuple[bool, dict[str, Any]]:
    """Make the directory and its missing parents; (whether it was made, its entry)."""
    names = parts_of(path)
    owner = (*ids.on_disk(uid, gid), mode)
    root_fd = _open_root(root)
    try:
        if not names:
            return False, _entry("/", os.fstat(root_fd), None, ids)
        parent = _open_dir(root_fd, names[:-1], owner)
    finally:
        os.close(root_fd)
    try:
        made = True
        try:
            os.mkdir(names[-1], mode, dir_fd=parent)
            os.chown(names[-1], owner[0], owner[1], dir_fd=parent, follow_symlinks=False)
        except FileExistsError:
            made = False
        entry = _stat_at(parent, names[-1], "/" + "/".join(names), ids)
        if entry["type"] != "dir":
            raise FileExistsError(17, "exists and is not a directory", path)
        return made, entry
    finally:
        os.close(parent)


class Upload:
    """A file being written: bytes go to a temporary file beside it, renamed into place by `commit`."""

    def __init__(self, root: str | Path, path: str, uid: int, gid: int, mode: int, ids: Ids) -> None:
        self._names = parts_of(path)
        if not self._names:
            raise IsADirectoryError(21, "the volume's root is a directory", path)
        self._owner = ids.on_disk(uid, gid)
        self._ids = ids
        self._mode = mode
        root_fd = _open_root(root)
        try:
            self._dir = _open_dir(root_fd, self._names[:-1], (*self._owner, 0o755))
        finally:
            os.close(root_fd)
        self._tmp = f".hutch-upload-{secrets.token_hex(8)}"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            self._fd = os.open(self._tmp, flags, 0o600, dir_fd=self._dir)
        except BaseException:
            os.close(self._dir)
            raise

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def commit(self) -> dict[str, Any]:
        """fsync, owner and mode, then rename over the target (a directory there: IsADirectoryError)."""
        try:
            os.fsync(self._fd)
            os.fchown(self._fd, *self._owner)
            os.fchmod(self._fd, self._mode)
            os.close(self._fd)
            self._fd = -1
            os.rename(self._tmp, self._names[-1], src_dir_fd=self._dir, dst_dir_fd=self._dir)
            entry = _stat_at(self._dir, self._names[-1], "/" + "/".join(self._names), self._ids)
        except BaseException:
            self.abort()
            raise
        os.close(self._dir)
        self._dir = -1
        return entry

    def abort(self) -> None:
        """Drop the temporary file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._dir >= 0:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp, dir_fd=self._dir)
            os.close(self._dir)
            self._dir = -1
