"""The data-access layer on both databases: the same statements, constraints, JSON tables, sequences
and migrations on SQLite and on a real PostgreSQL (the session's throwaway cluster)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutchd.store import replica
from hutchd.store.db import Conflict, Database, DatabaseUnavailable, dumps, now, open_database
from hutchd.store.migrations import MIGRATIONS

_SANDBOX = (
    "INSERT INTO sandboxes (id, tenant, name, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
    " timeout_s, started_at, end_at, seq, metadata, owner)"
    " VALUES (?, 't', ?, 'base', ?, 1, 512, 1024, 1, 60, ?, ?, ?, ?, 'r-1')"
)


def add_sandbox(db: Database, sid: str, *, name: str | None = None, state: str = "running", end_at: float = 1e12,
                metadata: dict[str, str] | None = None) -> None:  # fmt: skip
    db.run(_SANDBOX, sid, name, state, now(), end_at, db.next_seq(), dumps(metadata or {}))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres").new_database("store"))


@pytest.fixture
def db(url: str | None, tmp_path: Path) -> Iterator[Database]:
    database = open_database(url, tmp_path)
    yield database
    database.close()


def test_migrations_are_recorded_once(url: str | None, tmp_path: Path) -> None:
    first = open_database(url, tmp_path)
    assert first.applied_migrations() == list(range(1, len(MIGRATIONS) + 1))
    first.close()
    again = open_database(url, tmp_path)  # nothing left to apply: a second run would fail on CREATE TABLE
    assert again.applied_migrations() == list(range(1, len(MIGRATIONS) + 1))
    again.close()


def test_placeholders_and_a_literal_percent(db: Database) -> None:
    add_sandbox(db, "sbx-a", metadata={"k": "50%?"})
    row = db.one("SELECT id, metadata FROM sandboxes WHERE id = ? AND metadata LIKE '%50%'", "sbx-a")
    assert row == {"id": "sbx-a", "metadata": '{"k":"50%?"}'}
    assert db.value("SELECT COUNT(*) FROM sandboxes WHERE state IN (?, ?)", "running", "paused") == 1


def test_timestamps_keep_their_precision(db: Database) -> None:
    t = 1_800_000_000.123456  # a 4-byte REAL would round this by minutes
    add_sandbox(db, "sbx-t", end_at=t)
    assert db.value("SELECT end_at FROM sandboxes WHERE id = ?", "sbx-t") == t
    db.run(
        "INSERT INTO snapshots (id, tenant, sandbox_id, kind, created_at, size_bytes)"
        " VALUES (?, 't', ?, 'manual', ?, ?)",
        "snap-1", "sbx-t", t, 5 << 30,
    )  # fmt: skip
    assert db.value("SELECT size_bytes FROM snapshots WHERE id = ?", "snap-1") == 5 << 30


def test_unique_constraints_are_conflicts_naming_the_table(db: Database) -> None:
    add_sandbox(db, "sbx-1", name="web")
    with pytest.raises(Conflict) as e:
        add_sandbox(db, "sbx-2", name="web")
    assert e.value.table == "sandboxes"
    db.run("UPDATE sandboxes SET state = 'killed' WHERE id = ?", "sbx-1")
    add_sandbox(db, "sbx-3", name="web")  # the name is free again once its sandbox is killed
    db.run("INSERT INTO idempotency (tenant, key, sandbox_id, created_at) VALUES ('t', 'k', 'sbx-3', ?)", now())
    with pytest.raises(Conflict) as e:
        db.run("INSERT INTO idempotency (tenant, key, sandbox_id, created_at) VALUES ('t', 'k', 'sbx-9', ?)", now())
    assert e.value.table == "idempotency"


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    add_sandbox(db, "sbx-1", name="web")
    with pytest.raises(Conflict), db.tx():
        add_sandbox(db, "sbx-2")
        add_sandbox(db, "sbx-3", name="web")
    assert [r["id"] for r in db.all("SELECT id FROM sandboxes ORDER BY id")] == ["sbx-1"]


def test_json_entries_match_keys_and_values_exactly(db: Database) -> None:
    add_sandbox(db, "sbx-1", metadata={"a.b": "x", "c": "y"})
    add_sandbox(db, "sbx-2", metadata={"a": "x"})
    entries = db.json_entries("sandboxes.metadata")
    hits = db.all(
        f"SELECT id FROM sandboxes WHERE EXISTS (SELECT 1 FROM {entries} WHERE key = ? AND value = ?)", "a.b", "x"
    )
    assert [r["id"] for r in hits] == ["sbx-1"]


def test_returning_and_upsert(db: Database) -> None:
    add_sandbox(db, "sbx-1", end_at=1.0)
    add_sandbox(db, "sbx-2", end_at=2.0)
    claimed = db.returning(
        f"UPDATE sandboxes SET reap_claim = ? WHERE id IN (SELECT id FROM sandboxes WHERE end_at < ?"
        f" ORDER BY end_at LIMIT 1{db.skip_locked}) RETURNING id",
        now(), 10.0,
    )  # fmt: skip
    assert claimed == [{"id": "sbx-1"}]
    upsert = (
        "INSERT INTO idempotency (tenant, key, sandbox_id, created_at) VALUES ('t', 'k', ?, 0)"
        " ON CONFLICT (tenant, key) DO NOTHING"
    )
    assert db.run(upsert, "sbx-1") == 1
    assert db.run(upsert, "sbx-2") == 0
    assert db.value("SELECT sandbox_id FROM idempotency") == "sbx-1"


def test_writes_to_sandboxes_move_the_generation(db: Database) -> None:
    add_sandbox(db, "sbx-1")
    before = db.generation
    db.run("UPDATE sandboxes SET state = 'paused' WHERE id = ?", "sbx-1")
    assert db.generation != before


def test_replica_id_is_kept_in_the_data_dir(tmp_path: Path) -> None:
    first = replica.data_dir_id(tmp_path)
    assert first.startswith("r-") and replica.data_dir_id(tmp_path) == first


def test_an_old_sqlite_file_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    """A file of a version before `schema_migrations` (its schema counted in PRAGMA user_version, 7 then)."""
    path = tmp_path / "hutch.db"
    old = sqlite3.connect(path)
    for migration in MIGRATIONS[:7]:
        for statement in migration.statements("sqlite"):
            old.execute(statement)
    old.execute(
        "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet, timeout_s,"
        " started_at, end_at, seq) VALUES ('sbx-old', 't', 'base', 'running', 1, 512, 1024, 1, 60, 1, 2, 1)"
    )
    old.execute("INSERT INTO volumes (id, tenant, name, size_mb, created_at) VALUES ('vol-old', 't', 'v', 10, 1)")
    old.execute("PRAGMA user_version = 7")
    old.commit()
    old.close()

    db = open_database(None, tmp_path)
    assert db.applied_migrations() == list(range(1, len(MIGRATIONS) + 1))
    replica.take_unowned(db, "r-here")
    assert db.one("SELECT id, owner, reap_claim FROM sandboxes") == {
        "id": "sbx-old",
        "owner": "r-here",
        "reap_claim": None,
    }
    assert db.value("SELECT owner FROM volumes") == "r-here"
    assert db.next_seq() == 2
    db.close()


def test_an_unknown_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        open_database("mysql://x/y", tmp_path)


def test_an_unreachable_postgresql_is_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from hutchd.store.postgres import PostgresDatabase

    with pytest.raises(DatabaseUnavailable, match=r"'nodb' on 127\.0\.0\.1"):
        PostgresDatabase(f"postgresql://u@127.0.0.1:{port}/nodb", timeout=1.0)


# ---------------------------------------------------------------- PostgreSQL shared by replicas


@pytest.fixture
def two(postgres) -> Iterator[tuple[Database, Database]]:  # type: ignore[no-untyped-def]
    """Two replicas' layers on one database (the second migrates nothing)."""
    url = postgres.new_database("replicas")
    a, b = open_database(url, Path("/nonexistent")), open_database(url, Path("/nonexistent"))
    yield a, b
    a.close()
    b.close()


