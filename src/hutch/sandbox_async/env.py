"""``sbx.env``: the sandbox-wide environment variables."""

from __future__ import annotations

from collections.abc import Mapping

from hutch._core.base import SubModule
from hutch._features import env
from hutch.sandbox_async.transport import AsyncApiClient


class AsyncEnvironmentVariables(SubModule[AsyncApiClient]):
    """``sbx.env``: the sandbox-wide environment variables every later command, terminal and code run
    sees (the ``envs`` given at create are the starting set)."""

    async def get_all(self, request_timeout: float | None = None) -> dict[str, str]:
        """Every variable with its value."""
        return await self._api.call(env.get_all(self._sandbox_id), request_timeout)

    async def get(self, name: str, default: str | None = None, request_timeout: float | None = None) -> str | None:
        """The variable's value, or ``default`` if the sandbox has no such variable."""
        return await self._api.call(env.get(self._sandbox_id, name, default), request_timeout)

    async def set(self, name: str, value: str, request_timeout: float | None = None) -> None:
        """Set one variable."""
        await self._api.call(env.set_var(self._sandbox_id, name, value), request_timeout)

    async def update(self, envs: Mapping[str, str | None], request_timeout: float | None = None) -> None:
        """Set several variables at once; a value of None removes that variable."""
        await self._api.call(env.update(self._sandbox_id, envs), request_timeout)

    async def replace(self, envs: Mapping[str, str], request_timeout: float | None = None) -> None:
        """Make ``envs`` the whole set: variables it does not name are removed."""
        await self._api.call(env.replace(self._sandbox_id, envs), request_timeout)

    async def delete(self, name: str, request_timeout: float | None = None) -> bool:
        """Remove one variable; False if there was no such variable."""
        return await self._api.call(env.delete(self._sandbox_id, name), request_timeout)
