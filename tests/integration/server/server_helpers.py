"""Helpers for the server's integration tests: run a command and follow its output, wait for a
condition, look for leftovers of a data dir, kill a sandbox behind the server's back, run a server of
one's own."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def spare_server(hutch_server: Any, *, private_parent: bool = False, hosts: str = "") -> Iterator[Any]:
    """A server of its own beside the session's, for tests that crash, stop or reconfigure it (pool off;
    it shares the templates hutch_server built). With `private_parent` its data dir is below a 0700
    dir, as `--data-dir ~/hutch` of root is. Everything it made is removed at the end."""
    helpers = type(hutch_server).start.__globals__  # tests/integration/conftest.py (its name is ambiguous)
    run_dir: Path = helpers["new_run_dir"]()
    data_dir = run_dir
    if private_parent:
        (run_dir / "private").mkdir(mode=0o700)
        data_dir = run_dir / "private" / "hutch"
        data_dir.mkdir()
        (data_dir / "templates").symlink_to(helpers["SHARED_TEMPLATES"])
    extra = ["--sample-interval", "1"]
    if hutch_server.postgres is not None:  # the same database server, a database of its own
        extra += ["--database", hutch_server.postgres.new_database("spare")]
    server = type(hutch_server)(data_dir, pool_size=0, extra_args=extra)
    server.hosts_file.write_text(hosts)
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill_all()
        server.stop()
        helpers["_remove_run_dir"](data_dir)
        if data_dir != run_dir and not data_dir.exists():
            (run_dir / "templates").unlink(missing_ok=True)
            shutil.rmtree(run_dir)
