"""The operations issue 12 adds for E2B's and hopx's lifecycle names, against a real server:
what they do, and what hostile input gets (the Error shape, a 4xx, nothing left behind)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_metrics_snapshot_is_sampled_now(make_sandbox, http, hutch_server):
    sbx = make_sandbox()
    r = http.get(f"/sandboxes/{sbx.sandbox_id}/metrics/current")
    assert r.status_code == 200, r.text
    sample = r.json()
    assert sample["memTotalMB"] > 0 and sample["memUsedMB"] > 0 and sample["cpuCount"] == sbx.cpu_count
    assert sample["memTotal"] == sbx.memory_mb << 20 and sample["diskTotal"] == sbx.disk_mb << 20
    assert 0 <= sample["memCache"] <= sample["memUsed"] and abs(sample["memUsed"] / 2**20 - sample["memUsedMB"]) < 0.01
    stored = http.get(f"/sandboxes/{sbx.sandbox_id}/metrics").json()
    assert sample["timestamp"] not in [s["timestamp"] for s in stored]  # not stored: taken for this request
    with hutch_server.http(hutch_server.api_key_b) as other:  # another tenant's sandbox does not exist
        assert other.get(f"/sandboxes/{sbx.sandbox_id}/metrics/current").status_code == 404
    http.delete(f"/sandboxes/{sbx.sandbox_id}")
    gone = http.get(f"/sandboxes/{sbx.sandbox_id}/metrics/current")
    assert gone.status_code == 404 and set(gone.json()) == {"code", "message"}


def test_refresh_traffic_token_retires_the_old_one(make_sandbox, http, hutch_server):
    sbx = make_sandbox(network={"allowPublicTraffic": False})
    old = sbx.traffic_access_token
    assert old
    port = 8000
    url = f"{hutch_server.base_url}/sandboxes/{sbx.sandbox_id}/ports/{port}/"
    r = http.post(f"/sandboxes/{sbx.sandbox_id}/traffic-token")
    assert r.status_code == 200, r.text
    new = r.json()["trafficAccessToken"]
    assert new and new != old
    assert http.get(f"/sandboxes/{sbx.sandbox_id}").json()["trafficAccessToken"] == new
    import httpx

    with httpx.Client(timeout=30) as anon:  # no API key: only the token admits
        assert anon.get(url, headers={"X-Hutch-Traffic-Token": old}).status_code == 401
        assert anon.get(url, headers={"X-Hutch-Traffic-Token": new}).status_code != 401
    with hutch_server.http(hutch_server.api_key_b) as other:
        assert other.post(f"/sandboxes/{sbx.sandbox_id}/traffic-token").status_code == 404
    assert http.get(f"/sandboxes/{sbx.sandbox_id}").json()["trafficAccessToken"] == new
