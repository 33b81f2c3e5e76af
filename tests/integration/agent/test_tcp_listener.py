"""`python3 -m hutch_agent --listen-tcp HOST:PORT`, a Kubernetes pod's entrypoint: anything on the pod
network can connect, so every request but GET /health needs the sandbox's token, which its commands
never see."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import PYTHON, SRC, TEST_USER

TOKEN = "t0k3n-" + "a" * 40


def _env(**extra: str) -> dict[str, str]:
    return {
        "PYTHONPATH": str(SRC),
        "HUTCH_SANDBOX_ID": "sbx-tcp",
        "HUTCH_AGENT_USERS": json.dumps({"user": TEST_USER}),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **extra,
    }


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tcp_agent(tmp_path: Path, test_user) -> Iterator[httpx.Client]:
    port = _port()
    argv = [PYTHON, "-S", "-m", "hutch_agent", "--listen-tcp", f"127.0.0.1:{port}"]
    with open(tmp_path / "agent.log", "wb") as log:
        proc = subprocess.Popen(argv, env=_env(HUTCH_AGENT_TOKEN=TOKEN), stderr=log, cwd="/")
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            if client.get("/health").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "agent.log").read_text()
            time.sleep(0.02)
    yield client
    client.close()
    proc.terminate()
    proc.wait(10)


def test_requests_without_the_token_are_refused(tcp_agent: httpx.Client) -> None:
    for headers in ({}, {"X-Hutch-Agent-Token": TOKEN[:-1]}, {"X-Hutch-Agent-Token": TOKEN + "x"}):
        r = tcp_agent.post("/commands", json={"cmd": "touch /tmp/never"}, headers=headers)
        assert r.status_code == 401 and r.json()["message"].endswith("X-Hutch-Agent-Token")
    r = tcp_agent.get("/files", params={"path": "/etc/passwd"}, headers={"X-Hutch-Agent-Token": b"\xff" * 5000})
    assert r.status_code == 401


def test_with_the_token_it_serves_and_its_commands_never_see_it(tcp_agent: httpx.Client) -> None:
    auth = {"X-Hutch-Agent-Token": TOKEN}
    started = tcp_agent.post("/commands", json={"cmd": "env", "user": "user"}, headers=auth)
    assert started.status_code == 201, started.text
    pid = started.json()["pid"]
    with tcp_agent.stream("GET", f"/commands/{pid}/output", headers=auth) as reply:
        events = [json.loads(line) for line in reply.iter_lines() if line]
    output = "".join(e.get("data", "") for e in events)
    assert events[-1]["type"] == "exit" and events[-1]["exitCode"] == 0
    assert TOKEN not in output and "HUTCH_AGENT_TOKEN" not in output


@pytest.mark.parametrize("token", [None, "short"])
def test_a_tcp_listener_without_a_real_token_does_not_start(token: str | None) -> None:
    env = _env() if token is None else _env(HUTCH_AGENT_TOKEN=token)
    argv = [PYTHON, "-S", "-m", "hutch_agent", "--listen-tcp", f"127.0.0.1:{_port()}"]
    done = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert done.returncode != 0 and b"HUTCH_AGENT_TOKEN" in done.stderr
