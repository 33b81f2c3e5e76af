"""Sends :class:`~hutch._core.request.Op` s over the pool, with retries, and reads streamed answers.

Every streamed answer is an :class:`AsyncStream`, closed deterministically: at its end, on an
error, by ``aclose()`` / ``async with``, or, when its reader abandons it, at the pool's next
request (its finalizer only hands it over; see :meth:`~hutch._core.pool.Pool.watch`). Nothing
here is a generator holding a response in ``with`` / ``finally``, whose collection would close
it from inside the garbage collector.
"""

from __future__ import annotations

import collections
import contextlib
import functools
from collections.abc import AsyncGenerator, Callable
from typing import Any, Generic, Self, TypeVar, cast

import httpx

from hutch._core.errors import error_for_transport
from hutch._core.follow import Follower, started_pid
from hutch._core.ndjson import NdjsonDecoder
from hutch._core.output import OutputState
from hutch._core.pool import Pool, answer, is_answer, log_request, log_response, timeout_for
from hutch._core.request import Op
from hutch._core.retry import Attempts
from hutch.config import ConnectionConfig, ConnectionOpts
from hutch.exceptions import SandboxException
from hutch.sandbox_async import _backend

T = TypeVar("T")
C = TypeVar("C")

_sleep = _backend.sleep  # tests replace it to see (and skip) the retry delays
_pools = _backend.pools


async def _close_abandoned(pool: Pool[Any]) -> None:
    """Close the streams whose readers were collected before closing them (outside any pool lock)."""
    while pool.abandoned:
        try:
            response, chunks = pool.abandoned.popleft()
        except IndexError:  # another thread took the last one
            return
        with contextlib.suppress(httpx.HTTPError, OSError):
            await response.aclose()
        with contextlib.suppress(httpx.HTTPError, OSError, RuntimeError, ValueError):  # a reader still inside it
            await chunks.aclose()


class AsyncApiClient:
    """One connection config plus a reference to the pool of its flavor; safe to share."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._key = _backend.pool_key()
        self._pool = _pools.acquire(self._key)
        self._closed = False
        self.access_token: str | None = None
        """A secure sandbox's access token, sent as ``X-Access-Token`` with every request (the server
        reads it on the sandbox's agent routes only)."""

    @classmethod
    def from_opts(cls, opts: ConnectionOpts | dict[str, Any]) -> Self:
        return cls(ConnectionConfig.from_opts(opts))

    async def close(self) -> None:
        """Drop this client's hold on the pool (the last one may close it). Idempotent."""
        if not self._closed:
            self._closed = True
            await _close_abandoned(self._pool)
            if _pools.release(self._key, self._pool):
                await self._pool.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _current_pool(self) -> Pool[Any]:
        key = _backend.pool_key()
        return self._pool if key is self._key and not self._closed else _pools.get(key)

    async def _send(self, op: Op[Any], timeout: float | None, pool: Pool[Any]) -> httpx.Response:
        """Send with retries; returns an answer (2xx or one of ``op.answers``), else raises."""
        await _close_abandoned(pool)
        http = pool.client(self.config).get_async_httpx_client()
        attempts = Attempts(self.config, op.retry_safe, op.not_found, op.retry_timeouts)
        replayable = op.body is None or op.body.replayable
        while True:
            kwargs = _backend.request_body(op.request_kwargs())
            request = http.build_request(**kwargs, timeout=timeout_for(self.config, op, timeout))
            if self.access_token:
                request.headers["X-Access-Token"] = self.access_token
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
        return answer(op, await self._send(op, timeout, self._current_pool()))

    async def stream(self, op: Op[Any], timeout: float | None = None) -> AsyncStream:
        """Send a streaming ``op``; its answer's body is read from the returned stream."""
        pool = self._current_pool()
        return AsyncStream(await self._send(op, timeout, pool), pool)

    def follow(
        self, make_op: Callable[[int], Op[Any]], state: OutputState[C], limit: float | None = None
    ) -> AsyncFollow[C]:
        """Output chunks of a command or terminal, for at most ``limit`` seconds; re-attaches at the offset
        reached if the stream drops."""
        return AsyncFollow(self, Follower(make_op, state, self.config, limit))

    async def start_following(
        self,
        op: Op[Any],
        output: Callable[[int, int], Op[Any]],
        state_for: Callable[[int], OutputState[C]],
        timeout: float | None = None,
    ) -> AsyncFollow[C]:
        """Send a start that answers with the process's event stream (one round trip) and follow it from
        there; ``output(pid, offset)`` re-attaches if the stream drops."""
        stream = await self.stream(op, timeout)
        head = b""
        try:
            while (pid := started_pid(head)) is None:
                head += await stream.__anext__()
        except StopAsyncIteration:
            raise SandboxException("The output stream ended before the process's start event") from None
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.config) from exc
        except BaseException:
            await stream.aclose()
            raise
        follower = Follower(functools.partial(output, pid), state_for(pid), self.config)
        return AsyncFollow(self, follower, stream, head)


