"""Canned server replies and stream helpers for the SDK unit tests."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx
import respx

from hutch import AsyncSandbox, AsyncVolume, Sandbox, Volume

BASE = "http://localhost:7420"
KEY = "unit-test-key"
STAMP = "2025-01-01T00:00:00Z"


def detail(**over: Any) -> dict[str, Any]:
    """A SandboxDetail reply."""
    body = {
        "sandboxID": "sb1",
        "templateID": "base",
        "state": "running",
        "metadata": {},
        "envKeys": [],
        "startedAt": STAMP,
        "endAt": "2025-01-01T00:05:00Z",
        "cpuCount": 2,
        "memoryMB": 1024,
        "diskMB": 2048,
        "allowInternetAccess": True,
        "lifecycle": {"onTimeout": "kill", "autoResume": False},
    }
    return {**body, **over}


def process(**over: Any) -> dict[str, Any]:
    """A ProcessInfo reply."""
    body = {"pid": 7, "cmd": "echo hi", "envs": {}, "user": "user", "cwd": "/home/user"}
    return {**body, "startedAt": STAMP, "running": True, "pty": False, **over}


def entry(**over: Any) -> dict[str, Any]:
    """An EntryInfo reply."""
    body = {"name": "a.txt", "path": "/home/user/a.txt", "type": "file", "size": 3, "mode": 420}
    return {**body, "permissions": "-rw-r--r--", "owner": "user", "group": "user", "modifiedTime": STAMP, **over}


def snapshot(**over: Any) -> dict[str, Any]:
    """A Snapshot reply."""
    return {"snapshotID": "snap1", "sandboxID": "sb1", "kind": "manual", "createdAt": STAMP, "sizeBytes": 10, **over}


def ndjson(*events: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


def command_events(*chunks: tuple[str, str], code: int = 0, error: str | None = None) -> list[dict[str, Any]]:
    """start, the (type, data) chunks, exit."""
    body = [{"type": kind, "data": data} for kind, data in chunks]
    return [{"type": "start", "pid": 7}, *body, {"type": "exit", "exitCode": code, "error": error}]


class GatedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that sends ``first``, then waits (up to 5 s) for ``gate`` before sending ``rest``.

    A test sets the gate from an output callback: if the SDK only ran callbacks after the stream
    ended, the gate would never be set in time and the test would see the timeout.
    """

    def __init__(self, first: bytes, rest: bytes) -> None:
        self.first, self.rest = first, rest
        self.gate = threading.Event()
        self.gate_waited = 0.0

    def _wait(self) -> None:
        started = time.monotonic()
        self.gate.wait(5)
        self.gate_waited = time.monotonic() - started

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        self._wait()
        yield self.rest

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        started = time.monotonic()
        while not self.gate.is_set() and time.monotonic() - started < 5:
            await asyncio.sleep(0.005)
        self.gate_waited = time.monotonic() - started
        yield self.rest


class Flavor:
    """Runs one test body against the sync or the async SDK."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cls: Any = Sandbox if name == "sync" else AsyncSandbox
        self.volume: Any = Volume if name == "sync" else AsyncVolume
        self.is_async = name == "async"

    async def __call__(self, value: Any) -> Any:
        """The value of a call: awaited on the async SDK."""
        return await value if inspect.isawaitable(value) else value

    async def items(self, iterable: Any) -> list[Any]:
        """Everything an iterator (sync) or async iterator yields."""
        if hasattr(iterable, "__aiter__"):
            return [item async for item in iterable]
        return list(iterable)

    async def create(self, **kwargs: Any) -> Any:
        return await self(self.cls.create(**kwargs))

    def __repr__(self) -> str:
        return self.name


def sent_json(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def body_of(chunks: Iterable[bytes]) -> bytes:
    return b"".join(chunks)
