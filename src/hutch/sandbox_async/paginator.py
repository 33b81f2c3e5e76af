"""``AsyncSandbox.list``'s result (hand-written on purpose, like its sync twin ``sandbox_sync/paginator.py``):
here the first page is fetched when the paginator is awaited (declaw's and hutch's ``await list()``)
or by the first ``await next_items()`` (E2B's), there by ``Sandbox.list`` itself."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Self, Unpack

from hutch._features.sandboxes import PaginatorBase
from hutch.config import ConnectionOpts
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import SandboxInfo, SandboxList


class AsyncSandboxPaginator(PaginatorBase):
    """E2B's ``AsyncSandboxPaginator``: ``while p.has_next: items = await p.next_items()``. Awaited, it is the
    first page (``page.sandboxes``, ``page.next_token``, ``page["sandboxes"]``, iteration)."""

    def __await__(self) -> Generator[Any, None, Self]:
        return self._first().__await__()

    async def _first(self) -> Self:
        if not self._fetched:
            self._take(await self._fetch(self._conn), pending=True)
        return self

    async def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[SandboxInfo]:
        """The next page's sandboxes; raises SandboxException when ``has_next`` is False. ``opts``: this
        call's connection settings on top of the paginator's."""
        conn = self._conn_for(opts)
        pending = self._take_pending()
        return pending if pending is not None else self._take(await self._fetch(conn))

    async def _fetch(self, conn: dict[str, Any]) -> SandboxList:
        op = self._next_op()
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(op)
