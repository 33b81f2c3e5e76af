"""The ASGI application: the route table of every operation in openapi.yaml."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from hutchd import gateway, networking
from hutchd import handlers as h
from hutchd.errors import EXCEPTION_HANDLERS
from hutchd.hub import Hub
from hutchd.middleware import AccessLogMiddleware, AuthMiddleware
from hutchd.ports import PortsMiddleware

CONTROL_ROUTES = [
    Route("/health", h.health, methods=["GET"]),
    Route("/sandboxes", h.create_sandbox, methods=["POST"]),
    Route("/sandboxes", h.list_sandboxes, methods=["GET"]),
    Route("/sandboxes/{sandboxID}", h.get_sandbox, methods=["GET"]),
    Route("/sandboxes/{sandboxID}", h.kill_sandbox, methods=["DELETE"]),
    Route("/sandboxes/{sandboxID}/timeout", h.set_timeout, methods=["POST"]),
    Route("/sandboxes/{sandboxID}/network", networking.update_network, methods=["PUT"]),
    Route("/sandboxes/{sandboxID}/pause", h.pause_sandbox, methods=["POST"]),
    Route("/sandboxes/{sandboxID}/resume", h.resume_sandbox, methods=["POST"]),
    Route("/sandboxes/{sandboxID}/connect", h.connect_sandbox, methods=["POST"]),
    Route("/sandboxes/{sandboxID}/metrics", h.sandbox_metrics, methods=["GET"]),
    Route("/sandboxes/{sandboxID}/snapshots", h.create_snapshot, methods=["POST"]),
    Route("/sandboxes/{sandboxID}/snapshots", h.list_sandbox_snapshots, methods=["GET"]),
    Route("/sandboxes/{sandboxID}/restore", h.restore_sandbox, methods=["POST"]),
    Route("/snapshots", h.list_snapshots, methods=["GET"]),
    Route("/snapshots/{snapshotID}", h.get_snapshot, methods=["GET"]),
    Route("/snapshots/{snapshotID}", h.delete_snapshot, methods=["DELETE"]),
    Route("/templates", h.list_templates, methods=["GET"]),
    Route("/templates/{templateID}", h.get_template, methods=["GET"]),
]


def build_app(hub: Hub) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = Starlette(
        routes=[*CONTROL_ROUTES, *gateway.routes()],
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
