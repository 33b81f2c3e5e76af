"""A server killed at any step of a create leaves no sandbox whose policy is not what its record says.

Each test crashes its own server (pool off, or one warm sandbox) at a named point of the create path
(HUTCH_CRASH_AT, runtime/crashpoints.py), restarts it without the crash point and checks every sandbox
the API shows live: its recorded `denyOut` name does not resolve inside, an allowed name does (the
names come from the server's hosts file; no traffic leaves the machine). A sandbox that could not be
made whole must be gone, and a retry with the same Idempotency-Key must make a sandbox that works.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import kill_sandbox_processes, run, spare_server

from hutchd.runtime.crashpoints import ENV

HOSTS = "198.18.251.2 allowed.test\n198.18.251.3 denied.test\n"
POLICY = {"denyOut": ["denied.test"]}
# The steps of a cold create, in order (sandboxes.py, runtime.py).
COLD_POINTS = ["create:recorded", "start:launched", "start:slirp", "start:ready", "create:booted", "create:network"]


@pytest.fixture(scope="module")
def crash_server(hutch_server: Any) -> Iterator[Any]:
    with spare_server(hutch_server, hosts=HOSTS) as server:
        yield server


@pytest.fixture
def server(crash_server: Any) -> Iterator[Any]:
    """The crash server, emptied after each test (whatever it failed on)."""
    yield crash_server
    crash_server.pool_size = 0
    if crash_server.proc is not None and crash_server.proc.poll() is None:
        crash_server.kill_all()


def _crash_at(server: Any, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """(Re)start the server so that it kills itself on reaching `point`."""
    server.stop()
    monkeypatch.setenv(ENV, point)
    try:
        server.start()
    except RuntimeError:
        if server.proc.poll() != -9:  # it may reach the point (warming the pool) before it answers
            raise
    monkeypatch.delenv(ENV)


def _restart_after_crash(server: Any) -> None:
    assert server.proc is not None
    assert server.proc.wait(timeout=60) == -9, "the server did not die at its crash point"
    server.start()


def _assert_enforced(http: httpx.Client, sandbox: dict[str, Any]) -> None:
    """The sandbox resolves what its recorded policy allows and nothing it denies."""
    sid = sandbox["sandboxID"]
    denied = sandbox["network"]["denyOut"]
    for name in [*denied, "allowed.test"]:
        r = run(http, sid, f"getent hosts {name}", timeout=30)
        if name in denied:
            assert r["exitCode"] != 0, f"{sid} resolves {name}, which its record denies: {r['stdout']!r}"
        else:
            assert r["exitCode"] == 0 and "198.18.251.2" in r["stdout"], f"{sid} has no working resolver: {r}"
    # a UDP connect sends nothing; without a network interface there is no route and it fails
    route = run(http, sid, "python3 -c \"import socket; socket.socket(2, 2).connect(('198.18.251.2', 80))\"")
    assert route["exitCode"] == 0, f"{sid} has no network interface: {route['stderr']}"


def _live(http: httpx.Client) -> list[dict[str, Any]]:
    r = http.get("/sandboxes", params={"state": ["running", "paused", "starting"], "limit": 100})
    assert r.status_code == 200, r.text
    return [http.get(f"/sandboxes/{s['sandboxID']}").json() for s in r.json()["sandboxes"]]


def _on_disk(server: Any) -> set[str]:
    return {d.name for d in (Path(server.data_dir) / "sandboxes").iterdir()}


def _check_after_restart(server: Any, key: str) -> None:
    with server.http() as http:
        live = _live(http)
        for sandbox in live:
            assert sandbox["state"] == "running", sandbox
            _assert_enforced(http, sandbox)
        if server.pool_size == 0:
            assert _on_disk(server) <= {s["sandboxID"] for s in live}, "a sandbox runs that the API does not show"
        retry = http.post("/sandboxes", json={"timeout": 600, "network": POLICY}, headers={"Idempotency-Key": key})
        assert retry.status_code in (200, 201), retry.text
        assert retry.json()["state"] == "running"
        _assert_enforced(http, retry.json())
    server.kill_all()


@pytest.mark.parametrize("point", COLD_POINTS)
def test_a_crash_during_a_cold_create(server: Any, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"crash-{point}-{time.monotonic_ns()}"
    _crash_at(server, point, monkeypatch)
    with server.http() as http, pytest.raises(httpx.TransportError):
        http.post("/sandboxes", json={"timeout": 600, "network": POLICY}, headers={"Idempotency-Key": key})
    _restart_after_crash(server)
    _check_after_restart(server, key)


def test_a_crash_while_fitting_a_pooled_sandbox(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"crash-fit-{time.monotonic_ns()}"
    server.pool_size = 1
    _crash_at(server, "create:fitting", monkeypatch)
    with server.http() as http:
        deadline = time.monotonic() + 60
        while True:  # until a create finds the pooled sandbox ready (and so crashes fitting it)
            assert time.monotonic() < deadline, "no create was served from the warm pool"
            try:
                r = http.post("/sandboxes", json={"timeout": 600, "network": POLICY})
            except httpx.TransportError:
                break
            assert r.status_code == 201, r.text
            http.delete(f"/sandboxes/{r.json()['sandboxID']}")
            time.sleep(0.5)
    _restart_after_crash(server)
    _check_after_restart(server, key)


def test_a_crash_while_warming_the_pool(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm pool's sandbox was half made (its network up, its agent just answering) when the server died."""
    server.pool_size = 1
    _crash_at(server, "start:ready", monkeypatch)
    _restart_after_crash(server)  # no request needed: warming the pool reaches the point
    with server.http() as http:
        r = http.post("/sandboxes", json={"timeout": 600})
        assert r.status_code == 201, r.text
        _assert_enforced(http, r.json())
    _check_after_restart(server, f"crash-warm-{time.monotonic_ns()}")


