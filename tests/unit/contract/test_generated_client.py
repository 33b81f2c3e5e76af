"""The generated hutch_api client matches the spec and works as a low-level client."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

import hutch_api.models as models
from hutch_api import AuthenticatedClient
from hutch_api.api.sandboxes import create_sandbox

ROOT = Path(__file__).resolve().parents[3]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def test_one_module_per_operation() -> None:
    for item in SPEC["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            module = f"hutch_api.api.{op['tags'][0]}.{_snake(op['operationId'])}"
            mod = importlib.import_module(module)
            assert hasattr(mod, "sync_detailed") and hasattr(mod, "asyncio_detailed"), module


def _example(schema: dict[str, Any]) -> Any:
    """A value with every property filled in, so a round trip exercises every field."""
    if "$ref" in schema:
        return _example(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
    if "oneOf" in schema:
        return _example(schema["oneOf"][0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        value = {name: _example(prop) for name, prop in schema.get("properties", {}).items()}
        if isinstance(schema.get("additionalProperties"), dict):
            value["someKey"] = _example(schema["additionalProperties"])
        return value
    if kind == "array":
        return [_example(schema["items"])]
    if kind == "string":
        return datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC).isoformat() if schema.get("format") == "date-time" else "x"
    return {"integer": 7, "number": 1.5, "boolean": True}[kind]


MODEL_SCHEMAS = [
    name
    for name, schema in SCHEMAS.items()
    if "properties" in schema
    and not any(
        p.get("format") == "binary" for p in (schema["properties"][k].get("items", {}) for k in schema["properties"])
    )
]


@pytest.mark.parametrize("name", MODEL_SCHEMAS)
def test_model_round_trips(name: str) -> None:
    data = _example(SCHEMAS[name])
    model = getattr(models, name).from_dict(data)
    assert model.to_dict() == data


def test_stream_item_schemas_parse_with_their_tag() -> None:
    event = models.CommandExitEvent.from_dict({"type": "exit", "exitCode": 3, "signal": None, "error": None})
    assert event.exit_code == 3
    with pytest.raises(ValueError):
        models.CommandExitEvent.from_dict({"type": "stdout", "exitCode": 3})


@respx.mock
def test_low_level_call_sends_the_api_key_and_parses_the_reply() -> None:
    detail = _example(SCHEMAS["SandboxDetail"])
    route = respx.post("http://hutch.test/sandboxes").mock(return_value=httpx.Response(201, json=detail))
    client = AuthenticatedClient("http://hutch.test", token="k-123", prefix="", auth_header_name="X-API-Key")

    response = create_sandbox.sync_detailed(
        client=client, body=models.NewSandbox(template_id="base", timeout=60), idempotency_key="idem-1"
    )

    request = route.calls.last.request
    assert request.headers["X-API-Key"] == "k-123"
    assert request.headers["Idempotency-Key"] == "idem-1"
    assert request.read() == b'{"templateID":"base","timeout":60}' or httpx.Response(
        200, content=request.read()
    ).json() == {
        "templateID": "base",
        "timeout": 60,
    }
    assert response.status_code == 201
    assert isinstance(response.parsed, models.SandboxDetail)
    assert response.parsed.sandbox_id == detail["sandboxID"]


@respx.mock
def test_low_level_errors_come_back_as_the_error_model() -> None:
    respx.post("http://hutch.test/sandboxes").mock(
        return_value=httpx.Response(422, json={"code": 422, "message": "timeout must be at most 86400"})
    )
    client = AuthenticatedClient("http://hutch.test", token="k", prefix="", auth_header_name="X-API-Key")
    response = create_sandbox.sync_detailed(client=client, body=models.NewSandbox(timeout=10**6))
    assert isinstance(response.parsed, models.Error)
    assert response.parsed.message == "timeout must be at most 86400"
