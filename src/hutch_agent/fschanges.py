"""A pod's file changes since it booted, for the kubernetes backend's snapshots and template layers.

The server runs it in the pod as root (`python3 -m hutch_agent.fschanges mark|take|unpack`): Python
only, so that any image the agent runs in can do it (an image need not have find, tar or coreutils).

- `mark`, at boot before anything else: the marker whose change time later changes are counted
  from, and the list of every file of the root file system then (the image's, before an archive
  is unpacked on top).
- `take ARCHIVE`: a gzipped tar of every file and directory of the root file system changed since
  the marker, plus DELETED, the files of the boot list that are gone.
- `unpack ARCHIVE`: the archive's files over the root file system (whatever is in the way of one
  replaced, never written through), then DELETED's files removed; the archive goes.
- `clean ARCHIVE`: remove a taken archive once the server has it.

So each archive holds every change since the image, deletions included: a pod booted from one marks
its boot (listing the image) before unpacking it, and its next archive holds both. Only the root
file system counts (not /tmp, /proc or the agent's mounts: other devices), and never the kubelet's
/etc/hosts, /etc/hostname and /etc/resolv.conf.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tarfile
from collections.abc import Iterator

STATE = "/var/lib/hutch"
MARKER = f"{STATE}/booted"
BOOT_FILES = f"{STATE}/boot-files"
DELETED = f"{STATE}/deleted"
NEVER = frozenset({"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", MARKER, BOOT_FILES})


def walk(root: str = "/") -> Iterator[tuple[str, os.stat_result]]:
    """Every path under `root` on its file system (not following links, not into mounted directories)."""
    device = os.lstat(root).st_dev
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:  # gone meanwhile, or unreadable
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if st.st_dev != device:
                    continue  # a mount point (an overlay's files show their layer's device: only directories tell)
                stack.append(entry.path)
            yield entry.path, st


def _read_list(path: str) -> set[str]:
    try:
        with open(path, "rb") as f:
            return {p.decode("utf-8", "surrogateescape") for p in f.read().split(b"\0") if p}
    except FileNotFoundError:
        return set()


def _write_list(path: str, paths: list[str]) -> None:
    with open(path, "wb") as f:
        f.write(b"\0".join(p.encode("utf-8", "surrogateescape") for p in sorted(paths)))


def mark(root: str = "/") -> None:
    state = os.path.join(root, STATE.lstrip("/"))
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(root, MARKER.lstrip("/")), "wb"):
        pass
    _write_list(os.path.join(root, BOOT_FILES.lstrip("/")), [_rel(p, root) for p, _ in walk(root)])


def _rel(path: str, root: str) -> str:
    """A path as the pod sees it (`root` is / in a pod; tests give another)."""
    return "/" + os.path.relpath(path, root) if root != "/" else path


def take(archive: str, root: str = "/") -> None:
    def at(path: str) -> str:
        return os.path.join(root, path.lstrip("/"))

    since = os.lstat(at(MARKER)).st_ctime_ns
    now: set[str] = set()
    changed: list[str] = []
    for path, st in walk(root):
        rel = _rel(path, root)
        now.add(rel)
        if st.st_ctime_ns >= since and rel not in NEVER:  # a change in the same clock tick counts
            changed.append(rel)
    deleted = sorted(_read_list(at(BOOT_FILES)) - now - NEVER)
    if deleted or os.path.lexists(at(DELETED)):
        _write_list(at(DELETED), deleted)
        if DELETED not in changed:
            changed.append(DELETED)
    with tarfile.open(archive, "w:gz") as tar:
        for rel in sorted(changed):
            try:
                tar.add(at(rel), arcname=rel.lstrip("/"), recursive=False)
            except FileNotFoundError:  # gone while archiving
                continue


def unpack(archive: str, root: str = "/") -> None:
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            target = os.path.join(root, member.name)
            if member.isdir() and os.path.isdir(target) and not os.path.islink(target):
                continue
            _remove(target)  # never write through a link of the image, nor onto a directory
        options = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(root, members=members, numeric_owner=True, **options)  # type: ignore[arg-type]
    for rel in sorted(_read_list(os.path.join(root, DELETED.lstrip("/")))):
        _remove(os.path.join(root, rel.lstrip("/")))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def main(argv: list[str]) -> None:
    if argv[:1] == ["mark"] and len(argv) == 1:
        mark()
    elif argv[:1] == ["take"] and len(argv) == 2:
        take(argv[1])
    elif argv[:1] == ["unpack"] and len(argv) == 2:
        try:
            unpack(argv[1])
        finally:
            os.unlink(argv[1])
    elif argv[:1] == ["clean"] and len(argv) == 2:
        _remove(argv[1])
    else:
        raise SystemExit("usage: python3 -m hutch_agent.fschanges mark | take ARCHIVE | unpack ARCHIVE | clean ARCHIVE")


if __name__ == "__main__":
    main(sys.argv[1:])
