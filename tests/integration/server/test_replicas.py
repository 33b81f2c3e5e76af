"""Two `hutch serve` replicas sharing one PostgreSQL database (each with its own data dir, as two hosts
would have): what one records the other sees, idempotency keys and names hold across both, page tokens
work on either, a sandbox is reaped once (by the replica that runs it), a call for a sandbox
reaches its owner or gets a 409 naming it, and a replica killed mid-create has its create recorded
killed by the other (which cannot reach its host) and its sandbox removed by its own next start."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from server_helpers import run, spare_server, stray_processes, wait_for

from hutchd.runtime.crashpoints import ENV as CRASH_AT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def replicas(hutch_server, postgres) -> Iterator[tuple[Any, Any]]:
    """Replicas A and B on one fresh database (module-scoped: the servers are shared by this module's tests)."""
    url = postgres.new_database("replicas")
    with ExitStack() as stack:
        servers = [stack.enter_context(spare_server(hutch_server)) for _ in range(2)]
        for server in servers:
            server.extra_args += ["--database", url, "--replica-heartbeat", "2"]  # dead after 8 s
            server.api_key, server.api_key_b = servers[0].api_key, servers[0].api_key_b  # one tenant on both
        for server in servers:
            server.start()
        yield servers[0], servers[1]


@pytest.fixture(scope="module")
def a(replicas) -> Iterator[httpx.Client]:
    with replicas[0].http() as c:
        yield c


@pytest.fixture(scope="module")
def b(replicas) -> Iterator[httpx.Client]:
    with replicas[1].http() as c:
        yield c


def _create(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/sandboxes", json={"timeout": 300, **body})


def _at_once(a: httpx.Client, b: httpx.Client, send: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """`send` through both replicas at the same moment; the answers, A's first."""
    results: dict[int, httpx.Response] = {}
    start = threading.Barrier(2)

    def one(i: int, client: httpx.Client) -> None:
        start.wait()
        results[i] = send(client)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[0], results[1]]


def _kill(sid: str, *clients: httpx.Client) -> None:
    """Kill it on whichever replica owns it (the other answers 409)."""
    codes = []
    for c in clients:
        codes.append(c.delete(f"/sandboxes/{sid}").status_code)
        if codes[-1] == 204:
            break
    assert codes in ([204], [409, 204]), codes


def _made(r: httpx.Response) -> str:
    assert r.status_code == 201, r.text
    return str(r.json()["sandboxID"])


def test_a_sandbox_made_on_one_replica_is_seen_on_the_other(a, b):
    sid = _made(_create(a, metadata={"replicas": "seen"}))
    seen = b.get(f"/sandboxes/{sid}")
    assert seen.status_code == 200 and seen.json()["state"] == "running"
    assert sid in [
        s["sandboxID"] for s in b.get("/sandboxes", params={"metadata": "replicas=seen"}).json()["sandboxes"]
    ]
    # its processes are on A: B refuses to act on it and names the owner; A serves it
    refused = b.post(f"/sandboxes/{sid}/commands", json={"cmd": "true"})
    assert refused.status_code == 409 and "is on replica" in refused.json()["message"]
    owner = refused.headers["Hutch-Owner"]
    assert run(a, sid, "echo on-a")["stdout"] == "on-a\n"
    assert b.post(f"/sandboxes/{sid}/timeout", json={"timeout": 60}).headers.get("Hutch-Owner") == owner
    # killed on A: B's copy of the row goes stale within the notification's delay, then says so
    assert a.delete(f"/sandboxes/{sid}").status_code == 204
    wait_for(lambda: b.post(f"/sandboxes/{sid}/commands", json={"cmd": "true"}).status_code == 404, timeout=10)
    assert b.get(f"/sandboxes/{sid}").status_code == 404


def test_an_idempotent_create_retried_on_the_other_replica_makes_one_sandbox(a, b):
    key = {"Idempotency-Key": "replicas-" + secrets.token_hex(4)}
    results: list[httpx.Response] = []
    start = threading.Barrier(4)  # at once, so that both replicas' inserts race (the constraint decides)

    def create(client: httpx.Client) -> None:
        start.wait()
        results.append(client.post("/sandboxes", json={"timeout": 300, "metadata": {"replicas": "idem"}}, headers=key))

    threads = [threading.Thread(target=create, args=(c,)) for c in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {_made(r) for r in results}
    assert len(ids) == 1
    retried = [c.post("/sandboxes", json={"timeout": 300}, headers=key) for c in (a, b)]
    assert {_made(r) for r in retried} == ids
    listed = b.get("/sandboxes", params={"metadata": "replicas=idem"}).json()["sandboxes"]
    assert [s["sandboxID"] for s in listed] == list(ids)
    _kill(ids.pop(), a, b)


def test_a_name_is_taken_once_across_replicas(a, b):
    name = "replica-" + secrets.token_hex(3)
    results = _at_once(a, b, lambda client: _create(client, name=name))
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    (made,) = [r for r in results if r.status_code == 201]
    (refused,) = [r for r in results if r.status_code == 409]
    assert f"a sandbox named {name} already exists" in refused.json()["message"]
    for client in (a, b):  # sequentially too, whichever replica is asked
        assert _create(client, name=name).status_code == 409
    _kill(made.json()["sandboxID"], a, b)
    again = _made(_create(b, name=name))  # free again once killed, on either replica
    assert b.delete(f"/sandboxes/{again}").status_code == 204


def test_a_page_token_from_one_replica_works_on_the_other(a, b):
    tag = {"metadata": {"replicas": "pages"}}
    made = [_made(_create(c, **tag)) for c in (a, b, a)]
    seen: list[str] = []
    token = None
    for client in (b, a, b, a):
        params: dict[str, Any] = {"limit": 1, "metadata": "replicas=pages"}
        if token:
            params["nextToken"] = token
        page = client.get("/sandboxes", params=params).json()
        seen += [s["sandboxID"] for s in page["sandboxes"]]
        token = page["nextToken"]
        if token is None:
            break
    assert seen == made[::-1]  # newest first, each once, across both replicas' pages
    for sid, client in zip(made, (a, b, a), strict=True):
        assert client.delete(f"/sandboxes/{sid}").status_code == 204


def test_a_sandbox_past_its_deadline_is_reaped_once(replicas, a, b):
    sid = _made(_create(a, timeout=2))
    wait_for(lambda: b.get(f"/sandboxes/{sid}").status_code == 404, timeout=30, what="the reaper")
    kills = [len(re.findall(rf"sandbox {sid} reached its deadline: killing", s.log_tail(1 << 20))) for s in replicas]
    assert kills == [1, 0]


def test_builds_of_one_new_alias_on_both_replicas_build_one_template(a, b):
    """Both replicas look the alias up, find none, and insert a template: the unique alias lets one in,
    and the other's build is then of that template (it was a 500 before). Several rounds, each started
    on both at once, for the race to happen."""
    for _ in range(6):
        body = {"alias": "concurrent-" + secrets.token_hex(3), "fromTemplate": "base"}
        results = _at_once(a, b, lambda client, body=body: client.post("/templates", json=body))
        assert [r.status_code for r in results] == [202, 202], [r.text for r in results]
        (template_id,) = {r.json()["templateID"] for r in results}
        for r in results:  # each build ends (its status is in the database: either replica answers)
            path = f"/templates/{template_id}/builds/{r.json()['buildID']}"
            wait_for(lambda path=path: a.get(path).json()["status"] != "building", timeout=120, what=path)
        assert a.delete(f"/templates/{template_id}").status_code == 204


def test_a_replica_killed_mid_create_is_recorded_by_the_other_and_cleaned_up_by_its_own_restart(
    replicas, a, b, monkeypatch: pytest.MonkeyPatch
):
    """Last: it restarts A. B frees the create's Idempotency-Key within seconds of A's death, and A's
    next start (its own host) removes the sandbox's processes and files."""
    first, _ = replicas
    tag = secrets.token_hex(4)
    key = {"Idempotency-Key": "killed-" + tag}
    first.stop()
    monkeypatch.setenv(CRASH_AT, "create:booted")  # SIGKILL once the sandbox runs, before it answers
    first.start()
    monkeypatch.delenv(CRASH_AT)
    with pytest.raises(httpx.TransportError):
        a.post("/sandboxes", json={"timeout": 300, "metadata": {"killed": tag}}, headers=key)
    assert first.proc.wait(timeout=60) == -9
    ((sid, process),) = first.query("SELECT id, replica FROM sandboxes WHERE metadata LIKE ?", f"%{tag}%")
    wait_for(lambda: b.get(f"/sandboxes/{sid}").status_code == 404, timeout=60, what="B's cleanup")
    assert first.query("SELECT state FROM sandboxes WHERE id = ?", sid) == [("killed",)]
    assert replicas[1].log_tail(1 << 20).count(f"replica {process} is dead") == 1
    assert (first.data_dir / "sandboxes" / sid).exists(), "B cannot reach A's host: the sandbox is still there"
    retried = _made(b.post("/sandboxes", json={"timeout": 300}, headers=key))
    assert retried != sid  # the key was freed
    assert b.delete(f"/sandboxes/{retried}").status_code == 204
    first.start()
    assert not any(sid in p for p in stray_processes(first.data_dir))
    assert not (first.data_dir / "sandboxes" / sid).exists()
