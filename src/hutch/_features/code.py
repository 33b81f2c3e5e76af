"""Code execution (spec tag ``code``): ``run_code`` and code contexts (sans-I/O).

The requests are :class:`~hutch._core.request.Op` s like every other call; :class:`CodeRun` turns the NDJSON
events of ``runCode`` into the :class:`~hutch.types.ExecutionResult`, the messages
``run_code_stream`` yields (hopx's shape: ``{"type": "stdout", "data": "..."}``) and the callback
calls ``run_code`` makes. The facades (``sandbox_sync.code`` / ``sandbox_async.code``) only do I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import hutch_api.api.code.create_code_context as create_code_context
import hutch_api.api.code.list_code_contexts as list_code_contexts
import hutch_api.api.code.remove_code_context as remove_code_context
import hutch_api.api.code.restart_code_context as restart_code_context
import hutch_api.api.code.run_code as run_code_api
from hutch._core import checks
from hutch._core import convert as conv
from hutch._core.errors import MALFORMED
from hutch._core.ndjson import NdjsonDecoder
from hutch._core.output import Call
from hutch._core.request import Op, build, model, models, nothing
from hutch.exceptions import InvalidArgumentException, SandboxException, TimeoutException
from hutch.types import CodeContext, Execution, ExecutionError, OutputMessage, Result
from hutch_api.models.code_context import CodeContext as ApiCodeContext
from hutch_api.models.code_run_request import CodeRunRequest
from hutch_api.models.code_run_request_envs import CodeRunRequestEnvs
from hutch_api.models.new_code_context import NewCodeContext
from hutch_api.models.new_code_context_envs import NewCodeContextEnvs
from hutch_api.types import UNSET

__all__ = ["CodeContextOptions", "CodeOptions", "CodeRun", "RunCodeOptions"]


class CodeOptions(TypedDict, total=False):
    """Keywords of ``run_code_stream`` (and ``run_code``) besides ``code`` and ``language``."""

    timeout: float | None
    """Seconds after which the execution is interrupted (default 60; 0 or None = none; in
    ``hutch.code_interpreter`` default 300, None = the default, 0 = none, and reaching it raises
    ``TimeoutException``). The context keeps its state; code that ignores the interrupt is killed and
    its context restarted."""
    envs: Mapping[str, str] | None
    """Environment variables for this execution only."""
    cwd: str | None
    """Working directory for this execution only (the context's is restored afterwards)."""
    context: CodeContext | str | None
    """The code context (or its ID) to run in; default: the language's default context."""
    request_timeout: float | None
    """Seconds for the request to be answered (the execution itself may take longer)."""
    timeout_seconds: float | None
    """hopx's name for ``timeout``."""
    env: Mapping[str, str] | None
    """hopx's name for ``envs``."""
    working_dir: str | None
    """hopx's name for ``cwd`` (hopx's default is ``/workspace``; hutch's stays the context's
    directory, the user's home, as in E2B: pass ``working_dir=`` to choose)."""


class RunCodeOptions(CodeOptions, total=False):
    """Keywords of ``run_code``: those of ``run_code_stream`` plus live callbacks (sync or async on
    ``AsyncSandbox``)."""

    on_stdout: Callable[[OutputMessage], object] | None
    """Called with each chunk of standard output as it arrives: an :class:`~hutch.OutputMessage`, a
    ``str`` with E2B's ``line``, ``timestamp`` and ``error``."""
    on_stderr: Callable[[OutputMessage], object] | None
    """Called with each chunk of standard error as it arrives (an :class:`~hutch.OutputMessage`)."""
    on_result: Callable[[Result], object] | None
    """Called with each rich result as it is produced."""
    on_error: Callable[[ExecutionError], object] | None
    """Called with the error, if the code raises one."""


class CodeContextOptions(TypedDict, total=False):
    """Keywords of ``create_code_context`` besides ``language``."""

    cwd: str | None
    """Its working directory (default: the user's home)."""
    envs: Mapping[str, str] | None
    """Environment variables of this context, on top of the sandbox's."""
    user: str | None
    """The sandbox user it runs as (default ``"user"``)."""
    request_timeout: float | None


_CALLBACKS = ("on_stdout", "on_stderr", "on_result", "on_error")
DEFAULT_TIMEOUT = 60  # seconds, as hopx's run_code
E2B_DEFAULT_TIMEOUT = 300  # seconds, as E2B's


@dataclass
class CodeRun:
    """One execution: its request, and what its events amount to so far."""

    op: Op[None]
    request_timeout: float | None
    callbacks: Mapping[str, Callable[[Any], object] | None] = field(default_factory=dict)
    raise_on_timeout: bool = False
    """E2B's flavour: an execution that reached its timeout raises ``TimeoutException``."""
    _result: Execution = field(default_factory=Execution)
    _timed_out: bool = False
    _decoder: NdjsonDecoder = field(default_factory=NdjsonDecoder)
    _done: bool = False

    def feed(self, data: bytes) -> list[tuple[dict[str, Any], list[Call]]]:
        """For each event in ``data``: the stream message and the callback calls."""
        return [self._apply(event) for event in self._decoder.feed(data)]

    def close(self) -> list[tuple[dict[str, Any], list[Call]]]:
        """The stream ended: the last event, if it had no newline; raises if ``done`` never came."""
        last = [self._apply(event) for event in self._decoder.close()]
        if not self._done:
            raise SandboxException(
                "The run_code stream ended before the execution was done (the connection to the sandbox was lost); "
                "the code may still be running in its context"
            )
        return last

    def result(self) -> Execution:
        """The execution's result (complete once the stream has been read to its end); in E2B's
        flavour, raises ``TimeoutException`` if the execution reached its timeout."""
        if self._timed_out and self.raise_on_timeout:
            error = self._result.error
            raise TimeoutException(
                f"Execution timed out — the 'timeout' option can be used to increase this timeout "
                f"({error.value if error else 'interrupted'})"
            )
        return self._result

    def _calls(self, name: str, value: object) -> list[Call]:
        callback = self.callbacks.get(name)
        return [] if callback is None else [(callback, value)]

    def _apply(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], list[Call]]:
        try:
            kind = event["type"]
            if kind in ("stdout", "stderr"):
                text = str(event["text"])
                (self._result.logs.stdout if kind == "stdout" else self._result.logs.stderr).append(text)
                output = OutputMessage(text, int(event.get("timestamp") or 0), kind == "stderr")
                return {"type": kind, "data": text}, self._calls(f"on_{kind}", output)
            if kind == "result":
                bundle = {str(k): str(v) for k, v in dict(event["data"]).items()}
                chart = event.get("chart")
                chart = dict(chart) if isinstance(chart, Mapping) else None
                result = Result.from_bundle(bundle, bool(event.get("isMainResult", False)), chart)
                self._result.results.append(result)
                message = {"type": "result", "data": bundle, "is_main_result": result.is_main_result, "result": result}
                message.update({"chart": chart} if chart else {})
                return message, self._calls("on_result", result)
            if kind == "error":
                error = ExecutionError(str(event["name"]), str(event["value"]), str(event.get("traceback") or ""))
                self._result.error = error
                return {"type": "error", **vars(error)}, self._calls("on_error", error)
            if kind == "done":
                self._done = True
                self._timed_out = bool(event.get("timedOut", False))
                self._result.exit_code = int(event["exitCode"])
                count = event.get("executionCount")
                self._result.execution_count = None if count is None else int(count)
                self._result.context_id = conv.opt(event.get("contextID"))
                message = {"type": "done", "exit_code": self._result.exit_code, "status": str(event.get("status"))}
                return {**message, "execution_count": count, "context_id": self._result.context_id}, []
        except MALFORMED as exc:
            raise SandboxException(f"The server sent a malformed run_code event {dict(event)!r}: {exc}") from exc
        return dict(event), []  # a kind this SDK does not know yet: passed on as it is


