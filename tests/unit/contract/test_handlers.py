"""Every operation of openapi.yaml has exactly one handler (hutchd's for control operations, the
agent's for agent operations, which the gateway forwards), and no handler serves anything else."""

from __future__ import annotations

from pathlib import Path

import yaml

from hutch_agent import routes as agent_routes
from hutch_agent import volume_routes
from hutch_agent.contract import operations
from hutchd.http import gateway, routing
from hutchd.http.handlers import HANDLERS

SPEC = yaml.safe_load((Path(__file__).resolve().parents[3] / "openapi.yaml").read_text())


def _spec_operations() -> dict[str, tuple[str, str, str]]:
    found = {}
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                found[op["operationId"]] = (method.upper(), path, op["tags"][0])
    return found


def test_the_generated_operations_are_the_specs() -> None:
    assert {op.id: (op.method, op.path, op.tag) for op in operations()} == _spec_operations()


def test_every_operation_has_exactly_one_handler_and_no_handler_is_outside_the_spec() -> None:
    control = {op.id for op in operations() if not op.agent}
    agent = {op.id for op in operations() if op.agent}
    assert control and agent and not control & agent
    assert set(HANDLERS) == control
    assert set(agent_routes.HANDLERS) == agent


def test_the_agent_serves_the_spec_plus_its_host_internal_routes() -> None:
    served = {(method, "/" + "/".join(segments)) for segments, methods in agent_routes.table() for method in methods}
    spec = {(op.method, op.agent_path) for op in operations() if op.agent}
    internal = {("GET", "/health"), ("GET", "/tunnel/{port}")}
    internal |= {("GET", "/freeze"), ("POST", "/freeze"), ("POST", "/thaw"), ("GET", "/usage")}  # a pod's
    internal |= {("POST", "/clock/stop"), ("POST", "/clock/start")}  # a frozen cgroup's
    assert served - spec == internal | set(volume_routes.ROUTES)
    assert spec <= served


def test_the_servers_route_table_is_every_operation_of_the_spec() -> None:
    routes = routing.table(HANDLERS, gateway.forward)
    assert {route.path for route in routes} == {path for _, path, _ in _spec_operations().values()}
