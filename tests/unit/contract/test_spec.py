"""openapi.yaml is the single source of truth: it must be valid, complete and self-consistent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[3]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = {"get", "put", "post", "delete", "patch"}
OPERATIONS = [
    (path, method, op) for path, item in SPEC["paths"].items() for method, op in item.items() if method in METHODS
]
OP_IDS = [op["operationId"] for _, _, op in OPERATIONS]


def test_spec_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_operation_ids_are_unique() -> None:
    assert len(OP_IDS) == len(set(OP_IDS))


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
def test_operation_is_documented(path: str, method: str, op: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z][A-Za-z]+", op["operationId"])
    assert op.get("tags"), "every operation has a tag"
    assert op["tags"][0] in {t["name"] for t in SPEC["tags"]}
    assert op.get("description"), "every operation has a description"
    assert "security" in op, "security is declared per operation"
    agent = {t["name"]: t["x-plane"] for t in SPEC["tags"]}[op["tags"][0]] == "agent"
    if op["operationId"] == "getHealth":
        assert op["security"] == []
    elif op["tags"][0] == "signed":  # the signature instead of any key; a bad one is 403
        assert op["security"] == [{"FileSignature": []}]
        assert "403" in op["responses"]
    elif agent:  # the API key, or the sandbox's access token (E2B's envd)
        assert op["security"] == [{"ApiKeyAuth": []}, {"AccessTokenAuth": []}]
        assert "401" in op["responses"]
    else:
        assert op["security"] == [{"ApiKeyAuth": []}]
        assert "401" in op["responses"]
    errors = [code for code in op["responses"] if code[0] in "45"]
    assert errors, "every operation documents its errors"
    for code in errors:
        ref = op["responses"][code]["$ref"]
        response = SPEC["components"]["responses"][ref.rsplit("/", 1)[1]]
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
def test_operation_with_parameters_documents_400(path: str, method: str, op: dict[str, Any]) -> None:
    """The validator answers 400 for a path, query or header parameter out of its bounds (a pid of 0, an
    ID longer than its maxLength), so every operation that takes one lists it."""
    if SPEC["paths"][path].get("parameters") or op.get("parameters"):
        assert "400" in op["responses"]


def test_agent_operations_live_under_the_sandbox() -> None:
    for path, _, op in OPERATIONS:
        if op["tags"][0] in {"commands", "files", "pty", "code", "env"}:
            assert path.startswith("/sandboxes/{sandboxID}/"), path


@pytest.mark.parametrize(
    ("path", "method", "op"),
    [(p, m, o) for p, m, o in OPERATIONS if "application/x-ndjson" in str(o["responses"])],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_streams_are_binary_ndjson_with_an_item_schema(path: str, method: str, op: dict[str, Any]) -> None:
    content = op["responses"]["200"]["content"]
    assert content == {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}
    item = op["x-item-schema"]["$ref"].rsplit("/", 1)[1]
    variants = SPEC["components"]["schemas"][item].get("oneOf", [SPEC["components"]["schemas"][item]])
    for variant in variants:
        schema = SPEC["components"]["schemas"][variant["$ref"].rsplit("/", 1)[1]] if "$ref" in variant else variant
        assert "type" in schema["properties"], f"{item} variants carry a type tag"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_resolves() -> None:
    for ref in _refs(SPEC):
        node: Any = SPEC
        assert ref.startswith("#/"), ref
        for part in ref[2:].split("/"):
            assert part in node, f"dangling $ref {ref}"
            node = node[part]


def test_no_server_owned_defaults() -> None:
    """CODEGEN.md §9: a `default:` would be frozen into old clients and always sent."""
    assert "default" not in {k for r in [SPEC["components"]["schemas"]] for k in _keys(r)}


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_every_binary_body_uses_format_binary() -> None:
    for _, _, op in OPERATIONS:
        body = op.get("requestBody", {}).get("content", {})
        if "application/octet-stream" in body:
            assert body["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
