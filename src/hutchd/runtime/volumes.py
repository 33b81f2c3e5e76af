"""Volumes: persistent, size-bounded file systems that sandboxes mount and that outlive them.

volumes/<id>/disk.img  a sparse ext4 image; its size is the volume's limit
volumes/<id>/mnt       where the host keeps it mounted (one mount, so one superblock, per image)

The limit is a file system of its own (as for sandbox disks, disk.py): this host kind's kernel has no
CONFIG_QUOTA, so project quotas are not an option, and a full volume then answers ENOSPC to every
writer, a sandbox's or the files API's, without anyone counting bytes. A sandbox sees a volume through
a bind mount of `mnt` (nosuid, nodev) placed on its root before it starts (`mount_into`), so the mount
lives in the kernel, not in the server: a killed or crashed server leaves every sandbox's volumes in
place, and the next server finds the host mount still there (`ensure_mounted`). Snapshots copy a
sandbox's upper dir only, never what is mounted on its root, so they never copy a volume.

Every sandbox runs with the same uid mapping (userns.py), so a file the sandbox user (uid 1000) writes
in one sandbox is uid 1000's in every other: ownership needs no translation.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import posixpath
import shutil
import threading
from pathlib import Path

from hutchd.runtime import disk, linux, overlay, userns
from hutchd.runtime.layout import Layout
from hutchd.runtime.templates import SANDBOX_UID

# A volume may not be mounted on, inside or above these: the system the sandbox and its agent need,
# and what bwrap mounts over the root after it (/proc, /dev, /tmp, the agent's /opt/hutch).
RESERVED = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt/hutch", "/proc", "/run",
    "/sbin", "/sys", "/tmp", "/usr",
)  # fmt: skip
NAME_MAX = 255


def check_mount_path(path: str) -> str:
    """The mount path as given if a volume may go there; ValueError saying why not otherwise."""
    if not path.startswith("/") or "\0" in path:
        raise ValueError(f"mount path {path!r} must be an absolute path")
    parts = path.split("/")[1:]
    if any(p in ("", ".", "..") for p in parts) or posixpath.normpath(path) != path:
        raise ValueError(f"mount path {path!r} must be normalized: no empty, '.' or '..' components, no trailing '/'")
    if any(len(p.encode()) > NAME_MAX for p in parts):
        raise ValueError(f"mount path {path!r} has a component longer than {NAME_MAX} bytes")
    for r in RESERVED:
        if path == r or path.startswith(r + "/") or r.startswith(path + "/"):
            raise ValueError(f"a volume cannot be mounted at {path}: it is, holds or is inside {r} (system)")
    return path


def check_mounts(mounts: dict[str, str]) -> None:
    """Mount paths must be valid and not nested (the inner one's mount point would be made in the
    outer volume), and no volume may be mounted twice."""
    paths = sorted(mounts)
    for p in paths:
        check_mount_path(p)
    for a, b in itertools.pairwise(paths):
        if b.startswith(a + "/"):
            raise ValueError(f"mount paths {a} and {b} are nested; mount volumes side by side")
    seen: dict[str, str] = {}
    for p in paths:
        if (other := seen.setdefault(mounts[p], p)) != p:
            raise ValueError(f"volume {mounts[p]} is mounted twice ({other} and {p}); mount it once")


class VolumeStore:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._guard = threading.Lock()

    def image(self, volume_id: str) -> Path:
        return self.layout.volume_dir(volume_id) / "disk.img"

    def root(self, volume_id: str) -> Path:
        return self.layout.volume_dir(volume_id) / "mnt"

    def create(self, volume_id: str, size_mb: int) -> None:
        """A new empty volume, mounted, its root owned by the sandbox user."""
        vdir = self.layout.volume_dir(volume_id)
        vdir.mkdir(mode=0o700)
        try:
            disk.format_image(self.image(volume_id), size_mb)
            root = self.ensure_mounted(volume_id)
            with contextlib.suppress(FileNotFoundError):
                (root / "lost+found").rmdir()
            os.chmod(root, 0o755)
            userns.chown_to_sandbox(root, SANDBOX_UID, SANDBOX_UID)
        except BaseException:
            self.delete(volume_id)
            raise

    def ensure_mounted(self, volume_id: str) -> Path:
        """The volume's host mount, made if missing (from the loop device that sandboxes which outlived
        an unmount still hold, if any: `disk.mount_image`)."""
        root = self.root(volume_id)
        with self._guard:
            if os.path.ismount(root):
                return root
            image = self.image(volume_id)
            if not image.is_file():
                raise FileNotFoundError(errno.ENOENT, f"volume {volume_id} has no disk image", str(image))
            disk.mount_image(image, root)
        return root

    def delete(self, volume_id: str) -> None:
        """Unmount and remove a volume (idempotent). Sandboxes must not use it any more."""
        vdir = self.layout.volume_dir(volume_id)
        with self._guard:  # not mounted again meanwhile (ensure_mounted)
            overlay.unmount_all(vdir)
            shutil.rmtree(vdir, ignore_errors=True)

    def unmount_all(self) -> None:
        """At a clean stop: the host's mounts go (lazily); sandboxes keep theirs, and with them the loop
        device that `ensure_mounted` finds again."""
        with self._guard:
            overlay.unmount_all(self.layout.volumes)

    def used_bytes(self, volume_id: str) -> int:
        return disk.used_bytes(self.root(volume_id))

    def ids(self) -> list[str]:
        return sorted(d.name for d in self.layout.volumes.iterdir() if d.is_dir())

    def mount_into(self, sandbox_root: Path, mounts: dict[str, str]) -> None:
        """Bind each volume (mount path -> volume id) onto the sandbox root, before the sandbox starts.

        Nothing runs in the sandbox yet, but its upper dir may come from a snapshot that hostile code
        made: every component of a mount path is opened without following symlinks (a symlink there
        fails the start) and made, owned by sandbox root, where missing."""
        check_mounts(mounts)
        for path, volume_id in sorted(mounts.items()):
            source = self.ensure_mounted(volume_id)
            _make_mount_point(sandbox_root, path)
            target = str(sandbox_root) + path
            linux.mount(str(source), target, "", linux.MS_BIND)
            linux.mount("", target, "", linux.MS_BIND | linux.MS_REMOUNT | linux.MS_NOSUID | linux.MS_NODEV)


def _make_mount_point(root: Path, path: str) -> None:
    fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in path.strip("/").split("/"):
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=fd)
                os.chown(name, userns.host_id(0), userns.host_id(0), dir_fd=fd, follow_symlinks=False)
            try:
                child = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as e:
                raise OSError(e.errno, f"cannot mount a volume at {path}: {name} there is not a directory") from e
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
