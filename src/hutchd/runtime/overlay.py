"""The sandbox root: an overlay of immutable template layers and a per-sandbox upper dir.

Mounted by the host in the host mount namespace, so the host can read the merged view
and unmount it on destroy or crash recovery.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hutchd.runtime import linux


def mount(lowerdirs: list[Path], upper: Path, work: Path, merged: Path) -> None:
    """index=off so an upper dir stays valid when copied into a snapshot and mounted elsewhere.

    The layers are named by /proc/self/fd/N of fds opened for the call: the kernel shows the option
    strings as given in every mountinfo, the sandbox's own included, so host paths there would tell
    sandboxed code where the data dir is and how it is laid out."""
    fds = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in (*lowerdirs, upper, work)]
    try:
        *lower, up, wk = (f"/proc/self/fd/{fd}" for fd in fds)
        options = f"lowerdir={':'.join(lower)},upperdir={up},workdir={wk},index=off"
        linux.mount("overlay", str(merged), "overlay", 0, options)
    finally:
        for fd in fds:
            os.close(fd)


def mounts_under(prefix: Path) -> list[str]:
    """Mount points at or below `prefix`, deepest first (unmount order)."""
    found = []
    pre = str(prefix).rstrip("/") + "/"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mnt = line.split()[4].replace("\\040", " ")
        if mnt.startswith(pre) or mnt == pre.rstrip("/"):
            found.append(mnt)
    return sorted(found, key=len, reverse=True)


def unmount_all(prefix: Path) -> None:
    """Lazily unmount everything below `prefix` (MNT_DETACH: a busy mount still goes away)."""
    for mnt in mounts_under(prefix):
        with contextlib.suppress(OSError):
            linux.umount(mnt)
    if left := mounts_under(prefix):
        raise OSError(f"could not unmount {', '.join(left)}")
