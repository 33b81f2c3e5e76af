"""Disk admission: every sandbox is promised its `disk_mb` on the data dir's filesystem, so a create
the host cannot hold is refused (507, the SDK's NotEnoughSpaceException) instead of handing one
tenant a disk bigger than the host.

Two rules, both against the filesystem the sandboxes' disk images live on:

* one sandbox is never promised more than is free now, less the reserve (it alone could fill it);
* all live sandboxes together (starting, running, paused, and the warm pool's) and every volume (its
  size, for as long as it exists: volumes outlive sandboxes) are promised at most
  `overcommit` times what they could ever hold: the free space plus what their images already take,
  less the reserve. Disks are sparse images, so most of a promise is never written; an overcommit of
  1 makes it impossible for sandbox disks alone to fill the host.

Sandboxes and volumes whose disks are not on this host (a backend whose `disks_here` is False: pods
on a cluster's nodes, volumes as claims of its storage, bounded by its quotas) are neither checked
nor counted.

The check reads the database and the filesystem without an `await`, and the caller inserts the new
row right after (see sandboxes.py), so concurrent creates cannot both take the last free space.
"""

from __future__ import annotations

import os
from pathlib import Path

from hutchd.http.errors import ApiError
from hutchd.runtime.layout import Layout
from hutchd.runtime.sandboxfs import SandboxFS
from hutchd.store.db import Database

LIVE_STATES = ("pooled", "starting", "running", "paused")


class DiskBudget:
    def __init__(
        self, db: Database, layout: Layout, *, overcommit: float, reserve_mb: int, owner: str, disks_here: bool
    ) -> None:
        self._db = db
        self._owner = owner  # the disks of this replica's sandboxes and volumes are on this host
        self._disks_here = disks_here
        self._layout = layout
        self.overcommit = overcommit
        self.reserve_mb = reserve_mb

    def free_mb(self) -> int:
        st = os.statvfs(self._layout.sandboxes)
        return (st.f_bavail * st.f_frsize) >> 20

    def _allocated_mb(self, image: Path, promised_mb: int) -> int:
        """What a sandbox's or volume's image already takes on the host, at most its promise (0 for an
        unbounded upper dir: its files are simply not in the free space any more)."""
        try:
            return min(promised_mb, (os.stat(image).st_blocks * 512) >> 20)
        except (OSError, ValueError):
            return 0

    def _sandbox_image(self, sandbox_id: str) -> Path:
        return SandboxFS(self._layout.sandbox_dir(sandbox_id), self._layout.disk_cache).image

    def check(self, disk_mb: int, what: str = "diskMB", *, pooled: bool = True, volume: bool = False) -> None:
        """Raise 507 naming the limit (`what`: the request's field) and what is free if `disk_mb` more
        (a sandbox's disk, or a `volume`) cannot be promised (without `pooled`: were the warm pool's
        sandboxes gone)."""
        if not self._disks_here:
            return
        free = self.free_mb()
        states = LIVE_STATES if pooled else tuple(s for s in LIVE_STATES if s != "pooled")
        rows = self._db.all(
            f"SELECT id, disk_mb FROM sandboxes WHERE state IN ({','.join('?' * len(states))}) AND owner = ?",
            *states, self._owner,
        )  # fmt: skip
        volumes = self._db.all("SELECT id, size_mb FROM volumes WHERE owner = ?", self._owner)
        promised = sum(r["disk_mb"] for r in rows) + sum(v["size_mb"] for v in volumes)
        used = sum(self._allocated_mb(self._sandbox_image(r["id"]), r["disk_mb"]) for r in rows)
        used += sum(self._allocated_mb(self._layout.volume_dir(v["id"]) / "disk.img", v["size_mb"]) for v in volumes)
        single = free - self.reserve_mb
        if disk_mb > single:
            raise ApiError(
                507,
                f"{what} {disk_mb} is more than this host can hold: its data dir's filesystem has {free} MB free,"
                f" of which {self.reserve_mb} MB is kept in reserve (hutch serve --disk-reserve-mb); ask for at"
                f" most {max(0, single)} MB",
            )
        budget = int(self.overcommit * (free + used - self.reserve_mb))
        if promised + disk_mb > budget:
            raise ApiError(
                507,
                f"{what} {disk_mb} cannot be promised now: live sandboxes and volumes already hold {promised} MB of"
                f" a {budget} MB budget ({free} MB free plus {used} MB they use, less a {self.reserve_mb} MB reserve,"
                f" times an overcommit of {self.overcommit:g} (hutch serve --disk-overcommit)); ask for at most"
                f" {max(0, budget - promised)} MB, or kill sandboxes or delete volumes",
            )
