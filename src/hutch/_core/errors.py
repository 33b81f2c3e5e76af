"""Turn HTTP answers and transport failures into :mod:`hutch.exceptions` (shared by sync and async)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar

import httpx

from hutch.config import ConnectionConfig
from hutch.exceptions import (
    AuthenticationException,
    ConflictException,
    InvalidArgumentException,
    NotEnoughSpaceException,
    NotFoundException,
    PermissionDeniedException,
    RateLimitException,
    SandboxException,
    SandboxUnreachableException,
    ServiceBusyException,
    ServiceUnavailableException,
    TimeoutException,
)

T = TypeVar("T")

_BY_STATUS: dict[int, type[SandboxException]] = {
    400: InvalidArgumentException,
    401: AuthenticationException,
    403: PermissionDeniedException,
    404: NotFoundException,
    408: TimeoutException,
    409: ConflictException,
    413: InvalidArgumentException,
    422: InvalidArgumentException,
    429: RateLimitException,
    502: SandboxUnreachableException,
    503: ServiceBusyException,
    504: TimeoutException,
    507: NotEnoughSpaceException,
}

MALFORMED = (KeyError, ValueError, TypeError, AttributeError, IndexError)
"""What the generated models raise on a reply that does not fit the spec."""


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), or None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def server_message(status: int, body: bytes) -> str:
    """The ``message`` of an ``Error`` body, or the body itself, or the status's reason phrase."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    if text:
        return text[:500]
    return f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".strip()


def error_for_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    not_found: type[NotFoundException] = NotFoundException,
) -> SandboxException:
    """The exception for a non-2xx answer, carrying the server's message."""
    message = server_message(status, body)
    if status == 429:
        return RateLimitException(message, status, parse_retry_after(headers))
    if status == 404:
        return not_found(message, status)
    return _BY_STATUS.get(status, SandboxException)(message, status)


def error_for_transport(exc: httpx.HTTPError, config: ConnectionConfig) -> SandboxException:
    """The exception for a request that got no (complete) answer."""
    where = config.base_url
    if isinstance(exc, httpx.TimeoutException):
        what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return TimeoutException(
            f"Timed out {what} the hutch server at {where} ({type(exc).__name__}). The limit per request "
            f"is request_timeout={config.request_timeout} s (HUTCH_REQUEST_TIMEOUT); raise it for slow calls."
        )
    if isinstance(exc, httpx.ConnectError):
        if config.is_default_domain:
            return ServiceUnavailableException(
                f"Could not connect to {where}: no hutch server is running there ({exc}). "
                "Start one with `hutch serve` (or `make serve` in a checkout), "
                "or point HUTCH_DOMAIN / domain= at a running server."
            )
        return ServiceUnavailableException(
            f"Could not connect to the hutch server at {where} ({exc}). "
            "Check HUTCH_DOMAIN / domain= and that the server is running."
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return InvalidArgumentException(f"Bad server address {where}: {exc}")
    return ServiceUnavailableException(
        f"The connection to the hutch server at {where} failed: {type(exc).__name__}: {exc or 'no detail'}"
    )


def parse_reply(parse: Callable[[httpx.Response], T], response: httpx.Response) -> T:
    """Run ``parse`` on a 2xx answer; a reply that does not fit the spec becomes a SandboxException."""
    try:
        return parse(response)
    except MALFORMED as exc:
        body = response.content[:300].decode("utf-8", "replace")
        raise SandboxException(
            f"The server's reply to {response.request.method} {response.request.url.path} does not match "
            f"the hutch API ({type(exc).__name__}: {exc}); got HTTP {response.status_code}: {body!r}",
            response.status_code,
        ) from exc
