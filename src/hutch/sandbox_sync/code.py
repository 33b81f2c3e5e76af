"""``run_code``, code contexts and ``sbx.env`` (sync; mirrors ``sandbox_async.code``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Unpack

import httpx

from hutch._core.base import SubModule
from hutch._core.errors import error_for_transport
from hutch._core.output import Call
from hutch._features import code as _code
from hutch._features.code import CodeContextOptions, CodeOptions, CodeRun, RunCodeOptions
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import CodeContext, ExecutionResult


class Code(SubModule[ApiClient]):
    """Code execution in persistent interpreters (``sbx.run_code`` and friends are these methods)."""

    def run(self, code: str, language: str | None = None, **opts: Unpack[RunCodeOptions]) -> ExecutionResult:
        """Run ``code`` in a persistent interpreter and wait for it; see :class:`~hutch.RunCodeOptions`.

        ``language`` is ``python`` (default), ``bash`` or ``javascript``; variables, imports and the
        working directory carry over from one run to the next, like a notebook's cells. Errors in the
        code are reported in ``error`` of the :class:`~hutch.ExecutionResult`, never raised; the
        callbacks get the output, results and error live.
        """
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code")
        for _, calls in self._events(run):
            for callback, value in calls:
                callback(value)
        return run.result()

    def stream(self, code: str, language: str | None = None, **opts: Unpack[CodeOptions]) -> Iterator[dict[str, Any]]:
        """Like :meth:`run`, but yields each message as it happens: ``{"type": "stdout", "data": ...}``,
        ``stderr``, ``result`` (``data``: the MIME bundle, ``result``: a :class:`~hutch.Result`),
        ``error`` (``name``, ``value``, ``traceback``), and last ``done`` (``exit_code``, ...)."""
        run = _code.plan_run(self._sandbox_id, code, language, opts, "run_code_stream")
        for message, _ in self._events(run):
            yield message

    def _events(self, run: CodeRun) -> Iterator[tuple[dict[str, Any], list[Call]]]:
        try:
            with self._api.open(run.op, run.request_timeout) as response:
                for data in response.iter_bytes():
                    yield from run.feed(data)
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self._api.config) from exc
        yield from run.close()

    def create_context(self, language: str | None = None, **opts: Unpack[CodeContextOptions]) -> CodeContext:
        """A new interpreter of its own (``python`` by default) to pass as ``run_code(..., context=...)``."""
        op = _code.create_context(self._sandbox_id, language, opts)
        return self._api.call(op, opts.get("request_timeout"))

    def list_contexts(self, request_timeout: float | None = None) -> list[CodeContext]:
        """The sandbox's code contexts (a language's default context once it was used)."""
        return self._api.call(_code.list_contexts(self._sandbox_id), request_timeout)

    def restart_context(self, context: CodeContext | str, request_timeout: float | None = None) -> None:
        """Start the context's interpreter afresh: all its state is lost."""
        self._api.call(_code.restart_context(self._sandbox_id, context), request_timeout)

    def remove_context(self, context: CodeContext | str, request_timeout: float | None = None) -> None:
        """Stop the context's interpreter and forget the context."""
        self._api.call(_code.remove_context(self._sandbox_id, context), request_timeout)


class EnvironmentVariables(SubModule[ApiClient]):
    """``sbx.env``: the sandbox-wide environment variables every later command, terminal and code run
    sees (the ``envs`` given at create are the starting set)."""

    def get_all(self, request_timeout: float | None = None) -> dict[str, str]:
        """Every variable with its value."""
        return self._api.call(_code.env_get_all(self._sandbox_id), request_timeout)

    def get(self, name: str, default: str | None = None, request_timeout: float | None = None) -> str | None:
        """The variable's value, or ``default`` if the sandbox has no such variable."""
        return self._api.call(_code.env_get(self._sandbox_id, name, default), request_timeout)

    def set(self, name: str, value: str, request_timeout: float | None = None) -> None:
        """Set one variable."""
        self._api.call(_code.env_set(self._sandbox_id, name, value), request_timeout)

    def update(self, envs: Mapping[str, str | None], request_timeout: float | None = None) -> None:
        """Set several variables at once; a value of None removes that variable."""
        self._api.call(_code.env_update(self._sandbox_id, envs), request_timeout)

    def replace(self, envs: Mapping[str, str], request_timeout: float | None = None) -> None:
        """Make ``envs`` the whole set: variables it does not name are removed."""
        self._api.call(_code.env_replace(self._sandbox_id, envs), request_timeout)

    def delete(self, name: str, request_timeout: float | None = None) -> bool:
        """Remove one variable; False if there was no such variable."""
        return self._api.call(_code.env_delete(self._sandbox_id, name), request_timeout)
