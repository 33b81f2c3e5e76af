"""The route table, from the spec's operations (hutch_agent.contract): one Starlette route per path,
whatever its methods, so that a method the path does not serve answers 405 with an `Allow` header
naming exactly the methods openapi.yaml lists for it (one-route-per-method tables would name only the
first route's, and add HEAD). Each request carries its operation in its scope, for validation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hutch_agent.contract import Operation, operations
from hutchd.http.credentials import authorize
from hutchd.http.errors import ApiError
from hutchd.http.validation import SCOPE_KEY, check_path

Endpoint = Callable[[Request], Awaitable[Response]]

# Route(methods=None) means GET only for a function endpoint: list every method so `dispatch` decides.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


def path_route(path: str, served: Mapping[str, tuple[Operation, Endpoint]]) -> Route:
    allow = ", ".join(served)

    async def dispatch(request: Request) -> Response:
        entry = served.get(request.method)
        if entry is None:
            raise ApiError(405, f"{request.method} is not allowed on {path}; use {allow}", {"Allow": allow})
        request.scope[SCOPE_KEY] = entry[0]
        check_path(request)
        authorize(request, entry[0])
        return await entry[1](request)

    return Route(path, dispatch, methods=ALL_METHODS, name=path)


def table(control: Mapping[str, Endpoint], forward: Endpoint) -> list[Route]:
    """Every operation of the spec: control operations to their handler by operationId, agent
    operations to the gateway's `forward`. A control operation without a handler, or a handler
    for no operation, is a startup error (tests/unit/contract/test_handlers.py proves there is none)."""
    unknown = set(control) - {op.id for op in operations() if not op.agent}
    if unknown:
        raise RuntimeError(f"handlers for operations openapi.yaml does not have: {sorted(unknown)}")
    paths: dict[str, dict[str, tuple[Operation, Endpoint]]] = {}
    for op in operations():
        paths.setdefault(op.path, {})[op.method] = (op, forward if op.agent else control[op.id])
    return [path_route(path, served) for path, served in paths.items()]
