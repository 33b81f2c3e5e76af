"""The agent at its sandbox's limits: a command printing gigabytes, a fork bomb filling the pids limit,
memory the OOM killer must take from someone. The agent must outlive them all, in a real sandbox."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import AgentClient, RealSandbox, proc_status_kib, real_sandbox

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="real sandboxes need root")

TWO_GIB = 2 * 1024**3
# What the agent may grow to while a command prints 2 GiB (35 MiB measured): its idle ~18 MiB, a log (first
# 4 MiB + last 12 MiB of events, plus what keeping each line costs) and the allocator's slack.
AGENT_RSS_BOUND_KIB = 64 * 1024
PIDS = 96  # a limit a fork bomb fills quickly


@pytest.fixture(scope="module")
def box() -> Iterator[RealSandbox]:
    with real_sandbox(memory_mb=512, pids=PIDS) as started:
        yield started


def _wait_until_ended(client: AgentClient, pid: int) -> dict[str, Any]:
    """The command's info once it ended (polled: following it would stream gigabytes to the test)."""
    while (info := client.get(f"/commands/{pid}").json())["running"]:
        time.sleep(0.5)
    return info


def test_two_gigabytes_of_output_keep_the_agent_small_and_replay_head_marker_tail(
    box: RealSandbox,
) -> None:
    client, agent_pid = box.client, box.agent_pid
    pid = client.start("yes | head -c 2G; echo done >&2", user="user")
    assert _wait_until_ended(client, pid)["exitCode"] == 0
    peak = proc_status_kib(agent_pid, "VmHWM")
    assert peak < AGENT_RSS_BOUND_KIB, f"the agent grew to {peak} KiB while a command printed 2 GiB"

    events = client.events(pid)
    assert events[0] == {"type": "start", "pid": pid}
    assert events[-1]["type"] == "exit" and events[-1]["exitCode"] == 0
    marker_at = next(i for i, e in enumerate(events) if e["type"] == "dropped")
    marker = events[marker_at]
    assert [e for e in events if e["type"] == "dropped"] == [marker]
    head = "".join(e["data"] for e in events[:marker_at] if e["type"] == "stdout")
    tail = "".join(e["data"] for e in events[marker_at:] if e["type"] == "stdout")
    assert len(head) >= 1024 * 1024 and len(tail) >= 4 * 1024 * 1024  # MiBs of each kept
    assert set(head) == set(tail) == {"y", "\n"}
    assert len(head) + marker["bytes"] + len(tail) == TWO_GIB  # every byte is kept or counted as dropped
    assert [e["data"] for e in events if e["type"] == "stderr"] == ["done\n"]

    # Offsets are the agent's event numbers: the marker stands for `events` of them, and a reader
    # re-attaching inside the tail gets exactly the events from there on.
    after_marker = marker_at + marker["events"]
    assert client.events(pid, offset=after_marker + 5) == events[marker_at + 6 :]
    assert client.events(pid, offset=marker_at + 1)[0] == {**marker, "events": marker["events"] - 1}
    assert client.events(pid, offset=marker_at - 1) == events[marker_at - 1 :]

    assert client.run("echo still here", user="user")["stdout"] == "still here\n"


def test_a_full_pids_limit_gets_a_clear_503_and_kill_and_list_keep_working(box: RealSandbox) -> None:
    client = box.client
    bomb = client.start("b() { b | b & }; b; sleep 1000", user="user")
    refused = None
    for _ in range(600):  # until the bomb has taken every pid (each try waits for a fork to fail)
        reply = client.post("/commands", json={"cmd": "true", "user": "user"})
        if reply.status_code != 201:
            refused = reply
            break
        client.events(reply.json()["pid"])
        time.sleep(0.1)
    assert refused is not None, "the fork bomb never filled the pids limit"
    client.expect_error(refused, 503, "process limit")
    for _ in range(600):  # the bomb's churn frees a pid now and then: a terminal may get it
        terminal = client.post("/pty", json={"size": {"rows": 24, "cols": 80}, "user": "user"})
        if terminal.status_code != 201:
            break
        client.delete(f"/pty/{terminal.json()['pid']}")
        time.sleep(0.1)
    client.expect_error(terminal, 503, "process limit")

    # The agent keeps serving: a fresh connection too (no thread per connection to make).
    with AgentClient(transport=httpx.HTTPTransport(uds=box.socket), base_url="http://agent") as other:
        assert other.get("/health").status_code == 200
    listed = client.get("/commands")
    assert listed.status_code == 200 and bomb in [p["pid"] for p in listed.json()]
    assert client.delete(f"/commands/{bomb}").status_code == 204
    assert client.events(bomb)[-1]["type"] == "exit"

    for _ in range(600):  # the killed processes' pids come back as the kernel reaps them
        reply = client.post("/commands", json={"cmd": "echo works", "user": "user"})
        if reply.status_code == 201:
            break
        time.sleep(0.1)
    assert reply.status_code == 201, reply.text
    assert client.events(reply.json()["pid"])[-2] == {"type": "stdout", "data": "works\n"}


def test_the_oom_killer_takes_a_command_before_the_agent(box: RealSandbox) -> None:
    client, agent_pid = box.client, box.agent_pid
    agent_score = int(Path(f"/proc/{agent_pid}/oom_score_adj").read_text())
    result = client.run("cat /proc/self/oom_score_adj", user="user")
    assert int(result["stdout"]) > agent_score
    # A command that takes all the sandbox's memory is the one that is killed.
    hog = client.run("python3 -c 'b = []\nwhile True: b.append(bytearray(1 << 24))'", user="user")
    assert hog["exit"]["signal"] == 9
    assert client.get("/health").status_code == 200
    assert client.run("echo alive", user="user")["stdout"] == "alive\n"
