"""Fixtures for the server's integration tests: generated clients for both tenants and a factory
that creates sandboxes through the API and kills them after the test."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hutch_api import AuthenticatedClient
from hutch_api.api.sandboxes import create_sandbox
from hutch_api.models import NewSandbox, SandboxDetail

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def api(hutch_server) -> Iterator[AuthenticatedClient]:
    with hutch_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def api_b(hutch_server) -> Iterator[AuthenticatedClient]:
    with hutch_server.client(hutch_server.api_key_b) as c:
        yield c


@pytest.fixture
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


@pytest.fixture
def make_sandbox(hutch_server, api) -> Iterator[Callable[..., SandboxDetail]]:
    made: list[str] = []

    def make(client: AuthenticatedClient | None = None, **fields: Any) -> SandboxDetail:
        body = NewSandbox.from_dict({"timeout": 600, **fields})
        r = create_sandbox.sync_detailed(client=client or api, body=body)
        assert r.status_code == 201, r.content
        assert isinstance(r.parsed, SandboxDetail)
        made.append(r.parsed.sandbox_id)
        return r.parsed

    yield make
    with hutch_server.http() as a, hutch_server.http(hutch_server.api_key_b) as b:
        for sid in made:
            for c in (a, b):
                c.delete(f"/sandboxes/{sid}")


def run(http: httpx.Client, sandbox_id: str, cmd: str, timeout: float = 60.0, **extra: Any) -> dict[str, Any]:
    """Start a command, follow its output to the end; {'pid', 'stdout', 'stderr', 'exitCode', 'events'}."""
    r = http.post(f"/sandboxes/{sandbox_id}/commands", json={"cmd": cmd, **extra})
    assert r.status_code == 201, r.text
    pid = r.json()["pid"]
    return {"pid": pid, **follow(http, sandbox_id, pid, timeout=timeout)}


def follow(http: httpx.Client, sandbox_id: str, pid: int, offset: int = 0, timeout: float = 60.0) -> dict[str, Any]:
    out: dict[str, Any] = {"stdout": "", "stderr": "", "exitCode": None, "events": []}
    deadline = time.monotonic() + timeout
    with http.stream("GET", f"/sandboxes/{sandbox_id}/commands/{pid}/output", params={"offset": offset}) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            if not line:
                continue
            ev = json.loads(line)
            out["events"].append(ev)
            if ev["type"] in ("stdout", "stderr"):
                out[ev["type"]] += ev["data"]
            elif ev["type"] == "exit":
                out["exitCode"] = ev["exitCode"]
            assert time.monotonic() < deadline, "command output did not end in time"
    return out


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
