"""The warm pool: per template, a few sandboxes started ahead so `create` answers in milliseconds.

Pooled sandboxes are ordinary rows with no tenant and state `pooled`. `take` pops one from an
in-memory deque on the event loop's thread (no `await` between the check and the pop), so one
sandbox can never be handed to two callers; the caller then records the new owner in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from dataclasses import dataclass

from hutchd import logs
from hutchd.backend import DEFAULT_CPU, DEFAULT_DISK_MB, DEFAULT_MEMORY_MB, Backend
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


POOLED_SANDBOX_MB = 10
"""What one idle pooled sandbox costs in memory (its agent and init, measured ~8.5 MB): the budget's unit."""
DEMAND_WINDOW_S = 30.0
"""Creates counted for sizing: a pool holds as many sandboxes as were asked for in this many seconds."""
BOOTS_AT_ONCE = max(2, min(4, os.cpu_count() or 2))
"""Pooled sandboxes booted concurrently per template: about one per CPU (boots wait on I/O too, but more
at once slow down the creates and commands the pool is there to speed up)."""


class WarmPool:
    """Per template, sandboxes booted ahead. Each pooled template keeps at least `size` ready (0 disables
    the pool) and more while creates come faster: as many as were taken or missed in the last
    `DEMAND_WINDOW_S` seconds, within `memory_mb` for all templates together. Refills run
    `BOOTS_AT_ONCE` boots at a time; a pool above its target shrinks as demand falls."""

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
    ) -> None:
        self._db = db
        self._owner = owner  # the replica: pooled sandboxes are its own even where replicas share the others
        self._disk = disk
        self._backend = backend
        self._size = size
        self._cap = max(size, memory_mb // POOLED_SANDBOX_MB)
        self.shape = PoolShape()
        self._ready: dict[str, deque[str]] = {t: deque() for t in templates}
        self._booting: dict[str, int] = dict.fromkeys(templates, 0)
        self._demand: dict[str, deque[float]] = {t: deque() for t in templates}
        self._wake: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._boots: set[asyncio.Task[None]] = set()
        self._failures: dict[str, int] = dict.fromkeys(templates, 0)

    @property
    def enabled(self) -> bool:
        return self._size > 0 and bool(self._ready)

    def ready_count(self, template_id: str) -> int:
        return len(self._ready.get(template_id, ()))

    def target(self, template_id: str) -> int:
        """How many sandboxes of `template_id` the pool holds now: its floor, or the recent demand,
        within the memory budget (shared: what other templates hold or boot counts against it)."""
        demand = self._demand.get(template_id)
        if demand is None or self._size <= 0:
            return 0
        horizon = time.monotonic() - DEMAND_WINDOW_S
        while demand and demand[0] < horizon:
            demand.popleft()
        others = sum(len(q) + self._booting.get(t, 0) for t, q in self._ready.items() if t != template_id)
        return max(self._size, min(len(demand), self._cap - others))

    def adopt(self, template_id: str, sandbox_id: str) -> None:
        """A pooled sandbox that survived a server restart, or that a create took and could not record,
        goes back into the pool."""
        self._ready.setdefault(template_id, deque()).append(sandbox_id)

    def take(self, template_id: str, *, disk_mb: int, allow_internet: bool) -> str | None:
        """A pooled sandbox of `template_id` in the pool's shape, or None (the caller boots one)."""
        queue = self._ready.get(template_id)
        if disk_mb != self.shape.disk_mb or allow_internet != self.shape.allow_internet:
            return None
        if template_id in self._demand:
            self._demand[template_id].append(time.monotonic())
        wake = self._wake.get(template_id)
        if wake is not None:
            wake.set()
        return queue.popleft() if queue else None

    def start(self) -> None:
        if self._size <= 0:
            return
        for template_id in self._demand:
            self._wake[template_id] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._refill(template_id), name=f"pool-{template_id}"))

    async def stop(self, *, drain: bool) -> None:
        for task in [*self._tasks, *self._boots]:
            task.cancel()
        for task in [*self._tasks, *self._boots]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if drain:
            await self.drain()

    async def drain(self) -> None:
        """Destroy every pooled sandbox (graceful shutdown: they hold no user state)."""
        for template_id, queue in self._ready.items():
            while queue:
                await self._discard(template_id, queue.popleft())

    async def _discard(self, template_id: str, sandbox_id: str) -> None:
        try:
            await self._backend.destroy(sandbox_id)
        except Exception as e:
            log.warning("pool: destroying %s of %s failed: %s", sandbox_id, template_id, e)
        self._db.run("DELETE FROM sandboxes WHERE id = ? AND state = 'pooled'", sandbox_id)

    async def _refill(self, template_id: str) -> None:
        """Keeps the pool at its target: boots up to `BOOTS_AT_ONCE` at a time, drops the surplus."""
        wake = self._wake[template_id]
        queue = self._ready[template_id]
        while True:
            wake.clear()
            target = self.target(template_id)
            missing = target - len(queue) - self._booting[template_id]
            for _ in range(max(0, min(missing, BOOTS_AT_ONCE - self._booting[template_id]))):
                self._booting[template_id] += 1
                boot = asyncio.create_task(self._boot_one(template_id), name=f"pool-boot-{template_id}")
                self._boots.add(boot)
                boot.add_done_callback(self._boots.discard)
            if len(queue) > target and not self._booting[template_id]:
                await self._discard(template_id, queue.pop())  # the newest: the oldest has waited longest
                continue
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that meets a set event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DEMAND_WINDOW_S / 3):  # demand expires: shrink then
                    await wake.wait()

    async def _boot_one(self, template_id: str) -> None:
        try:
            await self._backend.ensure_template(template_id, logs.build_progress)
            self._ready[template_id].append(await self._boot(template_id))
            self._failures[template_id] = 0
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._failures[template_id] += 1
            delay = min(60.0, 2.0 ** self._failures[template_id])
            log.warning("pool: warming a %s sandbox failed (%s); retrying in %.0fs", template_id, e, delay)
            await asyncio.sleep(delay)
        finally:
            self._booting[template_id] -= 1
            wake = self._wake.get(template_id)
            if wake is not None:
                wake.set()

    async def _boot(self, template_id: str) -> str:
        sandbox_id = ids.sandbox_id()
        s = self.shape
        self._disk.check(s.disk_mb)  # a warm sandbox's disk is promised like any other
        t = now()
        self._db.run(
            "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
            " timeout_s, started_at, end_at, seq, envs, metadata, owner)"
            " VALUES (?, NULL, ?, 'pooled', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            sandbox_id, template_id, s.cpu, s.memory_mb, s.disk_mb, int(s.allow_internet), t, t,
            self._db.next_seq(), dumps({}), dumps({}), self._owner,
        )  # fmt: skip
        try:
            await self._backend.start(
                sandbox_id,
                template_id,
                cpu=s.cpu,
                memory_mb=s.memory_mb,
                disk_mb=s.disk_mb,
                allow_internet=s.allow_internet,
                envs={},
            )
        except BaseException:
            self._db.run("DELETE FROM sandboxes WHERE id = ?", sandbox_id)
            with contextlib.suppress(Exception):
                await self._backend.destroy(sandbox_id)
            raise
        return sandbox_id
