"""The server's parts wired together, its start-up (recovery of sandboxes that outlived a previous
server process) and its background tasks (reaper, sampler, warm pool, periodic snapshots)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from hutchd.access import AccessTokens
from hutchd.agentconn import AgentClients
from hutchd.auth import KeyRing
from hutchd.backend import Backend
from hutchd.runtime import SandboxUnreachable
from hutchd.services import network_settings
from hutchd.services.disk_budget import DiskBudget
from hutchd.services.reaper import reap_loop
from hutchd.services.sampler import Sampler
from hutchd.services.sandbox_service import Sandboxes
from hutchd.services.snapshot_service import Snapshots
from hutchd.services.template_builds import TemplateBuilds
from hutchd.services.template_sandboxes import TemplateSandboxes
from hutchd.services.volume_service import Volumes
from hutchd.services.warm_pool import WarmPool
from hutchd.settings import Settings
from hutchd.store import ids, replica
from hutchd.store.db import now, open_database

log = logging.getLogger("hutchd")


class Hub:
    def __init__(self, settings: Settings, keys: KeyRing, backend: Backend, features: Any) -> None:
        self.settings = settings
        self.keys = keys
        self.backend = backend
        self.features = features
        self.missing: list[str] = list(features.missing()) if features is not None else []
        self.started_at = now()
        self.db = open_database(settings.database, settings.data_dir)
        # the replica itself, and the owner of what it makes: the same with the local runtime; replicas that
        # reach each other's sandboxes share one owner, but each keeps its own warm pool
        self.replica_id = replica.data_dir_id(settings.data_dir)
        self.owner = owner = settings.owner or self.replica_id
        self.agents = AgentClients(backend)
        self.disk = DiskBudget(
            self.db,
            backend.layout,
            overcommit=settings.disk_overcommit,
            reserve_mb=settings.disk_reserve_mb,
            owner=owner,
            disks_here=backend.disks_here,
        )
        self.launches = TemplateSandboxes(self.db, backend, self.agents)
        self.pool = WarmPool(
            self.db,
            backend,
            settings.pool_templates,
            settings.pool_size,
            self.disk,
            settings.pool_memory_mb,
            owner=self.replica_id,
            prepare=self.launches.start_in,
            agents=self.agents,
        )
        self.snapshots = Snapshots(self.db, backend, settings, self.pool)
        self.access = AccessTokens(settings.data_dir)
        self.volumes = Volumes(self.db, backend, self.disk, owner)
        self.sandboxes = Sandboxes(
            self.db,
            backend,
            settings,
            self.pool,
            self.snapshots,
            self.agents,
            self.disk,
            self.access,
            self.volumes,
            self.launches,
            owner,
            self.replica_id,
        )
        self.templates = TemplateBuilds(
            self.db,
            backend,
            self.agents,
            self.pool,
            settings.data_dir,
            settings.image_registries,
            settings.build_ca_bundle,
            owner=owner,
        )
        self.sampler = Sampler(
            self.db, backend, settings.sample_interval, settings.metrics_retention, on_gone=self._gone, owner=owner
        )
        self._tasks: list[asyncio.Task[None]] = []

    def features_json(self) -> dict[str, bool]:
        f = self.features

        def has(name: str) -> bool:
            return bool(getattr(f, name, False))

        return {
            "bubblewrap": has("bubblewrap"),
            "userNamespaces": has("user_namespaces"),
            "cgroups": has("cgroups_v1_writable"),
            "freeze": has("cgroup_freeze"),
            "seccomp": has("seccomp"),
            "internet": has("slirp4netns"),
            "egressFilter": has("nftables"),
        }

    # ------------------------------------------------------------------ start-up and shutdown

    async def start(self) -> None:
        replica.take_unowned(self.db, self.owner)
        await self.volumes.recover()  # before the sandboxes: a restore may mount a volume
        await self.recover()
        await self.sweep_snapshots()  # after recover: the files it keeps as snapshots are recorded
        self.templates.recover()
        self._spawn(reap_loop(self.db, self.sandboxes, self.settings.reap_interval), "reaper")
        self._spawn(self.sampler.loop(), "sampler")
        if self.settings.snapshot_interval > 0:
            self._spawn(self.snapshots.periodic_loop(self.sandboxes), "periodic-snapshots")
        self.pool.start()

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        """Graceful stop: background tasks end and the warm pool is emptied; user sandboxes keep
        running and are adopted by the next server."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.sandboxes.settle()
        await self.templates.stop()
        await self.launches.stop()
        await self.pool.stop(drain=True)
        await self.agents.close()
        await self.backend.volume_files.close()
        self.backend.shutdown()
        self.db.close()

    async def recover(self) -> None:
        """Adopt the sandboxes a previous server left running; record the truly dead as killed.

        A create it had not finished (`starting`) is never adopted: it may be half made (no network
        interface, its policy or envs not applied yet) and its client got no answer. It is destroyed,
        recorded as killed, and its Idempotency-Key freed so that a retry makes a new sandbox."""
        rows = self.db.all(
            "SELECT * FROM sandboxes WHERE state IN ('pooled', 'starting', 'running', 'paused') AND owner IN (?, ?)",
            self.owner, self.replica_id,
        )  # fmt: skip
        adoptable = {r["id"] for r in rows if r["state"] != "starting"}
        try:
            report = await self.backend.recover(adoptable)
            adopted, kept = set(report.adopted), set(report.kept_upper)
        except Exception as e:
            # Do not refuse to start: ask each known sandbox whether it still answers instead.
            log.error("runtime recovery failed (%s); checking each known sandbox instead", e)
            adopted = {sid for sid in adoptable if await self._answers(sid)}
            kept = set()
        t = now()
        for r in rows:
            sid = r["id"]
            if sid in adopted and await self._readopt(r):
                continue
            if r["state"] == "pooled":
                self.db.run("DELETE FROM sandboxes WHERE id = ?", sid)
                continue
            log.warning("sandbox %s did not survive; recording it as killed", sid)
            with self.db.tx():
                self.db.run("UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ?", t, sid)
                if r["state"] == "starting":
                    self.db.run("DELETE FROM idempotency WHERE sandbox_id = ?", sid)
            if sid in kept:
                await self._preserve(r)
        for sid in kept - {r["id"] for r in rows if r["state"] != "pooled"}:
            await self.backend.destroy(sid)
        if rows:
            log.warning("recovery: %d of %d sandboxes adopted", len(adopted & {r["id"] for r in rows}), len(rows))

    async def sweep_snapshots(self) -> None:
        """Remove the snapshots taken but never recorded (the server died in between): nothing can
        name them, and the proxy state kept beside one holds its sandbox's secrets and CA key."""
        recorded = {r["id"] for r in self.db.all("SELECT id FROM snapshots")}
        for snapshot_id in sorted(await self.backend.snapshot_ids() - recorded):
            log.warning("recovery: removing snapshot %s, which was never recorded", snapshot_id)
            await self.backend.delete_snapshot(snapshot_id)

    async def _gone(self, sandbox_id: str) -> None:
        await self.sandboxes.expire_gone(sandbox_id)

    async def _answers(self, sandbox_id: str) -> bool:
        try:
            return await self.backend.is_alive(sandbox_id)
        except Exception:
            return False

    async def _preserve(self, r: Any) -> None:
        """The files of a sandbox that died with the server become a snapshot it can be restored from."""
        snapshot_id = ids.snapshot_id()
        try:
            size = await self.backend.preserve_upper(r["id"], snapshot_id)
        except Exception as e:
            log.warning("keeping the files of dead sandbox %s failed: %s", r["id"], e)
            return
        self.db.run(
            "INSERT INTO snapshots (id, tenant, sandbox_id, kind, created_at, size_bytes)"
            " VALUES (?, ?, ?, 'periodic', ?, ?)",
            snapshot_id, r["tenant"], r["id"], now(), size,
        )  # fmt: skip

    async def _readopt(self, r: Any) -> bool:
        """Make an adopted sandbox what its record says (paused or not, its network policy); one that
        cannot be is destroyed (False): the previous server may have died between the runtime's change
        and the record's, and a sandbox must never run with a policy other than the one the API shows.
        One whose agent does not answer while the backend says it runs (SandboxUnreachable) is taken to be
        paused or not as recorded, not destroyed: its pod is there, and the sampler, the reaper and its
        calls deal with it as with any other."""
        sid = r["id"]
        try:
            try:
                frozen = await self.backend.is_frozen(sid)
            except SandboxUnreachable as e:
                if r["state"] == "pooled":
                    raise  # nobody's yet: not worth keeping unchecked
                log.warning("sandbox %s adopted %s as recorded, unchecked: %s", sid, r["state"], e)
                frozen = r["state"] == "paused"
            if r["state"] == "paused" and not frozen:
                await self.backend.freeze(sid)
            elif r["state"] != "paused" and frozen:
                await self.backend.thaw(sid)  # the previous server died in the middle of a pause
            await self.backend.set_network(sid, network_settings.row_policy(r), proxy=bool(r["secure"]))
        except Exception as e:
            log.error("sandbox %s could not be made what its record says (%s); destroying it", sid, e)
            with contextlib.suppress(Exception):
                await self.backend.destroy(sid)
            return False
        if r["state"] == "pooled":
            self.pool.adopt(r["template_id"], sid)
        return True
