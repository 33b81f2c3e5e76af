"""The ASGI application: every operation of openapi.yaml (routing.py), its middleware and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from hutchd.http import gateway, routing
from hutchd.http.errors import EXCEPTION_HANDLERS
from hutchd.http.handlers import HANDLERS
from hutchd.http.middleware import AccessLogMiddleware, AuthMiddleware
from hutchd.http.ports import PortsMiddleware
from hutchd.services.hub import Hub


def build_app(hub: Hub) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = Starlette(
        routes=routing.table(HANDLERS, gateway.forward),
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(PortsMiddleware, hub=hub),  # exposed ports: their own access rules, before the API key's
            Middleware(AuthMiddleware, keys=hub.keys),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
