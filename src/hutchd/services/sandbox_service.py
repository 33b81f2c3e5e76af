"""The sandbox service: create (warm pool or cold), look up, kill, pause, resume, timeouts, connect,
restore. Handlers call it with an authenticated tenant; another tenant's sandbox is "not found".

Every state change of one sandbox happens under that sandbox's lock, and every database
read-check-write runs without an `await` in between (see db.py), so concurrent requests cannot
hand out one pooled sandbox twice, take one name twice or kill a sandbox while it is being paused.
Across replicas sharing a database, the database's constraints keep names and idempotency keys
taken once, and a sandbox is acted on only by its `owner`, the replica whose runtime holds it
(`settings.owner`); another replica shows its record and answers calls on it with a 409 that names
the owner. While it is `starting` it is also marked with the server process making it (`replica`),
even where replicas share an owner: only that process's death (store/replica.py) makes it half made
for good, to be destroyed.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from hutchd.access import AccessTokens
from hutchd.agentconn import AgentClients
from hutchd.auth import Tenant
from hutchd.backend import DEFAULT_CPU, DEFAULT_DISK_MB, DEFAULT_MEMORY_MB, Backend, Boot
from hutchd.http.errors import ApiError, conflict, not_found
from hutchd.runtime import RuntimeUnavailable, SandboxNotFound, TemplateBuildError, TemplateNotFound
from hutchd.runtime.crashpoints import crash_point
from hutchd.runtime.mitm import Secret
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.services import audit_log, content_policy, network_settings, proxy_secrets
from hutchd.services.disk_budget import DiskBudget
from hutchd.services.snapshot_service import Snapshots
from hutchd.services.template_sandboxes import TemplateSandboxes
from hutchd.services.volume_service import Volumes
from hutchd.services.warm_pool import WarmPool
from hutchd.settings import Settings
from hutchd.store import ids, replica
from hutchd.store.db import Conflict, Database, Row, dumps, now
from hutchd.store.records import sandbox_detail

log = logging.getLogger("hutchd.sandboxes")

# Template names other SDKs use for a template of another name here (E2B's code interpreter default).
TEMPLATE_ALIASES = {"code-interpreter-v1": "code-interpreter"}
# Default restore choice: the newest of the best kind.
ROW_CACHE_SIZE = 4096
"""Rows kept in memory at most (lookups of unknown IDs are kept too, so a flood of them cannot grow it)."""
RESTORE_PREFERENCE = {"pause": 0, "periodic": 1, "manual": 2, "template": 2}
CREATE_WAIT_S = 300.0
"""How long a create retried with its Idempotency-Key waits for the first one, under way on another replica."""


@dataclass(frozen=True)
class Launch:
    """Everything a new sandbox is booted with."""

    template_id: str
    timeout: int
    name: str | None
    metadata: dict[str, str]
    envs: dict[str, str]
    allow_internet: bool
    cpu: float
    memory_mb: int
    disk_mb: int
    on_timeout: str
    auto_resume: bool
    secure: bool = False
    restored_from: str | None = None
    from_snapshot: str | None = None
    network: NetworkPolicy | None = None  # None: the open default
    secrets: dict[str, Secret] = dataclasses.field(default_factory=dict)  # never stored
    audit: bool = False  # security.audit: the egress proxy records its connections
    inspect: dict[str, Any] = dataclasses.field(default_factory=dict)  # security.pii, .transformations
    volume_mounts: dict[str, str] = dataclasses.field(default_factory=dict)  # mount path -> volume ID
    proxy_state_from: str | None = None  # a restore or fork keeps its egress proxy's secrets, policy and CA
    starts: bool = False  # its template has a start command or ready check (TemplateSandboxes.start_in)

    def boot(self, tenant_id: str) -> Boot:
        """What the backend boots for it (a secure sandbox's egress goes through its proxy from the start)."""
        return Boot(
            self.template_id, self.cpu, self.memory_mb, self.disk_mb, self.allow_internet, envs=self.envs,
            from_snapshot=self.from_snapshot, volumes=self.volume_mounts, proxy=self.secure,
            proxy_state_from=self.proxy_state_from, tenant=tenant_id,
        )  # fmt: skip

    def poolable(self) -> bool:
        """Whether a warm-pool sandbox can serve it. Pooled sandboxes have no volumes and are not made
        from snapshots; those of a template with a start command ran it already, so they serve only a
        create that gives the command nothing to see at its start: no envs (secrets come as envs), no
        decryption CA, no egress policy."""
        if self.from_snapshot is not None or self.volume_mounts:
            return False
        return not self.starts or not (self.envs or self.inspect or self.network is not None)

    @classmethod
    def from_body(cls, body: dict[str, Any], default_timeout: int) -> Launch:
        res = body.get("resources", {})
        life = body.get("lifecycle", {})
        template = body.get("templateID", "base")
        network = network_settings.launch_policy(body)
        internet = network is None or not network.denies_everything
        secure = body.get("secure", False)
        secrets = proxy_secrets.parse(body, secure=secure, internet=internet)
        audit = audit_log.requested(body.get("security"), secure=secure, internet=internet)
        inspect = content_policy.parse(body.get("security"), secure=secure, internet=internet)
        return cls(
            template_id=TEMPLATE_ALIASES.get(template, template),
            timeout=body.get("timeout", default_timeout),
            name=body.get("name"),
            metadata=body.get("metadata", {}),
            envs={**body.get("envs", {}), **proxy_secrets.envs(secrets, decrypting=bool(inspect))},
            allow_internet=internet,
            cpu=float(res.get("cpu", DEFAULT_CPU)),
            memory_mb=res.get("memoryMB", DEFAULT_MEMORY_MB),
            disk_mb=res.get("diskMB", DEFAULT_DISK_MB),
            on_timeout=life.get("onTimeout", "kill"),
            auto_resume=life.get("autoResume", False),
            secure=secure,
            network=network,
            secrets=secrets,
            audit=audit,
            inspect=inspect,
        )

    @classmethod
    def from_row(cls, row: Row, *, timeout: int, snapshot_id: str) -> Launch:
        """The launch of a sandbox restored from `row`'s snapshot: same settings, no name."""
        return cls(
            template_id=row["template_id"],
            timeout=timeout,
            name=None,
            metadata=json.loads(row["metadata"]),
            envs=json.loads(row["envs"]),
            allow_internet=bool(row["allow_internet"]),
            cpu=row["cpu"],
            memory_mb=row["memory_mb"],
            disk_mb=row["disk_mb"],
            on_timeout=row["on_timeout"],
            auto_resume=bool(row["auto_resume"]),
            secure=bool(row["secure"]),
            restored_from=snapshot_id,
            from_snapshot=snapshot_id,
            network=network_settings.stored_policy(row),
            volume_mounts=json.loads(row["volume_mounts"]),
            proxy_state_from=snapshot_id,
        )


class KeyTaken(Exception):
    """Another create recorded the same Idempotency-Key first (on another replica)."""


class PooledGone(Exception):
    """The pooled sandbox a create took is no longer pooled: another replica took this one for dead and
    cleaned its pool up."""


class Sandboxes:
    def __init__(
        self,
        db: Database,
        backend: Backend,
        settings: Settings,
        pool: WarmPool,
        snapshots: Snapshots,
        agents: AgentClients,
        disk: DiskBudget,
        access: AccessTokens,
        volumes: Volumes,
        templates: TemplateSandboxes,
        owner: str,
        replica: str,
    ) -> None:
        self._db = db
        self._templates = templates
        self.owner = owner
        self.replica = replica
        self._volumes = volumes
        self._access = access
        self._disk = disk
        self._backend = backend
        self._settings = settings
        self._pool = pool
        self._snapshots = snapshots
        self._agents = agents
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._inflight: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self._teardowns: set[asyncio.Task[None]] = set()
        self._rows: dict[str, Row | None] = {}
        self._rows_generation = -1

    @contextlib.asynccontextmanager
    async def lock(self, sandbox_id: str) -> AsyncIterator[None]:
        """The sandbox's lock: this process's, and the database's across replicas (PostgreSQL's advisory
        lock: where replicas share an owner, each acts on every sandbox)."""
        async with self._locks[sandbox_id], self._db.sandbox_lock(sandbox_id):
            yield

    @contextlib.asynccontextmanager
    async def held_live(self, tenant: Tenant, sandbox_id: str) -> AsyncIterator[Row]:
        """The tenant's sandbox under its lock, running or paused (409 while it starts or ends): what
        changing a live sandbox's policy, files or snapshots needs."""
        async with self.lock(sandbox_id):
            row = self.live(tenant, sandbox_id)
            if row["state"] not in ("running", "paused"):
                raise conflict(f"sandbox {sandbox_id} is {row['state']}; retry when it is running")
            yield row

    # ------------------------------------------------------------------ lookups

    def row(self, sandbox_id: str) -> Row | None:
        """The sandbox's row; from memory while no write touched sandboxes or snapshots since it was read
        (the gateway and the access-token check read it on every forwarded call)."""
        if self._rows_generation != self._db.generation or len(self._rows) >= ROW_CACHE_SIZE:
            self._rows.clear()
            self._rows_generation = self._db.generation
        if sandbox_id in self._rows:
            return self._rows[sandbox_id]
        row = self._rows[sandbox_id] = self._db.one("SELECT * FROM sandboxes WHERE id = ?", sandbox_id)
        return row

    def visible(self, tenant: Tenant, sandbox_id: str) -> Row:
        """The tenant's sandbox; a killed one only while it has snapshots. Otherwise 404."""
        row = self._db.one(
            "SELECT * FROM sandboxes WHERE id = ? AND tenant = ? AND (state != 'killed' OR EXISTS"
            " (SELECT 1 FROM snapshots WHERE snapshots.sandbox_id = sandboxes.id))",
            sandbox_id,
            tenant.id,
        )
        if row is None:
            raise not_found(f"sandbox {sandbox_id} not found")
        return row

    def live(self, tenant: Tenant, sandbox_id: str) -> Row:
        """The tenant's sandbox if it is not killed; 404 otherwise."""
        row = self.row(sandbox_id)
        if row is None or row["tenant"] != tenant.id:
            raise not_found(f"sandbox {sandbox_id} not found")
        if row["state"] == "killed":
            self.visible(tenant, sandbox_id)  # "not found" unless it has snapshots
            raise not_found(f"sandbox {sandbox_id} was killed; restore it from a snapshot with restoreSandbox")
        replica.check_owner(row, self.owner)
        return row

    def by_id_or_name(self, tenant: Tenant, ref: str) -> Row:
        row = self._db.one(
            "SELECT * FROM sandboxes WHERE tenant = ? AND state IN ('starting', 'running', 'paused')"
            " AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1",
            tenant.id,
            ref,
            ref,
            ref,
        )
        if row is None:
            raise not_found(f"no running or paused sandbox with ID or name {ref}")
        return row

    def detail(self, sandbox_id: str) -> dict[str, Any]:
        row = self.row(sandbox_id)
        assert row is not None
        return sandbox_detail(row)

    def detail_with_token(self, sandbox_id: str) -> dict[str, Any]:
        """The detail plus its access token, for the replies that hand it out (create, connect, restore)."""
        out = self.detail(sandbox_id)
        row = self.row(sandbox_id)
        assert row is not None
        out["envdAccessToken"] = self._access.token(sandbox_id) if row["secure"] else None
        return out

    def list(
        self,
        tenant: Tenant,
        *,
        limit: int,
        after_seq: int | None,
        states: list[str],
        metadata: dict[str, str | None],
        template: str | None,
        name: str | None,
        started_after: float | None = None,
        ascending: bool = False,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page, newest first (oldest first when ``ascending``), and the seq to continue after (None on
        the last page)."""
        sql = ["SELECT * FROM sandboxes WHERE tenant = ?"]
        args: list[Any] = [tenant.id]
        if states:
            sql.append(f"AND state IN ({','.join('?' * len(states))})")
            args += states
        else:
            sql.append("AND state != 'killed'")
        sql.append("AND (state != 'killed' OR EXISTS (SELECT 1 FROM snapshots WHERE sandbox_id = sandboxes.id))")
        if template is not None:
            sql.append("AND template_id = ?")
            args.append(template)
        if name is not None:
            sql.append("AND name = ?")
            args.append(name)
        for k, v in metadata.items():
            # the entries' keys compare exactly (a JSON path would need escaping rules SQLite lacks)
            entries = self._db.json_entries("sandboxes.metadata")
            if v is None:
                sql.append(f"AND EXISTS (SELECT 1 FROM {entries} WHERE key = ?)")
                args.append(k)
            else:
                sql.append(f"AND EXISTS (SELECT 1 FROM {entries} WHERE key = ? AND value = ?)")
                args += [k, v]
        if started_after is not None:
            sql.append("AND started_at >= ?")
            args.append(started_after)
        if after_seq is not None:
            sql.append("AND seq > ?" if ascending else "AND seq < ?")
            args.append(after_seq)
        sql.append(f"ORDER BY seq {'ASC' if ascending else 'DESC'} LIMIT ?")
        args.append(limit + 1)
        rows = self._db.all(" ".join(sql), *args)
        more = len(rows) > limit
        rows = rows[:limit]
        return [sandbox_detail(r) for r in rows], (rows[-1]["seq"] if more else None)

    # ------------------------------------------------------------------ create

    async def create(self, tenant: Tenant, body: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        """createSandbox's body (checked against the spec): a sandbox of the template it names, with that
        template's settings under the body's, its volumes mounted and its start command ready."""
        body, starts = self._templates.fit(tenant, body)
        launch = dataclasses.replace(Launch.from_body(body, self._settings.default_timeout), starts=starts)
        if mounts := body.get("volumeMounts"):
            launch = dataclasses.replace(launch, volume_mounts=self._volumes.resolve_mounts(tenant, mounts))
        return await self._create_keyed(tenant, launch, idempotency_key)

    async def _create_keyed(self, tenant: Tenant, launch: Launch, idempotency_key: str | None) -> dict[str, Any]:
        launch = self._from_snapshot(tenant, launch)
        if idempotency_key is None:
            return await self._create(tenant, launch, None)
        key = (tenant.id, idempotency_key)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._inflight[key] = fut
        try:
            result = await self._create_once(tenant, launch, idempotency_key)
        except BaseException as e:
            fut.set_exception(e if isinstance(e, Exception) else RuntimeError("create was cancelled"))
            raise
        finally:
            del self._inflight[key]
        fut.set_result(result)
        return result

    async def _create_once(self, tenant: Tenant, launch: Launch, idempotency_key: str) -> dict[str, Any]:
        """The key's sandbox: the one a create with it made before (here or on another replica), or a new
        one. The idempotency table's primary key decides which create recorded the key first."""
        for _ in range(3):  # a create that held the key may fail and free it meanwhile
            row = self._db.one(
                "SELECT sandbox_id FROM idempotency WHERE tenant = ? AND key = ?", tenant.id, idempotency_key
            )
            if row is not None:
                made = await self._made(row["sandbox_id"])
                if made is not None:
                    return made
                continue
            try:
                return await self._create(tenant, launch, idempotency_key)
            except KeyTaken:
                log.info("a create's Idempotency-Key was recorded first by another create; answering with its sandbox")
                continue
        raise ApiError(503, "the create with this Idempotency-Key keeps failing on another replica; retry later")

    async def _made(self, sandbox_id: str) -> dict[str, Any] | None:
        """The detail of a sandbox made with an idempotency key once its create ends (on another replica it
        may still be booting); None if that create failed (its row is gone)."""
        deadline = asyncio.get_running_loop().time() + CREATE_WAIT_S
        while True:
            row = self._db.one("SELECT state, owner FROM sandboxes WHERE id = ?", sandbox_id)
            if row is None:
                return None
            if row["state"] != "starting":
                return self.detail_with_token(sandbox_id)
            if asyncio.get_running_loop().time() > deadline:
                raise ApiError(
                    503,
                    f"sandbox {sandbox_id} of this Idempotency-Key is still being created on replica {row['owner']};"
                    " retry later",
                    {"Retry-After": "5"},
                )
            await asyncio.sleep(0.1)

    def _from_snapshot(self, tenant: Tenant, launch: Launch) -> Launch:
        """A templateID that names one of the tenant's snapshots (E2B's `Sandbox.create(snapshot_id)`)
        boots from it: a template snapshot as its template, any other from its files."""
        if self.template_visible(tenant, launch.template_id):
            return launch
        snap = self._snapshots.bootable(tenant, launch.template_id)
        if snap is None:
            return launch
        if snap["template_id"] is not None:
            return dataclasses.replace(launch, template_id=snap["template_id"])
        source = self.row(snap["sandbox_id"])
        assert source is not None
        replica.check_owner(source, self.owner)  # its files are there
        return dataclasses.replace(
            launch, template_id=source["template_id"], restored_from=snap["id"], from_snapshot=snap["id"]
        )

    def _check_create(self, tenant: Tenant, launch: Launch) -> None:
        if not self.template_visible(tenant, launch.template_id):
            raise not_found(f"template {launch.template_id} not found; listTemplates shows the ones you can use")
        if launch.name is not None and self._db.one(
            "SELECT 1 FROM sandboxes WHERE tenant = ? AND name = ? AND state != 'killed'", tenant.id, launch.name
        ):
            raise self._name_taken(launch.name)
        live = self._db.value(
            "SELECT COUNT(*) FROM sandboxes WHERE state IN ('starting', 'running', 'paused') AND owner = ?", self.owner
        )
        if live >= self._settings.max_sandboxes:
            raise ApiError(
                429,
                f"this server already runs {live} sandboxes (its limit); kill some or retry later",
                {"Retry-After": "5"},
            )
        try:
            self._disk.check(launch.disk_mb)
        except ApiError:  # the warm pools' disks are promised too; a create comes first, if that makes room
            self._disk.check(launch.disk_mb, pooled=False)
            self._pool.evict()
        self._volumes.check_present(launch.volume_mounts)
        if launch.from_snapshot is None:
            self._templates.require_built(launch.template_id)

    @staticmethod
    def _name_taken(name: str | None) -> ApiError:
        return conflict(f"a sandbox named {name} already exists; kill it or choose another name")

    def template_visible(self, tenant: Tenant, template_id: str) -> bool:
        t = self._db.one("SELECT tenant FROM templates WHERE id = ?", template_id)
        if t is not None:
            return t["tenant"] is None or t["tenant"] == tenant.id
        return template_id in self._backend.buildable_templates() or (
            self._backend.template_exists(template_id) and not template_id.startswith("tpl-")
        )

    async def _create(self, tenant: Tenant, launch: Launch, idempotency_key: str | None) -> dict[str, Any]:
        self._check_create(tenant, launch)
        sandbox_id, pooled = self._take_and_record(tenant, launch, idempotency_key)
        crash_point("create:recorded")
        try:
            async with self.lock(sandbox_id):
                if pooled:
                    await self._pool.thaw(sandbox_id)
                    await self._fit_pooled(sandbox_id, launch, tenant.id)
                else:
                    await self._boot(sandbox_id, launch, tenant.id)
                if launch.secrets or launch.inspect:
                    await proxy_secrets.install(self._backend, self._agents, sandbox_id, launch.secrets, launch.inspect)
                if launch.audit:
                    await self._backend.set_audit(sandbox_id, True)
                if launch.starts and not pooled:
                    await self._templates.start_in(sandbox_id, launch.template_id)
        except BaseException as e:
            with self._db.tx():
                self._db.run("DELETE FROM idempotency WHERE sandbox_id = ?", sandbox_id)
                self._db.run("DELETE FROM sandboxes WHERE id = ?", sandbox_id)
            with contextlib.suppress(Exception):
                await self._backend.destroy(sandbox_id)
            if isinstance(e, ApiError | asyncio.CancelledError) or not isinstance(e, Exception):
                raise
            if isinstance(e, TemplateNotFound):
                raise not_found(str(e)) from e
            if isinstance(e, RuntimeUnavailable | TemplateBuildError):
                raise ApiError(503, f"this server cannot create the sandbox now: {e}") from e
            log.exception("creating sandbox %s failed", sandbox_id)
            raise ApiError(500, f"creating the sandbox failed: {e}") from e
        t = now()
        self._db.run(
            "UPDATE sandboxes SET state = 'running', started_at = ?, end_at = ? WHERE id = ? AND state = 'starting'",
            t, t + launch.timeout, sandbox_id,
        )  # fmt: skip
        if pooled and not launch.secure and self._pool.shape.secure and launch.allow_internet:
            self._in_background(self._drop_proxy(sandbox_id), f"drop-proxy-{sandbox_id}")
        return self.detail_with_token(sandbox_id)

    def _take_and_record(self, tenant: Tenant, launch: Launch, idempotency_key: str | None) -> tuple[str, str | None]:
        """The new sandbox's ID, recorded (`_record`), and the pooled sandbox it is if the pool had one."""
        while True:
            pooled = None
            if launch.poolable():
                pooled = self._pool.take(
                    launch.template_id,
                    disk_mb=launch.disk_mb,
                    allow_internet=launch.allow_internet,
                    cpu=launch.cpu,
                    memory_mb=launch.memory_mb,
                )
            sandbox_id = pooled or ids.sandbox_id()
            try:
                self._record(tenant, launch, sandbox_id, pooled, idempotency_key)
                return sandbox_id, pooled
            except PooledGone:
                self._pool.lost(sandbox_id)  # the next one, or a cold boot
            except Conflict as e:
                if pooled:
                    self._pool.adopt(launch.template_id, pooled)  # the write was undone: it is still pooled
                if e.table == "idempotency":
                    raise KeyTaken from None
                raise self._name_taken(launch.name) from None

    async def _drop_proxy(self, sandbox_id: str) -> None:
        """A pooled sandbox created without `secure` loses the egress proxy it was booted with, just
        after the create answered (one nft transaction the answer need not wait for: until then its
        web traffic goes through a proxy that judges it by the same policy, so nothing more is let out)."""
        async with self.lock(sandbox_id):
            row = self.row(sandbox_id)
            if row is None or row["state"] not in ("running", "paused") or row["secure"]:
                return
            try:
                await self._backend.set_proxy(sandbox_id, False)
            except Exception as e:
                log.warning("sandbox %s keeps its egress proxy: turning it off failed: %s", sandbox_id, e)

    def _in_background(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Work after an answer (`settle` waits for it at server stop)."""
        task = asyncio.create_task(work, name=name)
        self._teardowns.add(task)
        task.add_done_callback(self._teardowns.discard)
        return task

    def _record(
        self, tenant: Tenant, launch: Launch, sandbox_id: str, pooled: str | None, idempotency_key: str | None
    ) -> None:
        """The new sandbox's row (a pooled one's, claimed while still pooled: PooledGone if it is not) and its
        idempotency key, in one transaction."""
        t = now()
        with self._db.tx():
            values = (
                tenant.id, launch.name, launch.template_id, dumps(launch.metadata), dumps(launch.envs),
                launch.cpu, launch.memory_mb, launch.disk_mb, int(launch.allow_internet), launch.on_timeout,
                int(launch.auto_resume), launch.timeout, t, t + launch.timeout, launch.restored_from,
            )  # fmt: skip
            if pooled:
                if not self._db.run(
                    "UPDATE sandboxes SET tenant = ?, name = ?, template_id = ?, state = 'starting', metadata = ?,"
                    " envs = ?, cpu = ?, memory_mb = ?, disk_mb = ?, allow_internet = ?, on_timeout = ?,"
                    " auto_resume = ?, timeout_s = ?, started_at = ?, end_at = ?, restored_from = ?, seq = ?"
                    " WHERE id = ? AND state = 'pooled'",
                    *values, self._db.next_seq(), sandbox_id,
                ):  # fmt: skip
                    raise PooledGone
            else:
                self._db.run(
                    "INSERT INTO sandboxes (tenant, name, template_id, state, metadata, envs, cpu, memory_mb,"
                    " disk_mb, allow_internet, on_timeout, auto_resume, timeout_s, started_at, end_at,"
                    " restored_from, seq, id) VALUES (?, ?, ?, 'starting', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    *values, self._db.next_seq(), sandbox_id,
                )  # fmt: skip
            self._db.run(
                "UPDATE sandboxes SET network = ?, traffic_token = ?, secure = ?, volume_mounts = ?, owner = ?,"
                " replica = ? WHERE id = ?",
                launch.network.to_json() if launch.network else None, network_settings.new_token(),
                int(launch.secure), dumps(launch.volume_mounts), self.owner, self.replica, sandbox_id,
            )  # fmt: skip
            if idempotency_key is not None:
                self._db.run(
                    "INSERT INTO idempotency (tenant, key, sandbox_id, created_at) VALUES (?, ?, ?, ?)",
                    tenant.id, idempotency_key, sandbox_id, t,
                )  # fmt: skip

    async def _boot(self, sandbox_id: str, launch: Launch, tenant_id: str) -> None:
        await self._backend.start(sandbox_id, launch.boot(tenant_id))
        crash_point("create:booted")
        if launch.network is not None and launch.allow_internet:
            await self._backend.set_network(sandbox_id, launch.network, proxy=launch.secure)  # before anyone runs code
            crash_point("create:network")

    async def _fit_pooled(self, sandbox_id: str, launch: Launch, tenant_id: str) -> None:
        """Make a pooled sandbox what the request asked for; boot it cold again if that fails."""
        shape = self._pool.shape
        try:
            if (launch.cpu, launch.memory_mb) != (shape.cpu, shape.memory_mb) and not await self._backend.set_limits(
                sandbox_id, cpu=launch.cpu, memory_mb=launch.memory_mb
            ):
                raise RuntimeError("the runtime cannot change limits of a running sandbox")
            if launch.envs:
                await self._agents.set_envs(sandbox_id, launch.envs)
            crash_point("create:fitting")
            # a pooled sandbox has the proxy's redirect in place already (unless an older server made it)
            if launch.network is not None or (launch.secure and not self._backend.proxied(sandbox_id)):
                await self._backend.set_network(sandbox_id, launch.network or NetworkPolicy(), proxy=launch.secure)
        except Exception as e:
            log.warning("pooled sandbox %s could not be fitted (%s); booting cold", sandbox_id, e)
            await self._agents.drop(sandbox_id)
            await self._backend.destroy(sandbox_id)
            await self._boot(sandbox_id, launch, tenant_id)
            if launch.starts:  # the pooled sandbox had run it
                await self._templates.start_in(sandbox_id, launch.template_id)

    # ------------------------------------------------------------------ kill

    async def kill(self, tenant: Tenant, sandbox_id: str, *, wait: bool = False) -> None:
        """Every process of the sandbox is killed and its record final when this returns; its teardown
        (mounts, loop device, cgroups, network) goes on after, unless `wait` (a volume about to be deleted
        must be unmounted everywhere first)."""
        self.live(tenant, sandbox_id)
        async with self.lock(sandbox_id):
            row = self.row(sandbox_id)
            if row is None or row["state"] == "killed":
                raise not_found(f"sandbox {sandbox_id} not found")
            self._backend.halt(sandbox_id)
            self._db.run("UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ?", now(), sandbox_id)
        # The answer does not wait for the teardown (unmounts, cgroups, slirp4netns, files): nothing of the
        # sandbox runs any more and its record is final; `settle` waits for what is still being removed.
        task = self._in_background(self._tear_down(sandbox_id), f"teardown-{sandbox_id}")
        if wait:
            await asyncio.shield(task)

    async def _tear_down(self, sandbox_id: str) -> None:
        async with self.lock(sandbox_id):
            await self._agents.drop(sandbox_id)
            try:
                await self._backend.destroy(sandbox_id)
            except Exception as e:
                log.error("tearing down killed sandbox %s failed (the next server start retries): %s", sandbox_id, e)
            self._locks.pop(sandbox_id, None)

    async def settle(self) -> None:
        """Wait for the teardowns of killed sandboxes still under way (at server stop)."""
        while self._teardowns:
            await asyncio.gather(*self._teardowns, return_exceptions=True)

    async def destroy(self, sandbox_id: str) -> None:
        """Stop it for good (caller holds the lock); the record stays, as `killed`."""
        await self._agents.drop(sandbox_id)
        try:
            await self._backend.destroy(sandbox_id)
        except Exception as e:
            if await self._backend.is_alive(sandbox_id):
                raise ApiError(500, f"killing sandbox {sandbox_id} failed: {e}") from e
            log.warning("destroying %s reported %s; it is gone anyway", sandbox_id, e)
        self._db.run("UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ?", now(), sandbox_id)
        self._locks.pop(sandbox_id, None)

    async def mark_gone(self, sandbox_id: str) -> None:
        """A sandbox whose processes ended behind our back (it was killed on the host, say)."""
        log.warning("sandbox %s is gone from the host; recording it as killed", sandbox_id)
        await self._agents.drop(sandbox_id)
        with contextlib.suppress(Exception):
            await self._backend.destroy(sandbox_id)
        self._db.run(
            "UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ? AND state != 'killed'", now(), sandbox_id
        )

    async def expire_gone(self, sandbox_id: str) -> None:
        """Record a sandbox found dead as killed, unless someone else already did."""
        async with self.lock(sandbox_id):
            row = self.row(sandbox_id)
            if row is not None and row["state"] in ("running", "paused"):
                await self.mark_gone(sandbox_id)

    def _gone_error(self, sandbox_id: str) -> ApiError:
        return not_found(f"sandbox {sandbox_id} is gone: its processes ended outside the API")

    # ------------------------------------------------------------------ pause, resume, timeouts, connect

    async def pause(self, tenant: Tenant, sandbox_id: str) -> tuple[dict[str, Any], bool]:
        """The detail, and whether this call paused it (False: it was paused already)."""
        self.live(tenant, sandbox_id)
        async with self.lock(sandbox_id):
            paused_now = await self._pause_locked(sandbox_id)
        return self.detail(sandbox_id), paused_now

    async def _pause_locked(self, sandbox_id: str) -> bool:
        row = self.row(sandbox_id)
        if row is None or row["state"] == "killed":
            raise not_found(f"sandbox {sandbox_id} not found")
        if row["state"] == "paused":
            return False
        if row["state"] != "running":
            raise conflict(f"sandbox {sandbox_id} is {row['state']}; only a running sandbox can be paused")
        try:
            await self._backend.freeze(sandbox_id)
        except SandboxNotFound:
            await self.mark_gone(sandbox_id)
            raise self._gone_error(sandbox_id) from None
        try:
            await self._snapshots.take(row, kind="pause")
        except BaseException:
            with contextlib.suppress(Exception):
                await self._backend.thaw(sandbox_id)
            raise
        self._db.run("UPDATE sandboxes SET state = 'paused' WHERE id = ?", sandbox_id)
        return True

    async def resume(self, tenant: Tenant, sandbox_id: str) -> dict[str, Any]:
        self.live(tenant, sandbox_id)
        await self.ensure_running(sandbox_id)
        return self.detail(sandbox_id)

    async def ensure_running(self, sandbox_id: str) -> None:
        """Thaw a paused sandbox; one whose lifetime ran out while paused gets its lifetime anew."""
        async with self.lock(sandbox_id):
            row = self.row(sandbox_id)
            if row is None or row["state"] == "killed":
                raise not_found(f"sandbox {sandbox_id} not found")
            if row["state"] != "paused":
                return
            try:
                await self._backend.thaw(sandbox_id)
            except SandboxNotFound:
                await self.mark_gone(sandbox_id)
                raise self._gone_error(sandbox_id) from None
            t = now()
            end_at = max(row["end_at"], t + row["timeout_s"]) if row["end_at"] <= t + 1 else row["end_at"]
            self._db.run(
                "UPDATE sandboxes SET state = 'running', end_at = ?, reap_claim = NULL WHERE id = ?", end_at, sandbox_id
            )

    def set_timeout(self, tenant: Tenant, sandbox_id: str, timeout: int) -> None:
        self.live(tenant, sandbox_id)
        if not self._db.run(
            "UPDATE sandboxes SET end_at = ?, timeout_s = ?, reap_claim = NULL WHERE id = ? AND state != 'killed'",
            now() + timeout, timeout, sandbox_id,
        ):  # fmt: skip
            raise not_found(f"sandbox {sandbox_id} was killed")  # by another replica since `live` read its copy

    async def connect(self, tenant: Tenant, ref: str, timeout: int | None) -> dict[str, Any]:
        row = self.by_id_or_name(tenant, ref)
        replica.check_owner(row, self.owner)
        sandbox_id = row["id"]
        await self.ensure_running(sandbox_id)
        if timeout is not None:
            self.extend_timeout(sandbox_id, timeout)
        return self.detail_with_token(sandbox_id)

    def extend_timeout(self, sandbox_id: str, timeout: int) -> None:
        """The lifetime ends no earlier than ``timeout`` seconds from now; a later end stays (E2B's connect)."""
        end_at = now() + timeout
        self._db.run(
            "UPDATE sandboxes SET end_at = ?, timeout_s = ?, reap_claim = NULL"
            " WHERE id = ? AND state != 'killed' AND end_at < ?",
            end_at, timeout, sandbox_id, end_at,
        )  # fmt: skip

    async def expire(self, sandbox_id: str) -> None:
        """The reaper's action at a sandbox's deadline: kill it, or pause it per its lifecycle."""
        async with self.lock(sandbox_id):
            row = self.row(sandbox_id)
            if row is None or row["state"] not in ("running", "paused") or row["end_at"] > now():
                return
            if row["on_timeout"] == "pause":
                if row["state"] == "running":
                    log.info("sandbox %s reached its deadline: pausing", sandbox_id)
                    await self._pause_locked(sandbox_id)
                return
            log.info("sandbox %s reached its deadline: killing", sandbox_id)
            await self.destroy(sandbox_id)

    # ------------------------------------------------------------------ fork

    async def fork(
        self, tenant: Tenant, sandbox_id: str, count: int, timeout: int | None
    ) -> builtins.list[dict[str, Any]]:
        """One snapshot of the sandbox's files, then `count` sandboxes booted from it at once; one
        result per fork (its detail, or the Error its boot met). The disks of all forks are admitted
        together first, so a fork the host cannot hold is refused before anything is taken."""
        async with self.held_live(tenant, sandbox_id) as row:
            self._disk.check(row["disk_mb"] * count)
            snap = await self._snapshots.take(row, kind="manual")
        launch = Launch.from_row(row, timeout=timeout or self._settings.default_timeout, snapshot_id=snap["id"])
        outcomes = await asyncio.gather(
            *(self._create(tenant, launch, None) for _ in range(count)), return_exceptions=True
        )
        results: builtins.list[dict[str, Any]] = []
        for outcome in outcomes:
            if isinstance(outcome, ApiError):
                results.append({"error": {"code": outcome.status, "message": outcome.message}})
            elif isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                log.error("a fork of %s failed: %s", sandbox_id, outcome)
                results.append({"error": {"code": 500, "message": f"booting the fork failed: {outcome}"}})
            else:
                results.append({"sandbox": outcome})
        return results

    # ------------------------------------------------------------------ restore

    async def restore(
        self, tenant: Tenant, sandbox_id: str, snapshot_id: str | None, timeout: int | None
    ) -> dict[str, Any]:
        row = self.visible(tenant, sandbox_id)
        replica.check_owner(row, self.owner)  # its snapshots' files are there
        if snapshot_id is not None:
            snap = self._db.one(
                "SELECT * FROM snapshots WHERE id = ? AND sandbox_id = ? AND tenant = ?",
                snapshot_id,
                sandbox_id,
                tenant.id,
            )
            if snap is None:
                raise not_found(f"sandbox {sandbox_id} has no snapshot {snapshot_id}")
        else:
            snaps = self._db.all(
                "SELECT * FROM snapshots WHERE sandbox_id = ? AND tenant = ? ORDER BY created_at DESC",
                sandbox_id,
                tenant.id,
            )
            if not snaps:
                raise not_found(f"sandbox {sandbox_id} has no snapshots to restore; take one with createSnapshot")
            snap = min(snaps, key=lambda s: RESTORE_PREFERENCE.get(s["kind"], 3))
        if not self._backend.template_exists(row["template_id"]):
            raise conflict(f"template {row['template_id']} of sandbox {sandbox_id} no longer exists")
        launch = Launch.from_row(row, timeout=timeout or self._settings.default_timeout, snapshot_id=snap["id"])
        return await self._create(tenant, launch, None)
