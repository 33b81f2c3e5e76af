"""Keyword options of the calls that take many, declared once for the sync and async facades.

``Sandbox.create``, ``commands.run`` and ``pty.create`` take their less common settings as
keywords typed by these ``TypedDict`` s; the functions below check them, apply the defaults of
SDK-API.md and turn them into an :class:`~hutch._core.request.Op`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from hutch._core import request as ops
from hutch._core.output import Callbacks, DataCallbacks, LineCallbacks
from hutch.config import CONNECTION_KEYS, ConnectionOpts
from hutch.exceptions import InvalidArgumentException
from hutch.types import (
    ProcessInfo,
    PtySize,
    SandboxInfo,
    SandboxLifecycle,
    SandboxList,
    SandboxNetworkOpts,
    SandboxQuery,
    SandboxResources,
)

C = TypeVar("C")

__all__ = ["CreateOptions", "PtyOptions", "RunOptions"]


class CreateOptions(ConnectionOpts, total=False):
    """Keywords of ``Sandbox.create`` besides ``template`` and ``timeout`` (plus the connection settings)."""

    metadata: Mapping[str, str] | None
    """Free key-value pairs, searchable with ``Sandbox.list``."""
    envs: Mapping[str, str] | None
    """Environment variables every command in the sandbox sees."""
    name: str | None
    """A name unique among your live sandboxes; ``connect`` accepts it in place of the ID."""
    allow_internet_access: bool
    """False cuts all outbound traffic (default True)."""
    network: SandboxNetworkOpts | Mapping[str, Any] | None
    """Egress rules and exposed-port access (:class:`~hutch.SandboxNetworkOpts`); overrides
    ``allow_internet_access`` when given."""
    resources: SandboxResources | None
    """``{"cpu": 2, "memory_mb": 2048, "disk_mb": 4096}``; each key optional."""
    lifecycle: SandboxLifecycle | None
    """``{"on_timeout": "kill" | "pause", "auto_resume": bool}``."""
    secure: bool
    """Route egress through the inspecting proxy (refused by servers that have none)."""
    security: Mapping[str, Any] | None
    """The inspecting proxy's policy."""


class RunOptions(TypedDict, total=False):
    """Keywords of ``commands.run`` besides ``cmd`` and ``background``."""

    envs: Mapping[str, str] | None
    """Environment variables for this command, on top of the sandbox's."""
    user: str
    """The sandbox user to run as (default ``"user"``; ``"root"`` is allowed)."""
    cwd: str | None
    """Working directory (default: the user's home)."""
    on_stdout: Callable[[str], object] | None
    """Called with each line of standard output (without its newline) as it arrives."""
    on_stderr: Callable[[str], object] | None
    """Called with each line of standard error as it arrives."""
    stdin: bool
    """Keep stdin open for ``send_stdin`` (default False: stdin is empty)."""
    timeout: float
    """Seconds after which the sandbox kills the command's process tree (default 60; 0 = none)."""
    request_timeout: float | None
    """Seconds for the request that starts the command."""


class PtyOptions(TypedDict, total=False):
    """Keywords of ``pty.create`` besides ``size``."""

    user: str
    """The sandbox user (default ``"user"``)."""
    cwd: str | None
    envs: Mapping[str, str] | None
    timeout: float
    """Seconds after which the terminal is killed (default 60; 0 = none)."""
    on_data: Callable[[bytes], object] | None
    """Called with each chunk of terminal output as it arrives."""
    request_timeout: float | None


def _check(opts: Mapping[str, Any], allowed: type, what: str) -> None:
    unknown = set(opts) - set(allowed.__annotations__) - (CONNECTION_KEYS if allowed is CreateOptions else set())
    if unknown:
        raise InvalidArgumentException(f"{what}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")


@dataclass
class Started(Generic[C]):
    """A request that starts a process, with what its handle needs."""

    op: ops.Op[ProcessInfo]
    callbacks: Callbacks[C] | None
    request_timeout: float | None


def plan_run(sandbox_id: str, cmd: str, opts: RunOptions) -> Started[tuple[str | None, str | None]]:
    _check(opts, RunOptions, "run")
    on_stdout, on_stderr = opts.get("on_stdout"), opts.get("on_stderr")
    op = ops.start(
        sandbox_id,
        cmd,
        opts.get("envs"),
        opts.get("user", "user"),
        opts.get("cwd"),
        bool(opts.get("stdin", False)),
        opts.get("timeout", 60),
    )
    return Started(op, LineCallbacks.of(on_stdout, on_stderr), opts.get("request_timeout"))


def plan_pty(sandbox_id: str, size: PtySize | None, opts: PtyOptions) -> Started[bytes]:
    _check(opts, PtyOptions, "pty.create")
    op = ops.pty_create(
        sandbox_id,
        size or PtySize(),
        opts.get("user", "user"),
        opts.get("cwd"),
        opts.get("envs"),
        opts.get("timeout", 60),
    )
    on_data = opts.get("on_data")
    return Started(op, DataCallbacks(on_data) if on_data else None, opts.get("request_timeout"))


def plan_create(template: str, timeout: float, opts: CreateOptions) -> tuple[ops.Op[SandboxInfo], dict[str, Any]]:
    """The create request and the connection settings among ``opts``."""
    _check(opts, CreateOptions, "create")
    op = ops.create(
        template,
        timeout,
        opts.get("metadata"),
        opts.get("envs"),
        opts.get("name"),
        opts.get("allow_internet_access", True),
        opts.get("resources"),
        opts.get("lifecycle"),
        bool(opts.get("secure", False)),
        opts.get("security"),
        opts.get("network"),
    )
    return op, {key: value for key, value in opts.items() if key in CONNECTION_KEYS}


class Pager:
    """Walks the pages of ``listSandboxes`` (sans-I/O: the facade sends each op)."""

    def __init__(self, query: SandboxQuery | None, page_size: int = 100) -> None:
        self._query = query
        self._size = page_size
        self._token: str | None = None
        self._done = False

    def next_op(self) -> ops.Op[SandboxList] | None:
        return None if self._done else ops.list_page(self._query, self._size, self._token)

    def take(self, page: SandboxList) -> list[SandboxInfo]:
        self._token = page.next_token
        self._done = self._token is None
        return list(page.sandboxes)


def hopx_query(query: SandboxQuery | None, status: str | list[str] | None) -> SandboxQuery | None:
    """``iter(status=...)`` (hopx) as a SandboxQuery."""
    if status is None:
        return query
    states = [status] if isinstance(status, str) else list(status)
    base = query or SandboxQuery()
    return SandboxQuery(metadata=base.metadata, state=states, template=base.template, name=base.name)
