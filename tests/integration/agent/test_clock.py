"""The sandbox's clock through the agent's host-internal routes (`POST /clock/stop`, `POST /clock/start`,
clock_routes.py), which the local backend calls around a cgroup freeze (hutchd/backends/agent_clock.py):
while the clock is stopped no command times out; once started, one does; a stop issued before the last
start is not applied. An agent of its own per test: a clock left stopped must not reach other tests."""

from __future__ import annotations

import time

from .conftest import AgentClient, AgentProcess


def _clock(client: AgentClient, call: str, issued: int) -> bool:
    reply = client.post(f"/clock/{call}", params={"issued": issued})
    assert reply.status_code == 200, reply.text
    return bool(reply.json()["running"])


def test_a_command_does_not_time_out_while_the_clock_is_stopped(fresh_agent: AgentProcess) -> None:
    client = fresh_agent.client
    assert _clock(client, "stop", time.time_ns()) is False
    assert _clock(client, "stop", time.time_ns()) is False  # idempotent: the pause began at the first
    pid = client.start("sleep 60", timeout=0.2)
    time.sleep(1)  # five times its timeout, on a stopped clock
    assert client.get(f"/commands/{pid}").json()["running"] is True
    assert _clock(client, "start", time.time_ns()) is True
    assert client.events(pid)[-1]["error"] == "timed out after 0.2 s"
    assert _clock(client, "start", time.time_ns()) is True


def test_a_stop_issued_before_the_last_start_is_not_applied(fresh_agent: AgentProcess) -> None:
    """A stop the server gave up on, read by the agent only after the thaw and its start."""
    client = fresh_agent.client
    assert _clock(client, "stop", 100) is False
    assert _clock(client, "start", 200) is True
    assert _clock(client, "stop", 150) is True  # late
    assert _clock(client, "stop", 200) is True
    assert _clock(client, "start", 150) is True  # a start always applies, and keeps the latest time
    assert _clock(client, "stop", 199) is True
    assert _clock(client, "stop", 201) is False  # the next pause
    assert _clock(client, "start", 202) is True


def test_bad_calls_are_answered_with_the_error_shape(fresh_agent: AgentProcess) -> None:
    client = fresh_agent.client
    for method, path in (("GET", "/clock/stop"), ("PUT", "/clock/start"), ("DELETE", "/clock/stop")):
        AgentClient.expect_error(client.request(method, path), 405, "not allowed")
    surrogate = "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")
    for path in ("/clock", "/clock/pause", "/clock/stop/now", f"/clock/{surrogate}"):
        AgentClient.expect_error(client.post(path, params={"issued": 1}), 404)
    for issued in ("", "x", "-1", "1e9", "1.5", "1" * 21, "١٢", surrogate, "1\x00"):
        for call in ("stop", "start"):
            AgentClient.expect_error(client.post(f"/clock/{call}", params={"issued": issued}), 400, "issued")
    AgentClient.expect_error(client.post("/clock/stop"), 400, "issued")
    big = client.post("/clock/stop", params={"issued": 1}, content=b"\0" * (4 << 20))  # a body nobody reads
    assert big.status_code == 200 and big.json() == {"running": False}
    assert _clock(client, "start", 2) is True
    assert client.run("true")["exit"]["exitCode"] == 0