def test_migrating_replicas_apply_each_migration_once(postgres) -> None:  # type: ignore[no-untyped-def]
    url = postgres.new_database("race")
    opened: list[Database] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(open_database(url, Path("/nonexistent")))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(opened) == 4
    assert opened[0].applied_migrations() == list(range(1, len(MIGRATIONS) + 1))
    for db in opened:
        db.close()


def test_sequence_is_shared(two: tuple[Database, Database]) -> None:
    a, b = two
    seqs = [a.next_seq(), b.next_seq(), a.next_seq(), b.next_seq()]
    assert len(set(seqs)) == 4 and seqs == sorted(seqs)


def test_another_replicas_write_moves_the_generation(two: tuple[Database, Database]) -> None:
    a, b = two
    deadline = time.monotonic() + 10
    while not (a._listening and b._listening) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    seen = a.generation
    assert a.generation == seen  # nothing changed: cached rows stay good
    add_sandbox(b, "sbx-b")
    while a.generation == seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert a.generation != seen
    metrics_seen = a.generation
    b.run("DELETE FROM metrics")  # not a sandbox's or snapshot's row: no notification needed
    time.sleep(0.2)
    assert a.generation == metrics_seen


def test_claims_skip_rows_another_replica_holds(two: tuple[Database, Database]) -> None:
    a, b = two
    for sid in ("sbx-1", "sbx-2"):
        add_sandbox(a, sid, end_at=1.0)
    claim = (
        f"UPDATE sandboxes SET reap_claim = ? WHERE id IN (SELECT id FROM sandboxes WHERE end_at < ?"
        f" AND reap_claim IS NULL ORDER BY end_at LIMIT 1{a.skip_locked}) RETURNING id"
    )
    with a.tx():
        held = a.returning(claim, now(), 10.0)  # locked until this transaction ends
        other = b.returning(claim, now(), 10.0)
    assert held == [{"id": "sbx-1"}] and other == [{"id": "sbx-2"}]
    assert b.returning(claim, now(), 10.0) == []


