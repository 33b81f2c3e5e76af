"""Where the data dir may be, and what a clean stop leaves of it on the host."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from server_helpers import run, spare_server, stray_mounts

from hutchd.auth import tenant_id
from hutchd.runtime import cgroups
from hutchd.runtime.layout import Layout
from hutchd.store.migrations import MIGRATIONS


def test_a_data_dir_below_a_private_dir_works_and_a_clean_stop_leaves_nothing(hutch_server: Any) -> None:
    """`--data-dir ~/hutch` as root: sandbox root could not walk to the sandbox's files (every create
    failed); and a clean stop left this data dir's (empty) cgroup dirs and mounts behind."""
    with spare_server(hutch_server, private_parent=True) as server:
        assert (server.data_dir.parent.stat().st_mode & 0o777) == 0o700
        group = cgroups.group_for(Layout(server.data_dir.resolve()).instance)
        server.start()
        with server.http() as http:
            r = http.post("/sandboxes", json={"timeout": 600})
            assert r.status_code == 201, r.text
            sid = r.json()["sandboxID"]
            assert run(http, sid, "echo works")["stdout"] == "works\n"
            assert all(d.is_dir() for d in cgroups.group_dirs(group))
            assert http.delete(f"/sandboxes/{sid}").status_code == 204
        server.stop()
        assert [str(d) for d in cgroups.group_dirs(group) if d.exists()] == []
        assert stray_mounts(server.data_dir) == []


def test_a_database_of_an_earlier_version_opens_and_migrates(hutch_server: Any) -> None:
    """A `hutch.db` of before `schema_migrations` (schema 7, counted in PRAGMA user_version): the server
    migrates it, keeps its records and takes its rows over (they had no owner)."""
    if "--database" in hutch_server.extra_args:  # a pass of the suite on PostgreSQL (HUTCH_TEST_BACKEND)
        pytest.skip("about a SQLite file of an earlier version: this server's state is in PostgreSQL")
    with spare_server(hutch_server) as server:
        old = sqlite3.connect(server.data_dir / "hutch.db")
        for migration in MIGRATIONS[:7]:
            for statement in migration.statements("sqlite"):
                old.execute(statement)
        tenant = tenant_id(server.api_key)
        old.execute(
            "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
            " timeout_s, started_at, end_at, killed_at, seq) VALUES"
            " ('sbx-00000000000000ab', ?, 'base', 'killed', 1, 512, 1024, 1, 60, 1e9, 1e9, 1e9, 1)",
            (tenant,),
        )
        old.execute(
            "INSERT INTO snapshots (id, tenant, sandbox_id, kind, created_at, size_bytes)"
            " VALUES ('snap-00000000000000ab', ?, 'sbx-00000000000000ab', 'manual', 1e9, 4096)",
            (tenant,),
        )
        old.execute("PRAGMA user_version = 7")
        old.commit()
        old.close()
        server.start()
        with server.http() as http:
            assert http.get("/sandboxes/sbx-00000000000000ab").json()["state"] == "killed"
            assert [s["snapshotID"] for s in http.get("/snapshots").json()] == ["snap-00000000000000ab"]
            r = http.post("/sandboxes", json={"timeout": 60})  # the next creation number follows the old ones
            assert r.status_code == 201, r.text
            listed = http.get("/sandboxes", params={"state": ["running", "killed"]}).json()["sandboxes"]
            assert [s["sandboxID"] for s in listed] == [r.json()["sandboxID"], "sbx-00000000000000ab"]
        server.stop()
        db = sqlite3.connect(server.data_dir / "hutch.db")
        versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
        owners = {o for (o,) in db.execute("SELECT owner FROM sandboxes")}
        db.close()
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        assert owners == {(server.data_dir / "replica-id").read_text().strip()}


def test_a_database_it_cannot_use_stops_the_start_and_leaves_no_mount(hutch_server: Any) -> None:
    with spare_server(hutch_server) as server:
        server.extra_args += ["--database", "mysql://user:secret@db.invalid/hutch"]
        with pytest.raises(RuntimeError, match="must be a postgresql:// URL or sqlite:PATH") as e:
            server.start()
        assert "secret" not in str(e.value)
        assert stray_mounts(server.data_dir) == []
