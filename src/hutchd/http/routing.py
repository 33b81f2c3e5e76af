"""One route per path, whatever its methods: a method the path does not serve answers 405 with an
`Allow` header naming exactly the methods openapi.yaml lists for it (Starlette's one-route-per-method
tables would name only the first route's, and add HEAD)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hutchd.http.errors import ApiError

Endpoint = Callable[[Request], Awaitable[Response]]

# Route(methods=None) means GET only for a function endpoint: list every method so `dispatch` decides.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


def path_route(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    allow = ", ".join(handlers)

    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            raise ApiError(405, f"{request.method} is not allowed on {path}; use {allow}", {"Allow": allow})
        return await handler(request)

    return Route(path, dispatch, methods=ALL_METHODS, name=path)


def table(routes: Mapping[str, Mapping[str, Endpoint]]) -> list[Route]:
    return [path_route(path, handlers) for path, handlers in routes.items()]
