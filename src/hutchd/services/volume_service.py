"""The volume service: create, look up, delete volumes, check the mounts a sandbox asks for, and the
files API on a volume without a sandbox. A volume belongs to one tenant (another's is "not found");
its name is unique among the tenant's volumes.

Deleting a volume that a live sandbox (starting, running or paused) mounts is 409; with `force` those
sandboxes are killed first. Snapshots keep only the volume's ID: restoring one after the volume is
gone is 409.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from hutch_agent.errors import from_os_error
from hutchd.auth import Tenant
from hutchd.backend import Backend
from hutchd.http.errors import ApiError, conflict, not_found, unprocessable
from hutchd.runtime.volumes import check_mounts
from hutchd.services.disk_budget import DiskBudget
from hutchd.store import ids, replica
from hutchd.store.db import Conflict, Database, Row, now
from hutchd.store.records import volume

T = TypeVar("T")


def file_error(e: OSError, volume_id: str, path: str) -> ApiError:
    """What a failed file operation on a volume answers: the sandbox files API's status and words for
    the errno (hutch_agent/errors.py), then which volume."""
    err = from_os_error(e, path)
    full = " (the volume is full: its size is its limit)" if err.status == 507 else ""
    return ApiError(err.status, f"{err.message} in volume {volume_id}{full}")


class Volumes:
    def __init__(self, db: Database, backend: Backend, disk: DiskBudget, owner: str) -> None:
        self._db = db
        self.owner = owner  # a volume's image is on the host of the replica that made it
        self._backend = backend
        self._files = backend.volume_files
        self._disk = disk
        self._lock = asyncio.Lock()  # creates and deletes, so a name is taken once

    # ------------------------------------------------------------------ lookups

    def visible(self, tenant: Tenant, ref: str) -> Row:
        """The tenant's volume by ID or name; 404 otherwise."""
        row = self._db.one(
            "SELECT * FROM volumes WHERE tenant = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1",
            tenant.id, ref, ref, ref,
        )  # fmt: skip
        if row is None:
            raise not_found(f"volume {ref} not found")
        return row

    def local(self, tenant: Tenant, ref: str) -> Row:
        """The tenant's volume, if its image is on this replica's host (409 naming the one it is on)."""
        row = self.visible(tenant, ref)
        replica.check_owner(row, self.owner, "volume")
        return row

    def list(self, tenant: Tenant) -> list[dict[str, Any]]:
        rows = self._db.all("SELECT * FROM volumes WHERE tenant = ? ORDER BY created_at", tenant.id)
        return [volume(r) for r in rows]

    def users(self, volume_id: str) -> builtins.list[str]:
        """The live sandboxes that mount the volume."""
        return [
            r["id"]
            for r in self._db.all(
                "SELECT id FROM sandboxes WHERE state IN ('starting', 'running', 'paused') AND EXISTS"
                f" (SELECT 1 FROM {self._db.json_entries('sandboxes.volume_mounts')} WHERE value = ?)",
                volume_id,
            )
        ]

    # ------------------------------------------------------------------ create, delete

    async def create(self, tenant: Tenant, name: str, size_mb: int) -> dict[str, Any]:
        async with self._lock:
            if self._db.one("SELECT 1 FROM volumes WHERE tenant = ? AND name = ?", tenant.id, name):
                raise self._name_taken(name)
            self._disk.check(size_mb, "sizeMB", volume=True)
            volume_id = ids.volume_id()
            await self._backend.create_volume(volume_id, size_mb, tenant.id)
            try:
                self._db.run(
                    "INSERT INTO volumes (id, tenant, name, size_mb, created_at, owner) VALUES (?, ?, ?, ?, ?, ?)",
                    volume_id, tenant.id, name, size_mb, now(), self.owner,
                )  # fmt: skip
            except Conflict:  # another replica took the name meanwhile
                await self._backend.delete_volume(volume_id)
                raise self._name_taken(name) from None
        return self.detail(volume_id)

    @staticmethod
    def _name_taken(name: str) -> ApiError:
        return conflict(f"a volume named {name} already exists; delete it or choose another name")

    def detail(self, volume_id: str) -> dict[str, Any]:
        row = self._db.one("SELECT * FROM volumes WHERE id = ?", volume_id)
        assert row is not None
        return volume(row)

    async def delete(
        self, tenant: Tenant, ref: str, force: bool, kill: Callable[[Tenant, str], Awaitable[None]]
    ) -> None:
        async with self._lock:
            row = self.local(tenant, ref)
            users = self.users(row["id"])
            if users and not force:
                raise conflict(
                    f"volume {row['name']} is mounted by {', '.join(users)}; kill them first, or delete with force=true"
                    " to kill them"
                )
            while users:  # a create may mount it while the kills are under way
                for sandbox_id in users:
                    with contextlib.suppress(ApiError):  # ended meanwhile
                        await kill(tenant, sandbox_id)
                users = self.users(row["id"])
            self._db.run("DELETE FROM volumes WHERE id = ?", row["id"])  # no await since the last check
            await self._backend.delete_volume(row["id"])

    async def recover(self) -> None:
        """At start-up: the backend keeps the volumes that have a record and removes the others (a create
        the server died in)."""
        known = {r["id"] for r in self._db.all("SELECT id FROM volumes WHERE owner = ?", self.owner)}
        await self._backend.recover_volumes(known)

    # ------------------------------------------------------------------ mounts

    def resolve_mounts(self, tenant: Tenant, mounts: builtins.list[dict[str, str]]) -> dict[str, str]:
        """createSandbox's volumeMounts ({name: volume ID or name, path}) as {path: volume ID}."""
        out: dict[str, str] = {}
        for m in mounts:
            if m["path"] in out:
                raise unprocessable(f"two volumes are mounted at {m['path']}")
            out[m["path"]] = self.local(tenant, m["name"])["id"]
        try:
            check_mounts(out)
        except ValueError as e:
            raise unprocessable(str(e)) from None
        return out

    def check_present(self, mounts: dict[str, str]) -> None:
        """Before a restore or fork boots: its volumes must still exist."""
        for path, volume_id in mounts.items():
            if self._db.one("SELECT 1 FROM volumes WHERE id = ?", volume_id) is None:
                raise conflict(f"volume {volume_id} (mounted at {path}) was deleted; this sandbox cannot boot again")

    @staticmethod
    def mounts_of(row: Row) -> dict[str, str]:
        mounts: dict[str, str] = json.loads(row["volume_mounts"])
        return mounts

    # ------------------------------------------------------------------ files

    async def _file_call(self, row: Row, path: str, op: Callable[..., Awaitable[T]], *args: Any) -> T:
        """A volume files operation of the backend (`op(volume_id, path, *args)`), its failure answered
        as the sandbox files API would."""
        replica.check_owner(row, self.owner, "volume")
        try:
            return await op(row["id"], path, *args)
        except (ValueError, OverflowError) as e:  # the root removed, a listing too long
            raise unprocessable(str(e)) from None
        except OSError as e:
            raise file_error(e, row["id"], path) from None

    async def stat(self, row: Row, path: str) -> dict[str, Any]:
        return await self._file_call(row, path, self._files.stat)

    async def list_dir(self, row: Row, path: str, depth: int) -> builtins.list[dict[str, Any]]:
        return await self._file_call(row, path, self._files.list_dir, depth)

    async def remove(self, row: Row, path: str) -> None:
        await self._file_call(row, path, self._files.remove)

    async def make_dir(self, row: Row, path: str, uid: int, gid: int, mode: int) -> tuple[bool, dict[str, Any]]:
        return await self._file_call(row, path, self._files.make_dir, uid, gid, mode)

    async def read(self, row: Row, path: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time (opened before the first byte, so a missing file is a 404)."""
        return await self._file_call(row, path, self._files.read)

    async def write(
        self, row: Row, path: str, body: AsyncIterator[bytes], uid: int, gid: int, mode: int
    ) -> dict[str, Any]:
        """Stream `body` into the file; a full volume is 507 and leaves the old file (or none)."""
        return await self._file_call(row, path, self._files.write, body, uid, gid, mode)
