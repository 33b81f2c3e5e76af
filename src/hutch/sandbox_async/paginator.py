"""``AsyncSandbox.list``'s and ``list_snapshots``' results (hand-written on purpose, like their sync twins in
``sandbox_sync/paginator.py``): here the first page is fetched when the paginator is awaited (declaw's
and hutch's ``await list()``) or by the first ``await next_items()`` (E2B's), there at the call."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Self, TypeVar, Unpack

from hutch._core.request import Op
from hutch._features.sandboxes import PaginatorBase
from hutch._features.snapshots import SnapshotPaginatorBase
from hutch.config import ConnectionConfig, ConnectionOpts
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import SandboxInfo, Snapshot

T = TypeVar("T")


async def _call(config: ConnectionConfig, op: Op[T]) -> T:
    async with AsyncApiClient(config) as api:
        return await api.call(op)


class AsyncSandboxPaginator(PaginatorBase):
    """E2B's ``AsyncSandboxPaginator``: ``while p.has_next: items = await p.next_items()``. Awaited, it is the
    first page (``page.sandboxes``, ``page.next_token``, ``page["sandboxes"]``, iteration)."""

    def __await__(self) -> Generator[Any, None, Self]:
        return self._first().__await__()

    async def _first(self) -> Self:
        if not self._fetched:
            self._take(await _call(self._config, self._next_op()), pending=True)
        return self

    async def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[SandboxInfo]:
        """The next page's sandboxes; raises SandboxException when ``has_next`` is False. ``opts``: this
        call's connection settings on top of the paginator's."""
        config = self._config_for(opts)
        pending = self._take_pending()
        return pending if pending is not None else self._take(await _call(config, self._next_op()))


class AsyncSnapshotPaginator(SnapshotPaginatorBase):
    """E2B's ``AsyncSnapshotPaginator`` (``await p.next_items()``); awaited, the list of snapshots (declaw's)."""

    def __await__(self) -> Generator[Any, None, Self]:
        return self._first().__await__()

    async def _first(self) -> Self:
        if (op := self._next_op()) is not None:
            self._take(await _call(self._config, op))
        return self

    async def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[Snapshot]:
        """The next page of snapshots; raises SandboxException when ``has_next`` is False."""
        config = self._config_for(opts)
        if (op := self._next_op()) is not None:
            self._take(await _call(config, op))
        return self._page()