class AsyncStream:
    """The body of a streamed answer, chunk by chunk; raises ``httpx`` errors as they are (closed first)."""

    def __init__(self, response: httpx.Response, pool: Pool[Any]) -> None:
        self._response = response
        self._pool = pool
        self._chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
        self._closed = False
        self._finalizer = pool.watch(self, response, self._chunks)

    def tie(self, owner: object) -> None:
        """Hand this stream to the pool when ``owner`` is collected instead (a handle whose background
        reader keeps the stream itself alive)."""
        self._finalizer.detach()
        self._finalizer = self._pool.watch(owner, self._response, self._chunks)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self._chunks.__anext__()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Release the connection. Idempotent."""
        if not self._closed:
            self._closed = True
            self._finalizer.detach()
            try:
                await self._response.aclose()
            finally:
                # a watch's reader may be inside the iterator: closing the response above ends it
                with contextlib.suppress(RuntimeError, ValueError):
                    await self._chunks.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncEvents:
    """The NDJSON events of a streamed answer, one at a time (None at its end)."""

    def __init__(self, stream: AsyncStream) -> None:
        self.stream = stream
        self._decoder = NdjsonDecoder()
        self._pending: collections.deque[dict[str, Any]] = collections.deque()

    async def read(self) -> dict[str, Any] | None:
        while not self._pending:
            try:
                data = await self.stream.__anext__()
            except StopAsyncIteration:
                self._pending.extend(self._decoder.close())
                return self._pending.popleft() if self._pending else None
            self._pending.extend(self._decoder.feed(data))
        return self._pending.popleft()


class AsyncFollow(Generic[C]):
    """The output chunks of a process, across reconnects (an iterator object, not a generator, so that
    abandoning it leaves only an :class:`AsyncStream` to its finalizer)."""

    def __init__(
        self, api: AsyncApiClient, follower: Follower[C], stream: AsyncStream | None = None, head: bytes = b""
    ) -> None:
        self._api = api
        self._follower = follower
        self._stream = stream
        """The answer being read; one already open when the start itself answered with the stream."""
        self._ready: collections.deque[C] = collections.deque(follower.feed(head) if head else ())
        self._closed = False

    @property
    def state(self) -> OutputState[C]:
        return self._follower.state

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> C:
        while not self._ready:
            if self._closed:
                raise StopAsyncIteration
            await self._read()
        return self._ready.popleft()

    async def _read(self) -> None:
        follower = self._follower
        if follower.done:
            self._closed = True
            await self._release()
            return
        if self._stream is None:
            op = follower.next_op()
            if op is None:
                self._closed = True
                return
            self._stream = await self._api.stream(op, follower.time_left)
        try:
            data = await self._stream.__anext__()
        except StopAsyncIteration:
            self._stream = None
            await _sleep(follower.ended())
            return
        except httpx.HTTPError as exc:
            self._stream = None
            await _sleep(follower.dropped(exc))
            return
        try:
            self._ready.extend(follower.feed(data))
        except BaseException:
            await self.aclose()
            raise
        if follower.done:
            await self._release()

    async def _release(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()

    async def aclose(self) -> None:
        """Stop following and release the connection; the process keeps running."""
        self._closed = True
        self._ready.clear()
        await self._release()


class AsyncFileStream:
    """The content of a file read with ``format="stream"``: ``bytes`` chunks as they arrive.

    Close it (or use it as a context manager) if you stop before the end.
    """

    def __init__(self, stream: AsyncStream, config: ConnectionConfig) -> None:
        self._stream = stream
        self._config = config

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._stream.__anext__()
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self._config) from exc

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
