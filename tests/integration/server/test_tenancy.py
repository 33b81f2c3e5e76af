"""Two API keys are two tenants: neither can see or touch the other's sandboxes or snapshots."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import run

pytestmark = pytest.mark.backends("local", "local+postgresql")


def test_other_tenant_gets_404_everywhere(hutch_server, http, make_sandbox):
    sbx = make_sandbox(name="tenant-a-box")
    sid = sbx.sandbox_id
    run(http, sid, "echo secret > /home/user/s.txt")
    snap = http.post(f"/sandboxes/{sid}/snapshots", json={}).json()
    with hutch_server.http(hutch_server.api_key_b) as b:
        probes = [
            ("GET", f"/sandboxes/{sid}", None),
            ("DELETE", f"/sandboxes/{sid}", None),
            ("POST", f"/sandboxes/{sid}/timeout", {"timeout": 10}),
            ("POST", f"/sandboxes/{sid}/pause", None),
            ("POST", f"/sandboxes/{sid}/resume", None),
            ("POST", f"/sandboxes/{sid}/connect", {}),
            ("POST", "/sandboxes/tenant-a-box/connect", {}),
            ("GET", f"/sandboxes/{sid}/metrics", None),
            ("POST", f"/sandboxes/{sid}/snapshots", {}),
            ("GET", f"/sandboxes/{sid}/snapshots", None),
            ("POST", f"/sandboxes/{sid}/restore", {}),
            ("GET", f"/sandboxes/{sid}/commands", None),
            ("POST", f"/sandboxes/{sid}/commands", {"cmd": "cat /home/user/s.txt"}),
            ("GET", f"/sandboxes/{sid}/files", None),
            ("GET", f"/snapshots/{snap['snapshotID']}", None),
            ("DELETE", f"/snapshots/{snap['snapshotID']}", None),
        ]
        for method, path, body in probes:
            params = {"path": "/home/user/s.txt"} if path.endswith("/files") else None
            r = b.request(method, path, json=body, params=params)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert set(r.json()) == {"code", "message"} and r.json()["code"] == 404
        assert b.get("/sandboxes").json()["sandboxes"] == []
        assert b.get("/snapshots").json() == []
        assert b.get("/snapshots", params={"sandboxID": sid}).json() == []
        # B may use the same name: names are per tenant
        r = b.post("/sandboxes", json={"name": "tenant-a-box", "timeout": 60})
        assert r.status_code == 201, r.text
        b.delete(f"/sandboxes/{r.json()['sandboxID']}")
    # A still has everything
    assert http.get(f"/sandboxes/{sid}").json()["state"] == "running"
    assert http.get(f"/snapshots/{snap['snapshotID']}").status_code == 200


def test_auth_required(hutch_server):
    with httpx.Client(base_url=hutch_server.base_url) as c:
        assert c.get("/health").status_code == 200
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
            r = c.get("/sandboxes", headers=headers)
            assert r.status_code == 401 and r.json()["code"] == 401 and "X-API-Key" in r.json()["message"]
    # the key never shows up in the server's log
    assert hutch_server.api_key not in hutch_server.log_tail(10**7)
