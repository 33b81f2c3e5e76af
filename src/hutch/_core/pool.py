"""The shared connection pools and the per-call plumbing both transports use.

There is one pool per process for the sync SDK and one per event loop for the async SDK. Every
``Sandbox`` holds a reference to it; the last ``close()`` closes it. The generated
``AuthenticatedClient`` for each (server, API key) is built once per pool on top of its
transport, so requests carry ``X-API-Key`` exactly as the generated code sends it.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import ssl
import threading
import time
import weakref
from collections.abc import Callable, MutableMapping
from typing import Any, Generic, TypeVar

import httpx

from hutch._core.errors import parse_reply
from hutch._core.request import Op
from hutch._version import __version__
from hutch.config import ConnectionConfig
from hutch_api import AuthenticatedClient

TR = TypeVar("TR")
K = TypeVar("K")
T = TypeVar("T")

logger = logging.getLogger("hutch")

USER_AGENT = f"hutch-python/{__version__}"


def transport_args() -> dict[str, Any]:
    """Arguments for a pool's httpx transport. ``HUTCH_MAX_CONNECTIONS`` raises the cap for very wide
    fan-outs; the TLS context (slow to build: ~0.1 s) is made once per process."""
    cap = int(os.environ.get("HUTCH_MAX_CONNECTIONS", "1000"))
    # Idle connections are dropped after 4 s, before uvicorn's 5 s keep-alive closes them under us.
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=min(cap, 200), keepalive_expiry=4.0)
    return {"limits": limits, "verify": _tls_context()}


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class Pool(Generic[TR]):
    """One connection pool (an httpx transport) and the generated clients built on it."""

    def __init__(self, transport: TR) -> None:
        self.transport = transport
        self.refs = 0
        self._clients: dict[tuple[Any, ...], AuthenticatedClient] = {}
        self._lock = threading.Lock()
        self.abandoned: collections.deque[tuple[Any, Any]] = collections.deque()
        """Streams whose readers were collected before closing them: (response, its chunk iterator),
        closed by the transport at its next request (see :meth:`watch`)."""

    def watch(self, owner: object, response: Any, chunks: Any) -> weakref.finalize[Any, Any]:
        """Hand ``response`` to :attr:`abandoned` if ``owner`` is collected before it closes it.

        The garbage collector may run inside any request, even inside httpx's pool lock; closing a
        response there waits for that same lock, for ever. So the finalizer only appends (no I/O,
        no lock), and the stream is closed at the transport's next request, outside the pool.
        The owner detaches the returned finalizer when it closes the stream itself.
        """
        finalizer = weakref.finalize(owner, self.abandoned.append, (response, chunks))
        finalizer.atexit = False
        return finalizer

    def client(self, config: ConnectionConfig) -> AuthenticatedClient:
        proxy = config.proxy
        key = (config.base_url, config.api_key, config.headers, None if proxy is None else repr(proxy))
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # with a proxy, httpx mounts its own proxy transport over this pool's for every URL
                client = AuthenticatedClient(
                    base_url=config.base_url,
                    token=config.api_key,
                    prefix="",
                    auth_header_name="X-API-Key",
                    headers={"User-Agent": USER_AGENT, **dict(config.headers)},
                    timeout=httpx.Timeout(config.request_timeout),
                    httpx_args={"transport": self.transport, **({} if proxy is None else {"proxy": proxy})},
                )
                self._clients[key] = client
            return client


class Registry(Generic[K, TR]):
    """Pools by key (``None`` for the process, the event loop for async), reference counted.

    With ``keep`` (the sync SDK) a pool outlives its last user, so that calls made without a
    sandbox object (``Sandbox.list()``) do not pay for a new pool and connection each time; idle
    connections still close after ``keepalive_expiry``. The async pools close with their last user,
    inside their event loop, so that no socket outlives the loop.
    """

    def __init__(self, make: Callable[[], TR], pools: MutableMapping[K, Pool[TR]], keep: bool = False) -> None:
        self._make = make
        self._pools = pools
        self._keep = keep
        self._lock = threading.Lock()

    def get(self, key: K) -> Pool[TR]:
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = Pool(self._make())
            return pool

    def acquire(self, key: K) -> Pool[TR]:
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = Pool(self._make())
            pool.refs += 1
            return pool

    def release(self, key: K, pool: Pool[TR]) -> bool:
        """Drop one reference; True if that was the last and the caller must close the transport."""
        with self._lock:
            pool.refs -= 1
            if self._keep or pool.refs > 0 or self._pools.get(key) is not pool:
                return False
            del self._pools[key]
            return True


def loop_pools() -> MutableMapping[Any, Pool[Any]]:
    return weakref.WeakKeyDictionary()


def timeout_for(config: ConnectionConfig, op: Op[Any], override: float | None) -> httpx.Timeout:
    """``request_timeout`` (or the per-call override; 0 = none); no read limit on idle streams."""
    limit = config.request_timeout if override is None else (override or None)
    return httpx.Timeout(limit, read=None if op.idle else limit)


def is_answer(op: Op[Any], response: httpx.Response) -> bool:
    return response.is_success or response.status_code in op.answers


def answer(op: Op[T], response: httpx.Response) -> T:
    """The value of a read answer: an expected error status's value, or the parsed 2xx body."""
    if response.status_code in op.answers:
        return op.answers[response.status_code]
    return parse_reply(op.parse, response)


def log_request(config: ConnectionConfig, request: httpx.Request) -> float:
    if config.debug:
        logger.debug("-> %s %s", request.method, request.url)
    return time.monotonic()


def log_response(config: ConnectionConfig, response: httpx.Response, started: float) -> None:
    if config.debug:
        ms = (time.monotonic() - started) * 1000
        logger.debug(
            "<- %s %s %d %s (%.1f ms)",
            response.request.method,
            response.request.url,
            response.status_code,
            response.reason_phrase,
            ms,
        )
