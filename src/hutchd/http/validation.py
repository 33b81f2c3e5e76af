"""Request checking against the shapes of openapi.yaml, with messages that say what was wrong.

Bodies: not JSON, or not an object -> 400; a field of the wrong type, out of range, not matching its
pattern, or a required field missing -> 422. Query parameters that do not parse or are out of range -> 400
(the spec lists no 422 for them). Unknown body fields are ignored: the spec's objects allow them, and
ignoring them lets an older server accept a newer client's optional fields.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from hutchd.http.errors import ApiError, bad_request, unprocessable

MAX_JSON_BODY = 2 * 1024 * 1024


@dataclass(frozen=True)
class F:
    """One field: `kind` is string, integer, number, boolean, strmap (object of strings) or object."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    fields: Mapping[str, F] | None = None  # for kind == "object" with known properties
    required: tuple[str, ...] = ()
    env_names: bool = False  # strmap keys must be usable as environment variable names


@dataclass(frozen=True)
class Schema:
    fields: Mapping[str, F]
    required: tuple[str, ...] = field(default=())


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "strmap": "an object of string values",
    "object": "an object",
    "strlist": "a list of strings",
}


def _check(name: str, spec: F, value: Any) -> Any:
    want = _TYPE_NAMES[spec.kind]
    if spec.kind == "string":
        if not isinstance(value, str):
            raise unprocessable(f"{name} must be {want}, not {json.dumps(value)[:60]}")
        if spec.min_len is not None and len(value) < spec.min_len:
            raise unprocessable(f"{name} must be at least {spec.min_len} characters long")
        if spec.max_len is not None and len(value) > spec.max_len:
            raise unprocessable(f"{name} must be at most {spec.max_len} characters long")
        if spec.pattern is not None and not re.search(spec.pattern, value):
            raise unprocessable(f"{name} {value[:80]!r} does not match {spec.pattern}")
        if spec.enum is not None and value not in spec.enum:
            raise unprocessable(f"{name} must be one of {', '.join(spec.enum)}, not {value[:80]!r}")
        return value
    if spec.kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise unprocessable(f"{name} must be {want}, not {json.dumps(value)[:60]}")
        if isinstance(value, float) and not math.isfinite(value):
            raise unprocessable(f"{name} must be a finite number")
        if spec.kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise unprocessable(f"{name} must be an integer, not {value}")
            value = int(value)
        if spec.minimum is not None and value < spec.minimum:
            raise unprocessable(f"{name} must be at least {_num(spec.minimum)}, not {value}")
        if spec.maximum is not None and value > spec.maximum:
            raise unprocessable(f"{name} must be at most {_num(spec.maximum)}, not {value}")
        return value
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            raise unprocessable(f"{name} must be {want}, not {json.dumps(value)[:60]}")
        return value
    if spec.kind == "strlist":  # `maximum` bounds the number of items, `max_len` each item
        if not isinstance(value, list):
            raise unprocessable(f"{name} must be {want}, not {json.dumps(value)[:60]}")
        if spec.maximum is not None and len(value) > spec.maximum:
            raise unprocessable(f"{name} has {len(value)} items; at most {_num(spec.maximum)} are allowed")
        return [_check(f"{name}[{i}]", F("string", max_len=spec.max_len), v) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        raise unprocessable(f"{name} must be {want}, not {json.dumps(value)[:60]}")
    if spec.kind == "strmap":
        for k, v in value.items():
            if not isinstance(v, str):
                raise unprocessable(f"{name}.{k} must be a string, not {json.dumps(v)[:60]}")
            if spec.env_names and (not k or "=" in k or "\0" in k):
                raise unprocessable(f"{name}: {k!r} is not a valid environment variable name")
            if spec.env_names and "\0" in v:
                raise unprocessable(f"{name}.{k} must not contain NUL characters")
        return dict(value)
    if spec.fields is None:
        return dict(value)  # an open object (e.g. `security`): kept whole, so a non-empty one is seen
    return check_object(value, Schema(spec.fields, spec.required), prefix=f"{name}.")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_object(body: Mapping[str, Any], schema: Schema, prefix: str = "") -> dict[str, Any]:
    """The known fields of `body`, checked and normalised (integral floats become ints)."""
    for req in schema.required:
        if req not in body:
            raise unprocessable(f"{prefix}{req} is required")
    return {k: _check(prefix + k, spec, body[k]) for k, spec in schema.fields.items() if k in body}


async def json_body(request: Request, schema: Schema) -> dict[str, Any]:
    """Read, parse and check a JSON object body (every body in the spec is required: `{}` at least)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BODY:
            raise ApiError(413, f"the JSON body is larger than {MAX_JSON_BODY} bytes")
    if not raw.strip():
        raise bad_request("a JSON body is required (send {} for the defaults)")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise bad_request(f"the body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object, not {type(body).__name__}")
    return check_object(body, schema)


# --------------------------------------------------------------------------- query parameters


def query_int(request: Request, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    raw = values[-1]
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"query parameter {name} must be an integer, not {raw[:60]!r}") from None
    if minimum is not None and value < minimum:
        raise bad_request(f"query parameter {name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise bad_request(f"query parameter {name} must be at most {maximum}, not {value}")
    return value


def query_str(request: Request, name: str, *, max_len: int | None = None) -> str | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if max_len is not None and len(values[-1]) > max_len:
        raise bad_request(f"query parameter {name} must be at most {max_len} characters long")
    return values[-1]


def query_time(request: Request, name: str) -> float | None:
    """An RFC 3339 date-time as a Unix timestamp (a missing offset means UTC)."""
    raw = query_str(request, name)
    if raw is None:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"query parameter {name} must be an RFC 3339 date-time, not {raw[:60]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# --------------------------------------------------------------------------- the control plane's bodies

_LIFETIME = F("integer", minimum=1, maximum=86400)
# SandboxNetwork; entries are checked further by runtime/netpolicy.py (services/network_settings.py)
_ENTRIES = F("strlist", maximum=256, max_len=253)
NETWORK_FIELDS = {"allowOut": _ENTRIES, "denyOut": _ENTRIES, "allowPublicTraffic": F("boolean")}
NETWORK_UPDATE = Schema({**NETWORK_FIELDS, "allowInternetAccess": F("boolean")})

NEW_SANDBOX = Schema(
    {
        "templateID": F("string", min_len=1, max_len=128),
        "timeout": _LIFETIME,
        "name": F("string", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$"),
        "metadata": F("strmap"),
        "envs": F("strmap", env_names=True),
        "allowInternetAccess": F("boolean"),
        "network": F("object", fields=NETWORK_FIELDS),
        "resources": F(
            "object",
            fields={
                "cpu": F("number", minimum=0.1, maximum=64),
                "memoryMB": F("integer", minimum=64, maximum=65536),
                "diskMB": F("integer", minimum=64, maximum=1048576),
            },
        ),
        "lifecycle": F(
            "object",
            fields={"onTimeout": F("string", enum=("kill", "pause")), "autoResume": F("boolean")},
        ),
        "secure": F("boolean"),
        "security": F("object"),
    }
)
TIMEOUT_REQUEST = Schema({"timeout": _LIFETIME}, required=("timeout",))
CONNECT_REQUEST = Schema({"timeout": _LIFETIME})
NEW_SNAPSHOT = Schema({"asTemplate": F("boolean")})
RESTORE_REQUEST = Schema({"snapshotID": F("string", min_len=1, max_len=128), "timeout": _LIFETIME})
