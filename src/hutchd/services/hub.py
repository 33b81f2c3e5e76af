"""The server's parts wired together, its start-up (recovery of sandboxes that outlived a previous
server process) and its background tasks (reaper, sampler, warm pool, periodic snapshots, the
replica's heartbeat and the cleanup of dead replicas' leftovers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

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

ADOPT_CONCURRENCY = 32
"""Sandboxes a starting server checks and makes what their records say at once. A silent agent holds its
turn for the backend's whole ask budget (seconds, on kubernetes: podagent.py): one after another, N such
pods would keep a replica from serving for N budgets. Bounded: a start with thousands of pods must not
open as many connections to their agents and to the API server at once."""

T = TypeVar("T")


class Hub:
    def __init__(self, settings: Settings, keys: KeyRing, backend: Backend, features: Any) -> None:
        self.settings = settings
        self.keys = keys
        self.backend = backend
        self.features = features
        self.missing: list[str] = list(features.missing()) if features is not None else []
        self.started_at = now()
        self.db = open_database(settings.database, settings.data_dir)
        # the owner of what this server makes (its host: the data dir's ID, unless given), and this process,
        # whose work in progress (creates, warm pool, builds) is its own even where replicas share an owner
        self.owner = owner = settings.owner or replica.data_dir_id(settings.data_dir)
        self.replicas = replica.Registry(self.db, owner, heartbeat_s=settings.replica_heartbeat)
        self.replica_id = self.replicas.id
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
            owner=owner,
            replica=self.replica_id,
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
            replica=self.replica_id,
        )
        self.sampler = Sampler(
            self.db, backend, settings.sample_interval, settings.metrics_retention, on_gone=self._gone, owner=owner,
            shared_owner=backend.data_dir_shared or settings.owner is not None,
        )  # fmt: skip
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
        predecessors = self.replicas.register(own_data_dir=not self.backend.data_dir_shared)
        self._spawn(self._replica_loop(), "replica")  # beating already while it recovers
        await self.volumes.recover()  # before the sandboxes: a restore may mount a volume
        await self.recover(predecessors)
        await self.sweep_snapshots()  # after recover: the files it keeps as snapshots are recorded
        self.templates.recover(predecessors)
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

    async def recover(self, predecessors: list[str]) -> None:
        """Adopt the sandboxes a previous server left running; record the truly dead as killed.

        A create its previous processes (`predecessors`) had not finished (`starting`) is never adopted:
        it may be half made (no network interface, its policy or envs not applied yet) and its client got
        no answer. It is destroyed, recorded as killed, and its Idempotency-Key freed so that a retry
        makes a new sandbox. The creates and warm sandboxes of other processes sharing the owner are
        theirs (and a dead one's are cleaned up by `_replica_loop`)."""
        rows, elsewhere = [], set()  # its own to adopt or clean up; other processes' creates and warm ones
        for r in self.db.all(
            "SELECT * FROM sandboxes WHERE owner = ? AND state IN ('pooled', 'starting', 'running', 'paused')",
            self.owner,
        ):
            if r["state"] in ("running", "paused") or r["replica"] in predecessors:
                rows.append(r)
            elif r["replica"] is not None:
                elsewhere.add(r["id"])
        adoptable = {r["id"] for r in rows if r["state"] != "starting"}
        try:
            # other processes' sandboxes are not its to remove, nor the live ones' own work
            report = await self.backend.recover(adoptable | elsewhere, self.replicas.live())
            adopted, kept = set(report.adopted), set(report.kept_upper)
        except Exception as e:
            # Do not refuse to start: ask each known sandbox whether it still answers instead.
            log.error("runtime recovery failed (%s); checking each known sandbox instead", e)
            adopted = {sid for sid, yes in await _each(self._answers, adoptable) if yes}
            kept = set()
        readopted = {r["id"] for r, yes in await _each(self._readopt, [r for r in rows if r["id"] in adopted]) if yes}
        t = now()
        for r in rows:
            sid = r["id"]
            if sid in readopted:
                continue
            if r["state"] == "pooled":
                self.db.run("DELETE FROM sandboxes WHERE id = ? AND state = 'pooled'", sid)
                continue
            with self.db.tx():  # unless a replica that took its process for dead recorded it first
                if not self.db.run(
                    "UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ? AND state = ?",
                    t,
                    sid,
                    r["state"],
                ):
                    continue
                if r["state"] == "starting":
                    self.db.run("DELETE FROM idempotency WHERE sandbox_id = ?", sid)
            log.warning("sandbox %s did not survive; recorded it as killed", sid)
            if sid in kept:
                await self._preserve(r)
        for sid in kept - {r["id"] for r in rows if r["state"] != "pooled"}:
            await self.backend.destroy(sid)
        if rows:
            log.warning("recovery: %d of %d sandboxes adopted", len(adopted & {r["id"] for r in rows}), len(rows))

    async def _replica_loop(self) -> None:
        """Keep this replica's heartbeat, and clean up after replicas that died (`take_over`)."""
        while True:
            await asyncio.sleep(self.replicas.heartbeat_s)
            try:
                if not self.replicas.beat():
                    continue
                for dead in self.replicas.dead():
                    await self.take_over(dead["id"], reachable=dead["owner"] == self.owner)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("replica heartbeat or cleanup failed")

    async def take_over(self, replica_id: str, *, reachable: bool) -> bool:
        """A dead replica's leftovers, once (the claim and the records in one transaction, so another
        replica cleaning up at the same time finds nothing to claim): its creates recorded killed and its
        warm sandboxes' rows deleted, its builds failed; then the sandboxes destroyed, and the pods of its own
        work (build steps), where this replica reaches them (`reachable`: the same owner; another host's are
        removed by its next start)."""
        with self.db.tx():
            if not self.replicas.claim(replica_id):
                return False
            abandoned = replica.abandon_sandboxes(self.db, replica_id)
            self.templates.fail_abandoned([replica_id])
        log.warning("replica %s is dead: cleaned up %d sandboxes it left half made or warm", replica_id, len(abandoned))
        for sid in abandoned if reachable else ():
            try:
                await self.backend.destroy(sid)
            except Exception as e:
                log.warning("destroying sandbox %s, left by dead replica %s, failed: %s", sid, replica_id, e)
        if reachable:
            try:
                await self.backend.remove_work(replica_id)
            except Exception as e:
                log.warning("removing the build pods of dead replica %s failed: %s", replica_id, e)
        return True

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


async def _each(check: Callable[[T], Awaitable[bool]], items: Iterable[T]) -> list[tuple[T, bool]]:
    """Each item with what `check` says of it, ADOPT_CONCURRENCY checks at a time."""
    limit = asyncio.Semaphore(ADOPT_CONCURRENCY)

    async def one(item: T) -> tuple[T, bool]:
        async with limit:
            return item, await check(item)

    return list(await asyncio.gather(*(one(item) for item in items)))
