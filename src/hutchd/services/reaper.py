"""The reaper: at each sandbox's deadline, kill it (or pause it, per its lifecycle)."""

from __future__ import annotations

import asyncio
import logging

from hutchd.services.sandbox_service import Sandboxes
from hutchd.store.db import Database, now

log = logging.getLogger("hutchd.reaper")


async def reap_once(db: Database, sandboxes: Sandboxes) -> int:
    """Handle every sandbox whose deadline has passed; returns how many were handled."""
    due = db.all(
        "SELECT id FROM sandboxes WHERE end_at <= ?"
        " AND (state = 'running' OR (state = 'paused' AND on_timeout = 'kill'))",
        now(),
    )
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
