"""Sends :class:`~hutch._core.request.Op` s over the process-wide pool (sync; mirrors ``sandbox_async.transport``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from hutch._core.follow import Follower
from hutch._core.ndjson import NdjsonDecoder
from hutch._core.output import OutputState
from hutch._core.pool import Registry, answer, is_answer, log_request, log_response, timeout_for, transport_args
from hutch._core.request import Op
from hutch._core.retry import Attempts
from hutch.config import ConnectionConfig, ConnectionOpts

T = TypeVar("T")
C = TypeVar("C")

_sleep = time.sleep  # tests replace it to see (and skip) the retry delays

_pools: Registry[None, httpx.HTTPTransport] = Registry(lambda: httpx.HTTPTransport(**transport_args()), {}, keep=True)


class ApiClient:
    """One connection config plus a reference to the shared pool; safe to use from several threads."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._pool = _pools.acquire(None)
        self._closed = False

    @classmethod
    def from_opts(cls, opts: ConnectionOpts | dict[str, Any]) -> ApiClient:
        return cls(ConnectionConfig.from_opts(opts))

    def close(self) -> None:
        """Drop this client's hold on the pool (the process pool stays for later calls). Idempotent."""
        if not self._closed:
            self._closed = True
            if _pools.release(None, self._pool):
                self._pool.transport.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _http(self) -> httpx.Client:
        pool = self._pool if not self._closed else _pools.get(None)
        return pool.client(self.config).get_httpx_client()

    def _send(self, op: Op[Any], timeout: float | None) -> httpx.Response:
        """Send with retries; returns an answer (2xx or one of ``op.answers``), else raises."""
        http = self._http()
        attempts = Attempts(self.config, op.retry_safe, op.not_found, op.retry_timeouts)
        replayable = op.body is None or op.body.replayable
        while True:
            request = http.build_request(**op.request_kwargs(), timeout=timeout_for(self.config, op, timeout))
            started = log_request(self.config, request)
            try:
                response = http.send(request, stream=op.stream)
                if is_answer(op, response):
                    log_response(self.config, response, started)
                    return response
                try:
                    response.read()
                finally:
                    response.close()
                log_response(self.config, response, started)
                delay = attempts.after_status(response, replayable)
            except httpx.HTTPError as exc:
                delay = attempts.after_transport_error(exc, replayable)
            _sleep(delay)

    def call(self, op: Op[T], timeout: float | None = None) -> T:
        """Send ``op`` and return its parsed answer."""
        return answer(op, self._send(op, timeout))

    @contextmanager
    def open(self, op: Op[Any], timeout: float | None = None) -> Iterator[httpx.Response]:
        """Send a streaming ``op``; the answer's body is read by the caller inside the block."""
        response = self._send(op, timeout)
        try:
            yield response
        finally:
            response.close()

    def follow(
        self, make_op: Callable[[int], Op[Any]], state: OutputState[C], limit: float | None = None
    ) -> Iterator[C]:
        """Output chunks of a command or terminal, for at most ``limit`` seconds; re-attaches at the offset
        reached if the stream drops."""
        follower = Follower(make_op, state, self.config, limit)
        while (op := follower.next_op()) is not None:
            try:
                with self.open(op, follower.time_left) as response:
                    for data in response.iter_bytes():
                        yield from follower.feed(data)
                        if follower.done:
                            return
                delay = follower.ended()
            except httpx.HTTPError as exc:
                delay = follower.dropped(exc)
            _sleep(delay)


def ndjson(response: httpx.Response) -> Iterator[dict[str, Any]]:
    decoder = NdjsonDecoder()
    for chunk in response.iter_bytes():
        yield from decoder.feed(chunk)
    yield from decoder.close()
