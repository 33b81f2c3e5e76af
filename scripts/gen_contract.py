"""Generate src/hutch_agent/contract/operations.json from openapi.yaml: every operation's id, method,
path, tag, plane (agent operations are forwarded by the gateway), credentials, parameters and request body
schemas with their $refs resolved, and the body limits (`x-limits`: JSON bodies per plane and JSON depth; an operation's
`x-max-body-bytes` overrides its plane's).

Usage: python scripts/gen_contract.py ROOT   (writes under ROOT)
       python scripts/gen_contract.py --outputs   (lists what it writes, relative to ROOT)
The agent and the server read this file at start; nothing else restates the contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"
OUTPUT = "src/hutch_agent/contract/operations.json"
AGENT_PREFIX = "/sandboxes/{sandboxID}"
METHODS = {"get", "put", "post", "delete", "patch"}
# Documentation only: the validator does not need it, and the file is read at every sandbox start.
DROP = {"description", "summary", "example", "examples", "title"}


def _resolve(node: Any, spec: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            if ref in seen:
                raise SystemExit(f"recursive $ref {ref} in a request schema: the validator cannot flatten it")
            target: Any = spec
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, spec, (*seen, ref))
        return {k: _resolve(v, spec, seen) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [_resolve(v, spec, seen) for v in node]
    return node


def build(spec: dict[str, Any]) -> dict[str, Any]:
    limits = spec["x-limits"]
    planes = {tag["name"]: tag["x-plane"] for tag in spec["tags"]}
    operations = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():  # in the spec's order: a 405's Allow header names them so
            if method not in METHODS:
                continue
            tag = op["tags"][0]
            agent = planes[tag] == "agent"
            if agent and not path.startswith(AGENT_PREFIX + "/"):
                raise SystemExit(f"{op['operationId']}: agent operations live under {AGENT_PREFIX}/")
            params = [_resolve(p, spec) for p in [*shared, *op.get("parameters", [])]]
            entry: dict[str, Any] = {
                "id": op["operationId"],
                "method": method.upper(),
                "path": path,
                "tag": tag,
                "agent": agent,
                "agentPath": path.removeprefix(AGENT_PREFIX) if agent else None,
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False), "schema": p["schema"]}
                    for p in params
                    if p["in"] in ("path", "query", "header")
                ],
                "body": None,
                # the security schemes that admit the request, any one of them (empty: no credential)
                "credentials": sorted({name for req in op.get("security", []) for name in req}),
            }
            body = op.get("requestBody")
            if body is not None:
                content = {media: _resolve(m.get("schema", {}), spec) for media, m in body["content"].items()}
                default = limits[f"{planes[tag]}JsonBodyBytes"] if "application/json" in content else None
                entry["body"] = {
                    "required": body.get("required", False),
                    "content": content,
                    "maxBytes": op.get("x-max-body-bytes", default),
                }
            operations.append(entry)
    return {"maxJsonDepth": limits["maxJsonDepth"], "operations": operations}


def main(argv: list[str]) -> None:
    if argv[1:] == ["--outputs"]:
        print(OUTPUT)
        return
    root = Path(argv[1])
    spec = yaml.safe_load(SPEC.read_text())
    out = root / OUTPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(spec), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv)
