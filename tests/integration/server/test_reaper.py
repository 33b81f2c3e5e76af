"""Sandboxes end at their deadline: killed, or paused when lifecycle.onTimeout is pause."""

from __future__ import annotations

import pytest
from server_helpers import run, wait_for

pytestmark = pytest.mark.backends("local", "local+postgresql")


def test_timeout_kills(http, make_sandbox):
    sid = make_sandbox(timeout=2).sandbox_id
    wait_for(lambda: http.get(f"/sandboxes/{sid}").status_code == 404, timeout=15, what="the reaper to kill")
    assert http.get("/sandboxes", params={"state": "killed"}).json()["sandboxes"] == [] or all(
        s["sandboxID"] != sid for s in http.get("/sandboxes").json()["sandboxes"]
    )


@pytest.mark.backends("local", "local+postgresql", "kubernetes-emulated", "kubernetes")
def test_timeout_pauses_and_keeps_files(http, make_sandbox):
    sid = make_sandbox(timeout=3, lifecycle={"onTimeout": "pause"}).sandbox_id
    run(http, sid, "echo kept > /home/user/k.txt")
    wait_for(lambda: http.get(f"/sandboxes/{sid}").json()["state"] == "paused", timeout=15, what="pause")
    snaps = http.get(f"/sandboxes/{sid}/snapshots").json()
    assert [s["kind"] for s in snaps] == ["pause"]
    # a paused sandbox past its deadline stays paused (its lifecycle says pause), and connect revives it
    r = http.post(f"/sandboxes/{sid}/connect", json={"timeout": 60})
    assert r.status_code == 200 and r.json()["state"] == "running"
    assert run(http, sid, "cat /home/user/k.txt")["stdout"] == "kept\n"


def test_set_timeout_extends_life(http, make_sandbox):
    sid = make_sandbox(timeout=3).sandbox_id
    assert http.post(f"/sandboxes/{sid}/timeout", json={"timeout": 120}).status_code == 204
    import time

    time.sleep(4)
    assert http.get(f"/sandboxes/{sid}").json()["state"] == "running"
