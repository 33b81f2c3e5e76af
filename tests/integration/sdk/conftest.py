"""Fixtures for the SDK's integration tests: the session's real `hutch serve` (from
tests/integration/conftest.py), its address in HUTCH_DOMAIN / HUTCH_API_KEY, and one test body for
both flavors (the ``sdk`` fixture, shared with the unit tests)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "sdk"))

from sdk_fakes import Flavor

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def hutch_env(hutch_server) -> Iterator[dict[str, str]]:
    """HUTCH_API_KEY and HUTCH_DOMAIN point at the test server for the whole session."""
    env = {"HUTCH_API_KEY": hutch_server.api_key, "HUTCH_DOMAIN": hutch_server.domain}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    yield env
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(params=["sync", "async"])
def sdk(request: pytest.FixtureRequest, hutch_env) -> Flavor:
    return Flavor(request.param)


@pytest.fixture
async def sbx(sdk: Flavor) -> Iterator[object]:
    """A fresh sandbox, killed after the test."""
    sandbox = await sdk.create(timeout=600, metadata={"suite": "sdk-integration"})
    yield sandbox
    await sdk(sandbox.kill())
    await sdk(sandbox.close())
