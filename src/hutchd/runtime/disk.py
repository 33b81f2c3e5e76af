"""Bounded sandbox disks: each sandbox's upper dir lives on its own small ext4 image.

This host kind's kernel has no CONFIG_QUOTA (so no ext4/xfs project quotas), so the bound is a
per-sandbox filesystem: a sparse ext4 image, copied from a pre-formatted one per size (a few ms,
only the ~1 MB of metadata is data), attached to a loop device with autoclear and direct I/O
(no double page cache), mounted by the host. Deleting files punches holes (`discard`), so host
usage follows sandbox usage. Without loop devices the upper is a plain dir and disk is unbounded.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from hutchd.runtime import linux, userns
from hutchd.runtime.crashpoints import crash_point

_LOOP_GET_STATUS64 = 0x4C05
_LOOP_CTL_GET_FREE = 0x4C82
_LOOP_CONFIGURE = 0x4C0A
_LO_FLAGS_AUTOCLEAR = 4
_LO_FLAGS_DIRECT_IO = 16
_MOUNT_OPTS = "noinit_itable,discard"  # the image is sparse: unwritten inode tables already read as zeros
_JOURNAL_MB = 16
_attach_lock = threading.Lock()


class _LoopInfo64(ctypes.Structure):
    _fields_ = [
        ("lo_device", ctypes.c_uint64),
        ("lo_inode", ctypes.c_uint64),
        ("lo_rdevice", ctypes.c_uint64),
        ("lo_offset", ctypes.c_uint64),
        ("lo_sizelimit", ctypes.c_uint64),
        ("lo_number", ctypes.c_uint32),
        ("lo_encrypt_type", ctypes.c_uint32),
        ("lo_encrypt_key_size", ctypes.c_uint32),
        ("lo_flags", ctypes.c_uint32),
        ("lo_file_name", ctypes.c_uint8 * 64),
        ("lo_crypt_name", ctypes.c_uint8 * 64),
        ("lo_encrypt_key", ctypes.c_uint8 * 32),
        ("lo_init", ctypes.c_uint64 * 2),
    ]


class _LoopConfig(ctypes.Structure):
    _fields_ = [
        ("fd", ctypes.c_uint32),
        ("block_size", ctypes.c_uint32),
        ("info", _LoopInfo64),
        ("reserved", ctypes.c_uint64 * 8),
    ]


def available() -> bool:
    loop = Path("/dev/loop-control").exists() and os.access("/dev/loop-control", os.W_OK)
    return loop and shutil.which("mkfs.ext4") is not None


def _blank(cache: Path, disk_mb: int) -> Path:
    """A formatted, never-mounted sparse image of this size, made once."""
    path = cache / f"ext4-{disk_mb}m.img"
    if path.exists():
        return path
    cache.mkdir(mode=0o700, exist_ok=True)
    tmp = cache / f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}"  # unique per thread
    format_image(tmp, disk_mb)
    os.rename(tmp, path)
    return path


def format_image(path: Path, disk_mb: int) -> None:
    """A new sparse ext4 image at `path` (removed again if mkfs fails) with about disk_mb usable."""
    # Grow the image by its metadata (256-byte inodes, one per 16 KiB, the journal, slack) so that
    # about disk_mb stays usable.
    with open(path, "wb") as f:
        f.truncate((disk_mb + disk_mb // 64 + _JOURNAL_MB + 8) << 20)
    mkfs = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^resize_inode", "-i", "16384", "-I", "256",
         "-J", f"size={_JOURNAL_MB}", "-E", "lazy_itable_init=1,lazy_journal_init=1", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mkfs.returncode != 0:
        path.unlink(missing_ok=True)
        raise OSError(f"mkfs.ext4 for a {disk_mb} MB disk failed: {mkfs.stderr.strip()}")


def _sparse_copy(src: Path, dst: Path) -> None:
    """Copy only the data extents (SEEK_DATA/SEEK_HOLE), leaving holes as holes."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        fout.truncate(size)
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fin.fileno(), pos, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after pos
                break
            end = os.lseek(fin.fileno(), start, os.SEEK_HOLE)
            os.copy_file_range(fin.fileno(), fout.fileno(), end - start, start, start)
            pos = end


