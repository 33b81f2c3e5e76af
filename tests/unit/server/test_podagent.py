"""A pod's agent asked again while it does not answer (podagent.py): a replica adopting pods must not
take one refused connection or one answer that never comes for a dead sandbox. Real TCP on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, cast

import pytest

from hutchd.agentconn import AgentClients, AgentError
from hutchd.backend import AgentAddress, Backend
from hutchd.backends.kubernetes import podagent
from hutchd.backends.kubernetes.podagent import PodAgent

SID = "sbx-podagent"


class _Pods:
    """The one thing AgentClients asks of a backend: where a sandbox's agent answers."""

    def __init__(self, port: int) -> None:
        self.port = port

    def agent_address(self, sandbox_id: str) -> AgentAddress:
        async def lookup() -> str:
            return "127.0.0.1"

        return AgentAddress(port=self.port, token="t" * 32, lookup=lookup)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _frozen_agent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    body = b'{"frozen": true, "stopped": 3}'
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()


async def test_an_agent_that_refuses_at_first_is_asked_again(caplog: pytest.LogCaptureFixture) -> None:
    port = _free_port()
    agents = AgentClients(cast(Backend, _Pods(port)))
    asking = asyncio.create_task(PodAgent(agents).is_frozen(SID))
    with caplog.at_level(logging.WARNING, logger="hutchd"):
        while not any("asking again" in r.getMessage() for r in caplog.records):  # refused: nothing listens
            assert not asking.done(), asking
            await asyncio.sleep(0.01)
    server = await asyncio.start_server(_frozen_agent, "127.0.0.1", port, reuse_address=True)
    try:
        assert await asking is True
    finally:
        server.close()
        await agents.close()


async def test_an_agent_that_never_answers_is_given_up_after_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(podagent, "ASK_BUDGET", 1.0)
    monkeypatch.setattr(podagent, "ASK_ATTEMPT", 0.3)
    connections: list[Any] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accepted, read, never answered (a stopped agent's backlog)
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    agents = AgentClients(cast(Backend, _Pods(server.sockets[0].getsockname()[1])))
    try:
        with pytest.raises(AgentError, match=r"did not answer GET /freeze .*asked for 1s"):
            await PodAgent(agents).is_frozen(SID)
        assert len(connections) >= 2  # asked again, each time on a new connection
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await agents.close()