def test_a_half_made_sandbox_does_not_lose_another_sandboxs_record(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11's 404: the server died while the warm pool was making a disk (refilling it right after
    a create took the pooled sandbox), a user's sandbox died while it was down; the restart must still
    record the user's sandbox as killed, with its files as a snapshot to restore from."""
    server.stop()
    server.start()
    with server.http() as http:
        r = http.post("/sandboxes", json={"timeout": 600})
        assert r.status_code == 201, r.text
        sid = r.json()["sandboxID"]
        assert run(http, sid, "echo survived > /home/user/s.txt")["exitCode"] == 0
    server.pool_size = 1
    _crash_at(server, "start:disk-copied", monkeypatch)
    assert server.proc is not None and server.proc.wait(timeout=60) == -9
    kill_sandbox_processes(sid)
    server.start()
    with server.http() as http:
        got = http.get(f"/sandboxes/{sid}")
        assert got.status_code == 200 and got.json()["state"] == "killed", got.text
        assert len(http.get(f"/sandboxes/{sid}/snapshots").json()) == 1
        restored = http.post(f"/sandboxes/{sid}/restore", json={}).json()
        assert run(http, restored["sandboxID"], "cat /home/user/s.txt")["stdout"] == "survived\n"


def test_a_crash_between_a_snapshot_and_its_record(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime took the snapshot, with its sandbox's egress-proxy state (secrets, CA key) kept beside
    it in proxy-state/, and the server died before recording it: no API can name or delete it, so the
    restart removes both."""
    _crash_at(server, "snapshot:taken", monkeypatch)
    data = Path(server.data_dir)
    with server.http() as http:
        r = http.post("/sandboxes", json={"timeout": 600, "secure": True, "security": {"audit": {"enabled": True}}})
        assert r.status_code == 201, r.text
        with pytest.raises(httpx.TransportError):
            http.post(f"/sandboxes/{r.json()['sandboxID']}/snapshots", json={})
    orphan = [d.name for d in (data / "proxy-state").iterdir()]
    assert len(orphan) == 1 and (data / "snapshots" / orphan[0] / "meta.json").is_file()
    _restart_after_crash(server)
    assert list((data / "proxy-state").iterdir()) == []
    assert not (data / "snapshots" / orphan[0]).exists()
    with server.http() as http:  # a snapshot that was recorded survives the next restart
        sid = http.get("/sandboxes", params={"state": ["running"]}).json()["sandboxes"][0]["sandboxID"]
        r = http.post(f"/sandboxes/{sid}/snapshots", json={})
        assert r.status_code == 201, r.text
    server.stop()
    server.start()
    assert [d.name for d in (data / "proxy-state").iterdir()] == [r.json()["snapshotID"]]
    server.kill_all()
