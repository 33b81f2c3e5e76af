"""The agent where it really runs: first process of a real sandbox (hutchd.runtime, see
conftest.real_sandbox), socket passed as fd 3."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator

import pytest

from .conftest import AgentClient, real_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[AgentClient]:
    """A client for the agent of one offline sandbox started with envs {"FROM_SPEC": "yes"}."""
    with real_sandbox(envs={"FROM_SPEC": "yes"}) as started:
        yield started.client


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="real sandboxes need root")


def test_commands_run_as_user_in_the_sandbox_pid_namespace(sandbox: AgentClient) -> None:
    health = sandbox.get("/health").json()
    assert health["status"] == "ok" and health["sandboxID"].startswith("agent-")
    pid = sandbox.start('id -un; echo "$HOME"; pwd; echo $$; echo "$FROM_SPEC"', user="user")
    found = sandbox.events(pid)
    stdout = "".join(e["data"] for e in found if e["type"] == "stdout")
    assert stdout.splitlines() == ["user", "/home/user", "/home/user", str(pid), "yes"]
    assert found[-1]["exitCode"] == 0


def test_no_agent_socket_leaks_into_user_processes(sandbox: AgentClient) -> None:
    script = 'for fd in /proc/$$/fd/*; do readlink "$fd"; done'
    result = sandbox.run(script, user="user")
    assert "socket:" not in result["stdout"], result["stdout"]
    reply = sandbox.post("/pty", json={"size": {"rows": 24, "cols": 80}, "user": "user"})
    pid = reply.json()["pid"]
    sandbox.post(f"/pty/{pid}/input", content=f"{script}; exit\n".encode())
    output = b"".join(base64.b64decode(e["data"]) for e in sandbox.events(pid, kind="pty") if e["type"] == "data")
    assert b"/dev/pts/" in output
    assert b"socket:" not in output


def test_files_belong_to_the_user_and_round_trip(sandbox: AgentClient) -> None:
    data = os.urandom(10 * 1024 * 1024)
    written = sandbox.put("/files", params={"path": "in/box.bin"}, content=data)
    assert written.json() == {"path": "/home/user/in/box.bin", "name": "box.bin", "type": "file"}
    assert sandbox.get("/files", params={"path": "/home/user/in/box.bin"}).content == data
    info = sandbox.get("/files/stat", params={"path": "in/box.bin"}).json()
    assert (info["owner"], info["group"], info["size"]) == ("user", "user", len(data))
    listed = sandbox.get("/files/list", params={"path": "/home/user", "depth": 2}).json()
    assert "/home/user/in/box.bin" in [entry["path"] for entry in listed]
    sandbox.expect_error(sandbox.put("/files", params={"path": "/etc/passwd"}, content=b"x"), 403)


def test_watch_sees_what_a_command_does(sandbox: AgentClient) -> None:
    sandbox.post("/files/mkdir", json={"path": "watched"})
    with sandbox.stream("GET", "/files/watch", params={"path": "watched"}) as reply:
        lines = reply.iter_lines()
        assert json.loads(next(lines))["type"] == "ready"
        sandbox.run("touch /home/user/watched/made", user="user")
        event = json.loads(next(lines))
    assert event == {"type": "create", "name": "made", "path": "/home/user/watched/made"}


def test_ten_megabytes_of_output_inside(sandbox: AgentClient) -> None:
    result = sandbox.run("head -c 10485760 /dev/zero | tr '\\0' a", user="user")
    assert result["stdout"] == "a" * 10485760


def test_a_timeout_kills_the_group_inside(sandbox: AgentClient) -> None:
    result = sandbox.run("sleep 100 & sleep 100", user="user", timeout=0.3)
    assert result["exit"]["error"] == "timed out after 0.3 s"
    assert sandbox.run("pgrep -x sleep || echo none", user="user")["stdout"] == "none\n"


def test_even_sandbox_root_cannot_reach_into_the_agent(sandbox: AgentClient) -> None:
    script = "grep -q python3 /proc/$PPID/status && cat /proc/$PPID/environ >/dev/null 2>&1 && echo exposed || echo ok"
    assert sandbox.run(script, user="root")["stdout"] == "ok\n"
