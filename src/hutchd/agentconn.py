"""The server's one HTTP/1.1 client for the agents (gateway, exposed ports, envs, the template
builder's commands and files), on their Unix sockets or, on Kubernetes, their pods' TCP port with the
sandbox's agent token:
h11 over asyncio streams, kept-alive connections, bodies streamed both ways, one small pool per
sandbox, the retry of a request a stale kept-alive connection lost, and the agent's TCP tunnels
into the sandbox (`open_tunnel`, for exposed ports). The runtime's readiness probe
(runtime/agentclient.py) is its own: synchronous, in the runtime's thread.

The gateway's hot path: a general-purpose client (httpx) spends about 1.5 ms of Python per request
on models and layers the gateway does not need; this spends about a third of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, urlencode

import h11

from hutch_agent import contract
from hutchd.backend import AgentAddress, Backend

READ_SIZE = 1024 * 1024  # large reads: fewer parser events and awaits per MB relayed
SEND_BUFFER = 4 * 1024 * 1024  # an upload relayed in fewer, larger writes (the default is 208 KiB)
MAX_IDLE = 8  # kept-alive connections per sandbox
CONNECT_TIMEOUT = 10.0
MAX_ERROR_BODY = 64 * 1024  # of an agent's answer refusing a tunnel
MAX_ANSWER = 64 * 1024  # of a host-internal route's JSON answer (`ask`)


class AgentError(Exception):
    """The agent could not be reached, or broke the connection."""


class StaleConnection(AgentError):
    """A kept-alive connection turned out closed before any byte of the answer: safe to resend a
    request that had no body."""


class TunnelRefused(AgentError):
    """The agent answered a tunnel request with an error instead of switching protocols."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reused: bool = False) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.reused = reused

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def send(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def next_event(self) -> h11.Event:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            self.h11.receive_data(await self.reader.read(READ_SIZE))


class AgentResponse:
    def __init__(self, pool: AgentPool, conn: _Conn, response: h11.Response) -> None:
        self._pool = pool
        self._conn: _Conn | None = conn
        self.status_code = response.status_code
        self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        size = self.header("content-length")
        self._length: int | None = None  # of a body read past h11 (_sized_body)
        # Only on a connection that stays open: past h11, nobody else would see a `Connection: close`
        # and the connection would go back to the pool, for the next request to find it closed.
        kept_alive = response.http_version == b"1.1" and "close" not in (self.header("connection") or "").lower()
        if size is not None and size.isdigit() and self.header("transfer-encoding") is None and kept_alive:
            self._length = int(size) if response.status_code not in (204, 304) else None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    async def iter_body(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            if self._length is not None:
                async for chunk in self._sized_body(conn, self._length):
                    yield chunk
            else:
                while True:
                    event = await conn.next_event()
                    if isinstance(event, h11.Data):
                        yield bytes(event.data)
                    elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                        break
        except AgentError:
            await self.aclose()
            raise
        except (OSError, h11.ProtocolError) as e:
            await self.aclose()
            raise AgentError(f"the agent broke the answer off: {e!r}") from e
        self._release()

    @staticmethod
    async def _sized_body(conn: _Conn, length: int) -> AsyncIterator[bytes]:
        """A body of known length read straight from the socket, in reads of up to `READ_SIZE`: through
        h11 each byte would be copied four more times. The connection's h11 state is then a fresh one."""
        buffered = conn.h11.trailing_data[0]
        if len(buffered) > length:
            raise AgentError("the agent sent more than its Content-Length")
        if buffered:
            yield buffered
        left = length - len(buffered)
        while left:
            chunk = await conn.reader.read(min(left, READ_SIZE))
            if not chunk:
                raise AgentError(f"the agent closed the connection {left} bytes before the end of its answer")
            left -= len(chunk)
            yield chunk
        conn.h11 = h11.Connection(h11.CLIENT)

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.iter_body()])

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
            try:
                conn.h11.start_next_cycle()
            except h11.ProtocolError:
                conn.close()
                return
            self._pool.put_back(conn)
        elif conn.h11.our_state is h11.IDLE and conn.h11.their_state is h11.IDLE:
            self._pool.put_back(conn)  # after a sized body (_sized_body)
        else:
            conn.close()

    async def aclose(self) -> None:
        """Give up on the rest of the answer (the client left): the connection cannot be reused."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _family(target: str | tuple[str, int]) -> socket.AddressFamily:
    if isinstance(target, str):
        return socket.AF_UNIX
    return socket.AF_INET6 if ":" in target[0] else socket.AF_INET


class AgentPool:
    """Connections to one agent."""

    def __init__(self, address: AgentAddress) -> None:
        self.address = address
        self._auth = [("x-hutch-agent-token", address.token)] if address.token else []
        self._idle: list[_Conn] = []

    async def _tcp_host(self) -> str:
        assert self.address.lookup is not None, "an agent is reached by a Unix path or a TCP lookup"
        return await self.address.lookup()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        a = self.address
        if a.path is not None:
            return await asyncio.open_unix_connection(a.path, limit=READ_SIZE)
        return await asyncio.open_connection(await self._tcp_host(), a.port, limit=READ_SIZE)

    async def _connect(self) -> _Conn:
        if self._idle:
            return self._idle.pop()
        try:
            reader, writer = await asyncio.wait_for(self._open(), CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as e:
            raise AgentError(f"cannot connect to the agent: {e!r}") from e
        with contextlib.suppress(OSError):  # capped by net.core.wmem_max
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        return _Conn(reader, writer)

    async def open_tunnel(self, port: int, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
        """A connected, non-blocking socket to `port` on the sandbox's loopback, through the agent's
        `GET /tunnel/{port}` upgrade; the caller owns it. TunnelRefused carries the agent's answer
        when it would not open one; AgentError when the agent could not be reached."""
        loop = asyncio.get_running_loop()
        a = self.address
        target: str | tuple[str, int] = a.path if a.path is not None else (await self._tcp_host(), a.port)
        sock = socket.socket(_family(target), socket.SOCK_STREAM)
        sock.setblocking(False)
        conn = h11.Connection(h11.CLIENT)

        async def next_event() -> h11.Event:
            while (event := conn.next_event()) is h11.NEED_DATA:
                conn.receive_data(await loop.sock_recv(sock, READ_SIZE))
            return event  # type: ignore[return-value]

        try:
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, target)
                upgrade = [("host", "agent"), ("connection", "Upgrade"), ("upgrade", "tcp"), *self._auth]
                request = h11.Request(method="GET", target=f"/tunnel/{port}", headers=upgrade)
                await loop.sock_sendall(sock, (conn.send(request) or b"") + (conn.send(h11.EndOfMessage()) or b""))
                event = await next_event()
                if isinstance(event, h11.InformationalResponse) and event.status_code == 101:
                    if conn.trailing_data[0]:
                        raise AgentError("the sandbox sent data before the request")
                    return sock
                if not isinstance(event, h11.Response):
                    raise AgentError("the agent closed the tunnel before answering")
                body = b""
                while isinstance(part := await next_event(), h11.Data) and len(body) < MAX_ERROR_BODY:
                    body += part.data
                try:
                    message = str(json.loads(body)["message"])
                except (ValueError, KeyError, TypeError):
                    message = body.decode(errors="replace")[:500] or f"HTTP {event.status_code}"
                raise TunnelRefused(event.status_code, message)
        except AgentError:
            sock.close()
            raise
        except (OSError, TimeoutError, h11.ProtocolError) as e:
            sock.close()
            raise AgentError(f"could not open a tunnel into the sandbox: {e!r}") from e
        except BaseException:
            sock.close()
            raise

    def put_back(self, conn: _Conn) -> None:
        if len(self._idle) >= MAX_IDLE:
            conn.close()
        else:
            conn.reused = True
            self._idle.append(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes] | bytes | None = None,
    ) -> AgentResponse:
        """Send a request and answer once the response's status and headers arrived; the body is
        then read with `iter_body()` (or dropped with `aclose()`).

        A kept-alive connection the agent has just closed fails before any byte of the answer: a
        request whose body is absent or in memory is then sent again once, on a fresh connection; a
        streamed body cannot be replayed."""
        try:
            return await self._send(method, target, headers, body)
        except StaleConnection:
            if body is not None and not isinstance(body, bytes):
                raise
            return await self._send(method, target, headers, body)

    async def ask(self, method: str, path: str) -> dict[str, Any]:
        """A host-internal route's JSON object (the pause, the clock, usage), read up to MAX_ANSWER bytes:
        the answer comes from inside the sandbox, where its own code could answer in the agent's place.
        AgentError for anything but HTTP 200 with a JSON object."""
        resp = await self.request(method, path, [])
        data = b""
        try:
            async for chunk in resp.iter_body():
                data += chunk
                if len(data) > MAX_ANSWER:
                    raise AgentError(f"the agent answered {method} {path} with over {MAX_ANSWER} bytes")
        except BaseException:
            await resp.aclose()  # the rest of the answer is not read (too long, or a timeout cancelled it)
            raise
        if resp.status_code != 200:
            raise AgentError(f"{method} {path} answered HTTP {resp.status_code}: {data[:300].decode(errors='replace')}")
        with contextlib.suppress(ValueError):
            if isinstance(answer := json.loads(data), dict):
                return answer
        raise AgentError(f"the agent answered {method} {path} with no JSON object")

    async def _send(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes] | bytes | None = None,
    ) -> AgentResponse:
        conn = await self._connect()
        names = {k.lower() for k, _ in headers}
        hdrs = [("host", "agent"), *self._auth, *headers]
        if isinstance(body, bytes):
            if "content-length" not in names:
                hdrs.append(("content-length", str(len(body))))
        elif body is not None and "content-length" not in names:
            hdrs.append(("transfer-encoding", "chunked"))
        sent_any_body = False
        try:
            await conn.send(h11.Request(method=method, target=target, headers=hdrs))
            if isinstance(body, bytes):
                if body:
                    await conn.send(h11.Data(data=body))
            elif body is not None:
                async for chunk in body:
                    sent_any_body = True
                    await conn.send(h11.Data(data=chunk))
            await conn.send(h11.EndOfMessage())
            event = await conn.next_event()
            while isinstance(event, h11.InformationalResponse):
                event = await conn.next_event()
        except (OSError, h11.ProtocolError) as e:
            conn.close()
            if conn.reused and not sent_any_body:
                raise StaleConnection(repr(e)) from e
            raise AgentError(f"the agent did not answer: {e!r}") from e
        except BaseException:
            conn.close()  # the body's source failed (too large, client gone): the request is half sent
            raise
        if isinstance(event, h11.ConnectionClosed) or not isinstance(event, h11.Response):
            conn.close()
            if conn.reused and not sent_any_body:
                raise StaleConnection("the kept-alive connection was closed")
            raise AgentError("the agent closed the connection without answering")
        return AgentResponse(self, conn, event)


class AgentClients:
    """The pools of every sandbox's agent."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._pools: dict[str, AgentPool] = {}

    def get(self, sandbox_id: str) -> AgentPool:
        """The sandbox's pool; raises the runtime's SandboxNotFound when it has no agent."""
        pool = self._pools.get(sandbox_id)
        if pool is None:
            pool = AgentPool(self._backend.agent_address(sandbox_id))
            self._pools[sandbox_id] = pool
        return pool

    async def drop(self, sandbox_id: str) -> None:
        pool = self._pools.pop(sandbox_id, None)
        if pool is not None:
            pool.close()

    async def close(self) -> None:
        for sid in list(self._pools):
            await self.drop(sid)

    async def file(self, sandbox_id: str, operation_id: str, path: str, body: bytes | None = None) -> bytes:
        """Read (`readFile`) or write (`writeFile`) a file as the sandbox's root, inside the sandbox (so
        its own symlinks lead nowhere outside it)."""
        op = contract.operation(operation_id)
        target = (op.agent_path or "") + "?" + urlencode({"path": path, "user": "root"})
        headers = [("content-type", "application/octet-stream")] if body is not None else []
        resp = await self.get(sandbox_id).request(op.method, target, headers, body)
        data = await resp.read()
        if resp.status_code >= 300:
            raise RuntimeError(f"agent {operation_id} {path}: HTTP {resp.status_code} {data[:200]!r}")
        return data

    async def set_envs(self, sandbox_id: str, envs: dict[str, str]) -> None:
        """Replace the agent's sandbox-wide environment (what every later command sees)."""
        body = json.dumps(envs).encode()
        headers = [("content-type", "application/json")]
        op = contract.operation("replaceEnvVars")
        resp = await self.get(sandbox_id).request(op.method, op.agent_path or "", headers, body)
        text = await resp.read()
        if resp.status_code >= 300:
            raise RuntimeError(f"agent refused the environment: HTTP {resp.status_code} {text[:200]!r}")

    async def envs(self, sandbox_id: str) -> dict[str, str]:
        """The agent's sandbox-wide environment, values and all (for the server's eyes only)."""
        return dict(json.loads(await self._call(sandbox_id, "getEnvVars", None)))

    async def update_envs(self, sandbox_id: str, envs: dict[str, str]) -> None:
        """Set these variables in the sandbox-wide environment, keeping the others."""
        await self._call(sandbox_id, "updateEnvVars", json.dumps(envs).encode())

    async def _call(
        self, sandbox_id: str, operation_id: str, body: bytes | AsyncIterator[bytes] | None, **params: Any
    ) -> bytes:
        """One agent operation by its operationId: path parameters filled, the rest as the query."""
        op = contract.operation(operation_id)
        template = op.agent_path or ""
        path = template.format(**{k: params.pop(k) for k in list(params) if "{" + k + "}" in template})
        target = f"{path}?{urlencode(params, quote_via=quote)}" if params else path
        kind = "application/json" if op.json_schema is not None else "application/octet-stream"
        headers = [("content-type", kind)] if body is not None else []
        resp = await self.get(sandbox_id).request(op.method, target, headers, body)
        data = await resp.read()
        if resp.status_code >= 300:
            raise AgentError(f"{operation_id} answered HTTP {resp.status_code}: {data[:300].decode(errors='replace')}")
        return data

    async def write_file(self, sandbox_id: str, path: str, data: bytes | AsyncIterator[bytes], user: str) -> None:
        await self._call(sandbox_id, "writeFile", data, path=path, user=user)

    async def run_command(
        self,
        sandbox_id: str,
        cmd: str,
        *,
        user: str,
        cwd: str | None = None,
        envs: dict[str, str] | None = None,
        on_output: Callable[[str], None] | None = None,
        background: bool = False,
        tag: str | None = None,
    ) -> int:
        """Run `cmd` in the sandbox and return its exit code, handing its output to `on_output` as it
        comes (stdout and stderr interleaved); with `background`, return its pid once it started."""
        request: dict[str, Any] = {"cmd": cmd, "user": user, "envs": envs or {}}
        if cwd is not None:
            request["cwd"] = cwd
        if tag is not None:
            request["tag"] = tag
        started = json.loads(await self._call(sandbox_id, "startCommand", json.dumps(request).encode()))
        pid = int(started["pid"])
        if background:
            return pid
        op = contract.operation("streamCommandOutput")
        resp = await self.get(sandbox_id).request(op.method, (op.agent_path or "").format(pid=pid), [])
        if resp.status_code >= 300:
            raise AgentError(f"streamCommandOutput answered HTTP {resp.status_code}: {(await resp.read())[:300]!r}")
        pending = b""
        code: int | None = None
        async for chunk in resp.iter_body():  # the stream ends after the exit event
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                event = json.loads(line) if line.strip() else {}
                if event.get("type") in ("stdout", "stderr") and on_output is not None:
                    on_output(str(event["data"]))
                elif event.get("type") == "exit":
                    code = int(event["exitCode"])
        if code is None:
            raise AgentError(f"the output of command {pid} ended without its exit")
        return code
