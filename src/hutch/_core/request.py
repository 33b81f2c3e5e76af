"""An API call described once for both transports, built through the one adapter over ``hutch_api``.

:func:`build` is the only place that calls the generator's request builders (each endpoint
module's ``_get_kwargs``), so a generator upgrade that changes them breaks here and nowhere else.
An :class:`Op` holds that request, how to read a 2xx answer into a :mod:`hutch.types` value, which
``NotFoundException`` a 404 means, which error statuses are really answers (``kill`` of a dead
sandbox is ``False``), whether it is safe to retry, and for uploads a :class:`~hutch._core.body.Body`.
The feature modules make them; the sync and async transports only send them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import httpx

from hutch._core.body import Body
from hutch._core.retry import IDEMPOTENT_METHODS
from hutch.exceptions import NotFoundException
from hutch_api.types import File

T = TypeVar("T")
M = TypeVar("M")

STREAMED: Any = File(payload=None)  # type: ignore[arg-type]
"""The body placeholder of an upload endpoint: :class:`Op` sends its streamed ``Body`` instead."""

_REQUEST_KEYS = frozenset({"method", "url", "params", "json", "content", "files", "data", "headers", "cookies"})


def build(endpoint: ModuleType, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The ``httpx`` request arguments (method, url, params, body, headers) of one generated endpoint."""
    request: dict[str, Any] = endpoint._get_kwargs(*args, **kwargs)
    unknown = set(request) - _REQUEST_KEYS
    if not {"method", "url"} <= set(request) or unknown:
        raise TypeError(f"{endpoint.__name__}._get_kwargs returned an unexpected request shape: {sorted(request)}")
    return request


@dataclass
class Op(Generic[T]):
    """One API call: the request, how to read its answer, and how to treat failures."""

    kwargs: dict[str, Any]
    parse: Callable[[httpx.Response], T]
    not_found: type[NotFoundException] = NotFoundException
    answers: Mapping[int, T] = field(default_factory=dict)
    """Non-2xx statuses that are answers rather than errors, e.g. ``{404: False}``."""
    idempotent: bool | None = None
    """Safe to retry; by default, whether the method is idempotent."""
    body: Body | None = None
    stream: bool = False
    """The answer is read incrementally by the caller."""
    idle: bool = False
    """A stream that may legitimately be silent for a long time: no read timeout."""
    retry_timeouts: bool = False
    """Retry after a read timeout too: only for requests the server de-duplicates (Idempotency-Key)."""

    @property
    def method(self) -> str:
        return str(self.kwargs["method"]).upper()

    @property
    def retry_safe(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    def request_kwargs(self) -> dict[str, Any]:
        """Arguments for ``httpx.Client.build_request`` for one try (a fresh body each time)."""
        kwargs = dict(self.kwargs)
        if self.body is not None:
            kwargs.pop("files", None)
            kwargs["content"] = self.body.produce()
            kwargs["headers"] = {**kwargs.get("headers", {}), **self.body.headers()}
        return kwargs


def nothing(_: httpx.Response) -> None:
    return None


def true(_: httpx.Response) -> bool:
    return True


def model(parse: Callable[[Any], M], convert: Callable[[M], T]) -> Callable[[httpx.Response], T]:
    """A JSON object answer through a generated model's ``from_dict`` and a converter."""
    return lambda response: convert(parse(response.json()))


def models(parse: Callable[[Any], M], convert: Callable[[M], T]) -> Callable[[httpx.Response], list[T]]:
    """A JSON array answer, each item through ``from_dict`` and a converter."""

    def parse_all(response: httpx.Response) -> list[T]:
        items = response.json()
        if not isinstance(items, list):
            raise TypeError(f"expected a JSON array, got {type(items).__name__}")
        return [convert(parse(item)) for item in items]

    return parse_all
