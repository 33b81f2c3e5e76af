"""Reading and checking query parameters and JSON bodies against the contract's constraints.

A query parameter that is missing, unparsable or outside its documented bounds makes the request
malformed (400). A body field that is missing or has the wrong type is malformed (400); one that
parses but is out of range is unacceptable (422). The messages name the parameter so a client can
fix its call.
"""

from __future__ import annotations

from . import contract
from .errors import HttpError
from .server import Request

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

MAX_PATH = 4096
MAX_USER = 32


def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object: within the operation's size limit (413), strict UTF-8 with no
    lone surrogate, nested no deeper than the spec allows (400), by the contract's parser."""
    limit: int = request.operation.max_body_bytes
    raw = request.body.read_all(limit)
    try:
        body = contract.parse_json(raw)
    except contract.Invalid as exc:
        raise HttpError(exc.status, exc.message) from None
    if not isinstance(body, dict):
        raise HttpError(400, "request body must be a JSON object")
    return body


def check_path_params(request: Request) -> None:
    """The operation's path parameters (but the gateway's sandboxID), converted and checked (400)."""
    for spec in request.operation.parameters:
        name = spec["name"]
        if spec["in"] == "path" and name != "sandboxID":
            try:
                request.path_params[name] = contract.check_param(
                    request.operation, "path", name, request.path_params[name]
                )
            except contract.Invalid as exc:
                raise HttpError(exc.status, exc.message) from None


def _check_length(name: str, value: str, min_len: int, max_len: int, status: int = 422) -> str:
    if not min_len <= len(value) <= max_len:
        raise HttpError(status, f"{name} must be {min_len} to {max_len} characters long, got {len(value)}")
    return value


def query_str(request: Request, name: str, max_len: int, default: str | None = None) -> str:
    """A string query parameter; 400 if it is missing and has no default."""
    value = request.query.get(name)
    if value is None:
        if default is None:
            raise HttpError(400, f"missing query parameter {name!r}")
        return default
    return _check_length(f"query parameter {name!r}", value, 1, max_len, status=400)


def query_path(request: Request) -> str:
    return query_str(request, "path", MAX_PATH)


def query_user(request: Request) -> str:
    return query_str(request, "user", MAX_USER, default="user")


def query_int(request: Request, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(400, f"query parameter {name!r} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise HttpError(400, f"query parameter {name!r} must be {bound}, got {value}")
    return value


def query_bool(request: Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise HttpError(400, f"query parameter {name!r} must be true or false, got {raw!r}")


def _typed(body: dict[str, Any], name: str, kind: type | tuple[type, ...], label: str, required: bool) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise HttpError(400, f"missing field {name!r}")
        return None
    # bool is an int in Python; JSON true is not a number
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise HttpError(400, f"field {name!r} must be {label}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def field_str(body: dict[str, Any], name: str, max_len: int, min_len: int = 1, required: bool = False) -> str | None:
    value = _typed(body, name, str, "a string", required)
    return None if value is None else _check_length(f"field {name!r}", value, min_len, max_len)


def field_bool(body: dict[str, Any], name: str) -> bool:
    return bool(_typed(body, name, bool, "true or false", False))


def field_int(body: dict[str, Any], name: str, minimum: int, maximum: int) -> int:
    value = _typed(body, name, (int, float), "an integer", True)
    if isinstance(value, float):  # JSON 15.0 is an integer too (JSON Schema counts integral numbers)
        if not value.is_integer():
            raise HttpError(400, f"field {name!r} must be an integer, got {value}")
        value = int(value)
    if not minimum <= value <= maximum:
        raise HttpError(422, f"field {name!r} must be {minimum} to {maximum}, got {value}")
    return int(value)


def field_seconds(body: dict[str, Any], name: str) -> float:
    """A non-negative number of seconds; 0 when absent."""
    value = _typed(body, name, (int, float), "a number", False)
    if value is None:
        return 0.0
    if value < 0 or value != value or value == float("inf"):
        raise HttpError(422, f"field {name!r} must be a finite number of seconds >= 0, got {value}")
    return float(value)


def field_envs(body: dict[str, Any], name: str = "envs") -> dict[str, str]:
    """An object of environment variables; names must be usable as such."""
    value = _typed(body, name, dict, "an object of strings", False) or {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise HttpError(400, f"field {name!r}: the value of {key!r} must be a string")
        if not key or "=" in key or "\0" in key or "\0" in item:
            raise HttpError(422, f"field {name!r}: {key!r} is not a valid environment variable")
    return dict(value)


def field_user(body: dict[str, Any]) -> str:
    return field_str(body, "user", MAX_USER) or "user"
