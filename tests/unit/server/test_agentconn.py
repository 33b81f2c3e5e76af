"""The gateway's agent client against a real Unix-socket HTTP server: when connections are reused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hutchd.agentconn import AgentPool
from hutchd.backend import AgentAddress


class _Agent:
    """Answers each request with `body`, closing the connection after it when `close` says so."""

    def __init__(self, close: bool) -> None:
        self.close = close
        self.connections = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                if headers.get("transfer-encoding") == "chunked":
                    while (size := int((await reader.readline()).strip(), 16)) > 0:
                        await reader.readexactly(size + 2)
                    await reader.readline()
                else:
                    await reader.readexactly(int(headers.get("content-length", "0")))
                extra = b"Connection: close\r\n" if self.close else b""
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + extra + b"\r\nhello")
                await writer.drain()
                if self.close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def _streamed() -> AsyncIterator[bytes]:
    yield b"streamed body"


async def _twice(tmp_path: Path, close: bool) -> tuple[list[bytes], int]:
    agent = _Agent(close)
    path = str(tmp_path / "agent.sock")
    server = await asyncio.start_unix_server(agent.serve, path)
    pool = AgentPool(AgentAddress(path=path))
    try:
        bodies = []
        for _ in range(3):  # a streamed body cannot be sent again: it must go on a connection that is open
            response = await pool.request("POST", "/x", [], _streamed())
            bodies.append(await response.read())
            await asyncio.sleep(0.05)  # the server's close has landed before the next request
        return bodies, agent.connections
    finally:
        pool.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("close", [True, False], ids=["connection-close", "keep-alive"])
def test_a_sized_answer_reuses_the_connection_only_if_it_stays_open(tmp_path: Path, close: bool) -> None:
    bodies, connections = asyncio.run(_twice(tmp_path, close))
    assert bodies == [b"hello"] * 3
    assert connections == (3 if close else 1)
