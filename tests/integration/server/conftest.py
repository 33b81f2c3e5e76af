"""Fixtures for the server's integration tests: generated clients for both tenants and a factory
that creates sandboxes through the API and kills them after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hutch_api import AuthenticatedClient
from hutch_api.api.sandboxes import create_sandbox
from hutch_api.models import NewSandbox, SandboxDetail

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def api(hutch_server) -> Iterator[AuthenticatedClient]:
    with hutch_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def api_b(hutch_server) -> Iterator[AuthenticatedClient]:
    with hutch_server.client(hutch_server.api_key_b) as c:
        yield c


@pytest.fixture
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


@pytest.fixture
def make_sandbox(hutch_server, api) -> Iterator[Callable[..., SandboxDetail]]:
    made: list[str] = []

    def make(client: AuthenticatedClient | None = None, **fields: Any) -> SandboxDetail:
        body = NewSandbox.from_dict({"timeout": 600, **fields})
        r = create_sandbox.sync_detailed(client=client or api, body=body)
        assert r.status_code == 201, r.content
        assert isinstance(r.parsed, SandboxDetail)
        made.append(r.parsed.sandbox_id)
        return r.parsed

    yield make
    with hutch_server.http() as a, hutch_server.http(hutch_server.api_key_b) as b:
        for sid in made:
            for c in (a, b):
                c.delete(f"/sandboxes/{sid}")
