"""The files of one sandbox under sandboxes/<id>/, and their lifecycle.

state.json      what a restarted server needs (sandbox.py)
disk.img, disk/ the bounded disk (disk.py) holding upper/ and work/ while the sandbox exists;
disk.base       bytes the empty filesystem uses, subtracted from usage
agent.log       the agent's output: on the disk when there is one (see agent_log), else here
upper/, work/   the same dirs when disk is unbounded (no loop devices); upper/ is also where a
                dead sandbox's files are kept for restore
merged/         the overlay the sandbox sees as /
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hutchd.runtime import disk, overlay, userns
from hutchd.runtime.fsutil import copy_tree, tree_size


class SandboxFS:
    def __init__(self, sdir: Path, disk_cache: Path) -> None:
        self.dir = sdir
        self._cache = disk_cache
        self.image = sdir / "disk.img"
        self.disk = sdir / "disk"
        self.merged = sdir / "merged"
        self.kept = sdir / "upper"

    @property
    def agent_log(self) -> Path:
        """The agent's stdout/stderr, on the sandbox's own bounded disk (outside the upper dir): were
        sandbox code ever able to write to it (say through /proc/<agent>/fd, closed today because the
        agent is not dumpable), it could fill only that disk, not the host's."""
        return (self.disk if self.image.exists() else self.dir) / "agent.log"

    def _disk_mounted(self) -> bool:
        return bool(overlay.mounts_under(self.disk))

    def upper(self) -> Path:
        """The live upper dir, or the kept one of a dead sandbox."""
        return self.disk / "upper" if self._disk_mounted() else self.kept

    def prepare(self, *, disk_mb: int, bounded: bool, seed: Path | None) -> tuple[Path, Path]:
        """Make (upper, work), upper seeded with a copy of `seed` (a snapshot) if given."""
        if bounded:
            disk.create(self._cache, self.image, self.disk, disk_mb)
            (self.dir / "disk.base").write_text(str(disk.used_bytes(self.disk)))
            upper, work = self.disk / "upper", self.disk / "work"
        else:
            upper, work = self.kept, self.dir / "work"
            upper.mkdir(mode=0o755)
            userns.chown_to_sandbox(upper)
            work.mkdir(mode=0o700)
        if seed is not None:
            upper.rmdir()
            copy_tree(seed, upper)
        self.merged.mkdir(mode=0o755)
        return upper, work

    def used_bytes(self) -> int:
        """Bytes the sandbox's own files take (cheap on a bounded disk: statvfs less the empty fs)."""
        if self._disk_mounted():
            return max(0, disk.used_bytes(self.disk) - int((self.dir / "disk.base").read_text()))
        return tree_size(self.kept)

    def release(self, *, keep_upper: bool) -> None:
        """Unmount and remove everything (processes must be dead). keep_upper leaves upper/ and
        state.json, copying the upper out of the disk image first (reopening the image if needed)."""
        overlay.unmount_all(self.merged)
        if keep_upper and self.image.exists() and not self.kept.exists():
            if not self._disk_mounted():
                disk.mount_image(self.image, self.disk)
            tmp = self.dir / ".upper-tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            copy_tree(self.disk / "upper", tmp)
            os.rename(tmp, self.kept)
        overlay.unmount_all(self.dir)
        if keep_upper and self.kept.is_dir():
            for entry in self.dir.iterdir():
                if entry.name not in ("upper", "state.json"):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
