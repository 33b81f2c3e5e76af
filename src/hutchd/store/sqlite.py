"""The SQLite database: one file in the data dir, for one server process.

WAL mode plus `synchronous=NORMAL` keeps every committed row across a `kill -9` of the server.
`BEGIN IMMEDIATE` serializes writers, so a claim needs no row lock here (`skip_locked` is empty).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hutchd.store.db import Conflict, Database, Row


def _dict_row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, values, strict=True)}


def _conflict(e: sqlite3.IntegrityError) -> Conflict | sqlite3.IntegrityError:
    """`UNIQUE constraint failed: idempotency.tenant, idempotency.key` names the table."""
    message = str(e)
    if not message.startswith("UNIQUE constraint failed: "):
        return e
    return Conflict(message.removeprefix("UNIQUE constraint failed: ").split(".", 1)[0], message)


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = _dict_row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        path.chmod(0o600)
        self._migrate()

    def _legacy_versions(self, applied: set[int]) -> list[int]:
        """Files of before `schema_migrations` counted their migrations in `PRAGMA user_version`."""
        version = int(self.conn.execute("PRAGMA user_version").fetchone()["user_version"])
        return [v for v in range(1, version + 1) if v not in applied]

    @contextmanager
    def tx(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._generation += 1
            raise
        self.conn.execute("COMMIT")
        self._generation += 1  # after the write: a copy read before it is then stale

    def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        try:
            rows: list[Row] = self.conn.execute(sql, args).fetchall()
        except sqlite3.IntegrityError as e:
            raise _conflict(e) from None
        return rows

    def _write(self, sql: str, args: Sequence[Any]) -> int:
        try:
            return self.conn.execute(sql, args).rowcount
        except sqlite3.IntegrityError as e:
            raise _conflict(e) from None

    def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def next_seq(self) -> int:
        return int(self.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM sandboxes"))

    def json_entries(self, column: str) -> str:
        return f"json_each({column})"

    def close(self) -> None:
        self.conn.close()
