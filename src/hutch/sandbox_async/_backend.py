"""What the async flavor does differently from the sync one, in one place (hand-written on purpose;
its sync twin is ``sandbox_sync/_backend.py``): sleeping, which pool a call uses (one per event
loop, closed with its last user), upload bodies, and calling callbacks that may be coroutines."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from hutch._core.output import Call
from hutch._core.pool import Registry, loop_pools, transport_args

sleep = asyncio.sleep

pools: Registry[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = Registry(
    lambda: httpx.AsyncHTTPTransport(**transport_args()), loop_pools()
)


def pool_key() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def request_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """An upload body that is a sync iterator (a file being read) becomes an async one for httpx."""
    content = kwargs.get("content")
    if isinstance(content, Iterator):
        kwargs["content"] = _aiter(content)
    return kwargs


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def fire(calls: list[Call]) -> None:
    """Call each callback; plain functions and coroutine functions both work."""
    for callback, value in calls:
        result = callback(value)
        if inspect.isawaitable(result):
            await result
