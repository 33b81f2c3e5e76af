"""The one error shape of the API (`{"code", "message"}`) and how exceptions become it."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from hutchd.runtime.errors import SandboxNotFound

log = logging.getLogger("hutchd.errors")


class ApiError(Exception):
    """An answer other than 2xx: raise it anywhere in a handler and the client gets `Error`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def unprocessable(message: str) -> ApiError:
    return ApiError(422, message)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": status, "message": message}, status_code=status, headers=headers)


_STARLETTE_MESSAGES = {
    404: "no such route: check the URL against openapi.yaml",
    405: "method not allowed on this route",
}


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _STARLETTE_MESSAGES.get(exc.status_code) or str(exc.detail)
    if exc.status_code == 404:
        message = f"{request.method} {request.url.path}: {message}"
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def _runtime_not_found(_request: Request, exc: Exception) -> Response:
    return error_response(404, f"not found on this host: {exc}")


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before sending its whole body: nothing to answer, nothing went wrong here."""
    log.debug("the client of %s %s hung up mid-request", request.method, request.url.path)
    return error_response(400, "the client closed the connection before the request body ended")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    return error_response(500, f"internal error while handling {request.method} {request.url.path}: {exc}")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    HTTPException: _http_exception,
    SandboxNotFound: _runtime_not_found,
    ClientDisconnect: _client_gone,  # a sandbox that ended while a request about it was under way
    Exception: _unexpected,
}
