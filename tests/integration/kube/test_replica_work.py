"""Replicas of `hutch serve --backend kubernetes` sharing one data dir (so one owner) and one PostgreSQL:
each process registers its own replica ID with a heartbeat (store/replica.py), so a replica that
starts leaves another's create in flight and warm pods alone, two replicas' warm pools never hand out
one pod, and a replica killed mid-create has its half-made sandbox and its build steps' pods cleaned
up by a survivor, once.

The in-flight create is held on purpose, not by timing: its template's ready check waits for a file of
a volume that the test writes through another sandbox only after the new replica has started."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from kubernetes_asyncio import client, config
from test_kubernetes_backend import _replica
from test_recovery import boot_work_pod, remove_pods

from hutchd.backends.kubernetes.manifests import LABEL_SANDBOX
from hutchd.runtime.crashpoints import ENV as CRASH_AT

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql")]

FAST = ("--replica-heartbeat", "2")  # dead after 8 s of silence: a survivor cleans up within seconds


@pytest.fixture(scope="module")
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


def _wait(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        time.sleep(0.1)
    return result


def _warm(c: httpx.Client) -> int:
    """How many warm `base` pods the replica that `c` reaches holds ready (booted, not just recorded)."""
    return int(c.get("/templates/base").json()["warmSandboxes"])


def _pooled(server: Any) -> dict[str, str]:
    """Pooled sandbox ID -> the replica process keeping it."""
    return dict(server.query("SELECT id, replica FROM sandboxes WHERE state = 'pooled'"))


def _sandbox_pods(server: Any, sandbox_id: str) -> list[str]:
    async def names() -> list[str]:
        cfg = client.Configuration()
        await config.load_kube_config(config_file=server.kubeconfig, client_configuration=cfg)
        async with client.ApiClient(cfg) as api:
            pods = await client.CoreV1Api(api).list_namespaced_pod(server.kube_namespace)
        return [p.metadata.name for p in pods.items if (p.metadata.labels or {}).get(LABEL_SANDBOX) == sandbox_id]

    return asyncio.run(names())


def _made(r: httpx.Response) -> str:
    assert r.status_code == 201, r.text
    return str(r.json()["sandboxID"])


def _creates(clients: list[httpx.Client]) -> list[str]:
    """One create through each client, all at once; the sandboxes' IDs."""
    start = threading.Barrier(len(clients))
    results: list[httpx.Response] = []

    def one(c: httpx.Client) -> None:
        start.wait()
        results.append(c.post("/sandboxes", json={"timeout": 120}))

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [_made(r) for r in results]


