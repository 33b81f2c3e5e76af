"""The server the SDK suite's kubernetes pass runs on (`make test-sdk-kubernetes`): two replicas of
`hutch serve --backend kubernetes --database postgresql://...` sharing one data dir behind one address
that balances connections as a Service does (tests/balancer.py). This checks that both
replicas really answer for one sandbox, so a green suite there means a green suite on two replicas."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql+replicas")]


def test_both_replicas_answer_for_one_sandbox_behind_one_address(hutch_server) -> None:
    with hutch_server.http() as http:
        r = http.post("/sandboxes", json={"templateID": "base", "timeout": 300})
        assert r.status_code == 201, r.text
        sandbox_id = r.json()["sandboxID"]
    try:
        for i in range(4):  # a client each: a connection each, so each goes to the next replica
            with hutch_server.http() as http:
                r = http.put(f"/sandboxes/{sandbox_id}/files", params={"path": f"/tmp/{i}"}, content=str(i))
                assert r.status_code == 200, r.text
        with hutch_server.http() as http:
            listed = http.get(f"/sandboxes/{sandbox_id}/files/list", params={"path": "/tmp"})
            assert listed.status_code == 200, listed.text
            assert {"0", "1", "2", "3"} <= {entry["name"] for entry in listed.json()}
    finally:
        with hutch_server.http() as http:
            assert http.delete(f"/sandboxes/{sandbox_id}").status_code == 204
    for replica in hutch_server.replicas:  # each replica's own access log shows it wrote to the sandbox
        log = replica.log_path.read_text()
        assert f"method=PUT path=/sandboxes/{sandbox_id}/files " in log, replica.log_path
    for replica in hutch_server.replicas:  # and both know it is gone
        with httpx.Client(base_url=replica.base_url, headers={"X-API-Key": hutch_server.api_key}) as direct:
            assert direct.get(f"/sandboxes/{sandbox_id}").status_code == 404
