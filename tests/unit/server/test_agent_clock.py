"""The local backend's calls to a sandbox's clock around a freeze (backends/agent_clock.py) when the agent
fails: a pause never fails or hangs for the clock, a resume asks again and says when it gave up. A real
Unix socket stands in for the agent: silent (as a frozen or stuck agent is), refusing, or failing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hutchd.backend import AgentAddress
from hutchd.backends import agent_clock
from hutchd.backends.agent_clock import AgentClock

SID = "sbx-clock"


class Agent:
    """A Unix-socket HTTP server answering each request with the next of `statuses` (the last repeats),
    or never (`silent`); records the request lines (without their `issued`)."""

    def __init__(self, statuses: list[int], silent: bool = False) -> None:
        self.statuses = statuses
        self.silent = silent
        self.requests: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0]
            self.requests.append(re.sub(rb"\?issued=\d+ ", b" ", line))
            if self.silent:
                await reader.read()
                return
            status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
            running = b"true" if b"/clock/start?" in head else b"false"
            body = b'{"running": %s}' % running if status == 200 else b'{"code": 500, "message": "no"}'
            writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent_clock, "STOP_TIMEOUT", 0.3)
    monkeypatch.setattr(agent_clock, "START_TIMEOUT", 0.3)
    monkeypatch.setattr(agent_clock, "FIRST_RETRY", 0.01)


@pytest.fixture
def socket_path(tmp_path: Path) -> Path:
    return tmp_path / "agent.sock"


@contextlib.asynccontextmanager
async def _serving(agent: Agent, path: Path) -> AsyncIterator[None]:
    server = await asyncio.start_unix_server(agent, str(path))
    try:
        yield
    finally:
        server.close()


def _clock(path: Path) -> AgentClock:
    return AgentClock(lambda sandbox_id: AgentAddress(path=str(path)))


async def test_a_silent_agent_does_not_stop_the_pause(
    quick: None, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent([200], silent=True)
    async with _serving(agent, socket_path):
        with caplog.at_level(logging.WARNING, logger="hutchd"):
            await _clock(socket_path).stop(SID)  # returns (after STOP_TIMEOUT), raises nothing
    assert agent.requests == [b"POST /clock/stop HTTP/1.1"]
    assert any(f"sandbox {SID}: its clock was not stopped" in r.getMessage() for r in caplog.records)


async def test_no_agent_at_all_does_not_stop_the_pause(
    quick: None, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hutchd"):
        await _clock(socket_path).stop(SID)
    assert [r.levelno for r in caplog.records if SID in r.getMessage()] == [logging.WARNING]


async def test_a_start_that_fails_is_tried_again_until_it_works(
    quick: None, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent([500, 500, 200])
    async with _serving(agent, socket_path):
        with caplog.at_level(logging.WARNING, logger="hutchd"):
            await _clock(socket_path).start(SID)
    assert agent.requests == [b"POST /clock/start HTTP/1.1"] * 3
    levels = [r.levelno for r in caplog.records if SID in r.getMessage()]
    assert levels == [logging.WARNING, logging.WARNING]  # two failures said, no error: it started


async def test_a_start_that_never_works_is_logged_as_an_error(
    quick: None, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent([200], silent=True)
    async with _serving(agent, socket_path):
        with caplog.at_level(logging.WARNING, logger="hutchd"):
            await _clock(socket_path).start(SID)  # gives up, raises nothing: the sandbox is thawed
    assert len(agent.requests) == agent_clock.START_ATTEMPTS
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"sandbox {SID}: its clock is still stopped after the resume" in error.getMessage()


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        (b"null", "no JSON object"),  # what else could answer on the agent's socket
        (b'{"running": true}', "the clock is running after POST /clock/stop"),  # a stop it took for late
    ],
)
async def test_an_answer_that_leaves_the_clock_running_is_logged(
    quick: None, socket_path: Path, caplog: pytest.LogCaptureFixture, body: bytes, logged: str
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(answer, str(socket_path))
    try:
        with caplog.at_level(logging.WARNING, logger="hutchd"):
            await _clock(socket_path).stop(SID)  # raises nothing: the pause happens
    finally:
        server.close()
    assert any(logged in r.getMessage() for r in caplog.records)
