"""SQLite state in the data dir: sandboxes, snapshots, templates, volumes, idempotency keys, metrics samples.

All access happens on the event loop's thread: every statement is short, and running them without an
`await` in between makes a read-check-write sequence atomic with respect to other requests.
WAL mode plus `synchronous=NORMAL` keeps every committed row across a `kill -9` of the server.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Each entry upgrades the schema by one version; never edit an entry that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE sandboxes (
        id TEXT PRIMARY KEY,
        tenant TEXT,                      -- NULL while it waits in the warm pool
        name TEXT,
        template_id TEXT NOT NULL,
        state TEXT NOT NULL,              -- pooled, starting, running, paused, killed
        metadata TEXT NOT NULL DEFAULT '{}',
        envs TEXT NOT NULL DEFAULT '{}',
        cpu REAL NOT NULL,
        memory_mb INTEGER NOT NULL,
        disk_mb INTEGER NOT NULL,
        allow_internet INTEGER NOT NULL,
        on_timeout TEXT NOT NULL DEFAULT 'kill',
        auto_resume INTEGER NOT NULL DEFAULT 0,
        timeout_s INTEGER NOT NULL,
        started_at REAL NOT NULL,
        end_at REAL NOT NULL,
        killed_at REAL,
        restored_from TEXT,
        seq INTEGER NOT NULL              -- creation order, for newest-first pages
    );
    CREATE UNIQUE INDEX sandboxes_live_name ON sandboxes(tenant, name)
        WHERE name IS NOT NULL AND state != 'killed';
    CREATE INDEX sandboxes_tenant ON sandboxes(tenant, seq);
    CREATE INDEX sandboxes_state ON sandboxes(state, end_at);

    CREATE TABLE snapshots (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        sandbox_id TEXT NOT NULL,
        kind TEXT NOT NULL,               -- manual, pause, periodic, template, recovered
        created_at REAL NOT NULL,
        size_bytes INTEGER NOT NULL,
        template_id TEXT
    );
    CREATE INDEX snapshots_sandbox ON snapshots(sandbox_id, created_at);
    CREATE INDEX snapshots_tenant ON snapshots(tenant, created_at);

    CREATE TABLE templates (
        id TEXT PRIMARY KEY,
        tenant TEXT,                      -- NULL for built-in templates
        kind TEXT NOT NULL,               -- builtin, snapshot
        description TEXT,
        created_at REAL NOT NULL,
        size_bytes INTEGER,
        source_sandbox_id TEXT,
        snapshot_id TEXT
    );

    CREATE TABLE idempotency (
        tenant TEXT NOT NULL,
        key TEXT NOT NULL,
        sandbox_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (tenant, key)
    );

    CREATE TABLE metrics (
        sandbox_id TEXT NOT NULL,
        ts REAL NOT NULL,
        cpu_usage_usec INTEGER NOT NULL,
        cpu_pct REAL NOT NULL,
        cpu_count REAL NOT NULL,
        mem_used REAL NOT NULL,
        mem_total REAL NOT NULL,
        disk_used REAL NOT NULL,
        disk_total REAL NOT NULL
    );
    CREATE INDEX metrics_sandbox ON metrics(sandbox_id, ts);
    """,
    # network policy (JSON of SandboxNetworkInfo; NULL = from allow_internet) and exposed-port token
    """
    ALTER TABLE sandboxes ADD COLUMN network TEXT;
    ALTER TABLE sandboxes ADD COLUMN traffic_token TEXT;
    """,
    # page cache in metrics samples (E2B's mem_cache); older samples read 0
    """
    ALTER TABLE metrics ADD COLUMN mem_cache REAL NOT NULL DEFAULT 0;
    """,
    # a snapshot's name (E2B's create_snapshot(name=)), which createSandbox takes as templateID
    """
    ALTER TABLE snapshots ADD COLUMN name TEXT;
    CREATE INDEX snapshots_name ON snapshots(tenant, name, created_at);
    """,
    # `secure`: the sandbox has an access token (derived, never stored: hutchd/access.py)
    """
    ALTER TABLE sandboxes ADD COLUMN secure INTEGER NOT NULL DEFAULT 0;
    """,
    # volumes (runtime/volumes.py) and what each sandbox mounts: JSON {mount path: volume id}
    """
    CREATE TABLE volumes (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        name TEXT NOT NULL,
        size_mb INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX volumes_name ON volumes(tenant, name);
    ALTER TABLE sandboxes ADD COLUMN volume_mounts TEXT NOT NULL DEFAULT '{}';
    """,
    # built templates (kind `build`): an alias per tenant, what their sandboxes start with (config,
    # JSON), the build of their present content; and the builds themselves
    """
    ALTER TABLE templates ADD COLUMN alias TEXT;
    ALTER TABLE templates ADD COLUMN config TEXT;
    ALTER TABLE templates ADD COLUMN build_id TEXT;
    CREATE UNIQUE INDEX templates_alias ON templates(tenant, alias);
    CREATE TABLE template_builds (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        template_id TEXT NOT NULL,
        status TEXT NOT NULL,              -- building, ready, error
        created_at REAL NOT NULL,
        finished_at REAL,
        reason TEXT,                       -- JSON of TemplateBuildReason
        steps_total INTEGER NOT NULL,
        steps_done INTEGER NOT NULL DEFAULT 0
    );
    """,
]

LIVE_STATES = ("starting", "running", "paused")


_ROW_TABLES = re.compile(r"\b(sandboxes|snapshots)\b", re.IGNORECASE)


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = 0
        """Bumped by every write that may change a sandbox's or snapshot's row (and at the end of every
        transaction): in-memory copies of those rows are good while it stays the same."""
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        path.chmod(0o600)
        self._migrate()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.tx():
                for stmt in script.split(";"):
                    if stmt.strip():
                        self.conn.execute(stmt)
                self.conn.execute(f"PRAGMA user_version={i}")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            self.generation += 1
            raise
        self.conn.execute("COMMIT")
        self.generation += 1  # after the write: a copy read before it is then stale

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return list(self.conn.execute(sql, args).fetchall())

    def run(self, sql: str, *args: Any) -> int:
        count = self.conn.execute(sql, args).rowcount
        if _ROW_TABLES.search(sql):
            self.generation += 1  # after the write: a copy read before it is then stale
        return count

    def next_seq(self) -> int:
        row = self.one("SELECT COALESCE(MAX(seq), 0) + 1 FROM sandboxes")
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        self.conn.close()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def now() -> float:
    return time.time()
