"""``Sandbox.list``'s result (hand-written on purpose, like its async twin ``sandbox_async/paginator.py``):
here ``Sandbox.list`` fetches the first page itself (declaw's and hutch's page, and errors raise at
the call), there awaiting the paginator does."""

from __future__ import annotations

from typing import Any, Unpack

from hutch._features.sandboxes import PaginatorBase
from hutch.config import ConnectionOpts
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import SandboxInfo, SandboxList


class SandboxPaginator(PaginatorBase):
    """E2B's ``SandboxPaginator``: ``while p.has_next: items = p.next_items()``; also the first page
    (``page.sandboxes``, ``page.next_token``, ``page["sandboxes"]``, iteration)."""

    def _opened(self) -> None:
        """``Sandbox.list`` holds the first page (not yet handed out by ``next_items``)."""
        self._take(self._fetch(self._conn), pending=True)

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
