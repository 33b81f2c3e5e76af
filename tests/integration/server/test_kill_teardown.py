"""killSandbox answers once nothing of the sandbox runs, before its teardown ends; the teardown still
leaves no process, mount, cgroup or loop device behind, and a kill that races a create is safe."""

from __future__ import annotations

import glob
import subprocess
import threading
from pathlib import Path

import httpx
from server_helpers import wait_for


def leftovers(sandbox_id: str) -> list[str]:
    """What the host still holds of a sandbox: processes, mounts, cgroup dirs, loop devices."""
    procs = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    found = [f"process {line}" for line in procs.splitlines() if sandbox_id in line and "pytest" not in line]
    found += [f"mount {m}" for m in Path("/proc/self/mounts").read_text().splitlines() if sandbox_id in m]
    cgroup_dirs = (f"/sys/fs/cgroup/*/hutch/*/{sandbox_id}", f"/sys/fs/cgroup/hutch/*/{sandbox_id}")  # v1 + v2
    found += [f"cgroup {d}" for pattern in cgroup_dirs for d in glob.glob(pattern)]  # glob.glob: dirs may go meanwhile
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    found += [f"loop {line}" for line in loops.splitlines() if sandbox_id in line]
    return found


def test_kill_answers_before_the_teardown_and_leaves_nothing(http: httpx.Client) -> None:
    sid = http.post("/sandboxes", json={"timeout": 120}).json()["sandboxID"]
    started = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "sleep 600", "timeout": 0})
    assert started.status_code == 201, started.text
    assert leftovers(sid), "a running sandbox should show up in the host's tables"
    assert http.delete(f"/sandboxes/{sid}").status_code == 204
    # its record is final at once: the agent is not reached any more, a second kill finds nothing
    assert http.get(f"/sandboxes/{sid}/commands").status_code == 404
    assert http.delete(f"/sandboxes/{sid}").status_code == 404
    wait_for(lambda: not leftovers(sid), timeout=30, interval=0.1, what=f"the teardown of {sid}")


def test_a_kill_racing_a_create_is_safe(http: httpx.Client) -> None:
    before = {s["sandboxID"] for s in http.get("/sandboxes").json()["sandboxes"]}
    answers: list[httpx.Response] = []
    # a disk size no pool holds: the sandbox boots on the request path, so the kill can land mid-create
    create = threading.Thread(
        target=lambda: answers.append(http.post("/sandboxes", json={"timeout": 120, "resources": {"diskMB": 2047}}))
    )
    create.start()
    killed: set[str] = set()
    while create.is_alive() or not killed:
        for s in http.get("/sandboxes").json()["sandboxes"]:
            if s["sandboxID"] not in before and s["sandboxID"] not in killed:
                assert http.delete(f"/sandboxes/{s['sandboxID']}").status_code in (204, 404)
                killed.add(s["sandboxID"])
    create.join()
    (answer,) = answers
    assert answer.status_code in (201, 404, 409, 500), answer.text
    for sid in killed:
        assert http.get(f"/sandboxes/{sid}").status_code == 404
        wait_for(lambda sid=sid: not leftovers(sid), timeout=30, interval=0.1, what=f"the teardown of {sid}")
