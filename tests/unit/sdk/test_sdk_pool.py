"""One connection pool per process (sync) and per event loop (async); threads and gather."""

from __future__ import annotations

import asyncio
import concurrent.futures

import httpx
from sdk_fakes import detail

from hutch import AsyncSandbox, Sandbox
from hutch.sandbox_async import transport as async_transport
from hutch.sandbox_sync import transport as sync_transport


def _pool_of(sbx):
    return sbx._api._pool


async def test_sync_sandboxes_share_one_process_pool(api, created):
    a = Sandbox.create()
    pool = _pool_of(a)
    held_elsewhere = pool.refs - 1  # sandboxes other tests left open
    b = Sandbox.create()
    assert _pool_of(b) is pool and pool.refs == held_elsewhere + 2
    assert pool.client(a._api.config) is pool.client(b._api.config)
    a.close()
    a.close()  # idempotent
    assert pool.refs == held_elsewhere + 1
    b.close()
    assert pool.refs == held_elsewhere
    assert sync_transport._pools.get(None) is pool  # kept for calls without a sandbox (Sandbox.list())


async def test_the_async_pool_closes_with_its_last_user(api, created):
    a = await AsyncSandbox.create()
    pool = _pool_of(a)
    held_elsewhere = pool.refs - 1
    await a.close()
    if held_elsewhere == 0:
        assert async_transport._pools.get(asyncio.get_running_loop()) is not pool


async def test_async_sandboxes_share_the_loops_pool(api, created):
    a, b = await AsyncSandbox.create(), await AsyncSandbox.create()
    assert _pool_of(a) is _pool_of(b)
    assert _pool_of(a) is async_transport._pools.get(asyncio.get_running_loop())
    await a.close()
    await b.close()


def test_each_event_loop_gets_its_own_pool(api, created):
    async def transport() -> object:
        sbx = await AsyncSandbox.create()
        try:
            return _pool_of(sbx).transport
        finally:
            await sbx.kill()
            await sbx.close()

    # The transports themselves, not their id(): the first may be freed before the second is made,
    # and a new object can take the freed address (that made this test flaky).
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: asyncio.run(transport()), range(2))
    assert first is not second


async def test_one_sync_sandbox_from_many_threads(api, created):
    route = api.get("/sandboxes/sb1").respond(200, json=detail())
    with Sandbox.create() as sbx, concurrent.futures.ThreadPoolExecutor(8) as pool:
        states = list(pool.map(lambda _: sbx.get_info().state, range(64)))
    assert states == ["running"] * 64 and route.call_count == 64


async def test_a_hundred_async_sandboxes_with_gather(api):
    counter = iter(range(1000))

    def make(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=detail(sandboxID=f"sb{next(counter)}"))

    api.post("/sandboxes").mock(side_effect=make)
    api.route(method="DELETE").respond(204)
    sandboxes = await asyncio.gather(*(AsyncSandbox.create() for _ in range(100)))
    assert len({s.sandbox_id for s in sandboxes}) == 100
    assert len({id(_pool_of(s)) for s in sandboxes}) == 1
    assert all(await asyncio.gather(*(s.kill() for s in sandboxes)))
    await asyncio.gather(*(s.close() for s in sandboxes))


async def test_closed_sandboxes_still_work(sdk, api, created):
    api.get("/sandboxes/sb1").respond(200, json=detail())
    sbx = await sdk.create()
    await sdk(sbx.close())
    assert (await sdk(sbx.get_info())).sandbox_id == "sb1"
