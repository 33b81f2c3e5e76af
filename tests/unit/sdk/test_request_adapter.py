"""The one adapter over the generator's request builders (``hutch._core.request.build``).

A generator upgrade that changes ``_get_kwargs`` (its name, or the shape of what it returns) must
fail here, in one place, not in every feature module.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import hutch._features
import hutch_api.api
import hutch_api.api.commands.send_command_stdin as send_command_stdin
import hutch_api.api.files.stat_file as stat_file
import hutch_api.api.sandboxes.create_sandbox as create_sandbox
from hutch._core.request import STREAMED, build
from hutch_api.models.new_sandbox import NewSandbox

SDK = Path(__file__).resolve().parents[3] / "src" / "hutch"


def test_a_query_endpoint_becomes_method_url_and_params():
    request = build(stat_file, "sb 1", path="/tmp/a b")
    assert request == {"method": "get", "url": "/sandboxes/sb%201/files/stat", "params": {"path": "/tmp/a b"}}


def test_a_json_endpoint_carries_its_body_and_headers():
    request = build(create_sandbox, body=NewSandbox(template_id="base", timeout=60), idempotency_key="k-1")
    assert (request["method"], request["url"]) == ("post", "/sandboxes")
    assert request["json"] == {"templateID": "base", "timeout": 60}
    assert request["headers"]["Idempotency-Key"] == "k-1"


def test_an_upload_endpoint_takes_the_streamed_placeholder():
    request = build(send_command_stdin, "sb1", 7, body=STREAMED)
    assert (request["method"], request["url"]) == ("post", "/sandboxes/sb1/commands/7/stdin")


def test_a_builder_of_another_shape_is_refused_by_name():
    endpoint = types.ModuleType("hutch_api.api.fake.op")
    endpoint._get_kwargs = lambda: {"method": "get", "path": "/x"}  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"hutch_api\.api\.fake\.op\._get_kwargs .*'path'"):
        build(endpoint)


def _endpoint_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(hutch_api.api.__path__, "hutch_api.api.") if not info.ispkg]


@pytest.mark.parametrize("name", _endpoint_modules())
def test_every_generated_endpoint_has_the_builder_the_adapter_calls(name):
    module = importlib.import_module(name)
    assert callable(getattr(module, "_get_kwargs", None)), (
        f"{name} has no _get_kwargs: update hutch._core.request.build"
    )


def test_only_the_adapter_calls_the_generators_request_builders():
    callers = sorted(
        str(path.relative_to(SDK))
        for path in SDK.rglob("*.py")
        if any(
            isinstance(node, ast.Attribute) and node.attr == "_get_kwargs"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert callers == ["_core/request.py"]


def test_every_feature_module_builds_through_the_adapter():
    for info in pkgutil.iter_modules(hutch._features.__path__, "hutch._features."):
        source = Path(importlib.import_module(info.name).__file__ or "").read_text()
        assert "hutch_api.api." not in source or "build(" in source, info.name
