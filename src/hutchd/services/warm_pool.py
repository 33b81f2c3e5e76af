"""The warm pool: per template, a few sandboxes started ahead so `create` answers in milliseconds.

Any template gets a pool when it is used (the templates given at start, `base` and `--pool-template`,
have one from the start and keep it); a pool nobody used for a while empties and goes away. A
template's pool is emptied when the template is rebuilt (its sandboxes would serve the old content)
or deleted (they hold its layers).

Pooled sandboxes are ordinary rows with no tenant and state `pooled`, marked with the server process
that keeps them (`replica`): each replica keeps its own pool, even where replicas share their
sandboxes. `take` pops one from an in-memory deque on the event loop's thread (no `await` between the
check and the pop), so one sandbox is never handed to two of this process's callers; the caller then
claims the row in the database (an UPDATE of a row still `pooled`), which fails if another replica took
this one for dead and cleaned its pool up (store/replica.py): the caller takes another then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hutchd import logs
from hutchd.agentconn import AgentClients
from hutchd.backend import DEFAULT_CPU, DEFAULT_DISK_MB, DEFAULT_MEMORY_MB, Backend, Boot
from hutchd.services.disk_budget import DiskBudget
from hutchd.store import ids
from hutchd.store.db import Database, dumps, now

log = logging.getLogger("hutchd.pool")


@dataclass(frozen=True)
class PoolShape:
    """What a pooled sandbox was booted with; requests that differ in a way that cannot be applied
    afterwards (network, disk) boot cold instead."""

    cpu: float = DEFAULT_CPU
    memory_mb: int = DEFAULT_MEMORY_MB
    disk_mb: int = DEFAULT_DISK_MB
    allow_internet: bool = True
    secure: bool = True  # booted with the egress proxy's redirect in place: the SDKs' default create


POOLED_SANDBOX_MB = 10
"""What one idle pooled sandbox costs in memory (its agent and init, measured ~8.5 MB): the budget's unit."""
DEMAND_WINDOW_S = 30.0
"""Creates counted for sizing: a pool holds as many sandboxes as were asked for in this many seconds."""
IDLE_S = 300.0
"""A template used in this many seconds keeps its pool's floor; after that its pool empties and goes away."""
BOOTS_AT_ONCE = max(2, min(4, os.cpu_count() or 2))
"""Pooled sandboxes booted concurrently per template: about one per CPU (boots wait on I/O too, but more
at once slow down the creates and commands the pool is there to speed up)."""

Prepare = Callable[[str, str], Awaitable[bool]]
"""Run on a pooled sandbox (its ID, its template's) after its boot: the template's start command. True
when it started something: the sandbox is then frozen until it is taken (`thaw`), so that a tenant's
start command uses no CPU in a sandbox nobody has asked for yet."""


@dataclass(eq=False)
class _Pool:
    """One template's warm sandboxes and what sizes them."""

    pinned: bool  # configured at start: keeps its floor whether used or not
    ready: deque[str] = field(default_factory=deque)
    booting: int = 0
    boots: set[asyncio.Task[None]] = field(default_factory=set)
    demand: deque[float] = field(default_factory=deque)  # when creates asked for one (DEMAND_WINDOW_S)
    last_used: float = 0.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    failures: int = 0
    retry_at: float = 0.0  # no boot before this (monotonic): back off after failures
    generation: int = 0  # boots that started before a rebuild do not join the pool


