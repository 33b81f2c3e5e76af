"""Pure ASGI middleware (streaming-safe): API-key authentication and one access-log line per request."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hutchd.auth import KeyRing

access_log = logging.getLogger("hutchd.access")

PUBLIC_PATHS = {"/health"}


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"code": status, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AuthMiddleware:
    """Every route but /health needs a known `X-API-Key`; the tenant goes to `request.state.tenant`.

    A request without one that brings a sandbox credential instead (`X-Access-Token`, or a
    `signature` query parameter) goes on without a tenant: routing checks it against what its
    operation accepts (credentials.py), and refuses it there when the operation takes neither."""

    def __init__(self, app: ASGIApp, keys: KeyRing) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        presented = None
        sandbox_credential = b"signature=" in scope.get("query_string", b"")
        for name, value in scope["headers"]:
            if name == b"x-api-key" and presented is None:
                presented = value.decode("latin-1")
            elif name == b"x-access-token":
                sandbox_credential = True
        if presented is None and sandbox_credential:
            await self.app(scope, receive, send)
            return
        tenant = self.keys.lookup(presented)
        if tenant is None:
            why = "is missing" if presented is None else "is not a key this server knows"
            await _send_error(send, 401, f"the X-API-Key header {why}; `hutch serve` printed the key at start")
            return
        scope.setdefault("state", {})["tenant"] = tenant
        await self.app(scope, receive, send)


class AccessLogMiddleware:
    """`method path status ms tenant`, structured, at INFO (shown with --log-level info)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = [0]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                tenant: Any = scope.get("state", {}).get("tenant")
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status[0],
                            "ms": round((time.perf_counter() - started) * 1000, 1),
                            "tenant": str(tenant) if tenant is not None else None,
                        }
                    },
                )
