"""The sandbox user id range: sandbox uid 0 is host uid 100000 (never host root, RUNTIME.md §6.1)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

ID_BASE = 100_000
ID_COUNT = 65_536


def host_id(sandbox_id: int) -> int:
    return ID_BASE + sandbox_id


def map_ids(pid: int) -> None:
    """Map ids 0..65535 of the (fresh) user namespace of `pid` to the sandbox range; needs host root."""
    mapping = f"0 {ID_BASE} {ID_COUNT}\n"
    Path(f"/proc/{pid}/uid_map").write_text(mapping)
    Path(f"/proc/{pid}/setgroups").write_text("allow")
    Path(f"/proc/{pid}/gid_map").write_text(mapping)


def disable_nested() -> None:
    """As root of a sandbox user namespace: user.max_user_namespaces=0 there, so nothing inside can
    make another (they are attack surface). The sandbox cannot undo it: no CAP_SYS_RESOURCE."""
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")


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