def test_while_nobody_listens_no_cached_row_is_trusted(two: tuple[Database, Database]) -> None:
    """The listening connection dropped (a database restart, a network cut): every read of `generation`
    differs until it listens again, then it is stable."""
    import psycopg

    a, b = two
    deadline = time.monotonic() + 10
    while not a._listening and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    url = a.url  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN hutch_rows'")
    while a._listening and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert a.generation != a.generation  # down: nothing cached
    while not a._listening and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    seen = a.generation
    assert a.generation == seen  # listening again
    add_sandbox(b, "sbx-after")  # and hearing other replicas again
    while a.generation == seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert a.generation != seen


async def test_a_sandbox_lock_is_held_across_replicas(two: tuple[Database, Database]) -> None:
    a, b = two
    taken: list[str] = []

    async def take(db: Database, who: str, release: asyncio.Event) -> None:
        async with db.sandbox_lock("sbx-locked"):
            taken.append(who)
            await release.wait()

    release_a, release_b = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(take(a, "a", release_a))
    while not taken:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(take(b, "b", release_b))
    async with b.sandbox_lock("sbx-other"):  # another sandbox's lock is free meanwhile
        pass
    await asyncio.sleep(0.3)
    assert taken == ["a"]  # b waits for a's lock
    generation = b.generation
    release_a.set()
    await first
    while len(taken) < 2:
        await asyncio.sleep(0.01)
    assert taken == ["a", "b"] and b.generation != generation  # b's copies of rows are stale once it holds it
    release_b.set()
    await second
