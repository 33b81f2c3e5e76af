"""What the sync flavor does differently from the async one, in one place (hand-written on purpose;
its async twin is ``sandbox_async/_backend.py``): sleeping, which pool a call uses (one per process,
kept for calls made without a sandbox), upload bodies, and calling callbacks."""

from __future__ import annotations

import time
from typing import Any

import httpx

from hutch._core.output import Call
from hutch._core.pool import Registry, transport_args

sleep = time.sleep

pools: Registry[None, httpx.HTTPTransport] = Registry(lambda: httpx.HTTPTransport(**transport_args()), {}, keep=True)


def pool_key() -> Any:
    """Always None: one pool per process (typed Any so that callers may keep it like the async loop)."""
    return None


def request_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    return kwargs


def fire(calls: list[Call]) -> None:
    for callback, value in calls:
        callback(value)
