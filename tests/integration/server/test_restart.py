"""`kill -9` of the server loses no record and no running sandbox."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
from server_helpers import follow, kill_sandbox_processes, run, stray_mounts

from hutchd.runtime.layout import Layout


def test_crash_and_restart_keeps_sandboxes_and_commands(hutch_server, make_sandbox):
    with hutch_server.http() as http:
        sbx = make_sandbox(timeout=600)
        sid = sbx.sandbox_id
        paused = make_sandbox(timeout=600).sandbox_id
        short = make_sandbox(timeout=8).sandbox_id
        run(http, sid, "echo before > /home/user/b.txt")
        pid = http.post(
            f"/sandboxes/{sid}/commands", json={"cmd": "for i in $(seq 1 6); do echo line$i; sleep 1; done"}
        ).json()["pid"]
        assert http.post(f"/sandboxes/{paused}/pause").json()["state"] == "paused"
        snap = http.post(f"/sandboxes/{sid}/snapshots", json={}).json()
        _stop_clock(hutch_server, sid)  # as a server that died between a pause's clock stop and its freeze
        time.sleep(1.5)

    hutch_server.kill9()
    time.sleep(1.0)
    hutch_server.start()

    with hutch_server.http() as http:
        got = http.get(f"/sandboxes/{sid}").json()
        assert got["state"] == "running"
        assert datetime.fromisoformat(got["endAt"].replace("Z", "+00:00")) == sbx.end_at
        # the command started before the crash: its whole output replays, then follows live to the end
        out = follow(http, sid, pid, timeout=30)
        assert out["stdout"] == "".join(f"line{i}\n" for i in range(1, 7)) and out["exitCode"] == 0
        assert run(http, sid, "cat /home/user/b.txt")["stdout"] == "before\n"
        assert http.get(f"/snapshots/{snap['snapshotID']}").status_code == 200
        # a paused sandbox is still paused, and resumes
        assert http.get(f"/sandboxes/{paused}").json()["state"] == "paused"
        assert http.post(f"/sandboxes/{paused}/resume").json()["state"] == "running"
        # deadlines still apply after the restart
        deadline = time.monotonic() + 20
        while http.get(f"/sandboxes/{short}").status_code != 404:
            assert time.monotonic() < deadline, "the short-lived sandbox outlived its deadline"
            time.sleep(0.3)
        assert json.loads(http.get(f"/sandboxes/{sid}/commands").text)
        # its clock was started again: a command's timeout runs out
        timed = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "sleep 60", "timeout": 1}).json()["pid"]
        assert follow(http, sid, timed)["events"][-1].get("error") == "timed out after 1 s"


def _stop_clock(hutch_server, sandbox_id: str) -> None:
    """Through the agent's host-internal route, as the local backend does before a freeze."""
    socket = Layout(hutch_server.data_dir).run_dir(sandbox_id) / "agent.sock"
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), base_url="http://agent") as agent:
        assert agent.post("/clock/stop", params={"issued": time.time_ns()}).json() == {"running": False}


def test_graceful_restart(hutch_server, make_sandbox):
    sid = make_sandbox().sandbox_id
    hutch_server.restart(crash=False)
    with hutch_server.http() as http:
        assert http.get(f"/sandboxes/{sid}").json()["state"] == "running"
        assert run(http, sid, "echo still")["stdout"] == "still\n"
    assert all(str(hutch_server.data_dir) in m for m in stray_mounts(hutch_server.data_dir))


def test_sandbox_that_died_while_the_server_was_down_can_be_restored(hutch_server, make_sandbox):
    sid = make_sandbox().sandbox_id
    with hutch_server.http() as http:
        run(http, sid, "echo survived > /home/user/s.txt")
    hutch_server.kill9()
    kill_sandbox_processes(sid)
    hutch_server.start()
    with hutch_server.http() as http:
        got = http.get(f"/sandboxes/{sid}")
        assert got.status_code == 200 and got.json()["state"] == "killed"
        snaps = http.get(f"/sandboxes/{sid}/snapshots").json()
        assert len(snaps) == 1, snaps
        restored = http.post(f"/sandboxes/{sid}/restore", json={}).json()
        try:
            assert run(http, restored["sandboxID"], "cat /home/user/s.txt")["stdout"] == "survived\n"
        finally:
            http.delete(f"/sandboxes/{restored['sandboxID']}")


def test_periodic_snapshots(hutch_server, make_sandbox):
    saved = list(hutch_server.extra_args)
    hutch_server.extra_args += ["--snapshot-interval", "1"]
    hutch_server.restart(crash=False)
    try:
        sid = make_sandbox().sandbox_id
        with hutch_server.http() as http:
            run(http, sid, "echo tick > /home/user/t.txt")

            def periodic():
                snaps = http.get(f"/sandboxes/{sid}/snapshots").json()
                return [s for s in snaps if s["kind"] == "periodic"]

            deadline = time.monotonic() + 20
            while len(periodic()) < 3:
                assert time.monotonic() < deadline, "no periodic snapshots"
                time.sleep(0.5)
            time.sleep(2)
            assert len(periodic()) <= 3  # older ones are pruned
    finally:
        hutch_server.extra_args = saved
        hutch_server.restart(crash=False)


def test_a_build_the_server_died_in_fails_at_its_restart(hutch_server):
    """Its build sandbox went with the server: the build is failed with the reason, and its new
    template, which has no content, is not left behind."""
    with hutch_server.http() as http:
        tag = time.time_ns()  # in the step too: no build cache serves it
        body = {"alias": f"crashed-{tag}", "steps": [{"type": "run", "cmd": f"sleep 600 # {tag}"}]}
        build = http.post("/templates", json=body).json()
        path = f"/templates/{build['templateID']}/builds/{build['buildID']}"
        assert http.get(path).json()["status"] == "building"
    hutch_server.kill9()
    hutch_server.start()
    ((status, reason),) = hutch_server.query(
        "SELECT status, reason FROM template_builds WHERE id = ?", build["buildID"]
    )
    assert status == "error" and "the server stopped during the build" in json.loads(reason)["message"]
    assert hutch_server.query("SELECT id FROM templates WHERE id = ?", build["templateID"]) == []
