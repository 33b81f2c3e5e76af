"""The warm pool: per template, a few sandboxes started ahead so `create` answers in milliseconds.

Pooled sandboxes are ordinary rows with no tenant and state `pooled`. `take` pops one from an
in-memory deque on the event loop's thread (no `await` between the check and the pop), so one
sandbox can never be handed to two callers; the caller then records the new owner in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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


class WarmPool:
    def __init__(self, db: Database, backend: Backend, templates: tuple[str, ...], size: int, disk: DiskBudget) -> None:
        self._db = db
        self._disk = disk
        self._backend = backend
        self._size = size
        self.shape = PoolShape()
        self._ready: dict[str, deque[str]] = {t: deque() for t in templates}
        self._wake: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def enabled(self) -> bool:
        return self._size > 0 and bool(self._ready)

    def ready_count(self, template_id: str) -> int:
        return len(self._ready.get(template_id, ()))

    def adopt(self, template_id: str, sandbox_id: str) -> None:
        """A pooled sandbox that survived a server restart goes back into the pool."""
        self._ready.setdefault(template_id, deque()).append(sandbox_id)

    def take(self, template_id: str, *, disk_mb: int, allow_internet: bool) -> str | None:
        queue = self._ready.get(template_id)
        if not queue or disk_mb != self.shape.disk_mb or allow_internet != self.shape.allow_internet:
            return None
        sandbox_id = queue.popleft()
        wake = self._wake.get(template_id)
        if wake is not None:
            wake.set()
        return sandbox_id

    def start(self) -> None:
        if self._size <= 0:
            return
        for template_id in self._ready:
            self._wake[template_id] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._refill(template_id), name=f"pool-{template_id}"))

    async def stop(self, *, drain: bool) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if drain:
            await self.drain()

    async def drain(self) -> None:
        """Destroy every pooled sandbox (graceful shutdown: they hold no user state)."""
        for template_id, queue in self._ready.items():
            while queue:
                sandbox_id = queue.popleft()
                try:
                    await self._backend.destroy(sandbox_id)
                except Exception as e:
                    log.warning("pool: destroying %s of %s failed: %s", sandbox_id, template_id, e)
                self._db.run("DELETE FROM sandboxes WHERE id = ? AND state = 'pooled'", sandbox_id)

    async def _refill(self, template_id: str) -> None:
        wake = self._wake[template_id]
        failures = 0
        while True:
            queue = self._ready[template_id]
            if len(queue) >= self._size:
                wake.clear()
                await wake.wait()
                continue
            try:
                await self._backend.ensure_template(template_id, logs.build_progress)
                queue.append(await self._boot(template_id))
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as e:
                failures += 1
                delay = min(60.0, 2.0**failures)
                log.warning("pool: warming a %s sandbox failed (%s); retrying in %.0fs", template_id, e, delay)
                await asyncio.sleep(delay)

    async def _boot(self, template_id: str) -> str:
        sandbox_id = ids.sandbox_id()
        s = self.shape
        self._disk.check(s.disk_mb)  # a warm sandbox's disk is promised like any other
        t = now()
        self._db.run(
            "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
            " timeout_s, started_at, end_at, seq, envs, metadata)"
            " VALUES (?, NULL, ?, 'pooled', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            sandbox_id, template_id, s.cpu, s.memory_mb, s.disk_mb, int(s.allow_internet), t, t,
            self._db.next_seq(), dumps({}), dumps({}),
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
