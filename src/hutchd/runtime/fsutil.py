"""File-tree helpers shared by templates, snapshots and sandbox disks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def copy_tree(src: Path, dst: Path) -> None:
    """A full, independent copy keeping owners, modes, xattrs (overlay's trusted.* opaque/whiteout
    markers), device nodes and sparse files; reflinks where the filesystem can. Never hardlinks:
    overlay writes upper files in place, so a hardlinked copy would change with the live sandbox."""
    argv = ["cp", "-dR", "--preserve=mode,ownership,timestamps,links,xattr", "--reflink=auto"]
    done = subprocess.run([*argv, "--", str(src), str(dst)], capture_output=True, text=True)
    if done.returncode != 0:  # cp names the file it could not copy: keep that, not only the status
        raise OSError(f"copying {src} failed: {done.stderr.strip()[-2000:] or f'cp exit {done.returncode}'}")


def tree_size(root: Path) -> int:
    """Bytes allocated under `root` (st_blocks, so sparse files count what they use)."""
    total = 0
    stack = [str(root)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return total
