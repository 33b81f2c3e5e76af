"""The ASGI application: the route table of every operation in openapi.yaml."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from hutchd.http import gateway, routing
from hutchd.http import handlers as h
from hutchd.http.errors import EXCEPTION_HANDLERS
from hutchd.http.middleware import AccessLogMiddleware, AuthMiddleware
from hutchd.http.ports import PortsMiddleware
from hutchd.http.routing import Endpoint
from hutchd.services import network_settings
from hutchd.services.hub import Hub

CONTROL_ROUTES: dict[str, dict[str, Endpoint]] = {
    "/health": {"GET": h.health},
    "/sandboxes": {"GET": h.list_sandboxes, "POST": h.create_sandbox},
    "/sandboxes/{sandboxID}": {"GET": h.get_sandbox, "DELETE": h.kill_sandbox},
    "/sandboxes/{sandboxID}/timeout": {"POST": h.set_timeout},
    "/sandboxes/{sandboxID}/network": {"PUT": network_settings.update_network},
    "/sandboxes/{sandboxID}/pause": {"POST": h.pause_sandbox},
    "/sandboxes/{sandboxID}/resume": {"POST": h.resume_sandbox},
    "/sandboxes/{sandboxID}/connect": {"POST": h.connect_sandbox},
    "/sandboxes/{sandboxID}/metrics": {"GET": h.sandbox_metrics},
    "/sandboxes/{sandboxID}/snapshots": {"GET": h.list_sandbox_snapshots, "POST": h.create_snapshot},
    "/sandboxes/{sandboxID}/restore": {"POST": h.restore_sandbox},
    "/snapshots": {"GET": h.list_snapshots},
    "/snapshots/{snapshotID}": {"GET": h.get_snapshot, "DELETE": h.delete_snapshot},
    "/templates": {"GET": h.list_templates},
    "/templates/{templateID}": {"GET": h.get_template},
}


def build_app(hub: Hub) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = Starlette(
        routes=[*routing.table(CONTROL_ROUTES), *gateway.routes()],
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
