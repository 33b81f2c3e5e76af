"""Where the data dir may be, and what a clean stop leaves of it on the host."""

from __future__ import annotations

from typing import Any

from server_helpers import run, spare_server, stray_mounts

from hutchd.runtime import cgroups
from hutchd.runtime.layout import Layout


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
