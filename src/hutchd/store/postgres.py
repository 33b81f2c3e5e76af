"""The PostgreSQL database, shared by every replica given the same `--database` URL.

Statements run on connections of a psycopg pool (it reconnects after a restart of PostgreSQL), in
autocommit unless inside `tx`. Services' `?` placeholders become psycopg's `%s` (once per distinct
statement). A unique violation is a `Conflict`, as on SQLite.

Cached rows: every replica keeps copies of sandbox rows (services/sandbox_service.py). A trigger
(migration 8) sends `NOTIFY hutch_rows` with every statement that changes sandboxes or snapshots, on
whichever replica; a thread here LISTENs and moves `generation` on, which drops the copies. A copy
is thus stale for as long as a notification takes to arrive (milliseconds on one network). While
the listening connection is down, `generation` changes at every read: no copy is trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from hutchd.store.db import Conflict, Database, DatabaseUnavailable, Row

log = logging.getLogger("hutchd.store")

CHANNEL = "hutch_rows"
MIGRATION_LOCK = 0x68757463  # pg_advisory_lock key: one replica migrates at a time ("hutc")
LISTEN_WAKE_S = 0.25  # how often the listening thread looks whether the database is being closed
POOL_SIZE = 4  # the event loop's thread uses one at a time; workers (template builds) may use more
SANDBOX_LOCKS = 0x68757464  # pg_advisory_lock's first key for the sandbox locks ("hutd"); the second: the sandbox's
LOCK_POOL_SIZE = 16  # sandboxes locked at once by this replica; more wait for a connection
LOCK_POLL_S = (0.005, 0.1)  # the first and the longest wait between two tries of a lock another replica holds


def _lock_key(sandbox_id: str) -> int:
    """The sandbox's advisory lock key (a collision only makes two sandboxes wait for each other)."""
    return int.from_bytes(hashlib.blake2b(sandbox_id.encode(), digest_size=4).digest(), "big", signed=True)


@functools.lru_cache(maxsize=1024)
def _placeholders(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase(Database):
    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        super().__init__()
        self.url = url
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
            name="hutch",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout:
            self._pool.close()
            where = conninfo_to_dict(url)
            raise DatabaseUnavailable(
                f"no connection to PostgreSQL database {where.get('dbname')!r} on {where.get('host') or 'its socket'}"
                f" within {timeout:g}s"
            ) from None
        # The sandbox locks' connections: a session-level advisory lock is held by its connection.
        self._lock_pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url, min_size=1, max_size=LOCK_POOL_SIZE, kwargs={"autocommit": True, "row_factory": dict_row},
            open=True, name="hutch-locks",
        )  # fmt: skip
        self._lock_slots: asyncio.Semaphore | None = None
        self._listening = False
        self._closed = threading.Event()
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                self._migrate()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        self._listener = threading.Thread(target=self._listen, name="hutch-db-listen", daemon=True)
        self._listener.start()

    @property
    def generation(self) -> int:
        if not self._listening:
            self._generation += 1
        return self._generation

    # ---------------------------------------------------------------- statements

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Row]]:
        conn: psycopg.Connection[Row] | None = getattr(self._tx, "conn", None)
        if conn is not None:
            yield conn
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def tx(self) -> Iterator[None]:
        if getattr(self._tx, "conn", None) is not None:
            raise RuntimeError("transactions do not nest")
        try:
            with self._pool.connection() as conn, conn.transaction():
                self._tx.conn = conn
                try:
                    yield
                finally:
                    self._tx.conn = None
        finally:
            self._generation += 1  # after the write: a copy read before it is then stale

    def _execute(self, sql: str, args: Sequence[Any], *, fetch: bool) -> tuple[list[Row], int]:
        with self._connection() as conn:
            try:
                cur = conn.execute(_placeholders(sql), args) if args else conn.execute(sql)
            except errors.UniqueViolation as e:
                raise Conflict(e.diag.table_name or "", str(e)) from None
            return (cur.fetchall() if fetch else []), cur.rowcount

    def _query(self, sql: str, args: Sequence[Any]) -> list[Row]:
        return self._execute(sql, args, fetch=True)[0]

    def _write(self, sql: str, args: Sequence[Any]) -> int:
        return self._execute(sql, args, fetch=False)[1]

    def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(_placeholders(sql), rows)

    @asynccontextmanager
    async def sandbox_lock(self, sandbox_id: str) -> AsyncIterator[None]:
        """A session-level advisory lock of the sandbox on a connection held meanwhile: one replica at
        a time changes the sandbox (every replica acts on every sandbox of a shared owner). It is tried
        without blocking the event loop, again after a growing wait; PostgreSQL drops it with the
        connection if this replica dies."""
        if self._lock_slots is None:
            self._lock_slots = asyncio.Semaphore(LOCK_POOL_SIZE)  # a free connection for each holder
        key = (SANDBOX_LOCKS, _lock_key(sandbox_id))
        async with self._lock_slots:
            with self._lock_pool.connection() as conn:
                delay = LOCK_POLL_S[0]
                while not conn.execute("SELECT 1 WHERE pg_try_advisory_lock(%s, %s)", key).fetchone():
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, LOCK_POLL_S[1])
                try:
                    self._generation += 1  # copies read before another replica's change under this lock are stale
                    yield
                finally:
                    with contextlib.suppress(psycopg.Error):  # a lost connection took the lock with it
                        conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)

    def next_seq(self) -> int:
        return int(self.value("SELECT nextval('sandboxes_seq')"))

    def json_entries(self, column: str) -> str:
        return f"json_each_text({column}::json)"

    def close(self) -> None:
        self._closed.set()
        self._pool.close()
        self._lock_pool.close()
        self._listener.join(timeout=5)

    # ---------------------------------------------------------------- other replicas' writes

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening = True
                    self._generation += 1  # what changed while nobody listened
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=LISTEN_WAKE_S):
                            self._generation += 1
            except psycopg.Error as e:
                if not self._closed.is_set():
                    log.warning("listening for other replicas' writes failed (%s); retrying", e)
            finally:
                self._listening = False
            self._closed.wait(1.0)