class WarmPool:
    """Per template, sandboxes booted ahead. A pool keeps at least `size` ready (0 disables pooling)
    while its template was used in the last `idle_s` seconds (always, for the templates given at
    start), and more while creates come faster: as many as were taken or missed in the last
    `DEMAND_WINDOW_S` seconds, within `memory_mb` for all templates together. Refills run
    `BOOTS_AT_ONCE` boots at a time; a pool above its target shrinks as demand falls, and an unused
    one goes away."""

    def __init__(
        self,
        db: Database,
        backend: Backend,
        templates: tuple[str, ...],
        size: int,
        disk: DiskBudget,
        memory_mb: int = 512,
        *,
        owner: str,
        replica: str,
        prepare: Prepare | None = None,
        agents: AgentClients | None = None,
        idle_s: float = IDLE_S,
    ) -> None:
        self._db = db
        self._owner = owner  # the host, as of any sandbox
        self._replica = replica  # the process: pooled sandboxes are its own even where replicas share the others
        self._disk = disk
        self._backend = backend
        self._prepare = prepare
        self._agents = agents
        self._size = size
        self._idle_s = idle_s
        self._cap = max(size, memory_mb // POOLED_SANDBOX_MB)
        self.shape = PoolShape()
        self._pinned = templates
        self._pools: dict[str, _Pool] = {t: _Pool(pinned=True) for t in templates}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._frozen: set[str] = set()
        self._evictions: set[asyncio.Task[None]] = set()
        self._running = False

    @property
    def enabled(self) -> bool:
        return self._size > 0

    def ready_count(self, template_id: str) -> int:
        pool = self._pools.get(template_id)
        return len(pool.ready) if pool is not None else 0

    def target(self, template_id: str) -> int:
        """How many sandboxes of `template_id` the pool holds now: its floor, or the recent demand,
        within the memory budget (shared: what other templates hold or boot counts against it)."""
        pool = self._pools.get(template_id)
        if pool is None or self._size <= 0:
            return 0
        clock = time.monotonic()
        while pool.demand and pool.demand[0] < clock - DEMAND_WINDOW_S:
            pool.demand.popleft()
        others = sum(len(p.ready) + p.booting for t, p in self._pools.items() if t != template_id)
        room = self._cap - others
        if pool.pinned:
            return max(self._size, min(len(pool.demand), room))
        floor = self._size if clock - pool.last_used < self._idle_s else 0
        return max(0, min(max(floor, len(pool.demand)), room))

    def _pool(self, template_id: str) -> _Pool:
        """The template's pool, made (and its refill started) on first use."""
        pool = self._pools.get(template_id)
        if pool is None:
            pool = self._pools[template_id] = _Pool(pinned=template_id in self._pinned)
            if self._running:
                self._start_refill(template_id, pool)
        return pool

    def adopt(self, template_id: str, sandbox_id: str) -> None:
        """A pooled sandbox that survived a server restart, or that a create took and could not record,
        goes back into the pool (this process's, from now on)."""
        self._db.run("UPDATE sandboxes SET replica = ? WHERE id = ? AND state = 'pooled'", self._replica, sandbox_id)
        self._pool(template_id).ready.append(sandbox_id)

    def lost(self, sandbox_id: str) -> None:
        """A taken sandbox whose row was no longer pooled: another replica cleaned it up (and destroyed it)."""
        log.warning("pool: %s was cleaned up by another replica (this one was silent too long)", sandbox_id)
        self._frozen.discard(sandbox_id)

    def take(self, template_id: str, *, disk_mb: int, allow_internet: bool, cpu: float, memory_mb: int) -> str | None:
        """A pooled sandbox of `template_id` in the pool's shape, or None (the caller boots one); either
        way the template's pool grows with the demand."""
        s = self.shape
        if self._size <= 0 or disk_mb != s.disk_mb or allow_internet != s.allow_internet:
            return None
        if not self._backend.resizes and (cpu, memory_mb) != (s.cpu, s.memory_mb):
            return None
        pool = self._pool(template_id)
        pool.last_used = time.monotonic()
        pool.demand.append(pool.last_used)
        pool.wake.set()
        return pool.ready.popleft() if pool.ready else None

    async def thaw(self, sandbox_id: str) -> None:
        """Let a taken sandbox run again if the pool froze it after its start command (see Prepare)."""
        if sandbox_id in self._frozen:
            self._frozen.discard(sandbox_id)
            await self._backend.thaw(sandbox_id)

    def evict(self) -> None:
        """Give back the disk the pools hold, for a create the disk budget refused (creates come first):
        every ready sandbox's record goes now, the sandbox itself just after."""
        held = [(t, sandbox_id) for t, pool in self._pools.items() for sandbox_id in pool.ready]
        for pool in self._pools.values():
            pool.ready.clear()
        for template_id, sandbox_id in held:
            self._db.run("DELETE FROM sandboxes WHERE id = ? AND state = 'pooled'", sandbox_id)
            task = asyncio.create_task(self._discard(template_id, sandbox_id), name=f"pool-evict-{sandbox_id}")
            self._evictions.add(task)
            task.add_done_callback(self._evictions.discard)

    def start(self) -> None:
        if self._size <= 0:
            return
        self._running = True
        for template_id, pool in self._pools.items():
            self._start_refill(template_id, pool)

    def _start_refill(self, template_id: str, pool: _Pool) -> None:
        task = asyncio.create_task(self._refill(template_id, pool), name=f"pool-{template_id}")
        self._tasks[template_id] = task
        task.add_done_callback(lambda t: self._tasks.get(template_id) is t and self._tasks.pop(template_id))

    async def stop(self, *, drain: bool) -> None:
        self._running = False
        tasks = [*self._tasks.values(), *(b for p in self._pools.values() for b in p.boots)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await asyncio.gather(*self._evictions, return_exceptions=True)
        if drain:
            await self.drain()

    async def drain(self) -> None:
        """Destroy every pooled sandbox (graceful shutdown: they hold no user state)."""
        for template_id, pool in self._pools.items():
            while pool.ready:
                await self._discard(template_id, pool.ready.popleft())

    async def refresh(self, template_id: str) -> None:
        """After a rebuild: the pool's sandboxes (and those booting) were made from the template's old
        content; they go, and the pool refills from the new one."""
        pool = self._pools.get(template_id)
        if pool is not None:
            await self._empty(template_id, pool)

    async def forget(self, template_id: str) -> None:
        """Before a delete: the template's pool goes away with every sandbox it holds or boots."""
        pool = self._pools.pop(template_id, None)
        if pool is not None:
            pool.wake.set()  # its refill sees it is gone and ends
            await self._empty(template_id, pool)

    async def _empty(self, template_id: str, pool: _Pool) -> None:
        pool.generation += 1
        await asyncio.gather(*pool.boots, return_exceptions=True)  # they discard what they boot
        while pool.ready:
            await self._discard(template_id, pool.ready.popleft())

    async def _discard(self, template_id: str, sandbox_id: str) -> None:
        self._frozen.discard(sandbox_id)
        if self._agents is not None:
            await self._agents.drop(sandbox_id)
        try:
            await self._backend.destroy(sandbox_id)
        except Exception as e:
            log.warning("pool: destroying %s of %s failed: %s", sandbox_id, template_id, e)
        self._db.run("DELETE FROM sandboxes WHERE id = ? AND state = 'pooled'", sandbox_id)

    async def _refill(self, template_id: str, pool: _Pool) -> None:
        """Keeps the pool at its target: boots up to `BOOTS_AT_ONCE` at a time, drops the surplus, and
        ends when the pool is gone (forgotten, or unused and empty)."""
        while self._pools.get(template_id) is pool:
            pool.wake.clear()
            target = self.target(template_id)
            clock = time.monotonic()
            missing = target - len(pool.ready) - pool.booting if clock >= pool.retry_at else 0
            for _ in range(max(0, min(missing, BOOTS_AT_ONCE - pool.booting))):
                pool.booting += 1
                boot = asyncio.create_task(self._boot_one(template_id, pool), name=f"pool-boot-{template_id}")
                pool.boots.add(boot)
                boot.add_done_callback(pool.boots.discard)
            if len(pool.ready) > target and not pool.booting:
                await self._discard(template_id, pool.ready.pop())  # the newest: the oldest has waited longest
                continue
            if not pool.pinned and target == 0 and not pool.ready and not pool.booting:
                del self._pools[template_id]  # unused: a later create makes it again
                return
            wait = DEMAND_WINDOW_S / 3  # demand expires: shrink then
            if pool.retry_at > clock:
                wait = min(wait, pool.retry_at - clock)
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that meets a set event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await pool.wake.wait()

    async def _boot_one(self, template_id: str, pool: _Pool) -> None:
        generation = pool.generation
        try:
            await self._backend.ensure_template(template_id, logs.build_progress)
            sandbox_id = await self._boot(template_id)
            if pool.generation != generation or self._pools.get(template_id) is not pool:
                await self._discard(template_id, sandbox_id)  # booted from what the template was before
            else:
                pool.ready.append(sandbox_id)
                pool.failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as e:
            pool.failures += 1
            delay = min(60.0, 2.0**pool.failures)
            pool.retry_at = time.monotonic() + delay
            log.warning("pool: warming a %s sandbox failed (%s); retrying in %.0fs", template_id, e, delay)
        finally:
            pool.booting -= 1
            pool.wake.set()

    async def _boot(self, template_id: str) -> str:
        sandbox_id = ids.sandbox_id()
        s = self.shape
        self._disk.check(s.disk_mb)  # a warm sandbox's disk is promised like any other
        t = now()
        self._db.run(
            "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
            " timeout_s, started_at, end_at, seq, envs, metadata, owner, replica)"
            " VALUES (?, NULL, ?, 'pooled', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
            sandbox_id, template_id, s.cpu, s.memory_mb, s.disk_mb, int(s.allow_internet), t, t,
            self._db.next_seq(), dumps({}), dumps({}), self._owner, self._replica,
        )  # fmt: skip
        try:
            await self._backend.start(
                sandbox_id,
                Boot(template_id, s.cpu, s.memory_mb, s.disk_mb, s.allow_internet, proxy=s.secure),
            )
            if self._prepare is not None and await self._prepare(sandbox_id, template_id):
                await self._backend.freeze(sandbox_id)
                self._frozen.add(sandbox_id)
        except BaseException:
            self._db.run("DELETE FROM sandboxes WHERE id = ?", sandbox_id)
            with contextlib.suppress(Exception):
                if self._agents is not None:
                    await self._agents.drop(sandbox_id)
                await self._backend.destroy(sandbox_id)
            raise
        return sandbox_id
