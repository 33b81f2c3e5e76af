"""Request checking at the server, by the contract's one validator (hutch_agent.contract): the
operation a route serves is in the request's scope (see routing.py), its limits and schemas come
from openapi.yaml. The status conventions are the validator's (400 malformed, 422 unacceptable,
413 too large); a body field of the wrong type or a missing one is 422 here, as it always was.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from hutch_agent import contract
from hutch_agent.contract import Invalid, Operation
from hutchd.http.errors import ApiError, bad_request

SCOPE_KEY = "hutch.operation"


def operation(request: Request) -> Operation:
    op: Operation = request.scope[SCOPE_KEY]
    return op


def refused(exc: Invalid) -> ApiError:
    return ApiError(exc.status, exc.message)


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than the limit of {limit} bytes for this operation")


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise bad_request(f"Content-Length {raw[:40]!r} is not a number")
    return int(raw)


def check_declared_size(request: Request) -> int | None:
    """The operation's body limit, after refusing (413) a body whose Content-Length exceeds it."""
    limit = operation(request).max_body_bytes
    if limit is not None:
        length = declared_length(request)
        if length is not None and length > limit:
            raise too_large(limit)
    return limit


def check_media_type(request: Request) -> None:
    """415 for a body whose Content-Type is none of those the operation's spec lists."""
    body = operation(request).body
    kind = request.headers.get("content-type", "")
    if body is not None and kind.partition(";")[0].strip().lower() not in body["content"]:
        raise ApiError(415, f"send the body as {' or '.join(body['content'])}, not {kind[:80]!r}")


def check_body_present(request: Request) -> None:
    """400 for an operation whose body is required when the request has none at all: no bytes and no
    Content-Type. An empty body sent with its media type is a body (an empty file, no stdin bytes)."""
    body = operation(request).body
    if body is None or not body["required"] or "content-type" in request.headers:
        return
    if declared_length(request) or "transfer-encoding" in request.headers:
        return
    media = " or ".join(body["content"])
    raise bad_request(f"the request needs a body ({media}); send an empty one with that Content-Type for no bytes")


async def json_body(request: Request) -> dict[str, Any]:
    """Read (within the operation's size limit), parse and check the request's JSON object body."""
    limit = check_declared_size(request)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise bad_request("a JSON body is required (send {} for the defaults)")
    try:
        return contract.check_body(operation(request), contract.parse_json(raw), type_status=422)
    except Invalid as exc:
        raise refused(exc) from None


def check_path(request: Request) -> None:
    """Every path parameter of the operation, as the spec types and bounds it (400 if not)."""
    op = operation(request)
    try:
        for p in op.parameters:
            if p["in"] == "path":
                contract.check_param(op, "path", p["name"], request.path_params.get(p["name"]))
    except Invalid as exc:
        raise refused(exc) from None


def param(request: Request, location: str, name: str) -> Any:
    """A query (the last of repeated ones) or header parameter, converted and checked."""
    if location == "query":
        values = request.query_params.getlist(name)
        raw = values[-1] if values else None
    else:
        raw = request.headers.get(name)
    try:
        return contract.check_param(operation(request), location, name, raw)
    except Invalid as exc:
        raise refused(exc) from None


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?\Z", re.ASCII)


def query_time(request: Request, name: str) -> float | None:
    """An RFC 3339 date-time query parameter as a Unix timestamp (a missing offset means UTC)."""
    raw = param(request, "query", name)
    if raw is None:
        return None
    try:
        if not _RFC3339.match(raw):  # fromisoformat alone also takes "20260101" and a trailing NUL
            raise ValueError(raw)
        dt = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"query parameter {name!r} must be an RFC 3339 date-time, not {raw[:60]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
