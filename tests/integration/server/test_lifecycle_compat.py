"""The operations issue 12 adds for E2B's and hopx's lifecycle names, against a real server:
what they do, and what hostile input gets (the Error shape, a 4xx, nothing left behind)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
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


def test_fork_boots_count_sandboxes_from_the_files(make_sandbox, http):
    sbx = make_sandbox()
    from server_helpers import run

    assert run(http, sbx.sandbox_id, "echo forked > /home/user/mark")["exitCode"] == 0
    r = http.post(f"/sandboxes/{sbx.sandbox_id}/fork", json={"count": 2, "timeout": 120})
    assert r.status_code == 201, r.text
    forks = [item["sandbox"]["sandboxID"] for item in r.json()]
    try:
        assert len(set(forks)) == 2 and sbx.sandbox_id not in forks
        for fid in forks:
            assert run(http, fid, "cat /home/user/mark")["stdout"] == "forked\n"
        assert http.get(f"/sandboxes/{sbx.sandbox_id}").json()["state"] == "running"  # the source runs on
    finally:
        for fid in forks:
            http.delete(f"/sandboxes/{fid}")


@pytest.mark.parametrize(
    "body",
    [{"count": 21}, {"count": 10**30}, {"count": 0}, {"count": "2"}, {"count": True}, {"count": 2.5},
     {"timeout": 0}, [], "x", {"count": None}],
)  # fmt: skip
def test_fork_refuses_hostile_input_and_leaves_nothing(make_sandbox, http, body):
    sbx = make_sandbox()
    before = len(http.get("/snapshots").json())
    r = http.post(f"/sandboxes/{sbx.sandbox_id}/fork", json=body)
    assert 400 <= r.status_code < 500 and set(r.json()) == {"code", "message"}, r.text
    assert len(http.get("/snapshots").json()) == before


def test_fork_over_the_disk_budget_is_refused_before_a_snapshot(make_sandbox, http, hutch_server):
    import os

    st = os.statvfs(hutch_server.data_dir)
    free_mb = (st.f_bavail * st.f_frsize) >> 20
    # one such disk is admitted; 20 promise 5x the free space, more than the default overcommit of 4
    sbx = make_sandbox(resources={"diskMB": min(free_mb // 4, 1048576)})
    r = http.post(f"/sandboxes/{sbx.sandbox_id}/fork", json={"count": 20})
    assert r.status_code == 507, r.text
    assert http.get(f"/snapshots?sandboxID={sbx.sandbox_id}").json() == []


def test_snapshot_name_and_id_boot_new_sandboxes(make_sandbox, http):
    from server_helpers import run

    sbx = make_sandbox()
    run(http, sbx.sandbox_id, "echo v1 > /home/user/v")
    snap = http.post(f"/sandboxes/{sbx.sandbox_id}/snapshots", json={"asTemplate": False, "name": "lc-named"}).json()
    assert snap["names"] == ["lc-named"]
    for ref in (snap["snapshotID"], "lc-named"):
        made = make_sandbox(templateID=ref)
        assert made.restored_from == snap["snapshotID"]
        assert run(http, made.sandbox_id, "cat /home/user/v")["stdout"] == "v1\n"
    bad = http.post(f"/sandboxes/{sbx.sandbox_id}/snapshots", json={"name": "../etc"})
    assert bad.status_code == 422 and set(bad.json()) == {"code", "message"}


def test_base_has_python_and_sudo_for_root_only(make_sandbox, http):
    from server_helpers import run

    sbx = make_sandbox()
    assert run(http, sbx.sandbox_id, "python --version")["stdout"].startswith("Python 3")
    as_root = run(http, sbx.sandbox_id, "sudo id -u", user="root")
    assert (as_root["exitCode"], as_root["stdout"]) == (0, "0\n")
    # bubblewrap sets no_new_privs: the setuid bit cannot lift `user` to root, and sudo says so
    as_user = run(http, sbx.sandbox_id, "grep NoNewPrivs /proc/self/status; sudo -n id -u")
    assert "NoNewPrivs:\t1" in as_user["stdout"] and as_user["exitCode"] != 0
    assert "0\n" not in as_user["stdout"].splitlines(keepends=True)
