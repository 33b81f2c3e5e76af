"""The reaper: at each sandbox's deadline, kill it (or pause it, per its lifecycle).

Each replica reaps the sandboxes it owns. Replicas that share their sandboxes (one `owner` for all, as a
cluster backend may) each claim due rows before acting: the claim is a conditional UPDATE whose rows
are picked with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so one replica acts on a sandbox and the others
skip it; a claim lapses after `CLAIM_S` (its replica died mid-way: another takes the sandbox then).
"""

from __future__ import annotations

import asyncio
import logging

from hutchd.services.sandbox_service import Sandboxes
from hutchd.store.db import Database, now

log = logging.getLogger("hutchd.reaper")

CLAIM_S = 60.0
BATCH = 100  # due sandboxes claimed at once

_DUE = (
    "owner = ? AND end_at <= ? AND (state = 'running' OR (state = 'paused' AND on_timeout = 'kill'))"
    " AND (reap_claim IS NULL OR reap_claim < ?)"
)


async def reap_once(db: Database, sandboxes: Sandboxes) -> int:
    """Handle every sandbox of this replica whose deadline has passed; returns how many were handled."""
    t = now()
    if db.one(f"SELECT 1 FROM sandboxes WHERE {_DUE} LIMIT 1", sandboxes.owner, t, t) is None:
        return 0  # the usual case, read-only
    due = db.returning(
        f"UPDATE sandboxes SET reap_claim = ? WHERE id IN (SELECT id FROM sandboxes WHERE {_DUE}"
        f" ORDER BY end_at LIMIT {BATCH}{db.skip_locked}) RETURNING id",
        t + CLAIM_S, sandboxes.owner, t, t,
    )  # fmt: skip
    for row in due:
        try:
            await sandboxes.expire(row["id"])
        except Exception as e:
            log.warning("expiring sandbox %s failed: %s", row["id"], e)
    return len(due)


async def reap_loop(db: Database, sandboxes: Sandboxes, interval: float) -> None:
    while True:
        try:
            await reap_once(db, sandboxes)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reaper pass failed")
        await asyncio.sleep(interval)