def _context_id(context: CodeContext | str) -> str:
    if isinstance(context, CodeContext):
        return context.context_id
    return checks.ident(context, "context")


def _envs(envs: Mapping[str, str] | None, api_model: Any) -> Any:
    env = checks.str_dict(envs, "envs")
    return UNSET if env is None else api_model.from_dict(env)


def plan_run(
    sandbox_id: str, code: str, language: str | None, opts: Mapping[str, Any], what: str, e2b: bool = False
) -> CodeRun:
    """The request for ``run_code`` / ``run_code_stream`` and the state its events go to (``e2b``:
    ``hutch.code_interpreter``'s flavour, which raises on timeout and refuses a language with a context)."""
    checks.known_keys(opts, RunCodeOptions if what == "run_code" else CodeOptions, what)
    if not isinstance(code, str):
        raise InvalidArgumentException(f"code must be a string, not {type(code).__name__}")
    if language is not None and (not isinstance(language, str) or not language):
        raise InvalidArgumentException(f"language must be a non-empty string, not {language!r}")
    if "timeout" in opts and "timeout_seconds" in opts and opts["timeout"] != opts["timeout_seconds"]:
        raise InvalidArgumentException("timeout= and timeout_seconds= disagree: pass one")
    default = E2B_DEFAULT_TIMEOUT if e2b else DEFAULT_TIMEOUT
    timeout = opts["timeout"] if "timeout" in opts else opts.get("timeout_seconds", default)
    if e2b and timeout is None:
        timeout = default  # E2B: None means its default, 0 means none
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0):
        raise InvalidArgumentException(f"timeout must be >= 0 seconds (0 or None = none), not {timeout!r}")
    context = opts.get("context")
    if e2b and language and context:
        raise InvalidArgumentException("You can provide context or language, but not both at the same time.")
    if isinstance(context, CodeContext) and language is not None and language != context.language:
        # E2B refuses the pair as an invalid argument; with only the context's ID the server answers 409
        raise InvalidArgumentException(
            f"code context {context.context_id!r} runs {context.language}, not {language}: pass one of the two"
        )
    body = CodeRunRequest(
        code=code,
        language=conv.unset(language),
        context_id=UNSET if context is None else _context_id(context),
        envs=_envs(checks.synonym(opts, "envs", "env"), CodeRunRequestEnvs),
        cwd=conv.unset(checks.synonym(opts, "cwd", "working_dir")),
        timeout=UNSET if not timeout else float(timeout),
    )
    op = Op(build(run_code_api, checks.ident(sandbox_id), body=body), nothing, stream=True, idle=True)
    callbacks = {name: opts.get(name) for name in _CALLBACKS if opts.get(name) is not None}
    return CodeRun(op, opts.get("request_timeout"), callbacks, raise_on_timeout=e2b)


