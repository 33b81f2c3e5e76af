"""The warm pool's sizing and refill, with a real SQLite store and a backend whose boots take a while."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hutchd.services.warm_pool import BOOTS_AT_ONCE, POOLED_SANDBOX_MB, WarmPool
from hutchd.store.sqlite import SQLiteDatabase


class SlowBackend:
    """Boots take `boot_s`; records how many ran at once."""

    def __init__(self, boot_s: float = 0.05) -> None:
        self.boot_s = boot_s
        self.running = 0
        self.most_at_once = 0
        self.alive: set[str] = set()

    async def ensure_template(self, template_id: str, progress: Any) -> None:
        return None

    async def start(self, sandbox_id: str, template_id: str, **_: Any) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.boot_s)
        finally:
            self.running -= 1
        self.alive.add(sandbox_id)

    async def destroy(self, sandbox_id: str) -> None:
        self.alive.discard(sandbox_id)


class NoDiskLimit:
    def check(self, disk_mb: int) -> None:
        return None


def pool(tmp_path: Path, backend: SlowBackend, *, size: int, memory_mb: int = 512, templates=("base",)) -> WarmPool:
    db = SQLiteDatabase(tmp_path / "db.sqlite")
    return WarmPool(db, backend, templates, size, NoDiskLimit(), memory_mb, owner="r-test")  # type: ignore[arg-type]


def take(p: WarmPool, template_id: str = "base") -> str | None:
    return p.take(template_id, disk_mb=p.shape.disk_mb, allow_internet=p.shape.allow_internet)


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
