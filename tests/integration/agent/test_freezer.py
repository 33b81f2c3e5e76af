"""A pod's pause and metrics through its agent (`POST /freeze`, `POST /thaw`, `GET /freeze`, `GET
/usage`; hutch_agent/freezer.py and usage.py), on an agent where a pod's runs: first process of a
real sandbox (its own pid namespace), on TCP behind its token, with the downward API's limits.

The sandbox's processes are watched from the host: their states in the host's /proc."""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hutch_agent import freezer

from .conftest import AgentClient, real_sandbox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="real sandboxes need root")

TOKEN = "freezer-" + "b" * 40
LIMITS = {"HUTCH_LIMIT_CPU_MILLIS": "1500", "HUTCH_LIMIT_MEMORY": str(384 << 20), "HUTCH_LIMIT_DISK": str(700 << 20)}
COUNTER = "/home/user/count"


class Pod:
    def __init__(self, client: AgentClient, init_pid: int, agent_pid: int) -> None:
        self.client = client
        self.init_pid = init_pid  # the sandbox's pid 1, on the host
        self.agent_pid = agent_pid

    def processes(self) -> dict[int, str]:
        """Host pid -> state of every process of the sandbox but its pid 1 and the agent."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                state, chain = _state(pid), _ancestors(pid)
            except (OSError, ValueError, IndexError):
                continue
            if self.init_pid in chain and pid != self.agent_pid:
                found[pid] = state
        return found

    def freeze_state(self) -> dict[str, object]:
        reply = self.client.get("/freeze")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def post(self, path: str) -> dict[str, object]:
        reply = self.client.post(path)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def read(self, path: str) -> str:
        reply = self.client.get("/files", params={"path": path, "user": "root"})
        assert reply.status_code == 200, reply.text
        return reply.text.strip()


def _stat_fields(pid: int) -> list[str]:
    data = Path(f"/proc/{pid}/stat").read_text()
    return data[data.rfind(")") + 2 :].split()


def _state(pid: int) -> str:
    return _stat_fields(pid)[0]


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        pid = int(_stat_fields(pid)[1])
        chain.append(pid)
    return chain


def _free_address() -> str:
    ip = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    with socket.socket() as s:
        s.bind((ip, 0))
        return f"{ip}:{s.getsockname()[1]}"


def _wait(condition, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def pod() -> Iterator[Pod]:
    address = _free_address()
    with real_sandbox(agent_tcp=address, agent_token=TOKEN, agent_env=LIMITS, memory_mb=384) as started:
        started.client.close()
        client = AgentClient(
            base_url=f"http://{address}", headers={"x-hutch-agent-token": TOKEN}, timeout=60, trust_env=False
        )
        _wait(lambda: client.get("/health").status_code == 200, "the agent")
        init_pid = int(_stat_fields(started.agent_pid)[1])
        yield Pod(client, init_pid, started.agent_pid)
        client.close()


@pytest.fixture
def clean(pod: Pod) -> Iterator[Pod]:
    """The pod running and with no process of a test left (each test starts its own)."""
    yield pod
    pod.post("/thaw")
    for process in pod.client.get("/commands").json():
        if process["running"]:
            pod.client.delete(f"/commands/{process['pid']}")


def test_a_counting_loop_stops_while_frozen_and_goes_on_after(clean: Pod) -> None:
    pod = clean
    loop = pod.client.start(f"i=0; while :; do i=$((i+1)); echo $i > {COUNTER}; sleep 0.01; done")
    _wait(lambda: pod.client.get("/files", params={"path": COUNTER}).status_code == 200, "the counter")
    assert pod.freeze_state() == {"frozen": False, "stopped": 0}
    frozen = pod.post("/freeze")
    assert frozen["frozen"] is True and isinstance(frozen["stopped"], int) and frozen["stopped"] >= 1
    assert pod.post("/freeze") == frozen  # idempotent
    states = pod.processes()
    assert states and set(states.values()) <= {"T", "Z"}, states
    at_freeze = pod.read(COUNTER)
    # While frozen, the agent runs commands (the server's snapshot of a paused sandbox is one).
    check = pod.client.run(f"cat {COUNTER}; cat /proc/{loop}/stat", user="root")
    assert check["exit"]["exitCode"] == 0, check
    assert check["stdout"].splitlines()[0] == at_freeze
    assert check["stdout"].splitlines()[1].split(") ")[1].startswith("T ")
    assert pod.read(COUNTER) == at_freeze
    assert pod.freeze_state()["frozen"] is True
    thawed = pod.post("/thaw")
    assert thawed == {"frozen": False, "stopped": 0}
    _wait(lambda: pod.read(COUNTER) not in ("", at_freeze), "the counter to go on")
    assert "T" not in pod.processes().values()
    assert pod.post("/thaw") == thawed  # idempotent


def test_a_process_its_user_stopped_stays_stopped_after_the_thaw(clean: Pod) -> None:
    pod = clean
    held = pod.client.start("exec sleep 600")
    other = pod.client.start("exec sleep 600")
    _wait(lambda: sorted(pod.processes().values()) == ["S", "S"], "two sleeps")
    reply = pod.client.post(f"/commands/{held}/signal", json={"signal": int(signal.SIGSTOP)})
    assert reply.status_code == 204, reply.text
    _wait(lambda: sorted(pod.processes().values()) == ["S", "T"], "the user's SIGSTOP")
    held_host = next(pid for pid, state in pod.processes().items() if state == "T")
    other_host = next(pid for pid in pod.processes() if pid != held_host)
    assert pod.post("/freeze")["stopped"] == 1  # the other sleep only
    assert _state(other_host) == "T"
    pod.post("/thaw")
    _wait(lambda: _state(other_host) == "S", "the thaw")
    assert _state(held_host) == "T"
    pod.client.post(f"/commands/{held}/signal", json={"signal": int(signal.SIGCONT)})
    _wait(lambda: _state(held_host) == "S", "the user's SIGCONT")
    assert {p["pid"] for p in pod.client.get("/commands").json() if p["running"]} >= {held, other}


def test_a_spawning_loop_is_stopped_whole(clean: Pod) -> None:
    pod = clean
    spawner = pod.client.start("i=0; while [ $i -lt 150 ]; do (sleep 300 &); i=$((i+1)); done; exec sleep 300")
    _wait(lambda: len(pod.processes()) >= 20, "the spawner to get going")
    stopped = pod.post("/freeze")["stopped"]
    before = pod.processes()
    assert len(before) >= 20 and set(before.values()) <= {"T", "Z"}, before
    time.sleep(0.3)  # not a timing: nothing may appear, however long we look
    assert pod.processes() == before
    pod.post("/thaw")
    _wait(lambda: len(pod.processes()) >= 151, "the spawner to finish its 150 children")  # it went on
    assert pod.client.get(f"/commands/{spawner}").json()["running"] is True
    assert isinstance(stopped, int) and stopped >= 20


def test_the_routes_need_the_token(pod: Pod) -> None:
    address = str(pod.client.base_url)
    with httpx.Client(base_url=address, timeout=30, trust_env=False) as anonymous:
        for method, path in (("POST", "/freeze"), ("POST", "/thaw"), ("GET", "/freeze"), ("GET", "/usage")):
            for headers in ({}, {"x-hutch-agent-token": "wrong"}, {"x-hutch-agent-token": TOKEN + "x"}):
                reply = anonymous.request(method, path, headers=headers)
                AgentClient.expect_error(reply, 401, "token")
    assert pod.freeze_state()["frozen"] is False


def test_bad_calls_are_answered_with_the_error_shape(pod: Pod) -> None:
    for method, path in (("PUT", "/freeze"), ("DELETE", "/thaw"), ("POST", "/usage"), ("GET", "/thaw")):
        AgentClient.expect_error(pod.client.request(method, path), 405, "not allowed")
    AgentClient.expect_error(pod.client.get("/freeze/\udcff".encode("utf-8", "surrogateescape").decode("latin-1")), 404)
    big = pod.client.post("/freeze", content=b"\0" * (4 << 20))  # a body nobody reads: dropped, the call done
    assert big.status_code == 200 and big.json()["frozen"] is True
    assert pod.post("/thaw")["frozen"] is False
    assert pod.client.get("/health").status_code == 200


def test_usage_from_proc_with_the_pods_limits(clean: Pod) -> None:
    pod = clean
    written = pod.client.run("head -c 6000000 /dev/urandom > /home/user/blob && sync", user="user")
    assert written["exit"]["exitCode"] == 0, written
    first = pod.client.get("/usage").json()
    assert first["source"] == "proc"  # this sandbox has no /sys/fs/cgroup (see tests/integration/kube/cluster.py)
    assert first["cpu_count"] == 1.5
    assert first["mem_limit_bytes"] == 384 << 20 and first["disk_limit_bytes"] == 700 << 20
    # The disk is walked in the background: an answer gives the last walk's result, and starts one.
    _wait(lambda: pod.client.get("/usage").json()["disk_used_bytes"] > 5_000_000, "the walk to count the blob")
    assert pod.client.get("/usage").json()["disk_used_bytes"] < 100_000_000
    assert 0 < first["mem_used_bytes"] < first["mem_limit_bytes"]
    busy = pod.client.run("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done", user="user")
    assert busy["exit"]["exitCode"] == 0
    second = pod.client.get("/usage").json()
    assert second["cpu_usage_usec"] > first["cpu_usage_usec"]
    assert set(second) == set(first) == {
        "source", "cpu_usage_usec", "cpu_count", "mem_used_bytes", "mem_cache_bytes", "mem_limit_bytes",
        "disk_used_bytes", "disk_limit_bytes",
    }  # fmt: skip


def test_the_host_agent_refuses_to_freeze_the_host() -> None:
    assert not freezer.own_pid_namespace()  # this test runs in the host's pid namespace
    with pytest.raises(freezer.HttpError) as refused:
        freezer.Freezer().freeze()
    assert refused.value.status == 409 and "host" in refused.value.message
