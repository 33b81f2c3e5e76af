"""A pod's file changes since it booted, for the kubernetes backend's snapshots and template layers.

The server runs it in the pod as root (`python3 -m hutch_agent.fschanges mark|take|unpack`): Python
only, so that any image the agent runs in can do it (an image need not have find, tar or coreutils).

- `mark`, at boot before anything else: the marker whose change time later changes are counted
  from, and the list of every file of the root file system then (the image's, before an archive
  is unpacked on top).
- `take ARCHIVE [--since-unpack]`: a gzipped tar of every file and directory of the root file system
  changed since the marker (or since the last unpack), plus DELETED, the files of the boot list
  that are gone.
- `unpack ARCHIVE`: the archive's files over the root file system (whatever is in the way of one
  replaced, never written through), then DELETED's files removed; the archive goes. An archive
  may be several one after the other (a built layer: the one below it, then its own changes since
  that one was unpacked): the last DELETED is the one that counts, and it counts them all.
- `clean ARCHIVE`: remove a taken archive once the server has it.

So each archive holds every change since the image, deletions included: a pod booted from one marks
its boot (listing the image) before unpacking it, and its next archive holds both; or, taken
`--since-unpack`, only what changed on top, which the server appends to the archive below (a
build's steps do not archive again what the steps before them made). Only the root
file system counts (not /tmp, /proc or the agent's mounts: other devices), and never the kubelet's
/etc/hosts, /etc/hostname and /etc/resolv.conf.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tarfile
from collections.abc import Iterator

STATE = "/var/lib/hutch"
MARKER = f"{STATE}/booted"
BOOT_FILES = f"{STATE}/boot-files"
UNPACKED = f"{STATE}/unpacked"
DELETED = f"{STATE}/deleted"
NEVER = frozenset({"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", MARKER, BOOT_FILES, UNPACKED})
COMPRESSION = 6  # gzip's own default: level 9 takes twice as long on text for a few percent


def walk(root: str = "/") -> Iterator[os.DirEntry[str]]:
    """Every entry under `root` on its file system (not following links, not into mounted directories).
    Only directories are stat'ed here (a file's type comes with its name): `mark` lists an image's tens
    of thousands of files at every boot; `take` stats each entry itself (a DirEntry keeps its stat)."""
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
                if entry.is_dir(follow_symlinks=False):
                    if entry.stat(follow_symlinks=False).st_dev != device:
                        continue  # a mount point (an overlay's files show their layer's device: only directories tell)
                    stack.append(entry.path)
            except OSError:
                continue
            yield entry


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
    _write_list(os.path.join(root, BOOT_FILES.lstrip("/")), [_rel(entry.path, root) for entry in walk(root)])


def _rel(path: str, root: str) -> str:
    """A path as the pod sees it (`root` is / in a pod; tests give another)."""
    return "/" + os.path.relpath(path, root) if root != "/" else path


def take(archive: str, root: str = "/", since_unpack: bool = False) -> None:
    def at(path: str) -> str:
        return os.path.join(root, path.lstrip("/"))

    since_unpack = since_unpack and os.path.lexists(at(UNPACKED))
    since = os.lstat(at(UNPACKED if since_unpack else MARKER)).st_ctime_ns
    now: set[str] = set()
    changed: list[str] = []
    for entry in walk(root):
        try:
            ctime = entry.stat(follow_symlinks=False).st_ctime_ns
        except OSError:  # gone meanwhile
            continue
        rel = _rel(entry.path, root)
        now.add(rel)
        if ctime >= since and rel not in NEVER:  # a change in the same clock tick counts
            changed.append(rel)
    deleted = sorted(_read_list(at(BOOT_FILES)) - now - NEVER)
    if deleted or os.path.lexists(at(DELETED)):
        _write_list(at(DELETED), deleted)
        if DELETED not in changed:
            changed.append(DELETED)
    with tarfile.open(archive, "w:gz", compresslevel=COMPRESSION) as tar:
        for rel in sorted(changed):
            try:
                tar.add(at(rel), arcname=rel.lstrip("/"), recursive=False)
            except FileNotFoundError:  # gone while archiving
                continue


def unpack(archive: str, root: str = "/") -> None:
    def at(path: str) -> str:
        return os.path.join(root, path.lstrip("/"))

    names: list[str] = []
    options = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(archive, "r:gz", ignore_zeros=True) as tar:  # archives one after the other (a layer's)
        for member in tar:
            target = at(member.name)
            if not (member.isdir() and os.path.isdir(target) and not os.path.islink(target)):
                _remove(target)  # never write through a link of the image, nor onto a directory
            tar.extract(member, root, numeric_owner=True, **options)  # type: ignore[arg-type]
            names.append("/" + member.name)
    for rel in sorted(_read_list(at(DELETED))):
        _remove(at(rel))
    # what it put there is the boot's too: a later deletion of it is recorded as one of the image's
    _write_list(at(BOOT_FILES), [*(_read_list(at(BOOT_FILES)) | set(names))])
    with open(at(UNPACKED), "wb"):
        pass


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


USAGE = "usage: python3 -m hutch_agent.fschanges mark | take ARCHIVE [--since-unpack] | unpack ARCHIVE | clean ARCHIVE"


def main(argv: list[str]) -> None:
    if argv[:1] == ["mark"] and len(argv) == 1:
        mark()
    elif argv[:1] == ["take"] and len(argv) in (2, 3) and argv[2:] in ([], ["--since-unpack"]):
        take(argv[1], since_unpack=len(argv) == 3)
    elif argv[:1] == ["unpack"] and len(argv) == 2:
        try:
            unpack(argv[1])
        finally:
            os.unlink(argv[1])
    elif argv[:1] == ["clean"] and len(argv) == 2:
        _remove(argv[1])
    else:
        raise SystemExit(USAGE)


if __name__ == "__main__":
    main(sys.argv[1:])
