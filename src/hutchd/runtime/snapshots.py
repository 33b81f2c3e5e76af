"""Filesystem snapshots: immutable copies of a sandbox's overlay upper dir.

`snapshots/<id>/upper` + `meta.json` (the template it sits on). Restoring seeds a new upper
with a copy, so the snapshot never changes (overlay layers must not change underneath a mount).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from hutchd.runtime.errors import SnapshotExists, SnapshotNotFound
from hutchd.runtime.fsutil import copy_tree, tree_size
from hutchd.runtime.layout import Layout


class SnapshotStore:
    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    def exists(self, snapshot_id: str) -> bool:
        return (self._layout.snapshot_dir(snapshot_id) / "meta.json").is_file()

    def meta(self, snapshot_id: str) -> dict[str, object]:
        try:
            data: dict[str, object] = json.loads((self._layout.snapshot_dir(snapshot_id) / "meta.json").read_text())
        except FileNotFoundError:
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} does not exist") from None
        return data

    def upper(self, snapshot_id: str) -> Path:
        self.meta(snapshot_id)
        return self._layout.snapshot_dir(snapshot_id) / "upper"

    def template_of(self, snapshot_id: str) -> str:
        return str(self.meta(snapshot_id)["template_id"])

    def create(self, snapshot_id: str, upper: Path, *, template_id: str, source: str, move: bool = False) -> int:
        """Copy (or, for a dead sandbox, move) `upper` into a new snapshot; returns its size in bytes."""
        final = self._layout.snapshot_dir(snapshot_id)
        if final.exists():
            raise SnapshotExists(f"snapshot {snapshot_id!r} already exists; choose another id")
        tmp = self._layout.snapshots / f".tmp-{snapshot_id}-{os.getpid()}"
        try:
            tmp.mkdir(mode=0o700)
            if move:
                os.rename(upper, tmp / "upper")
            else:
                copy_tree(upper, tmp / "upper")
            size = tree_size(tmp / "upper")
            meta = {"id": snapshot_id, "template_id": template_id, "source": source, "size": size}
            meta["created"] = time.time()
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
        except BaseException:
            if move and (tmp / "upper").exists():
                os.rename(tmp / "upper", upper)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return size

    def delete(self, snapshot_id: str) -> None:
        """Idempotent. The caller makes sure no template was promoted from it that it still needs
        (promoted templates hold their own copy, so they don't)."""
        d = self._layout.snapshot_dir(snapshot_id)
        if d.exists():
            gone = self._layout.snapshots / f".gone-{snapshot_id}-{os.getpid()}"
            os.rename(d, gone)
            shutil.rmtree(gone)

    def sweep(self) -> None:
        """Remove half-made snapshots left by a crash (their names end in the maker's pid)."""
        for d in self._layout.snapshots.glob(".*"):
            pid = d.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
                shutil.rmtree(d, ignore_errors=True)