def test_a_starting_replica_leaves_a_live_replicas_create_and_warm_pods_alone(hutch_server, http) -> None:
    tag = secrets.token_hex(4)
    r = http.post("/volumes", json={"name": f"gate-{tag}", "sizeMB": 64})
    assert r.status_code == 201, r.text
    volume = r.json()["volumeID"]
    build = http.post("/templates", json={"alias": f"gated-{tag}", "readyCmd": "test -f /gate/go"}).json()
    path = f"/templates/{build['templateID']}/builds/{build['buildID']}"
    assert _wait(lambda: http.get(path).json()["status"] != "building", "the build") and (
        http.get(path).json()["status"] == "ready"
    )
    made: list[str] = []
    try:
        with _replica(hutch_server, *FAST, "--pool-size", "2", name="warm") as warm, warm.http() as on_warm:
            _wait(lambda: _warm(on_warm) == 2, "two warm pods")
            warm_pods = _pooled(hutch_server)
            assert len(set(warm_pods.values())) == 1  # all of the warm replica's process
            gated: list[httpx.Response] = []
            body = {"templateID": f"gated-{tag}", "volumeMounts": [{"name": volume, "path": "/gate"}], "timeout": 120}
            creating = threading.Thread(target=lambda: gated.append(http.post("/sandboxes", json=body)))
            creating.start()
            starting = _wait(
                lambda: hutch_server.query("SELECT id FROM sandboxes WHERE template_id = ?", build["templateID"]),
                "the gated create's row",
            )
            (sid,) = (row[0] for row in starting)
            _wait(lambda: _sandbox_pods(hutch_server, sid), "the gated create's pod")
            with _replica(hutch_server, *FAST, "--pool-size", "2", name="new") as new, new.http() as on_new:
                # the new replica recovered and warms its own pool; the others' work is untouched
                _wait(lambda: _warm(on_new) == 2, "the new replica's warm pods")
                assert _warm(on_warm) == 2
                assert http.get(f"/sandboxes/{sid}").json()["state"] == "starting"
                assert _sandbox_pods(hutch_server, sid)
                now_pooled = _pooled(hutch_server)
                assert {k: now_pooled[k] for k in warm_pods} == warm_pods
                writer = _made(http.post("/sandboxes", json={**body, "templateID": "base"}))
                made.append(writer)
                r = http.post(f"/sandboxes/{writer}/commands", json={"cmd": "touch /gate/go"})
                assert r.status_code == 201, r.text
                creating.join(timeout=120)
                assert _made(gated[0]) == sid
                made.append(sid)
                assert on_new.get(f"/sandboxes/{sid}").json()["state"] == "running"
                # both warm pools at once, each create through its own replica: every pod handed out once
                served = _creates([on_warm, on_new, on_warm, on_new])
                made += served
                assert len(set(served)) == 4
                assert set(served) <= set(now_pooled), "served by the warm pools"
    finally:
        for sid in made:
            http.delete(f"/sandboxes/{sid}")
        http.delete(f"/templates/{build['templateID']}")
        http.delete(f"/volumes/{volume}")


def test_a_replica_killed_mid_create_is_cleaned_up_by_a_survivor_once(
    hutch_server, http, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = {"replica-work": secrets.token_hex(4)}
    key = {"Idempotency-Key": "killed-mid-create-" + tag["replica-work"]}
    registered = {r for (r,) in hutch_server.query("SELECT id FROM replicas")}
    monkeypatch.setenv(CRASH_AT, "create:booted")  # killed (SIGKILL) once its pod runs, before it answers
    with _replica(hutch_server, *FAST, name="doomed") as doomed:
        monkeypatch.delenv(CRASH_AT)
        (process,) = {r for (r,) in hutch_server.query("SELECT id FROM replicas")} - registered
        work = asyncio.run(boot_work_pod(hutch_server, process))  # as a build step of that process
        with doomed.http() as on_doomed, pytest.raises(httpx.TransportError):
            on_doomed.post("/sandboxes", json={"timeout": 120, "metadata": tag}, headers=key)
        assert doomed.proc.wait(timeout=60) == -9
    try:
        ((sid, made_by),) = hutch_server.query(
            "SELECT id, replica FROM sandboxes WHERE metadata LIKE ? AND state = 'starting'",
            f"%{tag['replica-work']}%",
        )
        assert made_by == process and _sandbox_pods(hutch_server, sid), "the half-made sandbox's pod"
        # the session's server (heartbeat 5 s) judges the dead replica by the dead one's own interval
        _wait(lambda: http.get(f"/sandboxes/{sid}").status_code == 404, "the survivor's cleanup", timeout=60)
        _wait(lambda: not _sandbox_pods(hutch_server, sid), "the pod's deletion")
        _wait(lambda: not _sandbox_pods(hutch_server, work), "the deletion of its build step's pod")
    finally:
        asyncio.run(remove_pods(hutch_server, [work]))
    assert hutch_server.query("SELECT state FROM sandboxes WHERE id = ?", sid) == [("killed",)]
    assert hutch_server.log_tail(1 << 20).count(f"replica {process} is dead") == 1
    retried = _made(http.post("/sandboxes", json={"timeout": 120, "metadata": tag}, headers=key))
    try:
        assert retried != sid  # the key was freed: the retry made a new sandbox
    finally:
        http.delete(f"/sandboxes/{retried}")
