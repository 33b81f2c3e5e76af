"""Helpers for the server's integration tests: run a command and follow its output, wait for a
condition, look for leftovers of a data dir."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx


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


def stray_processes(data_dir: Path) -> list[str]:
    """Command lines of processes that still mention the data dir (bwrap, agents, slirp4netns)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()[1:] if str(data_dir) in line and "pytest" not in line]


def stray_mounts(data_dir: Path) -> list[str]:
    return [line for line in Path("/proc/self/mounts").read_text().splitlines() if str(data_dir) in line]


def kill_sandbox_processes(sandbox_id: str) -> None:
    """Kill every process of a sandbox from the host, as a crash or an OOM kill on the host would."""
    (procs,) = Path("/sys/fs/cgroup/pids/hutch").glob(f"*/{sandbox_id}/cgroup.procs")
    for pid in procs.read_text().split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
