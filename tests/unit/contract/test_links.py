"""openapi.yaml's `links` lead schemathesis' stateful phase (tests/contract) from what one operation
makes to every operation that uses it. An operation no link reaches is only ever called with made-up
IDs (404), so each one is either a link's target or a root listed here, with why it needs no link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hutch_agent import contract

ROOT = Path(__file__).resolve().parents[3]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = {"get", "put", "post", "delete", "patch"}

# Operations the stateful phase starts from: they need nothing another operation makes.
ROOT_OPERATIONS = {
    "getHealth": "takes no input",
    "createSandbox": "makes the sandbox every sandbox-scoped operation is linked from",
    "listSandboxes": "lists whatever exists (filters only)",
    "listSnapshots": "lists whatever exists (its sandboxID filter is optional)",
    "listTemplates": "lists the built-in templates, which exist without any call",
    "buildTemplate": "makes the template and build its links lead to (on `base`, which always exists)",
    "createVolume": "makes the volume every volume-scoped operation is linked from",
    "listVolumes": "lists whatever exists (no parameters)",
}
# Path parameters a link may leave to the generator: they name what the call itself makes.
GENERATED_PATH_PARAMETERS = {
    ("setEnvVar", "path.name"): "PUT makes the variable it names",
    ("uploadTemplateFiles", "path.filesHash"): "PUT stores the body under the digest it names",
}


def _operations() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """operationId -> (path item, operation)."""
    return {
        op["operationId"]: (item, op)
        for item in SPEC["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }


OPERATIONS = _operations()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _parameters(op_id: str) -> dict[str, dict[str, Any]]:
    """`in.name` -> parameter, path-level and operation-level."""
    item, op = OPERATIONS[op_id]
    params = [_resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
    return {f"{p['in']}.{p['name']}": p for p in params}


def _links() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(source operationId, status, link name, link) for every link in the spec."""
    found = []
    for op_id, (_, op) in OPERATIONS.items():
        for status, response in op["responses"].items():
            for name, link in _resolve(response).get("links", {}).items():
                found.append((op_id, status, name, _resolve(link)))
    return found


LINKS = _links()


def _json_schema(op_id: str, status: str) -> dict[str, Any]:
    response = _resolve(OPERATIONS[op_id][1]["responses"][status])
    return _resolve(response["content"]["application/json"]["schema"])


def _pointer_resolves(schema: dict[str, Any], pointer: str) -> bool:
    """Whether a JSON pointer into a response body names a field its schema defines."""
    for part in pointer.strip("/").split("/"):
        schema = _resolve(schema)
        if schema.get("type") == "array" and part.isdigit():
            schema = schema["items"]
        elif part in schema.get("properties", {}):
            schema = schema["properties"][part]
        else:
            return False
    return True


def _expression_resolves(source: str, status: str, expression: str) -> bool:
    if expression.startswith("$response.body#"):
        return _pointer_resolves(_json_schema(source, status), expression.removeprefix("$response.body#"))
    if expression.startswith("$request.path."):
        return f"path.{expression.removeprefix('$request.path.')}" in _parameters(source)
    return False


def test_every_operation_is_reached_by_a_link_or_is_a_root() -> None:
    targets = {link["operationId"] for _, _, _, link in LINKS}
    unreached = sorted(set(OPERATIONS) - targets - set(ROOT_OPERATIONS))
    assert not unreached, f"no link leads to {unreached}: add links from the operation that makes what they use"


def test_root_operations_exist_and_need_no_path_parameter() -> None:
    for op_id in ROOT_OPERATIONS:
        assert op_id in OPERATIONS
        assert not [key for key in _parameters(op_id) if key.startswith("path.")], op_id


@pytest.mark.parametrize(("source", "status", "name", "link"), LINKS, ids=[f"{s}->{n}" for s, _, n, _ in LINKS])
def test_link_is_well_formed(source: str, status: str, name: str, link: dict[str, Any]) -> None:
    assert status.startswith("2"), "links leave success responses only"
    target = link["operationId"]
    assert target in OPERATIONS, f"{name}: no operation {target}"
    params = _parameters(target)
    for key, expression in link.get("parameters", {}).items():
        assert key in params, f"{name}: {target} has no parameter {key}"
        if expression.startswith("$"):
            assert _expression_resolves(source, status, expression), f"{name}: {expression} names nothing in {source}"
        else:  # a literal, as it would stand in the URL: a value the parameter accepts
            location, param = key.split(".", 1)
            contract.check_param(contract.operation(target), location, param, expression)
    required = {key for key in params if key.startswith("path.") and (target, key) not in GENERATED_PATH_PARAMETERS}
    missing = required - set(link.get("parameters", {}))
    assert not missing, f"{name}: the link leaves {sorted(missing)} of {target} to chance"
    body = link.get("requestBody")
    if body is not None:
        schema = _resolve(OPERATIONS[target][1]["requestBody"]["content"]["application/json"]["schema"])
        for field, value in body.items():
            assert field in schema.get("properties", {}), f"{name}: {target}'s body has no field {field}"
            if isinstance(value, str) and value.startswith("$"):
                assert _expression_resolves(source, status, value), f"{name}: {value} names nothing"
            else:  # a literal: it must be a value the field accepts
                contract.check(_resolve(schema["properties"][field]), value, field, 422)
