"""One address in front of several `hutch serve` replicas, as a Kubernetes Service is: each new TCP
connection goes to the next replica in turn (kube-proxy balances connections, not requests), and a
replica that refuses the connection (stopped, restarting) is skipped for the next one.

It runs its own event loop in a thread of the test process, so sync and async tests share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable

CONNECT_TIMEOUT = 5.0
CHUNK = 256 * 1024


class Balancer:
    """A round-robin TCP proxy on 127.0.0.1:`port` to the ports `backends()` names at each connection."""

    def __init__(self, port: int, backends: Callable[[], list[int]]) -> None:
        self.port = port
        self._backends = backends
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="balancer", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        ports = self._backends()
        first = next(self._turn)
        for i in range(len(ports)):
            port = ports[(first + i) % len(ports)]
            with contextlib.suppress(OSError, TimeoutError):  # down or restarting: the next one
                return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), CONNECT_TIMEOUT)
        raise OSError("no replica accepts connections")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._connect()
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(CHUNK):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError, ConnectionError):
                if dst.can_write_eof():
                    dst.write_eof()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
