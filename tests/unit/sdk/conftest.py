"""Fixtures for the SDK unit tests: a respx-mocked server and one test body for both flavors
(the ``sdk`` fixture runs each test against ``Sandbox`` and against ``AsyncSandbox``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from sdk_fakes import BASE, KEY, Flavor, detail

import hutch.config
from hutch import RetryPolicy
from hutch.sandbox_async import transport as async_transport
from hutch.sandbox_sync import transport as sync_transport


@pytest.fixture(params=["sync", "async"])
def sdk(request: pytest.FixtureRequest) -> Flavor:
    return Flavor(request.param)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUTCH_API_KEY", "HUTCH_DOMAIN", "HUTCH_REQUEST_TIMEOUT", "HUTCH_DEBUG", "HUTCH_MAX_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUTCH_API_KEY", KEY)
    monkeypatch.setattr(
        hutch.config, "DEFAULT_RETRY_POLICY", RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)
    )


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry delays the SDK asked for (nothing actually sleeps)."""
    delays: list[float] = []

    async def asleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(sync_transport, "_sleep", delays.append)
    monkeypatch.setattr(async_transport, "_sleep", asleep)
    return delays


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post(path__regex=r"^/sandboxes/[^/]+/commands$", params={"stream": "true"}, name="streamed-start").mock(
            side_effect=lambda request: streamed_start(router, request)
        )
        yield router


def streamed_start(router: respx.MockRouter, request: httpx.Request) -> httpx.Response:
    """A foreground start (``startCommand?stream=true``) as the agent answers it: the test's own mock of
    the start (which records the call and may refuse it), then, for a 201, the events the test mocked
    on ``streamCommandOutput`` (what the agent sends from offset 0)."""
    plain = httpx.Request(
        "POST", request.url.copy_remove_param("stream"), headers=request.headers, content=request.content
    )
    started = router.handler(plain)
    if started.status_code != 201:
        return started
    pid = started.json()["pid"]
    return router.handler(
        httpx.Request("GET", request.url.copy_with(path=f"{request.url.path}/{pid}/output", query=None))
    )


@pytest.fixture
def created(api: respx.MockRouter) -> respx.Route:
    """POST /sandboxes answers a running sandbox ``sb1``; DELETE (the route named ``kill``) kills it."""
    api.delete("/sandboxes/sb1", name="kill").respond(204)
    return api.post("/sandboxes").respond(201, json=detail())


@pytest.fixture
async def sbx(sdk: Flavor, api: respx.MockRouter, created: respx.Route) -> AsyncIterator[Any]:
    """The sandbox ``created`` makes, in the test's flavor; closed (not killed) afterwards."""
    sandbox = await sdk.create()
    yield sandbox
    await sdk(sandbox.close())
