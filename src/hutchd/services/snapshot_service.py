"""Filesystem snapshots: manual, template, pause and periodic ones; listing, lookup and deletion.

A snapshot belongs to the tenant of its sandbox and outlives it. A template snapshot is also
promoted to a template (`tpl-...`) that only its tenant can boot from.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hutchd.auth import Tenant
from hutchd.backend import Backend
from hutchd.http.errors import ApiError, conflict, not_found
from hutchd.runtime import SandboxNotFound
from hutchd.runtime.crashpoints import crash_point
from hutchd.services.warm_pool import WarmPool
from hutchd.settings import Settings
from hutchd.store import ids, replica
from hutchd.store.db import Database, Row, now
from hutchd.store.records import snapshot as snapshot_json

log = logging.getLogger("hutchd.snapshots")

KEEP_AUTOMATIC = {"pause": 3, "periodic": 3}  # newest automatic snapshots kept per sandbox and kind


class Snapshots:
    def __init__(self, db: Database, backend: Backend, settings: Settings, pool: WarmPool) -> None:
        self._db = db
        self._pool = pool
        self._backend = backend
        self._settings = settings

    async def take(self, sandbox: Row, *, kind: str) -> Row:
        """Record a snapshot of a running or paused sandbox (the caller holds its lock)."""
        snapshot_id = ids.snapshot_id()
        try:
            size = await self._backend.snapshot(sandbox["id"], snapshot_id)
        except SandboxNotFound:
            raise not_found(f"sandbox {sandbox['id']} is gone: its processes ended outside the API") from None
        except OSError as e:
            if e.errno == 28:  # ENOSPC
                raise ApiError(507, f"the snapshot store is full: {e}") from e
            raise
        crash_point("snapshot:taken")
        keep = KEEP_AUTOMATIC.get(kind)
        if keep is not None:  # before the new row, so that a listing never shows more than `keep`
            await self._prune(sandbox["id"], kind, keep - 1)
        self._db.run(
            "INSERT INTO snapshots (id, tenant, sandbox_id, kind, created_at, size_bytes) VALUES (?, ?, ?, ?, ?, ?)",
            snapshot_id, sandbox["tenant"], sandbox["id"], kind, now(), size,
        )  # fmt: skip
        row = self._db.one("SELECT * FROM snapshots WHERE id = ?", snapshot_id)
        assert row is not None
        return row

    async def _prune(self, sandbox_id: str, kind: str, keep: int) -> None:
        rows = self._db.all(
            "SELECT id FROM snapshots WHERE sandbox_id = ? AND kind = ? ORDER BY created_at DESC", sandbox_id, kind
        )
        for r in rows[keep:]:
            await self._remove(r["id"])

    async def create(self, sandbox: Row, *, as_template: bool, name: str | None = None) -> dict[str, Any]:
        row = await self.take(sandbox, kind="template" if as_template else "manual")
        if name is not None:
            self._db.run("UPDATE snapshots SET name = ? WHERE id = ?", name, row["id"])
            named = self._db.one("SELECT * FROM snapshots WHERE id = ?", row["id"])
            assert named is not None
            row = named
        if as_template:
            template_id = ids.template_id()
            try:
                await self._backend.promote(row["id"], template_id)
            except Exception:
                await self._remove(row["id"])
                raise
            with self._db.tx():
                self._db.run("UPDATE snapshots SET template_id = ? WHERE id = ?", template_id, row["id"])
                self._db.run(
                    "INSERT INTO templates (id, tenant, kind, description, created_at, size_bytes,"
                    " source_sandbox_id, snapshot_id) VALUES (?, ?, 'snapshot', ?, ?, ?, ?, ?)",
                    template_id, sandbox["tenant"], f"snapshot {row['id']} of sandbox {sandbox['id']}", now(),
                    row["size_bytes"], sandbox["id"], row["id"],
                )  # fmt: skip
            fresh = self._db.one("SELECT * FROM snapshots WHERE id = ?", row["id"])
            assert fresh is not None
            row = fresh
        return snapshot_json(row)

    def bootable(self, tenant: Tenant, ref: str) -> Row | None:
        """The caller's snapshot with ID `ref`, or the newest named `ref` (createSandbox's templateID)."""
        return self._db.one(
            "SELECT * FROM snapshots WHERE tenant = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC, created_at DESC",
            tenant.id, ref, ref, ref,
        )  # fmt: skip

    def list(self, tenant: Tenant, sandbox_id: str | None = None) -> list[dict[str, Any]]:
        if sandbox_id is None:
            rows = self._db.all("SELECT * FROM snapshots WHERE tenant = ? ORDER BY created_at DESC", tenant.id)
        else:
            rows = self._db.all(
                "SELECT * FROM snapshots WHERE tenant = ? AND sandbox_id = ? ORDER BY created_at DESC",
                tenant.id,
                sandbox_id,
            )
        return [snapshot_json(r) for r in rows]

    def get(self, tenant: Tenant, snapshot_id: str) -> Row:
        row = self._db.one("SELECT * FROM snapshots WHERE id = ? AND tenant = ?", snapshot_id, tenant.id)
        if row is None:
            raise not_found(f"snapshot {snapshot_id} not found")
        return row

    async def delete(self, tenant: Tenant, snapshot_id: str, owner: str) -> None:
        """Delete the snapshot (on the replica `owner`, which holds its files)."""
        row = self.get(tenant, snapshot_id)
        sandbox = self._db.one("SELECT id, owner FROM sandboxes WHERE id = ?", row["sandbox_id"])
        if sandbox is not None:
            replica.check_owner(sandbox, owner)  # the snapshot's files are there
        if row["template_id"] is not None:
            users = self._db.all(
                "SELECT id FROM sandboxes WHERE template_id = ? AND state IN ('starting', 'running', 'paused')",
                row["template_id"],
            )
            if users:
                raise conflict(
                    f"snapshot {snapshot_id} is template {row['template_id']}, which sandboxes still run from: "
                    + ", ".join(u["id"] for u in users[:5])
                    + "; kill them first"
                )
        await self._remove(snapshot_id)

    async def _remove(self, snapshot_id: str) -> None:
        row = self._db.one("SELECT template_id FROM snapshots WHERE id = ?", snapshot_id)
        if row is None:
            return
        if row["template_id"] is not None:
            self._db.run("DELETE FROM templates WHERE id = ?", row["template_id"])  # first: no create takes its pool
            await self._pool.forget(row["template_id"])  # pooled sandboxes hold its layer
            await self._backend.delete_template(row["template_id"])
        await self._backend.delete_snapshot(snapshot_id)
        self._db.run("DELETE FROM snapshots WHERE id = ?", snapshot_id)

    # ------------------------------------------------------------------ periodic snapshots

    async def periodic_loop(self, sandboxes: Any) -> None:
        """Every `snapshot_interval` seconds, a `periodic` snapshot of each running sandbox of this replica."""
        interval = self._settings.snapshot_interval
        while True:
            await asyncio.sleep(interval)
            for r in self._db.all("SELECT id FROM sandboxes WHERE state = 'running' AND owner = ?", sandboxes.owner):
                async with sandboxes.lock(r["id"]):
                    row = self._db.one("SELECT * FROM sandboxes WHERE id = ? AND state = 'running'", r["id"])
                    if row is None:
                        continue
                    try:
                        await self.take(row, kind="periodic")
                    except Exception as e:
                        log.warning("periodic snapshot of %s failed: %s", r["id"], e)
