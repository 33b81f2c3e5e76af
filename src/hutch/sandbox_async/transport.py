"""Sends :class:`~hutch._core.request.Op` s over the event loop's pool (async; mirrors ``sandbox_sync.transport``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from hutch._core.follow import Follower
from hutch._core.ndjson import NdjsonDecoder
from hutch._core.output import OutputState
from hutch._core.pool import (
    Registry,
    answer,
    is_answer,
    log_request,
    log_response,
    loop_pools,
    timeout_for,
    transport_args,
)
from hutch._core.request import Op
from hutch._core.retry import Attempts
from hutch.config import ConnectionConfig, ConnectionOpts

T = TypeVar("T")
C = TypeVar("C")

_sleep = asyncio.sleep  # tests replace it to see (and skip) the retry delays

_pools: Registry[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = Registry(
    lambda: httpx.AsyncHTTPTransport(**transport_args()), loop_pools()
)


class AsyncApiClient:
    """One connection config plus a reference to the running event loop's pool."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._loop = asyncio.get_running_loop()
        self._pool = _pools.acquire(self._loop)
        self._closed = False

    @classmethod
    def from_opts(cls, opts: ConnectionOpts | dict[str, Any]) -> AsyncApiClient:
        return cls(ConnectionConfig.from_opts(opts))

    async def close(self) -> None:
        """Drop this client's hold on the pool (the last one closes it). Idempotent."""
        if not self._closed:
            self._closed = True
            if _pools.release(self._loop, self._pool):
                await self._pool.transport.aclose()

    async def __aenter__(self) -> AsyncApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._pool if loop is self._loop and not self._closed else _pools.get(loop)
        return pool.client(self.config).get_async_httpx_client()

    async def _send(self, op: Op[Any], timeout: float | None) -> httpx.Response:
        """Send with retries; returns an answer (2xx or one of ``op.answers``), else raises."""
        http = self._http()
        attempts = Attempts(self.config, op.retry_safe, op.not_found, op.retry_timeouts)
        replayable = op.body is None or op.body.replayable
        while True:
            kwargs = async_body(op.request_kwargs())
            request = http.build_request(**kwargs, timeout=timeout_for(self.config, op, timeout))
            started = log_request(self.config, request)
            try:
                response = await http.send(request, stream=op.stream)
                if is_answer(op, response):
                    log_response(self.config, response, started)
                    return response
                try:
                    await response.aread()
                finally:
                    await response.aclose()
                log_response(self.config, response, started)
                delay = attempts.after_status(response, replayable)
            except httpx.HTTPError as exc:
                delay = attempts.after_transport_error(exc, replayable)
            await _sleep(delay)

    async def call(self, op: Op[T], timeout: float | None = None) -> T:
        """Send ``op`` and return its parsed answer."""
        return answer(op, await self._send(op, timeout))

    @asynccontextmanager
    async def open(self, op: Op[Any], timeout: float | None = None) -> AsyncIterator[httpx.Response]:
        """Send a streaming ``op``; the answer's body is read by the caller inside the block."""
        response = await self._send(op, timeout)
        try:
            yield response
        finally:
            await response.aclose()

    async def follow(
        self, make_op: Callable[[int], Op[Any]], state: OutputState[C], limit: float | None = None
    ) -> AsyncIterator[C]:
        """Output chunks of a command or terminal, for at most ``limit`` seconds; re-attaches at the offset
        reached if the stream drops."""
        follower = Follower(make_op, state, self.config, limit)
        while (op := follower.next_op()) is not None:
            try:
                async with self.open(op, follower.time_left) as response:
                    async for data in response.aiter_bytes():
                        for chunk in follower.feed(data):
                            yield chunk
                        if follower.done:
                            return
                delay = follower.ended()
            except httpx.HTTPError as exc:
                delay = follower.dropped(exc)
            await _sleep(delay)


async def ndjson(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    decoder = NdjsonDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event


def async_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """An upload body that is a sync iterator (a file being read) becomes an async one for httpx."""
    content = kwargs.get("content")
    if isinstance(content, Iterator):
        kwargs["content"] = _aiter(content)
    return kwargs


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
