"""Disk admission (issue 11, defect 2): a sandbox disk the host cannot hold is refused with 507 in the
Error shape, naming the limit and the free space, and nothing is made; what fits is made; the
reserve and the overcommit ratio (flags and env vars of `hutch serve`) change the answer, and the
disks already promised to live sandboxes (paused ones too) count.

The server is restarted with the flags under test and without a warm pool (so nothing else makes
sandbox dirs meanwhile); sizes are derived from the free space measured just before, with margins of
a gigabyte against other writers on the machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from server_helpers import run, spare_server

from hutch import Sandbox
from hutch.exceptions import NotEnoughSpaceException

pytestmark = pytest.mark.integration

Restart = Callable[..., None]


def _free_mb(data_dir: Path) -> int:
    st = os.statvfs(data_dir / "sandboxes")
    return (st.f_bavail * st.f_frsize) >> 20


def _sandbox_dirs(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "sandboxes").iterdir()}


def _live_ids(http: httpx.Client) -> set[str]:
    r = http.get("/sandboxes", params={"state": ["running", "paused"], "limit": 1000})
    assert r.status_code == 200, r.text
    return {s["sandboxID"] for s in r.json()["sandboxes"]}


@pytest.fixture(scope="module")
def hutch_server(hutch_server):
    """A server of this module's own (the session's, overridden): the disks that other modules' live
    sandboxes hold would count in the budget these tests measure, and a module-scoped sandbox lives on
    while pytest runs the session's backends in turn."""
    with spare_server(hutch_server) as server:
        server.start()
        yield server


@pytest.fixture
def restart(hutch_server, monkeypatch) -> Iterator[Restart]:
    """restart(*flags, env={...}): the shared server again, without a pool, with these flags."""
    saved = list(hutch_server.extra_args)

    def go(*flags: str, env: dict[str, str] | None = None) -> None:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        hutch_server.extra_args = [*saved, "--pool-size", "0", *flags]
        hutch_server.restart(crash=False)

    yield go
    monkeypatch.delenv("HUTCH_DISK_OVERCOMMIT", raising=False)
    monkeypatch.delenv("HUTCH_DISK_RESERVE_MB", raising=False)
    hutch_server.extra_args = saved
    hutch_server.restart(crash=False)


def _refused(http: httpx.Client, data_dir: Path, disk_mb: int) -> str:
    """POST a create that must be refused; nothing may appear. Returns the message."""
    live, dirs = _live_ids(http), _sandbox_dirs(data_dir)
    r = http.post("/sandboxes", json={"timeout": 120, "resources": {"diskMB": disk_mb}})
    assert r.status_code == 507, r.text
    body = r.json()
    assert body["code"] == 507 and f"diskMB {disk_mb}" in body["message"], body
    assert _live_ids(http) == live
    assert _sandbox_dirs(data_dir) == dirs
    return str(body["message"])


def _made(http: httpx.Client, disk_mb: int) -> str:
    r = http.post("/sandboxes", json={"timeout": 120, "resources": {"diskMB": disk_mb}})
    assert r.status_code == 201, r.text
    return str(r.json()["sandboxID"])


def test_a_disk_the_host_cannot_hold_is_refused_and_nothing_is_made(hutch_server, restart, http):
    restart()
    free = _free_mb(hutch_server.data_dir)
    if free + 4096 <= 1048576:  # the request: 1 TB on a host with less free
        message = _refused(http, hutch_server.data_dir, 1048576)
    else:  # a host with more than 1 TB free: make it look small with the reserve instead
        restart("--disk-reserve-mb", str(free - 4096))
        message = _refused(http, hutch_server.data_dir, 8192)
    assert "MB free" in message and "reserve" in message, message
    # The SDK's exception for 507, as E2B's NotEnoughSpaceException.
    with pytest.raises(NotEnoughSpaceException, match="MB free"):
        Sandbox.create(
            resources={"disk_mb": 1048576 if free + 4096 <= 1048576 else 8192},
            api_key=hutch_server.api_key,
            domain=hutch_server.domain,
        )
    assert _live_ids(http) == set()


def test_a_disk_within_the_limit_is_made_with_that_size(hutch_server, restart, http):
    restart()
    sid = _made(http, 4096)
    try:
        out = run(http, sid, "df -m --output=size / | tail -1")
        assert out["exitCode"] == 0, out
        assert 3900 <= int(out["stdout"].strip()) <= 4300, out
    finally:
        http.delete(f"/sandboxes/{sid}")


