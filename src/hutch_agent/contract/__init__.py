"""openapi.yaml as the agent and the server read it: the operations (from `operations.json`, which
`make generate` writes with scripts/gen_contract.py) and one validator for their parameters and bodies.

Standard library only (the agent runs in the sandbox with nothing installed) and cheap to import
(it is loaded at every sandbox start): the operations are parsed on first use, patterns compiled on
first use.

Status conventions, as the spec's responses list them:
- a body that is not JSON, not UTF-8, holds a lone surrogate, nests deeper than `maxJsonDepth`, or is
  not an object -> 400;
- a body value of the wrong type, or a required field missing -> `type_status` (400 at the agent,
  422 at the server: each hop keeps what it has always answered);
- a value out of range, too long or short, not matching its pattern or enum -> 422;
- a path or query parameter that is missing, does not parse or is out of range -> 400;
- a body larger than the operation's `maxBytes` -> 413.

A schema's `x-refusal` extension, where the spec gives one, is the message for a value its `const`,
`enum`, `pattern` or `maxProperties` refuses (it says why, where the bare rule would not).
"""

from __future__ import annotations

import json
import re

from .jsonscan import check_depth, lone_surrogate_at

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Invalid", "Operation", "check", "check_param", "load", "operation", "parse_json"]

_LOADED: dict[str, Any] = {}
_PATTERNS: dict[str, re.Pattern[str]] = {}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


