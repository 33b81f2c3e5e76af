"""The server the SDK suite's kubernetes pass runs on (`make test-sdk-kubernetes`): two replicas of
`hutch serve --backend kubernetes --database postgresql://...` sharing one data dir behind one address
that balances connections as a Service does (tests/balancer.py). This checks that both
replicas really answer for one sandbox, so a green suite there means a green suite on two replicas."""

from __future__ import annotations

import time
from typing import Any

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


def test_two_replicas_sample_each_sandbox_once_an_interval(hutch_server) -> None:
    """Both replicas run a sampler over the sandboxes they share; each sandbox's sample of an interval
    is claimed in the database by one of them: its rows are at most one an interval (`--sample-interval
    1`) over the span they cover, not two (one a replica), counted on the rows' own timestamps."""
    with hutch_server.http() as http:
        r = http.post("/sandboxes", json={"templateID": "base", "timeout": 300})
        assert r.status_code == 201, r.text
        sandbox_id = r.json()["sandboxID"]
        try:
            deadline = time.monotonic() + 60
            while len(stamps := _sample_times(hutch_server, sandbox_id)) < 10:
                assert time.monotonic() < deadline, f"only {len(stamps)} samples"
                time.sleep(0.5)
        finally:
            assert http.delete(f"/sandboxes/{sandbox_id}").status_code == 204
    intervals = (stamps[-1] - stamps[0]) / INTERVAL
    # a claim each interval at most; a row's time is its claim's plus the agent's answer time (< 1 s)
    assert len(stamps) <= intervals + 2, (len(stamps), intervals, stamps)


INTERVAL = 1.0  # the fixture's --sample-interval


def _sample_times(server: Any, sandbox_id: str) -> list[float]:
    rows = server.query("SELECT ts FROM metrics WHERE sandbox_id = ? ORDER BY ts", sandbox_id)
    return [float(ts) for (ts,) in rows]
