"""Exposed ports: HTTP and WebSocket traffic to a server listening inside a sandbox, through this server.

A request to `/sandboxes/{id}/ports/{port}/<path>` (or any path with the `Host` header
`{port}-{id}.<anything>`, e.g. `8000-sbx-1a2b.localhost:7420`) is relayed to `127.0.0.1:{port}`
inside the sandbox over a raw tunnel the sandbox's agent opens (`GET /tunnel/{port}`, `Upgrade: tcp`).
No host port is bound per sandbox. HTTP is streamed both ways (h11 speaks to the sandboxed server);
a WebSocket is accepted here and re-originated to the sandboxed server (the `websockets` package),
messages relayed both ways.

Access: when the sandbox's `allowPublicTraffic` is true, anyone who can reach this server may use its
ports. Otherwise a request needs the owner's `X-API-Key`, the sandbox's access token (`X-Access-Token`,
secure sandboxes) or its traffic token, in the `X-Hutch-Traffic-Token` (or E2B's
`E2B-Traffic-Access-Token`) header, the `hutch_token` query parameter (which also sets a cookie, so a
browser's follow-up requests work) or that cookie. None of these secrets is passed on to the sandbox.

This runs as ASGI middleware in front of the API-key middleware, so API routes are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import socket
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

import h11
from starlette.types import ASGIApp, Receive, Scope, Send

from hutchd.agentconn import AgentError, AgentPool, TunnelRefused
from hutchd.services import network_settings

log = logging.getLogger("hutchd.ports")

PATH_FORM = re.compile(r"^/sandboxes/([^/]+)/ports/(\d{1,5})(/.*)?$", re.DOTALL)
HOST_FORM = re.compile(r"^(\d{1,5})-(sbx-[0-9a-f]{4,64})\.")  # only our ids, so API hostnames never match
TOKEN_HEADER = b"x-hutch-traffic-token"
E2B_TOKEN_HEADER = b"e2b-traffic-access-token"  # E2B's spelling of the traffic token's header
ACCESS_TOKEN_HEADER = b"x-access-token"  # a secure sandbox's access token admits its ports too
TOKEN_PARAM = "hutch_token"
TOKEN_COOKIE = "hutch_traffic_token"
CHUNK = 256 * 1024
HOP_BY_HOP = {
    b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"proxy-authenticate",
    b"te", b"trailer", b"transfer-encoding", b"upgrade",
}  # fmt: skip
SECRET_HEADERS = {b"x-api-key", TOKEN_HEADER, E2B_TOKEN_HEADER, ACCESS_TOKEN_HEADER}
WS_HANDSHAKE = {b"host", b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions",
                b"sec-websocket-protocol", b"content-length"}  # fmt: skip


class PortError(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


@dataclass
class Target:
    sandbox_id: str
    port: int
    path: bytes  # what the sandboxed server sees (starts with /), without the query
    prefix: str  # what the client put before it ("" in the host form)
    bare: bool = False  # the path form without even a "/" after the port
    set_cookie: bytes | None = None
    upstream_host: str = ""  # the Host the sandboxed server sees (the sandbox's maskRequestHost)


def match(scope: Scope) -> Target | None:
    """The sandbox port a request is for, or None for an API request."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    m = PATH_FORM.match(scope["path"])
    if m:
        prefix = f"/sandboxes/{m.group(1)}/ports/{m.group(2)}"
        rest = raw_path.split(b"/", 5)  # b"", b"sandboxes", id, b"ports", port, rest
        path = b"/" + rest[5] if len(rest) > 5 else b"/"
        return Target(m.group(1), int(m.group(2)), path, prefix, bare=len(rest) <= 5)
    host = _header(scope, b"host")
    if host:
        h = HOST_FORM.match(host.decode("latin-1"))
        if h:
            return Target(h.group(2), int(h.group(1)), raw_path, "")
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for k, v in scope["headers"]:
        if k == name:
            return bytes(v)
    return None


