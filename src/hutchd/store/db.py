"""The state store: sandboxes, snapshots, templates, volumes, idempotency keys, metrics samples.

One data-access layer over two databases with the same schema (migrations.py): SQLite, a file in the
data dir (the default), or PostgreSQL (`hutch serve --database postgresql://...`), which several
replicas share. Services write portable SQL with `?` placeholders; what differs between the two
(placeholders, JSON tables, row locks, the creation sequence, constraint errors, migrations' types)
is answered here, by the `Database` a service holds.

All access happens on the event loop's thread: every statement is short, and running them without an
`await` in between makes a read-check-write sequence atomic with respect to other requests of this
process. Across replicas it is not: what must hold there is a constraint (unique names, idempotency
keys), a conditional UPDATE, or a row claim (`skip_locked`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

from hutchd.store.migrations import MIGRATIONS

Row = dict[str, Any]
"""A row: column name to value (JSON columns are text: `json.loads` them)."""

LIVE_STATES = ("starting", "running", "paused")

_ROW_TABLES = re.compile(r"\b(sandboxes|snapshots)\b", re.IGNORECASE)


class Conflict(Exception):
    """A write broke a unique constraint: another request (maybe on another replica) took the name or
    the key first. `table` says which table's constraint."""

    def __init__(self, table: str, message: str) -> None:
        super().__init__(message)
        self.table = table


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened (the server does not start)."""


class Database(ABC):
    """What every database offers; `open_database` picks one."""

    dialect: ClassVar[str]
    skip_locked: ClassVar[str] = ""
    """Appended to a SELECT whose rows a claim UPDATE takes: concurrent claimers skip each other's rows."""

    def __init__(self) -> None:
        self._generation = 0
        self._tx = threading.local()  # the connection of this thread's open transaction, if any

    @property
    def generation(self) -> int:
        """Changes with every write that may change a sandbox's or snapshot's row (and at the end of every
        transaction): in-memory copies of those rows are good while it stays the same."""
        return self._generation

    def _changed(self, sql: str) -> None:
        if _ROW_TABLES.search(sql):
            self._generation += 1  # after the write: a copy read before it is then stale

    # ---------------------------------------------------------------- statements

    def one(self, sql: str, *args: Any) -> Row | None:
        rows = self._query(sql, args)
        return rows[0] if rows else None

    def all(self, sql: str, *args: Any) -> list[Row]:
        return self._query(sql, args)

    def value(self, sql: str, *args: Any) -> Any:
        """The first column of the first row (a COUNT, a MAX)."""
        row = self.one(sql, *args)
        return None if row is None else next(iter(row.values()))

    def run(self, sql: str, *args: Any) -> int:
        """A write; how many rows it changed."""
        count = self._write(sql, args)
        if count:
            self._changed(sql)
        return count

    def returning(self, sql: str, *args: Any) -> list[Row]:
        """A write with `RETURNING`: the rows it changed."""
        rows = self._query(sql, args)
        if rows:
            self._changed(sql)
        return rows

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._write_many(sql, rows)
        self._changed(sql)

    @abstractmethod
    def tx(self) -> AbstractContextManager[None]:
        """A transaction: every statement of this thread inside it commits or rolls back together."""
        ...

    @asynccontextmanager
    async def sandbox_lock(self, sandbox_id: str) -> AsyncIterator[None]:
        """Held around every state change of one sandbox, beside the process's own lock: nothing here
        (one process has the database), the replicas' common lock on a shared database."""
        yield

    @abstractmethod
    def next_seq(self) -> int:
        """The next sandbox creation number (newest-first pages, page tokens); unique across replicas."""
        ...

    @abstractmethod
    def json_entries(self, column: str) -> str:
        """A table expression of a JSON object column's entries, with text columns `key` and `value`."""
        ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _query(self, sql: str, args: Sequence[Any]) -> list[Row]: ...

    @abstractmethod
    def _write(self, sql: str, args: Sequence[Any]) -> int: ...

    @abstractmethod
    def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    # ---------------------------------------------------------------- migrations

    def applied_migrations(self) -> list[int]:
        return [int(r["version"]) for r in self.all("SELECT version FROM schema_migrations ORDER BY version")]

    def _migrate(self) -> None:
        """Apply the migrations this database lacks, each in its own transaction with its record (the
        caller keeps other processes out: a lock of the database's own)."""
        self.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        applied = set(self.applied_migrations())
        for version in self._legacy_versions(applied):
            self.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, now())
            applied.add(version)
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version in applied:
                continue
            with self.tx():
                for statement in migration.statements(self.dialect):
                    self.run(statement)
                self.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, now())

    def _legacy_versions(self, applied: set[int]) -> list[int]:
        """Versions a database of before `schema_migrations` had applied (recorded another way)."""
        return []


def open_database(url: str | None, data_dir: Path) -> Database:
    """`url` None: the SQLite file in the data dir; `postgresql://...`: that database (shared by the
    replicas given the same URL)."""
    if url is None or url.startswith("sqlite:"):
        from hutchd.store.sqlite import SQLiteDatabase

        path = Path(url.removeprefix("sqlite:").removeprefix("//")) if url else data_dir / "hutch.db"
        return SQLiteDatabase(path)
    if url.startswith(("postgresql://", "postgres://")):
        from hutchd.store.postgres import PostgresDatabase

        return PostgresDatabase(url)
    raise ValueError(f"--database must be a postgresql:// URL or sqlite:PATH, not {url.split(':', 1)[0]}:...")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def now() -> float:
    return time.time()