def _attach_loop(image: Path) -> tuple[str, int]:
    """A loop device for `image` and an open fd on it; with autoclear, the device detaches itself
    when the last user goes: that fd, then the mount. So close the fd only once mounted."""
    ctl = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    try:
        number = fcntl.ioctl(ctl, _LOOP_CTL_GET_FREE)
    finally:
        os.close(ctl)
    device = f"/dev/loop{number}"
    loop_fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    file_fd = os.open(image, os.O_RDWR | os.O_CLOEXEC)
    try:
        config = _LoopConfig(fd=file_fd)
        config.info.lo_flags = _LO_FLAGS_AUTOCLEAR | _LO_FLAGS_DIRECT_IO
        fcntl.ioctl(loop_fd, _LOOP_CONFIGURE, config)
    except BaseException:
        os.close(loop_fd)
        raise
    finally:
        os.close(file_fd)
    return device, loop_fd


def _open_attached(image: Path) -> tuple[str, int] | None:
    """The loop device still backing `image` (if any) and an open fd on it, which keeps autoclear from
    detaching it until closed. Such a device outlives the host's unmount while any mount namespace
    holds a copy of the mount: every sandbox being set up copies the host's mounts in unshare(NEWNS)
    and holds them until it pivots, seconds under load."""
    st = os.stat(image)
    want = os.path.realpath(image)
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        try:
            if backing.read_text().rstrip("\n") != want:
                continue
            device = "/dev/" + backing.parent.parent.name
            fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
        except OSError:  # detached meanwhile
            continue
        info = _LoopInfo64()
        try:
            fcntl.ioctl(fd, _LOOP_GET_STATUS64, info)  # ENXIO once detached or running down
            dev = info.lo_device  # the kernel's new_encode_dev
            major, minor = (dev & 0xFFF00) >> 8, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
            if (info.lo_inode, major, minor) == (st.st_ino, os.major(st.st_dev), os.minor(st.st_dev)):
                return device, fd
        except OSError:
            pass
        os.close(fd)
    return None


def mount_image(image: Path, mount_point: Path) -> None:
    """Attach and mount an existing image (also used to reopen a dead sandbox's disk or a volume).

    An image still attached to a loop device is mounted from that device, so the kernel hands back
    the superblock still alive on it: a second loop device on the same image would be a second ext4
    instance that reads blocks the first has not written yet (its fresh directories still only in its
    cache and journal) and later overwrites what the second writes."""
    attached = _open_attached(image)
    if attached is not None:
        device, loop_fd = attached
    else:
        # LOOP_CTL_GET_FREE hands the same device to concurrent callers; the loser's LOOP_CONFIGURE
        # gets EBUSY. A lock settles it within this process; other processes (another server) need
        # the retry.
        for attempt in range(50):
            try:
                with _attach_lock:
                    device, loop_fd = _attach_loop(image)
                break
            except OSError as e:
                if e.errno != errno.EBUSY or attempt == 49:
                    raise
                time.sleep(0.002)
    try:
        mount_point.mkdir(mode=0o700, exist_ok=True)
        linux.mount(device, str(mount_point), "ext4", 0, _MOUNT_OPTS)
    finally:
        os.close(loop_fd)


def create(cache: Path, image: Path, mount_point: Path, disk_mb: int) -> None:
    """A fresh disk mounted at mount_point with `upper` (sandbox-root-owned) and `work` dirs."""
    _sparse_copy(_blank(cache, disk_mb), image)
    crash_point("start:disk-copied")
    mount_image(image, mount_point)
    with contextlib.suppress(FileNotFoundError):
        (mount_point / "lost+found").rmdir()
    (mount_point / "upper").mkdir(mode=0o755)
    userns.chown_to_sandbox(mount_point / "upper")
    (mount_point / "work").mkdir(mode=0o700)


def used_bytes(mount_point: Path) -> int:
    st = os.statvfs(mount_point)
    return (st.f_blocks - st.f_bfree) * st.f_frsize
