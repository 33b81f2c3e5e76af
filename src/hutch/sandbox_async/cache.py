"""``sbx.cache`` (hopx's name): the sandbox user's on-disk cache directory, ``~/.cache``."""

from __future__ import annotations

from typing import Any

from hutch._features import hopx
from hutch.sandbox_async.commands import AsyncCommands


class AsyncCache:
    """The sandbox user's cache directory (``~/.cache``: pip, npm, ... downloads).

    hopx's ``sbx.cache`` is a cache of execution results; hutch keeps none (every ``run_code`` runs),
    so its cache is the one that does exist in a sandbox, the user's on-disk cache.
    """

    def __init__(self, commands: AsyncCommands) -> None:
        self._commands = commands

    async def stats(self, timeout: float | None = None) -> dict[str, Any]:
        """``{"path", "size" (MB), "count" (files)}``."""
        result = await self._commands.run(hopx.CACHE_STATS, request_timeout=timeout)
        return hopx.cache_stats(result.stdout)

    async def clear(self, timeout: float | None = None) -> dict[str, Any]:
        """Empty the cache directory: ``{"success", "message", "freed_mb", "removed"}``."""
        result = await self._commands.run(hopx.CACHE_CLEAR, request_timeout=timeout)
        return hopx.cache_cleared(result.stdout)
