"""What E2B's paginators (sandboxes, snapshots) share in hutch: how a listing call returns one."""

from __future__ import annotations

from typing import Any, Self


class Opened:
    """A paginator a listing call returns at once. ``start`` makes it and runs the flavour's ``_opened``
    hook: the sync paginators fetch their first page there (so errors raise at the call), the async
    ones fetch when awaited or at their first ``next_items()``."""

    @classmethod
    def start(cls, *args: Any) -> Self:
        paginator = cls(*args)
        paginator._opened()
        return paginator

    def _opened(self) -> None:
        """Hook: fetch the first page now (sync)."""
