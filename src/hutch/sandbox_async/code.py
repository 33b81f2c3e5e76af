"""``run_code``, code contexts and ``sbx.env`` (async; mirrors ``sandbox_sync.code``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Unpack

import httpx

from hutch._core.base import SubModule
from hutch._core.errors import error_for_transport
from hutch._core.output import Call
from hutch._features import code as _code
from hutch._features.code import CodeContextOptions, CodeOptions, CodeRun, RunCodeOptions
from hutch.sandbox_async.handles import _fire
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import CodeContext, ExecutionResult


class AsyncCode(SubModule[AsyncApiClient]):
    """Code execution in persistent interpreters (``sbx.run_code`` and friends are these methods)."""

    async def run(self, code: str, language: str | None = None, **opts: Unpack[RunCodeOptions]) -> ExecutionResult:
        """Run ``code`` and wait for it (see ``Code.run``); callbacks may be sync or async."""
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code")
        async for _, calls in self._events(run):
            await _fire(calls)
        return run.result()

    async def stream(
        self, code: str, language: str | None = None, **opts: Unpack[CodeOptions]
    ) -> AsyncIterator[dict[str, Any]]:
        """``async for message in sbx.run_code_stream(code):`` each message as it happens (see ``Code.stream``)."""
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code_stream")
        async for message, _ in self._events(run):
            yield message

    async def _events(self, run: CodeRun) -> AsyncIterator[tuple[dict[str, Any], list[Call]]]:
        try:
            async with self._api.open(run.op, run.request_timeout) as response:
                async for data in response.aiter_bytes():
                    for event in run.feed(data):
                        yield event
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self._api.config) from exc
        for event in run.close():
            yield event

    async def create_context(self, language: str | None = None, **opts: Unpack[CodeContextOptions]) -> CodeContext:
        """A new interpreter of its own (``python`` by default) to pass as ``run_code(..., context=...)``."""
        op = _code.create_context(self._sandbox_id, language, opts)
        return await self._api.call(op, opts.get("request_timeout"))

    async def list_contexts(self, request_timeout: float | None = None) -> list[CodeContext]:
        """The sandbox's code contexts (a language's default context once it was used)."""
        return await self._api.call(_code.list_contexts(self._sandbox_id), request_timeout)

    async def restart_context(self, context: CodeContext | str, request_timeout: float | None = None) -> None:
        """Start the context's interpreter afresh: all its state is lost."""
        await self._api.call(_code.restart_context(self._sandbox_id, context), request_timeout)

    async def remove_context(self, context: CodeContext | str, request_timeout: float | None = None) -> None:
        """Stop the context's interpreter and forget the context."""
        await self._api.call(_code.remove_context(self._sandbox_id, context), request_timeout)


class AsyncEnvironmentVariables(SubModule[AsyncApiClient]):
    """``sbx.env`` (async): the sandbox-wide environment variables (see ``EnvironmentVariables``)."""

    async def get_all(self, request_timeout: float | None = None) -> dict[str, str]:
        """Every variable with its value."""
        return await self._api.call(_code.env_get_all(self._sandbox_id), request_timeout)

    async def get(self, name: str, default: str | None = None, request_timeout: float | None = None) -> str | None:
        """The variable's value, or ``default`` if the sandbox has no such variable."""
        return await self._api.call(_code.env_get(self._sandbox_id, name, default), request_timeout)

    async def set(self, name: str, value: str, request_timeout: float | None = None) -> None:
        """Set one variable."""
        await self._api.call(_code.env_set(self._sandbox_id, name, value), request_timeout)

    async def update(self, envs: Mapping[str, str | None], request_timeout: float | None = None) -> None:
        """Set several variables at once; a value of None removes that variable."""
        await self._api.call(_code.env_update(self._sandbox_id, envs), request_timeout)

    async def replace(self, envs: Mapping[str, str], request_timeout: float | None = None) -> None:
        """Make ``envs`` the whole set: variables it does not name are removed."""
        await self._api.call(_code.env_replace(self._sandbox_id, envs), request_timeout)

    async def delete(self, name: str, request_timeout: float | None = None) -> bool:
        """Remove one variable; False if there was no such variable."""
        return await self._api.call(_code.env_delete(self._sandbox_id, name), request_timeout)
