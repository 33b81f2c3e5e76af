"""The warm pool's sizing and refill, with a real SQLite store and a backend whose boots take a while."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hutchd.services.warm_pool import BOOTS_AT_ONCE, POOLED_SANDBOX_MB, WarmPool
from hutchd.store.sqlite import SQLiteDatabase


class SlowBackend:
    """Boots take `boot_s`; records how many ran at once."""

    def __init__(self, boot_s: float = 0.05, *, resizes: bool = True) -> None:
        self.boot_s = boot_s
        self.resizes = resizes
        self.running = 0
        self.most_at_once = 0
        self.alive: set[str] = set()
        self.frozen: set[str] = set()

    async def ensure_template(self, template_id: str, progress: Any) -> None:
        return None

    async def start(self, sandbox_id: str, boot: Any) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.boot_s)
        finally:
            self.running -= 1
        self.alive.add(sandbox_id)

    async def destroy(self, sandbox_id: str) -> None:
        self.alive.discard(sandbox_id)
        self.frozen.discard(sandbox_id)

    async def freeze(self, sandbox_id: str) -> None:
        self.frozen.add(sandbox_id)

    async def thaw(self, sandbox_id: str) -> None:
        self.frozen.discard(sandbox_id)


class NoDiskLimit:
    def check(self, disk_mb: int) -> None:
        return None


def pool(tmp_path: Path, backend: SlowBackend, *, size: int, memory_mb: int = 512, templates=("base",)) -> WarmPool:
    db = SQLiteDatabase(tmp_path / "db.sqlite")
    return WarmPool(db, backend, templates, size, NoDiskLimit(), memory_mb, owner="r-test", replica="p-test")  # type: ignore[arg-type]


def take(p: WarmPool, template_id: str = "base", **shape: Any) -> str | None:
    s = p.shape
    asked = {"disk_mb": s.disk_mb, "allow_internet": s.allow_internet, "cpu": s.cpu, "memory_mb": s.memory_mb}
    return p.take(template_id, **{**asked, **shape})


async def wait_ready(p: WarmPool, count: int, template_id: str = "base") -> None:
    for _ in range(400):
        if p.ready_count(template_id) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the pool of {template_id} holds {p.ready_count(template_id)}, not {count}")


async def test_a_burst_grows_the_pool_and_refills_concurrently(tmp_path: Path) -> None:
    backend = SlowBackend()
    p = pool(tmp_path, backend, size=2)
    p.start()
    try:
        await wait_ready(p, 2)
        taken = [take(p) for _ in range(20)]  # a burst: 2 are ready, 18 miss
        assert sum(t is not None for t in taken) == 2
        assert p.target("base") == 20
        await wait_ready(p, 20)  # the next burst finds them all warm
        assert backend.most_at_once == BOOTS_AT_ONCE
        handed_out = {take(p) for _ in range(20)}
        assert None not in handed_out
    finally:
        await p.stop(drain=True)
    assert backend.alive == handed_out | {t for t in taken if t}  # the rest was drained


async def test_the_memory_budget_caps_every_pool_together_and_unused_templates_hold_none(tmp_path: Path) -> None:
    backend = SlowBackend(boot_s=0.001)
    p = pool(tmp_path, backend, size=1, memory_mb=5 * POOLED_SANDBOX_MB, templates=("base", "custom"))
    p.start()
    try:
        await wait_ready(p, 1)
        await wait_ready(p, 1, "custom")  # the floor holds for every pooled template
        for _ in range(50):
            take(p)
        await asyncio.sleep(0.2)
        assert p.target("base") == 4  # 5 in the budget, 1 held by custom
        assert p.target("elsewhere") == 0
        assert take(p, "elsewhere") is None
    finally:
        await p.stop(drain=True)


async def test_a_disabled_pool_boots_nothing(tmp_path: Path) -> None:
    backend = SlowBackend()
    p = pool(tmp_path, backend, size=0)
    p.start()
    assert not p.enabled and take(p) is None and p.target("base") == 0
    await asyncio.sleep(0.1)
    assert not backend.alive
    await p.stop(drain=True)


async def test_other_limits_take_no_warm_sandbox_where_limits_cannot_change(tmp_path: Path) -> None:
    """A pod's limits are fixed: a create of other limits boots cold rather than spend a warm pod."""
    for resizes in (True, False):
        backend = SlowBackend(resizes=resizes)
        (tmp_path / str(resizes)).mkdir()
        p = pool(tmp_path / str(resizes), backend, size=1)
        p.start()
        await wait_ready(p, 1)
        other = take(p, cpu=p.shape.cpu * 2, memory_mb=p.shape.memory_mb * 2)
        assert (other is not None) == resizes
        assert take(p, disk_mb=p.shape.disk_mb * 2) is None  # a disk is never resized
        await p.stop(drain=True)


