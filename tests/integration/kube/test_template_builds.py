"""Template builds on the kubernetes backend, across two replicas sharing the database, the data dir
and the cluster (the SDK's template tests in tests/integration/sdk run on this backend too): a build
taken by one replica is seen by the other (status, stored log, a create from it), its layers are the
image plus archives of every change since, a deleted file stays deleted, a rebuild through the other
replica repoints the template, and a delete there leaves no layer of it behind."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from test_kubernetes_backend import _replica

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql")]


def _build(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = http.post("/templates", json=body)
    assert r.status_code == 202, r.text
    ids = r.json()
    deadline = time.monotonic() + 300
    path = f"/templates/{ids['templateID']}/builds/{ids['buildID']}"
    while (status := http.get(path).json())["status"] == "building":
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == "ready", status
    return {**ids, "logs": [e["message"] for e in status["logEntries"]]}


def _run(http: httpx.Client, sid: str, cmd: str) -> str:
    r = http.post(f"/sandboxes/{sid}/commands", json={"cmd": cmd})
    assert r.status_code == 201, r.text
    with http.stream("GET", f"/sandboxes/{sid}/commands/{r.json()['pid']}/output") as out:
        return "".join(json.loads(line).get("data", "") for line in out.iter_lines() if line)


def _chain(server: Any, template_id: str) -> list[str]:
    """The template and the layers under it, as the data dir records them."""
    chain: list[str] = []
    tid: str | None = template_id
    while tid:
        chain.append(tid)
        tid = json.loads((server.data_dir / "templates" / tid / "meta.json").read_text()).get("parent")
    return chain


def _steps(version: str) -> list[dict[str, Any]]:
    return [
        {"type": "run", "cmd": f"echo {version} > /opt/version && rm /etc/debian_version", "user": "root"},
        {"type": "env", "envs": {"VERSION": version}},
        {"type": "run", "cmd": "rm -r /usr/share/doc/bash && echo second >> /opt/version", "user": "root"},
    ]


def test_a_build_taken_by_one_replica_is_the_others_too(hutch_server) -> None:
    alias = f"replicated-{uuid.uuid4().hex[:8]}"
    with hutch_server.http() as http, _replica(hutch_server) as other_server, other_server.http() as other:
        built = _build(http, {"alias": alias, "fromTemplate": "base", "steps": _steps("v1")})
        template_id = built["templateID"]
        chain = _chain(hutch_server, template_id)
        assert chain[0] == template_id and len(chain) == 3 and all(c.startswith("tpl-lyr-") for c in chain[1:])
        status = other.get(f"/templates/{template_id}/builds/{built['buildID']}").json()
        assert status["status"] == "ready" and [e["message"] for e in status["logEntries"]] == built["logs"]

        r = other.post("/sandboxes", json={"templateID": alias, "timeout": 120})
        assert r.status_code == 201, r.text
        sid = r.json()["sandboxID"]
        try:
            out = _run(other, sid, "cat /opt/version; echo $VERSION; ls /etc/debian_version /usr/share/doc/bash; true")
            assert out.splitlines()[:3] == ["v1", "second", "v1"], out
            assert "No such file" in out and out.count("No such file") == 2, "deleted files stay deleted"
        finally:
            other.delete(f"/sandboxes/{sid}")

        again = _build(other, {"alias": alias, "fromTemplate": "base", "steps": _steps("v2")})
        assert again["templateID"] == template_id
        r = http.post("/sandboxes", json={"templateID": alias, "timeout": 120})
        assert r.status_code == 201, r.text
        sid = r.json()["sandboxID"]
        try:
            assert _run(http, sid, "cat /opt/version; echo $VERSION").splitlines() == ["v2", "second", "v2"]
        finally:
            http.delete(f"/sandboxes/{sid}")
        layers = set(_chain(hutch_server, template_id)[1:]) | set(chain[1:])

        assert other.delete(f"/templates/{alias}").status_code == 204
        assert http.get(f"/templates/{alias}").status_code == 404
        left = {p.name for p in (hutch_server.data_dir / "templates").iterdir()}
        assert not left & (layers | {template_id}), "the template and its layers went with it"
