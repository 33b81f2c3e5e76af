"""The sandbox's clock through the agent's host-internal routes (`POST /clock/stop`, `POST /clock/start`),
which the local backend calls around a cgroup freeze (hutchd/backends/agent_clock.py): while the clock
is stopped no command times out; once started, one does. An agent of its own: a clock left stopped by a
failed test must not reach the session's other tests."""

from __future__ import annotations

import time

from .conftest import AgentClient, AgentProcess


def test_a_command_does_not_time_out_while_the_clock_is_stopped(fresh_agent: AgentProcess) -> None:
    client = fresh_agent.client
    assert client.post("/clock/stop").json() == {"running": False}
    assert client.post("/clock/stop").json() == {"running": False}  # idempotent: the pause began at the first
    pid = client.start("sleep 60", timeout=0.2)
    time.sleep(1)  # five times its timeout, on a stopped clock
    assert client.get(f"/commands/{pid}").json()["running"] is True
    assert client.post("/clock/start").json() == {"running": True}
    assert client.events(pid)[-1]["error"] == "timed out after 0.2 s"
    assert client.post("/clock/start").json() == {"running": True}


def test_bad_calls_are_answered_with_the_error_shape(fresh_agent: AgentProcess) -> None:
    client = fresh_agent.client
    for method, path in (("GET", "/clock/stop"), ("PUT", "/clock/start"), ("DELETE", "/clock/stop")):
        AgentClient.expect_error(client.request(method, path), 405, "not allowed")
    for path in (
        "/clock",
        "/clock/pause",
        "/clock/stop/now",
        "/clock/\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
    ):
        AgentClient.expect_error(client.post(path), 404)
    big = client.post("/clock/stop", content=b"\0" * (4 << 20))  # a body nobody reads: dropped, the call done
    assert big.status_code == 200 and big.json() == {"running": False}
    assert client.post("/clock/start", content=b'{"running": false}').json() == {"running": True}
    assert client.run("true")["exit"]["exitCode"] == 0
