"""The contract tests share the integration tests' live `hutch serve` (one server per host at a time)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "hutch_integration_harness", Path(__file__).resolve().parents[1] / "integration" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)


@pytest.fixture(scope="session")
def hutch_server(request: pytest.FixtureRequest):
    return harness.shared_server(request.config)
