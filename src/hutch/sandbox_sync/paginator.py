"""``Sandbox.list``'s and ``list_snapshots``' results (hand-written on purpose, like their async twins in
``sandbox_async/paginator.py``): here the call fetches the first page itself (declaw's and hutch's
page or list, and errors raise at the call), there awaiting the paginator does."""

from __future__ import annotations

from typing import TypeVar, Unpack

from hutch._core.request import Op
from hutch._features.sandboxes import PaginatorBase
from hutch._features.snapshots import SnapshotPaginatorBase
from hutch.config import ConnectionConfig, ConnectionOpts
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import SandboxInfo, Snapshot

T = TypeVar("T")


def _call(config: ConnectionConfig, op: Op[T]) -> T:
    with ApiClient(config) as api:
        return api.call(op)


class SandboxPaginator(PaginatorBase):
    """E2B's ``SandboxPaginator``: ``while p.has_next: items = p.next_items()``; also the first page
    (``page.sandboxes``, ``page.next_token``, ``page["sandboxes"]``, iteration)."""

    def _opened(self) -> None:
        """``Sandbox.list`` holds the first page (not yet handed out by ``next_items``)."""
        self._take(_call(self._config, self._next_op()), pending=True)

    def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[SandboxInfo]:
        """The next page's sandboxes; raises SandboxException when ``has_next`` is False. ``opts``: this
        call's connection settings on top of the paginator's."""
        config = self._config_for(opts)
        pending = self._take_pending()
        return pending if pending is not None else self._take(_call(config, self._next_op()))


class SnapshotPaginator(SnapshotPaginatorBase):
    """E2B's ``SnapshotPaginator`` (``p.next_items()``), which is also the list of snapshots (declaw's)."""

    def _opened(self) -> None:
        if (op := self._next_op()) is not None:
            self._take(_call(self._config, op))

    def next_items(self, **opts: Unpack[ConnectionOpts]) -> list[Snapshot]:
        """The next page of snapshots; raises SandboxException when ``has_next`` is False."""
        config = self._config_for(opts)
        if (op := self._next_op()) is not None:
            self._take(_call(config, op))
        return self._page()
