"""``run_code`` and code contexts (``sbx.code``; ``sbx.run_code`` and friends are its methods)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Unpack

import httpx

from hutch._core.base import SubModule
from hutch._core.errors import error_for_transport
from hutch._core.output import Call
from hutch._features import code as _code
from hutch._features.code import CodeContextOptions, CodeOptions, CodeRun, RunCodeOptions
from hutch.sandbox_async import _backend
from hutch.sandbox_async.env import AsyncEnvironmentVariables as AsyncEnvironmentVariables
from hutch.sandbox_async.transport import AsyncApiClient
from hutch.types import CodeContext, Execution


class AsyncCode(SubModule[AsyncApiClient]):
    """Code execution in persistent interpreters (``sbx.run_code`` and friends are these methods)."""

    e2b = False
    """E2B's flavour (``hutch.code_interpreter``): a run that reaches its timeout raises ``TimeoutException``
    (default timeout 300 s), and ``language=`` with ``context=`` is refused."""

    async def run(self, code: str, language: str | None = None, **opts: Unpack[RunCodeOptions]) -> Execution:
        """Run ``code`` in a persistent interpreter and wait for it; see :class:`~hutch.RunCodeOptions`.

        ``language`` is ``python`` (default), ``javascript`` or ``bash`` (and ``typescript``, ``r``,
        ``java`` in the ``code-interpreter`` template); variables, imports and the working directory
        carry over from one run to the next, like a notebook's cells. Errors in the code are reported
        in ``error`` of the :class:`~hutch.Execution`, never raised; so is a timeout (hopx's shape), except
        in E2B's flavour (``hutch.code_interpreter``), which raises ``TimeoutException``. The callbacks
        get the output, results and error live (on the async SDK they may be coroutine functions).
        """
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code", self.e2b)
        async for _, calls in self._events(run):
            await _backend.fire(calls)
        return run.result()

    async def stream(
        self, code: str, language: str | None = None, **opts: Unpack[CodeOptions]
    ) -> AsyncIterator[dict[str, Any]]:
        """Like :meth:`run`, but yields each message as it happens: ``{"type": "stdout", "data": ...}``,
        ``stderr``, ``result`` (``data``: the MIME bundle, ``result``: a :class:`~hutch.Result`),
        ``error`` (``name``, ``value``, ``traceback``), and last ``done`` (``exit_code``, ...)."""
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code_stream", self.e2b)
        async for message, _ in self._events(run):
            yield message

    async def _events(self, run: CodeRun) -> AsyncIterator[tuple[dict[str, Any], list[Call]]]:
        # No ``with``/``finally`` here: a reader that abandons this generator leaves the stream to its
        # finalizer, which hands it to the pool (closing it from the garbage collector could hang).
        stream = await self._api.stream(run.op, run.request_timeout)
        try:
            async for data in stream:
                for event in run.feed(data):
                    yield event
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self._api.config) from exc
        except Exception:
            await stream.aclose()
            raise
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
