"""``Sandbox.list``'s result (hand-written on purpose, like its async twin ``sandbox_async/paginator.py``):
here ``Sandbox.list`` fetches the first page itself (declaw's and hutch's page, and errors raise at
the call), there awaiting the paginator does."""

from __future__ import annotations

from typing import Any, Self, Unpack

from hutch._features.sandboxes import PaginatorBase
from hutch.config import ConnectionOpts
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import SandboxInfo, SandboxList, SandboxQuery


class SandboxPaginator(PaginatorBase):
    """E2B's ``SandboxPaginator``: ``while p.has_next: items = p.next_items()``; also the first page
    (``page.sandboxes``, ``page.next_token``, ``page["sandboxes"]``, iteration)."""

    @classmethod
    def start(
        cls,
        conn: ConnectionOpts,
        query: SandboxQuery | None,
        limit: int | None,
        next_token: str | None,
        order: str | None,
    ) -> Self:
        """A paginator holding the first page (not yet handed out by ``next_items``)."""
        paginator = cls(conn, query, limit, next_token, order)
        paginator._take(paginator._fetch(paginator._conn), pending=True)
        return paginator

    def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[SandboxInfo]:
        """The next page's sandboxes; raises SandboxException when ``has_next`` is False. ``opts``: this
        call's connection settings on top of the paginator's."""
        conn = self._conn_for(opts)
        pending = self._take_pending()
        return pending if pending is not None else self._take(self._fetch(conn))

    def _fetch(self, conn: dict[str, Any]) -> SandboxList:
        op = self._next_op()
        with ApiClient.from_opts(conn) as api:
            return api.call(op)