async def _open_tunnel(agent: AgentPool, port: int) -> socket.socket:
    """A socket to `port` inside the sandbox (agentconn's tunnel), its refusals as PortError."""
    try:
        return await agent.open_tunnel(port)
    except TunnelRefused as e:
        raise PortError(502 if e.status >= 500 else e.status, e.message) from None
    except AgentError as e:
        raise PortError(502, str(e)) from e


class PortsMiddleware:
    def __init__(self, app: ASGIApp, hub: Any) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = match(scope) if scope["type"] in ("http", "websocket") else None
        if target is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and target.bare and b"text/html" in (_header(scope, b"accept") or b""):
            # a browser: relative links in the page must resolve below the port's prefix (programs
            # asking for the bare prefix get the server's "/" directly)
            query = scope.get("query_string", b"")
            location = target.prefix.encode() + b"/" + (b"?" + query if query else b"")
            await send({"type": "http.response.start", "status": 308, "headers": [(b"location", location)]})
            await send({"type": "http.response.body", "body": b""})
        elif scope["type"] == "http":
            await self._http(scope, receive, send, target)
        else:
            await self._websocket(scope, receive, send, target)

    # ---------------------------------------------------------------- access

    async def _admit(self, scope: Scope, target: Target) -> AgentPool:
        """Check who may use the port; returns the sandbox's agent client. Raises PortError."""
        hub = self.hub
        row = hub.sandboxes.row(target.sandbox_id)
        if row is None or row["state"] in ("killed", "pooled") or row["tenant"] is None:
            raise PortError(404, f"sandbox {target.sandbox_id} not found")
        if not 1 <= target.port <= 65535:
            raise PortError(400, f"port must be 1 to 65535, not {target.port}")
        policy = network_settings.row_policy(row)
        target.upstream_host = policy.request_host(target.port)
        if not policy.allow_public_traffic and not self._authorized(scope, row, target):
            raise PortError(
                401,
                f"the ports of sandbox {target.sandbox_id} are private: send the owner's X-API-Key, its access token "
                f"as X-Access-Token, or its trafficAccessToken as the X-Hutch-Traffic-Token header or the "
                f"{TOKEN_PARAM} query parameter",
            )
        if row["state"] == "paused":
            if not row["auto_resume"]:
                raise PortError(409, f"sandbox {target.sandbox_id} is paused; resume it to reach its ports")
            await hub.sandboxes.ensure_running(target.sandbox_id)
        elif row["state"] != "running":
            raise PortError(409, f"sandbox {target.sandbox_id} is {row['state']}; retry when it is running")
        try:
            pool: AgentPool = hub.agents.get(target.sandbox_id)
        except Exception as e:
            raise PortError(502, f"sandbox {target.sandbox_id} is not reachable: {e}") from e
        return pool

    def _authorized(self, scope: Scope, row: Any, target: Target) -> bool:
        key = _header(scope, b"x-api-key")
        if key is not None:
            tenant = self.hub.keys.lookup(key.decode("latin-1"))
            if tenant is not None and tenant.id == row["tenant"]:
                return True
        access = _header(scope, ACCESS_TOKEN_HEADER)
        if access is not None and row["secure"] and self.hub.access.admits(row["id"], access.decode("latin-1")):
            return True
        expected = (row["traffic_token"] or "").encode()
        if not expected:
            return False
        offered = [_header(scope, TOKEN_HEADER), _header(scope, E2B_TOKEN_HEADER)]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        from_query = query.get(TOKEN_PARAM, "").encode("latin-1") or None
        offered.append(from_query)
        cookie = _header(scope, b"cookie")
        if cookie:
            with contextlib.suppress(Exception):
                jar: SimpleCookie = SimpleCookie(cookie.decode("latin-1"))
                if TOKEN_COOKIE in jar:
                    offered.append(jar[TOKEN_COOKIE].value.encode("latin-1"))
        for value in offered:
            if value is not None and hmac.compare_digest(value, expected):
                if value is from_query:
                    path = target.prefix + "/" if target.prefix else "/"
                    target.set_cookie = (
                        f"{TOKEN_COOKIE}={expected.decode()}; Path={path}; HttpOnly; SameSite=Lax".encode()
                    )
                return True
        return False

    # ---------------------------------------------------------------- HTTP

    def _upstream_headers(self, scope: Scope, target: Target) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        original_host = b""
        for k, v in scope["headers"]:
            if k in HOP_BY_HOP or k in SECRET_HEADERS or k in (b"content-length", b"expect"):
                continue
            if k == b"host":
                original_host = v
                continue
            if k == b"cookie":
                v = _strip_cookie(v)
                if not v:
                    continue
            out.append((k, v))
        out.insert(0, (b"host", target.upstream_host.encode()))
        client = scope.get("client")
        if client:
            out.append((b"x-forwarded-for", str(client[0]).encode()))
        if original_host:
            out.append((b"x-forwarded-host", original_host))
        out.append((b"x-forwarded-proto", b"https" if scope.get("scheme") in ("https", "wss") else b"http"))
        if target.prefix:
            out.append((b"x-forwarded-prefix", target.prefix.encode()))
        return out

    def _request_target(self, scope: Scope, target: Target) -> bytes:
        query = scope.get("query_string", b"")
        if TOKEN_PARAM.encode() in query:
            pairs = [(k, v) for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k != TOKEN_PARAM]
            query = urlencode(pairs).encode("latin-1")
        return target.path + (b"?" + query if query else b"")

    async def _http(self, scope: Scope, receive: Receive, send: Send, target: Target) -> None:
        try:
            agent = await self._admit(scope, target)
            sock = await _open_tunnel(agent, target.port)
        except PortError as e:
            await _send_error(send, e)
            return
        reader, writer = await asyncio.open_connection(sock=sock)  # a Unix or TCP socket
        try:
            await self._relay_http(scope, receive, send, target, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _relay_http(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: Target,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        conn = h11.Connection(h11.CLIENT)
        headers = self._upstream_headers(scope, target)
        length = _header(scope, b"content-length")
        chunked = b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()
        if length is not None:
            headers.append((b"content-length", length))
        elif chunked:
            headers.append((b"transfer-encoding", b"chunked"))
        headers.append((b"connection", b"close"))
        request = h11.Request(method=scope["method"], target=self._request_target(scope, target), headers=headers)
        started = False
        try:
            writer.write(conn.send(request))
            more = True
            while more:  # the body, as it arrives
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body = message.get("body", b"")
                more = message.get("more_body", False)
                if body and (length is not None or chunked):
                    writer.write(conn.send(h11.Data(data=body)))
                    await writer.drain()
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            watcher = asyncio.create_task(_wait_disconnect(receive))
            try:
                event = await _next_event(conn, reader, watcher)
                while isinstance(event, h11.InformationalResponse):
                    event = await _next_event(conn, reader, watcher)
                if not isinstance(event, h11.Response):
                    raise PortError(502, f"the server on port {target.port} closed the connection without answering")
                await send(
                    {
                        "type": "http.response.start",
                        "status": event.status_code,
                        "headers": self._response_headers(scope, target, event.headers),
                    }
                )
                started = True
                while True:
                    event = await _next_event(conn, reader, watcher)
                    if isinstance(event, h11.Data):
                        await send({"type": "http.response.body", "body": bytes(event.data), "more_body": True})
                    elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                        break
                    else:
                        raise PortError(502, f"unexpected {type(event).__name__} from the server")
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                watcher.cancel()
        except _ClientGone:
            return
        except (h11.ProtocolError, OSError, PortError) as e:
            if started:
                log.info("sandbox %s port %d: response cut: %r", target.sandbox_id, target.port, e)
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            err = e if isinstance(e, PortError) else PortError(502, f"the server on port {target.port} failed: {e!r}")
            await _send_error(send, err)

    def _response_headers(self, scope: Scope, target: Target, raw: Any) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        for k, v in raw:
            k = bytes(k).lower()
            v = bytes(v)
            if k in HOP_BY_HOP:
                continue
            if k == b"location":
                v = self._rewrite_location(scope, target, v)
            out.append((k, v))
        if target.set_cookie:
            out.append((b"set-cookie", target.set_cookie))
        return out

    def _rewrite_location(self, scope: Scope, target: Target, value: bytes) -> bytes:
        """Redirects to the sandboxed server's own paths stay behind the prefix (ProxyPassReverse)."""
        local = f"http://{target.upstream_host}".encode()
        if value.startswith(local) and value[len(local) : len(local) + 1] in (b"", b"/", b"?"):
            value = value[len(local) :] or b"/"
            host = _header(scope, b"host") or b""
            base = (b"https://" if scope.get("scheme") == "https" else b"http://") + host
            return base + target.prefix.encode() + value if value.startswith(b"/") else value
        if target.prefix and value.startswith(b"/") and not value.startswith(b"//"):
            return target.prefix.encode() + value
        return value

    # ---------------------------------------------------------------- WebSocket

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, target: Target) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

        first = await receive()
        if first["type"] != "websocket.connect":
            return
        try:
            agent = await self._admit(scope, target)
            sock = await _open_tunnel(agent, target.port)
        except PortError as e:
            await _deny_websocket(scope, send, e)
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in self._upstream_headers(scope, target)
            if k not in WS_HANDSHAKE and not k.startswith(b"sec-websocket-")
        ]
        uri = f"ws://{target.upstream_host}{self._request_target(scope, target).decode('latin-1')}"
        try:
            upstream = await connect(
                uri,
                sock=sock,
                subprotocols=scope.get("subprotocols") or None,
                additional_headers=headers,
                compression=None,
                max_size=None,
                ping_interval=None,
                open_timeout=10,
                user_agent_header=None,  # the client's own User-Agent is passed on
            )
        except (InvalidStatus, InvalidHandshake, OSError, TimeoutError) as e:
            sock.close()
            refused = PortError(502, f"the server on port {target.port} refused the WebSocket: {e}")
            await _deny_websocket(scope, send, refused)
            return
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})

        async def client_to_server() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    await upstream.close(code=message.get("code", 1000))
                    return
                if message.get("text") is not None:
                    await upstream.send(message["text"])
                elif message.get("bytes") is not None:
                    await upstream.send(message["bytes"])

        async def server_to_client() -> None:
            try:
                async for data in upstream:
                    if isinstance(data, str):
                        await send({"type": "websocket.send", "text": data})
                    else:
                        await send({"type": "websocket.send", "bytes": bytes(data)})
                code = upstream.close_code or 1000
            except ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else 1011
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": code if code not in (1005, 1006) else 1000})

        tasks = [asyncio.create_task(client_to_server()), asyncio.create_task(server_to_client())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(BaseException):
                    await t
            with contextlib.suppress(Exception):
                await upstream.close()


class _ClientGone(Exception):
    pass


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader, watcher: asyncio.Task[None]) -> Any:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        read = asyncio.ensure_future(reader.read(CHUNK))
        await asyncio.wait([read, watcher], return_when=asyncio.FIRST_COMPLETED)
        if not read.done():
            read.cancel()
            with contextlib.suppress(BaseException):
                await read
            raise _ClientGone()
        conn.receive_data(read.result())


def _strip_cookie(value: bytes) -> bytes:
    parts = [p for p in value.split(b";") if not p.strip().startswith(TOKEN_COOKIE.encode() + b"=")]
    return b";".join(parts).strip()


async def _send_error(send: Send, e: PortError) -> None:
    body = json.dumps({"code": e.status, "message": e.message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *e.headers]
    await send({"type": "http.response.start", "status": e.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _deny_websocket(scope: Scope, send: Send, e: PortError) -> None:
    """Refuse a WebSocket before accepting it: with an HTTP answer where the server supports it."""
    body = json.dumps({"code": e.status, "message": e.message}).encode()
    if "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": e.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": e.message[:120]})