def test_the_reserve_changes_the_answer(hutch_server, restart, http):
    restart()
    sid = _made(http, 4096)  # fits under the default reserve
    http.delete(f"/sandboxes/{sid}")
    restart("--disk-reserve-mb", str(_free_mb(hutch_server.data_dir) - 3072))
    message = _refused(http, hutch_server.data_dir, 4096)
    assert "--disk-reserve-mb" in message, message
    sid = _made(http, 1024)  # still fits: 3 GB are promisable
    http.delete(f"/sandboxes/{sid}")


def test_the_overcommit_ratio_and_live_promises_change_the_answer(hutch_server, restart, http):
    """A budget of about 3 GB (overcommit set by env var): a paused 2 GB sandbox leaves room for
    512 MB, not for another 2 GB; alone, 2 GB fit."""
    restart()
    first = _made(http, 2048)
    try:
        assert http.post(f"/sandboxes/{first}/pause").status_code == 200
        ratio = 3072 / (_free_mb(hutch_server.data_dir) - 1024)
        restart(env={"HUTCH_DISK_OVERCOMMIT": f"{ratio:.6f}"})
        message = _refused(http, hutch_server.data_dir, 2048)
        assert "--disk-overcommit" in message and "2048 MB" in message, message
        small = _made(http, 512)
        http.delete(f"/sandboxes/{small}")
    finally:
        http.delete(f"/sandboxes/{first}")
    sid = _made(http, 2048)  # the paused one's promise is gone with it
    http.delete(f"/sandboxes/{sid}")


def test_a_restore_the_host_cannot_hold_is_refused(hutch_server, restart, http):
    restart()
    sid = _made(http, 4096)
    r = http.post(f"/sandboxes/{sid}/snapshots", json={})
    assert r.status_code == 201, r.text
    snapshot = r.json()["snapshotID"]
    http.delete(f"/sandboxes/{sid}")
    try:
        restart("--disk-reserve-mb", str(_free_mb(hutch_server.data_dir) - 3072))
        live = _live_ids(http)
        r = http.post(f"/sandboxes/{sid}/restore", json={"snapshotID": snapshot})
        assert r.status_code == 507, r.text
        assert "diskMB 4096" in r.json()["message"]
        assert _live_ids(http) == live
    finally:
        http.delete(f"/snapshots/{snapshot}")


def test_volumes_count_as_promised_for_as_long_as_they_exist(hutch_server, restart, http):
    """A budget of about 3 GB: a 2 GB volume leaves no room for a 2 GB sandbox or another such volume."""
    restart(env={"HUTCH_DISK_OVERCOMMIT": f"{3072 / (_free_mb(hutch_server.data_dir) - 1024):.6f}"})
    vol = http.post("/volumes", json={"name": "admission", "sizeMB": 2048})
    assert vol.status_code == 201, vol.text
    try:
        assert "volumes" in _refused(http, hutch_server.data_dir, 2048)
        r = http.post("/volumes", json={"name": "admission-2", "sizeMB": 2048})
        assert r.status_code == 507 and "sizeMB 2048" in r.json()["message"], r.text
        assert [v["name"] for v in http.get("/volumes").json()] == ["admission"]
    finally:
        assert http.delete(f"/volumes/{vol.json()['volumeID']}").status_code == 204
    sid = _made(http, 2048)  # the volume's promise is gone with it
    http.delete(f"/sandboxes/{sid}")


def test_a_create_takes_back_the_warm_pools_disks(hutch_server, restart, http):
    """A budget of about 5 GB with a warm sandbox of `base` (2 GB) in it: a 4 GB create fits only
    without it, so the pool is emptied for the create (warm sandboxes hold no one's data)."""
    restart("--pool-size", "1", env={"HUTCH_DISK_OVERCOMMIT": f"{5120 / (_free_mb(hutch_server.data_dir) - 1024):.6f}"})
    deadline = time.monotonic() + 60
    while http.get("/templates/base").json()["warmSandboxes"] < 1:
        assert time.monotonic() < deadline, "the pool did not fill"
        time.sleep(0.2)
    sid = _made(http, 4096)
    try:
        assert http.get("/templates/base").json()["warmSandboxes"] == 0
        assert "4096 MB" in _refused(http, hutch_server.data_dir, 2048), "no pool left to take from"
    finally:
        http.delete(f"/sandboxes/{sid}")
