"""Fixtures for run_code and sbx.env against the session's real `hutch serve` (tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hutch import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def conn(hutch_server: Any) -> dict[str, str]:
    """Connection settings for the test server (tenant A)."""
    return {"api_key": hutch_server.api_key, "domain": hutch_server.domain}


@pytest.fixture(scope="module")
def sandbox(conn: dict[str, str]) -> Iterator[Sandbox]:
    """One sandbox for a test module (code contexts keep state, so tests use contexts of their own
    where state matters)."""
    with Sandbox.create(timeout=1200, envs={"FROM_CREATE": "created"}, **conn) as sbx:
        yield sbx