# ---------------------------------------------------------------- code contexts


def _context(c: ApiCodeContext) -> CodeContext:
    return conv.plain(CodeContext, c, envs={str(k): str(v) for k, v in c.envs.additional_properties.items()})


def create_context(sandbox_id: str, language: str | None, opts: CodeContextOptions) -> Op[CodeContext]:
    checks.known_keys(opts, CodeContextOptions, "create_code_context")
    body = NewCodeContext(
        language=conv.unset(language),
        user=conv.unset(opts.get("user")),
        cwd=conv.unset(opts.get("cwd")),
        envs=_envs(opts.get("envs"), NewCodeContextEnvs),
    )
    return Op(
        build(create_code_context, checks.ident(sandbox_id), body=body), model(ApiCodeContext.from_dict, _context)
    )


def list_contexts(sandbox_id: str) -> Op[list[CodeContext]]:
    return Op(build(list_code_contexts, checks.ident(sandbox_id)), models(ApiCodeContext.from_dict, _context))


def restart_context(sandbox_id: str, context: CodeContext | str) -> Op[None]:
    return Op(build(restart_code_context, checks.ident(sandbox_id), _context_id(context)), nothing, idempotent=True)


def remove_context(sandbox_id: str, context: CodeContext | str) -> Op[None]:
    return Op(build(remove_code_context, checks.ident(sandbox_id), _context_id(context)), nothing)