class Invalid(Exception):
    """A request the contract refuses: answered as `{"code": status, "message": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Operation:
    """One operation of the spec (see scripts/gen_contract.py for the fields)."""

    __slots__ = ("agent", "agent_path", "body", "credentials", "id", "method", "parameters", "path", "tag")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.id: str = raw["id"]
        self.method: str = raw["method"]
        self.path: str = raw["path"]
        self.tag: str = raw["tag"]
        self.agent: bool = raw["agent"]
        self.agent_path: str | None = raw["agentPath"]
        self.parameters: list[dict[str, Any]] = raw["parameters"]
        self.body: dict[str, Any] | None = raw["body"]
        self.credentials: list[str] = raw["credentials"]  # security schemes, any one admits

    @property
    def json_schema(self) -> dict[str, Any] | None:
        return None if self.body is None else self.body["content"].get("application/json")

    @property
    def max_body_bytes(self) -> int | None:
        return None if self.body is None else self.body["maxBytes"]

    def param(self, location: str, name: str) -> dict[str, Any] | None:
        for p in self.parameters:
            if p["in"] == location and p["name"] == name:
                return p
        return None


def load() -> dict[str, Any]:
    """`{"operations": [Operation...], "maxJsonDepth": int}`, read once."""
    if not _LOADED:
        from pathlib import Path

        raw = json.loads((Path(__file__).parent / "operations.json").read_text("utf-8"))
        _LOADED["maxJsonDepth"] = raw["maxJsonDepth"]
        _LOADED["operations"] = [Operation(op) for op in raw["operations"]]
    return _LOADED


def operations() -> list[Operation]:
    ops: list[Operation] = load()["operations"]
    return ops


def operation(operation_id: str) -> Operation:
    """One operation by its operationId (for the host's own calls to the agent: its method and path)."""
    for op in operations():
        if op.id == operation_id:
            return op
    raise KeyError(f"openapi.yaml has no operation {operation_id!r}")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: UTF-8 only, no lone surrogate anywhere, nesting within the spec's depth (checked
    before parsing, without recursion, so no input can exhaust the parser's stack)."""
    limit: int = load()["maxJsonDepth"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    depth = check_depth(raw, limit)
    if depth is not None:
        raise Invalid(400, f"the body nests deeper than {limit} levels of arrays and objects")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise Invalid(400, f"the body is not valid JSON: {exc}") from None
    if "\\u" in text:  # a surrogate can only come from an escape
        where = lone_surrogate_at(value)
        if where is not None:
            raise Invalid(400, f"{_quote(where)} holds a lone surrogate (\\ud800-\\udfff): it is not valid UTF-8")
    return value


def check_body(operation: Operation, value: Any, type_status: int) -> dict[str, Any]:
    """A parsed JSON body checked against the operation's schema; must be an object (every body is).
    Its top-level fields that are absent and have an `x-default` in the schema get it."""
    if not isinstance(value, dict):
        raise Invalid(400, f"the body must be a JSON object, not {_json_type(value)}")
    schema = operation.json_schema or {}
    checked: dict[str, Any] = check(schema, value, "", type_status)
    for name, prop in schema.get("properties", {}).items():
        if name not in checked and "x-default" in prop:
            checked[name] = prop["x-default"]
    return checked


def check(schema: dict[str, Any], value: Any, path: str, type_status: int) -> Any:
    """`value` checked against a JSON Schema (the subset the spec uses), integral floats of integer
    fields made ints (JSON Schema counts 15.0 as an integer); raises `Invalid` naming `path`."""
    types = schema.get("type")
    if types is not None and not _has_type(value, types):
        want = " or ".join(_TYPE_NAMES[t] for t in (types if isinstance(types, list) else [types]))
        raise Invalid(type_status, f"{_quote(path)} must be {want}{_of_items(schema)}, not {_short(value)}")
    if ("const" in schema and value != schema["const"]) or ("enum" in schema and value not in schema["enum"]):
        allowed = schema["enum"] if "enum" in schema else [schema["const"]]
        if "x-refusal" in schema:
            raise Invalid(422, f"{_quote(path)} {schema['x-refusal']}")
        raise Invalid(422, f"{_quote(path)} must be one of {', '.join(map(_plain, allowed))}, not {_short(value)}")
    if isinstance(value, str):
        _check_string(schema, value, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(schema, value, path)
    elif isinstance(value, dict):
        _check_object(schema, value, path, type_status)
    elif isinstance(value, list):
        _check_array(schema, value, path, type_status)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            _check_alternatives(schema[key], value, path, type_status, exactly_one=key == "oneOf")
    if isinstance(value, float) and types == "integer":
        return int(value)
    return value


def check_param(operation: Operation, location: str, name: str, raw: str | None) -> Any:
    """A path or query parameter converted to its schema's type and checked; its schema's `x-default`
    (None if it has none) when absent and optional. Every problem is 400 (the spec lists no 422 for
    parameters)."""
    spec = operation.param(location, name)
    label = f"{location} parameter {name!r}"
    if spec is None:
        return raw
    if raw is None:
        if spec["required"]:
            raise Invalid(400, f"{label} is required")
        return spec["schema"].get("x-default")
    schema = spec["schema"]
    value: Any = raw
    kind = schema.get("type")
    if kind == "integer":
        if not raw.isascii() or not raw.lstrip("-").isdigit():
            raise Invalid(400, f"{label} must be an integer, not {raw[:60]!r}")
        value = int(raw)
    elif kind == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise Invalid(400, f"{label} must be true or false, not {raw[:60]!r}")
        value = raw.lower() in ("true", "1")
    elif kind == "array":
        return raw
    try:
        value = check(schema, value, name, 400)
    except Invalid as exc:
        raise Invalid(400, f"{location} parameter {exc.message}") from None
    return value


def _check_string(schema: dict[str, Any], value: str, path: str) -> None:
    if len(value) < schema.get("minLength", 0):
        raise Invalid(422, f"{_quote(path)} must be at least {schema['minLength']} characters long")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise Invalid(422, f"{_quote(path)} must be at most {schema['maxLength']} characters long, not {len(value)}")
    pattern = schema.get("pattern")
    if pattern is not None and not _compiled(pattern).search(value):
        if "\0" in value and _compiled(pattern).search(value.replace("\0", "")):
            raise Invalid(422, f"{_quote(path)} must not contain NUL characters")
        if "x-refusal" in schema:
            raise Invalid(422, f"{_quote(path)} {value[:80]!r} {schema['x-refusal']}")
        raise Invalid(422, f"{_quote(path)} {value[:80]!r} does not match {pattern}")


def _check_number(schema: dict[str, Any], value: float, path: str) -> None:
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        raise Invalid(422, f"{_quote(path)} must be a finite number")
    if "minimum" in schema and value < schema["minimum"]:
        raise Invalid(422, f"{_quote(path)} must be at least {_plain(schema['minimum'])}, not {value}")
    if "maximum" in schema and value > schema["maximum"]:
        raise Invalid(422, f"{_quote(path)} must be at most {_plain(schema['maximum'])}, not {value}")


def _check_object(schema: dict[str, Any], value: dict[str, Any], path: str, type_status: int) -> None:
    for name in schema.get("required", ()):
        if name not in value:
            raise Invalid(type_status, f"{_quote(_join(path, name))} is required")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        if "x-refusal" in schema:
            raise Invalid(422, f"{_quote(path)} {schema['x-refusal']}")
        raise Invalid(422, f"{_quote(path)} may have at most {schema['maxProperties']} fields, not {len(value)}")
    properties = schema.get("properties", {})
    names = schema.get("propertyNames")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub = properties.get(key)
        if sub is not None:
            value[key] = check(sub, item, _join(path, key), type_status)
            continue
        if names is not None:
            try:
                check(names, key, _join(path, key), type_status)
            except Invalid as exc:
                rule = f" (names match {names['pattern']})" if "pattern" in names else ""
                raise Invalid(exc.status, f"{_quote(path)}: {key[:80]!r} is not a valid name{rule}") from None
        if extra is False:
            raise Invalid(422, f"{_quote(path)} has no field {key[:80]!r}")
        if isinstance(extra, dict):
            value[key] = check(extra, item, _join(path, key), type_status)


def _check_array(schema: dict[str, Any], value: list[Any], path: str, type_status: int) -> None:
    if len(value) < schema.get("minItems", 0):
        raise Invalid(422, f"{_quote(path)} must have at least {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise Invalid(422, f"{_quote(path)} has {len(value)} items; at most {schema['maxItems']} are allowed")
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(value):
            value[i] = check(items, item, f"{path}[{i}]", type_status)


def _check_alternatives(options: list[Any], value: Any, path: str, type_status: int, exactly_one: bool) -> None:
    errors: list[Invalid] = []
    for option in options:
        try:
            check(option, value, path, type_status)
        except Invalid as exc:
            errors.append(exc)
    matched = len(options) - len(errors)
    if matched == 0:
        raise _discriminated(options, errors, value, path) or errors[0]
    if exactly_one and matched > 1:
        raise Invalid(422, f"{_quote(path)} matches more than one of its alternatives")


def _discriminated(options: list[Any], errors: list[Invalid], value: Any, path: str) -> Invalid | None:
    """For alternatives told apart by a `const` field (a step's `type`): the error of the one the value
    names, or the field's allowed values when it names none."""
    if not isinstance(value, dict):
        return None
    keys = {k for o in options for k, p in o.get("properties", {}).items() if "const" in p}
    for key in keys:
        consts = [o.get("properties", {}).get(key, {}).get("const") for o in options]
        for const, error in zip(consts, errors, strict=True):
            if const is not None and value.get(key) == const:
                return error
        if all(c is not None for c in consts):
            field = f"{path}.{key}" if path else key
            return Invalid(
                422, f"{_quote(field)} must be one of {', '.join(map(_plain, consts))}, not {_short(value.get(key))}"
            )
    return None


def _has_type(value: Any, types: str | list[str]) -> bool:
    for kind in types if isinstance(types, list) else (types,):
        if (kind == "string" and isinstance(value, str)) or (kind == "boolean" and isinstance(value, bool)):
            return True
        if (kind == "null" and value is None) or (kind == "object" and isinstance(value, dict)):
            return True
        if kind == "array" and isinstance(value, list):
            return True
        if isinstance(value, bool):
            continue  # JSON true is not a number
        if kind == "number" and isinstance(value, int | float):
            return True
        if kind == "integer" and (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            return True  # JSON Schema counts 15.0 as an integer
    return False


def _compiled(pattern: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        # ECMA-262's `$` (what JSON Schema means) matches only at the end; Python's also before a final \n
        source = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        compiled = _PATTERNS[pattern] = re.compile(source)
    return compiled


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _quote(path: str) -> str:
    return repr(path) if path else "the body"


def _of_items(schema: dict[str, Any]) -> str:
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict) and isinstance(items.get("type"), str):
        return f" of {items['type']}s"
    return ""


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _short(value: Any) -> str:
    try:
        return json.dumps(value)[:60]
    except ValueError:
        return _json_type(value)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if not isinstance(value, str) else value