async def test_a_used_template_gets_a_pool_that_goes_away_when_unused(tmp_path: Path) -> None:
    backend = SlowBackend(boot_s=0.001)
    db = SQLiteDatabase(tmp_path / "db.sqlite")
    p = WarmPool(db, backend, (), 2, NoDiskLimit(), owner="r-test", replica="p-test", idle_s=0.3)  # type: ignore[arg-type]
    p.start()
    try:
        assert p.target("custom") == 0 and take(p, "custom") is None  # the miss starts its pool
        await wait_ready(p, 2, "custom")
        handed_out = take(p, "custom")
        assert handed_out is not None
        p._db.run("DELETE FROM sandboxes WHERE id = ?", handed_out)  # its create records the new owner
        await wait_ready(p, 2, "custom")
        pooled = set(p._pools["custom"].ready)
        await asyncio.sleep(0.4)  # idle: its floor is gone; the demand expires in DEMAND_WINDOW_S
        p._pools["custom"].demand.clear()
        p._pools["custom"].wake.set()
        for _ in range(200):
            if "custom" not in p._pools:
                break
            await asyncio.sleep(0.01)
        assert "custom" not in p._pools and not (pooled & backend.alive)
        assert not p._db.all("SELECT id FROM sandboxes WHERE state = 'pooled'")
    finally:
        await p.stop(drain=True)


async def test_refresh_replaces_the_pool_and_forget_empties_it(tmp_path: Path) -> None:
    backend = SlowBackend(boot_s=0.05)
    p = pool(tmp_path, backend, size=2, templates=("custom",))
    p.start()
    try:
        await wait_ready(p, 2, "custom")
        old = set(p._pools["custom"].ready)
        handed_out = take(p, "custom")  # it starts a boot that is in flight during the refresh
        p._db.run("DELETE FROM sandboxes WHERE id = ?", handed_out)  # its create records the new owner
        await p.refresh("custom")
        assert backend.alive & old == {handed_out}
        await wait_ready(p, 2, "custom")
        assert not old & set(p._pools["custom"].ready), "only sandboxes booted after the rebuild are pooled"
        await p.forget("custom")
        assert p.ready_count("custom") == 0 and "custom" not in p._pools
        await asyncio.sleep(0.2)
        assert not p._db.all("SELECT id FROM sandboxes WHERE state = 'pooled'")
        assert len(backend.alive) == 1  # the sandbox handed out before the refresh
    finally:
        await p.stop(drain=True)


async def test_sandboxes_that_ran_a_start_command_wait_frozen_until_taken(tmp_path: Path) -> None:
    backend = SlowBackend(boot_s=0.001)
    started: list[str] = []

    async def prepare(sandbox_id: str, template_id: str) -> bool:
        started.append(sandbox_id)
        return template_id == "starts"

    db = SQLiteDatabase(tmp_path / "db.sqlite")
    p = WarmPool(db, backend, ("starts", "plain"), 1, NoDiskLimit(), owner="r-test", replica="p-test", prepare=prepare)  # type: ignore[arg-type]
    p.start()
    try:
        await wait_ready(p, 1, "starts")
        await wait_ready(p, 1, "plain")
        assert set(started) == backend.alive and len(started) == 2
        assert backend.frozen == set(p._pools["starts"].ready), "only the one whose prepare started something"
        taken = take(p, "starts")
        assert taken is not None and taken in backend.frozen
        await p.thaw(taken)
        assert taken not in backend.frozen
        plain = take(p, "plain")
        await p.thaw(plain)  # nothing to do
        assert plain in backend.alive
    finally:
        await p.stop(drain=True)
    assert not backend.frozen


async def test_evict_gives_the_pools_disk_back_at_once(tmp_path: Path) -> None:
    backend = SlowBackend(boot_s=0.001)
    p = pool(tmp_path, backend, size=2, templates=("base", "custom"))
    p.start()
    try:
        await wait_ready(p, 2)
        await wait_ready(p, 2, "custom")
        held = set(backend.alive)
        p.evict()
        assert not p._db.all("SELECT id FROM sandboxes WHERE id IN (?, ?, ?, ?)", *held), "records go at once"
        assert p.ready_count("base") == p.ready_count("custom") == 0
        await asyncio.sleep(0.1)
        assert not held & backend.alive, "the sandboxes just after"
    finally:
        await p.stop(drain=True)
