"""The sandbox user id range: sandbox uid 0 is host uid 100000 (never host root, RUNTIME.md §6.1)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hutchd.runtime import linux

ID_BASE = 100_000
ID_COUNT = 65_536


def host_id(sandbox_id: int) -> int:
    return ID_BASE + sandbox_id


def make_userns() -> int:
    """A fresh user namespace mapping 0..65535 to the sandbox range, with nested userns disabled.

    A short-lived child unshares, root writes its maps, the child (now root of that namespace)
    sets user.max_user_namespaces=0 inside it, and exits; the returned O_CLOEXEC fd keeps the
    namespace alive until bwrap has joined it.
    """
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: only syscalls, then _exit
        code = 1
        try:
            os.close(ready_r)
            os.close(go_w)
            linux.unshare(linux.CLONE_NEWUSER)
            os.write(ready_w, b"u")
            if os.read(go_r, 1) == b"g":
                with open("/proc/sys/user/max_user_namespaces", "w") as f:
                    f.write("0")
                os.write(ready_w, b"s")
                os.read(go_r, 1)
                code = 0
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(go_r)
    try:
        if os.read(ready_r, 1) != b"u":
            raise OSError("could not create a user namespace (is user.max_user_namespaces 0?)")
        mapping = f"0 {ID_BASE} {ID_COUNT}\n"
        Path(f"/proc/{pid}/uid_map").write_text(mapping)
        Path(f"/proc/{pid}/setgroups").write_text("allow")
        Path(f"/proc/{pid}/gid_map").write_text(mapping)
        os.write(go_w, b"g")
        if os.read(ready_r, 1) != b"s":
            raise OSError("could not disable nested user namespaces in the sandbox namespace")
        fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        os.write(go_w, b"x")
        return fd
    finally:
        os.close(ready_r)
        os.close(go_w)
        os.waitpid(pid, 0)


def chown_to_sandbox(path: Path, uid: int = 0, gid: int = 0) -> None:
    os.lchown(path, host_id(uid), host_id(gid))


def shift_tree(root: Path) -> None:
    """Shift every file's owner into the sandbox range in place.

    lchown clears setuid/setgid bits, so they are put back afterwards (not on symlinks).
    File capabilities need no rewrite: bwrap sets no_new_privs, so they grant nothing anyway.
    """

    def shift(path: str) -> None:
        st = os.lstat(path)
        if st.st_uid >= ID_BASE and st.st_gid >= ID_BASE:
            return
        os.lchown(path, host_id(st.st_uid), host_id(st.st_gid))
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
            os.chmod(path, stat.S_IMODE(st.st_mode))

    shift(str(root))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            shift(os.path.join(dirpath, name))
