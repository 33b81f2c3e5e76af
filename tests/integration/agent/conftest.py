"""The agent as an ordinary host process (`--listen`), driven over its Unix socket with httpx.

These tests need root: the agent switches to other users for commands and file operations, as it
does inside a sandbox. Shells run as a throwaway user (created and removed here) rather than root:
the host's root login profile is not ours to rely on, and killing a shell mid-profile could break it.
Requests name the spec's users (`user`, `root`) as a client of a sandbox does; the agent is started
with `HUTCH_AGENT_USERS` mapping `user` to the throwaway account (a host has no `user`).
The agent runs on Debian's /usr/bin/python3, the interpreter templates have.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
# One user per test session: concurrent sessions on a machine must not delete each other's.
TEST_USER_PREFIX = "hutch-agent-"
TEST_USER = f"{TEST_USER_PREFIX}{os.getpid()}"
SANDBOX_ENVS = {"SANDBOX_VAR": "from-sandbox", "SHARED": "sandbox"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the agent tests switch users, so they need root")


class AgentClient(httpx.Client):
    """httpx over the agent's socket, plus the calls most tests make."""

    def start(self, cmd: str, **fields: Any) -> int:
        """Start a command (as `user`, the throwaway test user, unless `user` is given); its pid."""
        fields.setdefault("user", "user")
        reply = self.post("/commands", json={"cmd": cmd, **fields})
        assert reply.status_code == 201, reply.text
        return int(reply.json()["pid"])

    def events(self, pid: int, offset: int = 0, kind: str = "commands") -> list[dict[str, Any]]:
        """Every event of a process from `offset`, following it until it ends."""
        with self.stream("GET", f"/{kind}/{pid}/output", params={"offset": offset}) as reply:
            assert reply.status_code == 200, reply.read()
            assert reply.headers["content-type"] == "application/x-ndjson"
            return [json.loads(line) for line in reply.iter_lines() if line]

    def wait_for_stdout(self, pid: int, data: str) -> None:
        """Follow a running command until it printed `data` (as one output event), then hang up."""
        with self.stream("GET", f"/commands/{pid}/output") as reply:
            for line in reply.iter_lines():
                if json.loads(line).get("data") == data:
                    return
        raise AssertionError(f"command {pid} ended without printing {data!r}")

    def run(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Run a command to its end: its stdout, stderr, exit event and all events."""
        found = self.events(self.start(cmd, **fields))
        return {
            "stdout": "".join(e["data"] for e in found if e["type"] == "stdout"),
            "stderr": "".join(e["data"] for e in found if e["type"] == "stderr"),
            "exit": found[-1],
            "events": found,
        }

    @staticmethod
    def expect_error(reply: httpx.Response, status: int, *fragments: str) -> None:
        """The contract's `Error` shape, with `status` and a message containing every fragment."""
        assert reply.status_code == status, reply.text
        assert reply.headers["content-type"] == "application/json"
        body = reply.json()
        assert set(body) == {"code", "message"}
        assert body["code"] == status
        for fragment in fragments:
            assert fragment in body["message"], body["message"]


class AgentProcess:
    """A running agent: its process, socket and log, and a client bound to it."""

    def __init__(self, directory: Path) -> None:
        self.socket = str(directory / "agent.sock")
        self.log_path = directory / "agent.log"
        env = {
            "PYTHONPATH": str(SRC),
            "HUTCH_SANDBOX_ID": "sbx-test",
            "HUTCH_ENVS_JSON": json.dumps(SANDBOX_ENVS),
            "HUTCH_AGENT_USERS": json.dumps({"user": TEST_USER}),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-S", "-m", "hutch_agent", "--listen", self.socket], env=env, stderr=log, cwd="/"
            )
        self.client = AgentClient(transport=httpx.HTTPTransport(uds=self.socket), base_url="http://agent", timeout=60)
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"the agent did not start:\n{self.log()}") from None
                time.sleep(0.02)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def peak_rss_kib(self) -> int:
        """The agent's resident-memory high-water mark (VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc/<pid>/status")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    """One agent for the session: every test also checks that bad calls leave it alive."""
    running = AgentProcess(tmp_path_factory.mktemp("agent"))
    yield running
    alive = running.process.poll() is None
    log = running.log()
    running.stop()
    assert alive, f"the agent died during the tests:\n{log}"
    assert "Traceback" not in log, f"the agent logged a traceback:\n{log}"


@pytest.fixture
def fresh_agent(tmp_path: Path, test_user: pwd.struct_passwd) -> Iterator[AgentProcess]:
    """An agent of its own, for tests that measure the agent process."""
    running = AgentProcess(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def client(agent: AgentProcess, test_user: pwd.struct_passwd) -> AgentClient:
    assert agent.process.poll() is None, f"the agent is dead:\n{agent.log()}"
    return agent.client


@pytest.fixture(scope="session")
def test_user() -> Iterator[pwd.struct_passwd]:
    """A throwaway user with a home, like the sandbox's `user`; removed afterwards."""
    if shutil.which("useradd") is None:
        pytest.skip("useradd is not installed")
    _remove_users_of_dead_sessions()
    # A system account: it gets no subordinate uid range, which could overlap the sandboxes' own.
    subprocess.run(["useradd", "--system", "--create-home", "--shell", "/bin/bash", TEST_USER], check=True)
    try:
        yield pwd.getpwnam(TEST_USER)
    finally:
        subprocess.run(["userdel", "-r", "-f", TEST_USER], capture_output=True)


def _remove_users_of_dead_sessions() -> None:
    for entry in pwd.getpwall():
        session = entry.pw_name.removeprefix(TEST_USER_PREFIX)
        if session != entry.pw_name and session.isdigit() and not os.path.exists(f"/proc/{session}"):
            subprocess.run(["userdel", "-r", "-f", entry.pw_name], capture_output=True)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory every user may write to (the tmp_path parents are root-only)."""
    directory = Path("/tmp") / f"hutch-agent-test-{os.getpid()}-{time.monotonic_ns()}"
    directory.mkdir(mode=0o777)
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)
