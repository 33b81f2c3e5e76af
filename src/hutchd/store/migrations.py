"""The schema, as numbered migrations: each upgrades it by one version, once, and is recorded in
`schema_migrations`. Never edit an entry that has shipped; add one.

One text serves both databases. On PostgreSQL the layer widens SQLite's types (REAL to DOUBLE
PRECISION, INTEGER to BIGINT: a timestamp in a 4-byte float is off by minutes, a snapshot's size
overflows 32 bits) and then runs `postgresql`, what only PostgreSQL has (a sequence, triggers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    sql: str
    postgresql: str = ""  # run after `sql` on PostgreSQL only

    def statements(self, dialect: str) -> list[str]:
        """The statements to run, in order (SQLite runs them one at a time; none contains a `;`)."""
        if dialect == "sqlite":
            return [s for s in self.sql.split(";") if s.strip()]
        widened = re.sub(r"\bINTEGER\b", "BIGINT", re.sub(r"\bREAL\b", "DOUBLE PRECISION", self.sql))
        return [s for s in (widened, self.postgresql) if s.strip()]


MIGRATIONS: list[Migration] = [
    Migration(
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
        """
    ),
    # network policy (JSON of SandboxNetworkInfo; NULL = from allow_internet) and exposed-port token
    Migration(
        """
        ALTER TABLE sandboxes ADD COLUMN network TEXT;
        ALTER TABLE sandboxes ADD COLUMN traffic_token TEXT;
        """
    ),
    # page cache in metrics samples (E2B's mem_cache); older samples read 0
    Migration(
        """
        ALTER TABLE metrics ADD COLUMN mem_cache REAL NOT NULL DEFAULT 0;
        """
    ),
    # a snapshot's name (E2B's create_snapshot(name=)), which createSandbox takes as templateID
    Migration(
        """
        ALTER TABLE snapshots ADD COLUMN name TEXT;
        CREATE INDEX snapshots_name ON snapshots(tenant, name, created_at);
        """
    ),
    # `secure`: the sandbox has an access token (derived, never stored: hutchd/access.py)
    Migration(
        """
        ALTER TABLE sandboxes ADD COLUMN secure INTEGER NOT NULL DEFAULT 0;
        """
    ),
    # volumes (runtime/volumes.py) and what each sandbox mounts: JSON {mount path: volume id}
    Migration(
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
        """
    ),
    # built templates (kind `build`): an alias per tenant, what their sandboxes start with (config,
    # JSON), the build of their present content; and the builds themselves
    Migration(
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
        """
    ),
    # replicas sharing one database: which one's runtime holds a sandbox, a volume, a build (NULL in
    # rows from before, which the single server of that file takes over), and the reaper's claim on a
    # sandbox past its deadline (services/reaper.py). On PostgreSQL: a sequence hands out `seq` (the
    # page token) once across replicas, and a trigger tells every replica that a row of sandboxes or
    # snapshots changed (one notification a transaction) (store/postgres.py drops its cached rows then).
    Migration(
        """
        ALTER TABLE sandboxes ADD COLUMN owner TEXT;
        ALTER TABLE sandboxes ADD COLUMN reap_claim REAL;
        ALTER TABLE volumes ADD COLUMN owner TEXT;
        ALTER TABLE template_builds ADD COLUMN owner TEXT;
        CREATE INDEX sandboxes_owner ON sandboxes(owner, state, end_at)
        """,
        postgresql="""
        CREATE SEQUENCE sandboxes_seq OWNED BY sandboxes.seq;
        SELECT setval('sandboxes_seq', COALESCE(MAX(seq), 0) + 1, false) FROM sandboxes;
        CREATE FUNCTION hutch_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('hutch_rows', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER sandboxes_changed AFTER INSERT OR UPDATE OR DELETE ON sandboxes
            FOR EACH ROW EXECUTE FUNCTION hutch_rows_changed();
        CREATE TRIGGER snapshots_changed AFTER INSERT OR UPDATE OR DELETE ON snapshots
            FOR EACH ROW EXECUTE FUNCTION hutch_rows_changed();
        """,
    ),
    # the sampler's claim on each sandbox's sample of an interval (services/sampler.py): replicas that
    # share their sandboxes take one sample of each an interval, not one each. A table of its own: a
    # write a second per sandbox on `sandboxes` would wake every replica's cache (the trigger above).
    Migration(
        """
        CREATE TABLE sample_claims (
            sandbox_id TEXT PRIMARY KEY,
            sampled_at REAL NOT NULL
        )
        """
    ),
    # each server process registers itself (store/replica.py) and refreshes `seen_at`; `replica` names the
    # process whose work a row is (a sandbox it is creating or keeps warm, a build it runs) where `owner`
    # names the host: a live replica's work is never another's to clean up, a dead one's is, once
    Migration(
        """
        CREATE TABLE replicas (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            started_at REAL NOT NULL,
            seen_at REAL NOT NULL,
            heartbeat_s REAL NOT NULL         -- its interval: it is dead once silent for a few of them
        );
        ALTER TABLE sandboxes ADD COLUMN replica TEXT;
        ALTER TABLE template_builds ADD COLUMN replica TEXT;
        CREATE INDEX sandboxes_replica ON sandboxes(replica, state)
        """
    ),
]
