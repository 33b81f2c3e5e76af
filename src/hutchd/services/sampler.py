"""The metrics sampler: every few seconds, each live sandbox's cgroup usage goes into the database.

Replicas that share their sandboxes (one `owner`, as a cluster backend's may) each run a sampler over
all of them; a sandbox's sample of an interval is claimed first, in `sample_claims`, by an upsert that
takes it only if its last claim is an interval old: one replica samples it, the others skip it. A
server whose owner is its own (the local backend's data dir) samples without claims.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hutchd.backend import Backend
from hutchd.store.db import Database, now

log = logging.getLogger("hutchd.sampler")

IDEMPOTENCY_TTL = 24 * 3600.0  # a retried create is answered from its key for a day
CLAIMS_AT_ONCE = 500  # sandboxes claimed by one statement (each is two parameters)
CLAIMS_KEPT = 3600.0  # seconds: older claims are of sandboxes that ended (a live one's is renewed each interval)
CLAIM_SLACK = 0.01  # of an interval: a lone sampler's next pass (an interval's sleep later) always claims
_COLUMNS = (
    "sandbox_id", "ts", "cpu_usage_usec", "cpu_pct", "cpu_count", "mem_used", "mem_total", "disk_used", "disk_total",
    "mem_cache",
)  # fmt: skip


class Sampler:
    def __init__(
        self,
        db: Database,
        backend: Backend,
        interval: float,
        retention: float,
        on_gone: Callable[[str], Awaitable[None]] | None = None,
        *,
        owner: str,
        shared_owner: bool = False,
    ) -> None:
        self._on_gone = on_gone
        self._owner = owner  # samples the sandboxes this replica's runtime holds
        self._shared_owner = shared_owner  # other replicas sample the same sandboxes: claim each sample
        self._db = db
        self._backend = backend
        self.interval = interval
        self._retention = retention
        self._last: dict[str, tuple[float, int]] = {}  # sandbox -> (time, cpu usage in µs) of its last sample

    async def sample_once(self) -> int:
        rows = self._db.all(
            "SELECT id, cpu FROM sandboxes WHERE state IN ('running', 'paused') AND owner = ?", self._owner
        )
        self._db.run("DELETE FROM idempotency WHERE created_at < ?", now() - IDEMPOTENCY_TTL)
        if not rows:
            self._last.clear()
            return 0
        cpus = {r["id"]: r["cpu"] for r in rows}
        if self._shared_owner:
            rows = [r for r in rows if r["id"] in self._claim(sorted(cpus))]
            if not rows:
                return 0
        usage = await self._backend.metrics([r["id"] for r in rows])
        t = now()
        values = []
        for sid, u in usage.items():
            values.append((sid, t, *self._row(sid, t, u, cpus[sid])))
        with self._db.tx():
            self._db.run_many(
                f"INSERT INTO metrics ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                values,
            )
            self._db.run("DELETE FROM metrics WHERE ts < ?", t - self._retention)
        for gone in set(self._last) - set(usage):
            del self._last[gone]
        if self._on_gone is not None:
            silent = sorted({r["id"] for r in rows} - set(usage))
            alive = await self._backend.alive(silent) if silent else set()
            for sid in silent:
                if sid not in alive:
                    await self._on_gone(sid)
        return len(values)

    def _claim(self, ids: list[str]) -> set[str]:
        """The sandboxes of `ids` whose sample of this interval is this replica's to take: those that no
        replica claimed within the last interval (or whose claim is from the future: a host's clock stepped
        back, or another's runs ahead by more than an interval). Each statement is atomic on its own and takes its rows
        in id order (`ids` sorted), so concurrent claimers wait for each other, never deadlock."""
        t = now()
        self._db.run("DELETE FROM sample_claims WHERE sampled_at < ?", t - max(CLAIMS_KEPT, 2 * self.interval))
        claimed: set[str] = set()
        for i in range(0, len(ids), CLAIMS_AT_ONCE):
            chunk = ids[i : i + CLAIMS_AT_ONCE]
            rows = self._db.returning(
                f"INSERT INTO sample_claims (sandbox_id, sampled_at) VALUES {', '.join(['(?, ?)'] * len(chunk))}"
                " ON CONFLICT (sandbox_id) DO UPDATE SET sampled_at = excluded.sampled_at"
                " WHERE sample_claims.sampled_at <= ? OR sample_claims.sampled_at > ? RETURNING sandbox_id",
                *(v for sid in chunk for v in (sid, t)), t - self.interval * (1 - CLAIM_SLACK), t + self.interval,
            )  # fmt: skip
            claimed.update(r["sandbox_id"] for r in rows)
        return claimed

    async def sample_now(self, sandbox_id: str, cpu_limit: float) -> dict[str, Any] | None:
        """One sample of `sandbox_id` taken now and not stored (a metrics table row's columns), or None
        if the sandbox does not answer; its CPU percentage is since the last stored sample."""
        self._backend.require("metrics", "measure a sandbox")
        usage = (await self._backend.metrics([sandbox_id])).get(sandbox_id)
        if usage is None:
            return None
        t = now()
        values = self._row(sandbox_id, t, usage, cpu_limit, remember=False)
        return dict(zip(_COLUMNS, (sandbox_id, t, *values), strict=True))

    def _row(self, sandbox_id: str, t: float, u: Any, cpu_limit: float, remember: bool = True) -> tuple[Any, ...]:
        cpu_count = float(getattr(u, "cpu_count", None) or cpu_limit)
        usec = int(u.cpu_usage_usec)
        prev = self._last.get(sandbox_id)
        if prev is None:
            last = self._db.one(
                "SELECT ts, cpu_usage_usec FROM metrics WHERE sandbox_id = ? ORDER BY ts DESC LIMIT 1", sandbox_id
            )
            prev = (last["ts"], last["cpu_usage_usec"]) if last is not None else None
        pct = 0.0
        if prev is not None and t > prev[0] and usec >= prev[1]:
            pct = 100.0 * (usec - prev[1]) / ((t - prev[0]) * 1e6 * cpu_count)
        if remember:
            self._last[sandbox_id] = (t, usec)
        return (
            usec,
            min(max(pct, 0.0), 100.0),
            cpu_count,
            float(u.mem_used_bytes),
            float(u.mem_limit_bytes),
            float(u.disk_used_bytes),
            float(u.disk_limit_bytes),
            float(getattr(u, "mem_cache_bytes", 0)),
        )

    async def loop(self) -> None:
        while True:
            try:
                await self.sample_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("metrics pass failed")
            await asyncio.sleep(self.interval)
