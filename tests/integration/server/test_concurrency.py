"""Concurrent creates: every caller gets its own sandbox, the pool never hands one out twice."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest


async def _create_many(base_url: str, key: str, n: int, **body) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=300) as c:
        return await asyncio.gather(*(c.post("/sandboxes", json={"timeout": 300, **body}) for _ in range(n)))


def _kill(hutch_server, ids):
    with hutch_server.http() as c:
        for sid in ids:
            c.delete(f"/sandboxes/{sid}")


def test_fifty_concurrent_creates(hutch_server):
    started = time.monotonic()
    rs = asyncio.run(_create_many(hutch_server.base_url, hutch_server.api_key, 50, metadata={"suite": "burst"}))
    elapsed = time.monotonic() - started
    ids = [r.json().get("sandboxID") for r in rs]
    try:
        assert [r.status_code for r in rs] == [201] * 50, [r.text for r in rs if r.status_code != 201][:3]
        assert len(set(ids)) == 50
        with hutch_server.http() as c:
            listed = c.get("/sandboxes", params={"metadata": "suite=burst", "limit": 100}).json()["sandboxes"]
            assert sorted(s["sandboxID"] for s in listed) == sorted(ids)
            # each one is really its own sandbox: hostnames differ
            for sid in ids[:5]:
                r = c.post(f"/sandboxes/{sid}/commands", json={"cmd": "hostname"})
                assert r.status_code == 201
        print(f"50 concurrent creates in {elapsed:.1f}s")
    finally:
        _kill(hutch_server, [i for i in ids if i])


@pytest.mark.backends("local", "local+postgresql")
def test_concurrent_idempotent_creates_make_one(hutch_server):
    async def go():
        async with httpx.AsyncClient(
            base_url=hutch_server.base_url, headers={"X-API-Key": hutch_server.api_key}, timeout=300
        ) as c:
            return await asyncio.gather(
                *(
                    c.post("/sandboxes", json={"timeout": 60}, headers={"Idempotency-Key": "burst-key"})
                    for _ in range(8)
                )
            )

    rs = asyncio.run(go())
    ids = {r.json()["sandboxID"] for r in rs}
    _kill(hutch_server, ids)
    assert [r.status_code for r in rs] == [201] * 8 and len(ids) == 1


def test_pool_hands_out_distinct_warm_sandboxes(hutch_server):
    # wait for the pool to refill, then take more than it holds at once
    time.sleep(3)
    with hutch_server.http() as c:
        t0 = time.monotonic()
        first = c.post("/sandboxes", json={"timeout": 60})
        warm_ms = (time.monotonic() - t0) * 1000
    rs = asyncio.run(_create_many(hutch_server.base_url, hutch_server.api_key, 4))
    ids = [first.json()["sandboxID"]] + [r.json()["sandboxID"] for r in rs]
    _kill(hutch_server, ids)
    assert len(set(ids)) == 5
    assert warm_ms < 150, f"a create from the warm pool took {warm_ms:.0f} ms"
