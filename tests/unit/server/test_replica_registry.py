"""The replica registry (store/replica.py) on SQLite and a real PostgreSQL: each process registers, a
silent one is dead, its leftovers are claimed once (also by two replicas at the same moment), a
server with its own data dir takes its earlier processes' at start, and no live replica's work is
touched. The clock is the registry's `now`, moved by the test: nothing here waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutchd.store import replica
from hutchd.store.db import Database, dumps, open_database

_SANDBOX = (
    "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
    " timeout_s, started_at, end_at, seq, metadata, owner, replica) VALUES (?, 't', 'base', ?, 1, 512, 1024, 1,"
    " 60, 0, 1e12, ?, ?, ?, ?)"
)


def add_sandbox(db: Database, sid: str, state: str, replica_id: str | None, owner: str = "r-host") -> None:
    db.run(_SANDBOX, sid, state, db.next_seq(), dumps({}), owner, replica_id)


def states(db: Database) -> dict[str, str]:
    return {r["id"]: r["state"] for r in db.all("SELECT id, state FROM sandboxes")}


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.t = 1000.0
        monkeypatch.setattr(replica, "now", lambda: self.t)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres").new_database("registry")
    database = open_database(url, tmp_path)
    yield database
    database.close()


def test_a_silent_replica_is_dead_and_its_leftovers_are_claimed_once(db: Database, clock: Clock) -> None:
    live, silent = replica.Registry(db, "r-host", heartbeat_s=5), replica.Registry(db, "r-host", heartbeat_s=5)
    live.register(own_data_dir=False)
    silent.register(own_data_dir=False)
    assert live.id != silent.id
    add_sandbox(db, "sbx-creating", "starting", silent.id)
    add_sandbox(db, "sbx-warm", "pooled", silent.id)
    add_sandbox(db, "sbx-running", "running", silent.id)
    add_sandbox(db, "sbx-live-creating", "starting", live.id)
    db.run("INSERT INTO idempotency (tenant, key, sandbox_id, created_at) VALUES ('t', 'k', 'sbx-creating', 0)")

    clock.t += replica.DEAD_AFTER * 5 - 1
    live.beat()
    assert live.dead() == []  # silent for less than DEAD_AFTER heartbeats: alive
    assert live.live() == {live.id, silent.id}
    assert not live.claim(silent.id)
    clock.t += 2
    assert live.dead() == [{"id": silent.id, "owner": "r-host"}]
    assert live.live() == {live.id}  # its own work's pods are no longer spared (backend.recover)
    with db.tx():
        assert live.claim(silent.id)
        abandoned = replica.abandon_sandboxes(db, silent.id)
    assert sorted(abandoned) == ["sbx-creating", "sbx-warm"]
    assert states(db) == {"sbx-creating": "killed", "sbx-running": "running", "sbx-live-creating": "starting"}
    assert db.value("SELECT COUNT(*) FROM idempotency") == 0  # a retry with the key makes a new sandbox
    assert not live.claim(silent.id) and live.dead() == []  # once


def test_a_replica_taken_for_dead_registers_again_at_its_next_heartbeat(db: Database, clock: Clock) -> None:
    slow, other = replica.Registry(db, "r-host"), replica.Registry(db, "r-host")
    slow.register(own_data_dir=False)
    other.register(own_data_dir=False)
    clock.t += replica.DEAD_AFTER * replica.HEARTBEAT_S + 1
    other.beat()
    with db.tx():
        assert other.claim(slow.id)
    slow.beat()
    assert db.value("SELECT COUNT(*) FROM replicas WHERE id = ?", slow.id) == 1
    assert other.dead() == []


def test_a_server_with_its_own_data_dir_takes_its_earlier_processes_at_start(db: Database, clock: Clock) -> None:
    """Killed a second ago, the earlier process is not silent yet but is gone (its data dir is this one's);
    another host's process and rows of before the registry (no `replica`) stay or become the owner's."""
    earlier, elsewhere = replica.Registry(db, "r-host"), replica.Registry(db, "r-other")
    earlier.register(own_data_dir=True)
    elsewhere.register(own_data_dir=True)
    add_sandbox(db, "sbx-old-version", "starting", None)
    add_sandbox(db, "sbx-old-running", "running", None)
    add_sandbox(db, "sbx-elsewhere", "starting", None, owner="r-other")
    clock.t += 1
    restarted = replica.Registry(db, "r-host")
    assert restarted.register(own_data_dir=True) == ["r-host", earlier.id]
    assert {r["id"] for r in db.all("SELECT id FROM replicas")} == {restarted.id, elsewhere.id}
    rows = {r["id"]: r["replica"] for r in db.all("SELECT id, replica FROM sandboxes")}
    assert rows == {"sbx-old-version": "r-host", "sbx-old-running": None, "sbx-elsewhere": None}


def test_replicas_sharing_a_data_dir_never_take_each_other_at_start(db: Database, clock: Clock) -> None:
    first = replica.Registry(db, "r-shared")
    first.register(own_data_dir=False)
    second = replica.Registry(db, "r-shared")
    assert second.register(own_data_dir=False) == ["r-shared"]
    assert db.value("SELECT COUNT(*) FROM replicas") == 2


def test_two_replicas_claiming_one_dead_replica_at_once_handle_it_once(postgres, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    url = postgres.new_database("claims")
    dbs = [open_database(url, Path("/nonexistent")) for _ in range(3)]
    try:
        dead, *claimers = (replica.Registry(d, "r-shared") for d in dbs)
        for r in (dead, *claimers):
            r.register(own_data_dir=False)
        for i in range(20):
            add_sandbox(dbs[0], f"sbx-{i}", "starting" if i % 2 else "pooled", dead.id)
        clock.t += replica.DEAD_AFTER * replica.HEARTBEAT_S + 1
        start = threading.Barrier(2)
        results: dict[int, list[str] | None] = {}

        def claim(i: int) -> None:
            d, registry = dbs[i + 1], claimers[i]
            start.wait()
            with d.tx():
                results[i] = replica.abandon_sandboxes(d, dead.id) if registry.claim(dead.id) else None

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        handled = [r for r in results.values() if r is not None]
        assert len(handled) == 1 and sorted(handled[0]) == sorted(f"sbx-{i}" for i in range(20))
        assert set(states(dbs[0]).values()) == {"killed"}
    finally:
        for d in dbs:
            d.close()


def test_a_replica_judges_others_only_after_beating_steadily_itself(db: Database, clock: Clock) -> None:
    """After the database was out of reach every heartbeat is old: each replica beats again for
    `DEAD_AFTER` intervals before it may take another for dead, and by then the others have beaten."""
    a, b = replica.Registry(db, "r-shared", heartbeat_s=5), replica.Registry(db, "r-shared", heartbeat_s=5)
    a.register(own_data_dir=False)
    b.register(own_data_dir=False)
    judges = []
    for _ in range(replica.DEAD_AFTER):
        clock.t += 5
        judges.append(a.beat())
        b.beat()
    assert judges == [False] * (replica.DEAD_AFTER - 1) + [True]  # from its start too
    clock.t += 60  # nobody could beat
    assert not a.beat() and a.dead() == [{"id": b.id, "owner": "r-shared"}]
    b.beat()
    for _ in range(replica.DEAD_AFTER):
        clock.t += 5
        steady = a.beat()
        b.beat()
    assert steady and a.dead() == []
