"""``Sandbox``: the sync SDK (mirrors ``sandbox_async.sandbox.AsyncSandbox``)."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Self, TypeVar, Unpack, overload

from hutch import types
from hutch._core import request as ops
from hutch._core.base import SandboxBase, placeholder_info
from hutch._core.descriptors import alias, dual
from hutch._features import network as _network
from hutch._features.sandboxes import CreateOptions, Pager, RunOptions, hopx_query, plan_create
from hutch.config import ConnectionOpts, split_connection_opts
from hutch.sandbox_sync.code import Code, EnvironmentVariables
from hutch.sandbox_sync.commands import Commands
from hutch.sandbox_sync.files import Files
from hutch.sandbox_sync.handles import CommandHandle, FileStream
from hutch.sandbox_sync.pty import Pty
from hutch.sandbox_sync.transport import ApiClient
from hutch.types import (
    SandboxInfo,
    SandboxList,
    SandboxMetrics,
    SandboxNetworkOpts,
    SandboxQuery,
    Snapshot,
    SnapshotInfo,
)

R = TypeVar("R")


class Sandbox(SandboxBase[ApiClient, Commands, Files, Pty]):
    """A disposable, isolated Linux sandbox.

    Get one with :meth:`create` (``with Sandbox.create() as sbx:`` kills it on exit) or
    :meth:`connect`. ``sbx.commands``, ``sbx.files`` and ``sbx.pty`` reach inside it. Safe to use
    from several threads; all sandboxes of a process share one connection pool.
    """

    code: Code
    """Code execution in persistent interpreters: ``run_code`` and the code-context methods are its methods."""
    env: EnvironmentVariables
    """The sandbox-wide environment variables (hopx's ``sbx.env``): ``get_all``, ``get``, ``set``, ``update``,
    ``delete``."""

    def __init__(self, info: SandboxInfo, api: ApiClient, owned: bool = False) -> None:
        super().__init__(info, api, owned, (Commands, Files, Pty))
        self.code = Code(self._sandbox_id, api)
        self.env = EnvironmentVariables(self._sandbox_id, api)

    # ------------------------------------------------------------ getting a sandbox

    @classmethod
    def _open(
        cls, conn: ConnectionOpts | dict[str, Any], fetch: Callable[[ApiClient], SandboxInfo], owned: bool
    ) -> Self:
        api = ApiClient.from_opts(conn)
        try:
            return cls(fetch(api), api, owned)
        except BaseException:
            api.close()
            raise

    @classmethod
    def create(cls, template: str = "base", timeout: int = 300, **opts: Unpack[CreateOptions]) -> Self:
        """Boot a sandbox from ``template`` and wait until it answers; ``timeout`` is its lifetime in seconds.

        See :class:`~hutch.CreateOptions` for the other keywords (metadata, envs, name, resources,
        lifecycle, ...) and the connection settings.
        """
        op, conn = plan_create(template, timeout, opts)
        return cls._open(conn, lambda api: api.call(op), owned=True)

    @classmethod
    def connect(cls, sandbox_id: str, timeout: int | None = None, **conn: Unpack[ConnectionOpts]) -> Self:
        """Attach to a sandbox by ID or name, resuming it if it is paused; ``timeout`` resets its lifetime."""
        return cls._open(conn, lambda api: api.call(ops.connect(sandbox_id, timeout)), owned=False)

    @classmethod
    def restore(
        cls, sandbox_id: str, snapshot_id: str | None = None, timeout: int | None = None, **conn: Unpack[ConnectionOpts]
    ) -> Self:
        """A new running sandbox from a snapshot of ``sandbox_id`` (default: its newest), even after a kill."""
        return cls._open(conn, lambda api: api.call(ops.restore(sandbox_id, snapshot_id, timeout)), owned=True)

    @classmethod
    def _detached(cls, method: Callable[..., R], sandbox_id: str, *args: Any, **kwargs: Any) -> R:
        """Run an instance method for ``sandbox_id`` without a request to attach (static variants)."""
        sbx = cls._open(split_connection_opts(kwargs), lambda api: placeholder_info(sandbox_id), owned=False)
        try:
            return method(sbx, *args, **kwargs)
        finally:
            sbx.close()

    @classmethod
    def list(
        cls,
        query: SandboxQuery | None = None,
        limit: int = 100,
        next_token: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> SandboxList:
        """One page of your sandboxes, newest first; pass its ``next_token`` for the next page."""
        with ApiClient.from_opts(conn) as api:
            return api.call(ops.list_page(query, limit, next_token))

    @classmethod
    def iter(
        cls, query: SandboxQuery | None = None, status: str | None = None, **conn: Unpack[ConnectionOpts]
    ) -> Iterator[Self]:
        """Every sandbox matching ``query`` (``status=`` is hopx's shortcut for a state), page by page, lazily."""
        pages = Pager(hopx_query(query, status))
        with ApiClient.from_opts(conn) as api:
            while (op := pages.next_op()) is not None:
                for info in pages.take(api.call(op)):
                    yield cls(info, ApiClient(api.config))

    @staticmethod
    def delete_snapshot(snapshot_id: str, **conn: Unpack[ConnectionOpts]) -> bool:
        """Delete a snapshot; False if there was no such snapshot."""
        with ApiClient.from_opts(conn) as api:
            return api.call(ops.delete_snapshot_op(snapshot_id))

    # ------------------------------------------------------------ lifecycle

    @dual
    def kill(self, request_timeout: float | None = None) -> bool:
        """Kill the sandbox: True if it was killed, False if it was already gone (never raises for that)."""
        return self._api.call(ops.kill(self.sandbox_id), request_timeout)

    @dual
    def is_running(self, request_timeout: float | None = None) -> bool:
        """Whether the sandbox is running (False once killed, or while paused)."""
        return self._api.call(ops.is_running(self.sandbox_id), request_timeout)

    @dual
    def set_timeout(self, timeout: int, request_timeout: float | None = None) -> None:
        """The sandbox now ends ``timeout`` seconds from now."""
        self._api.call(ops.set_timeout(self.sandbox_id, timeout), request_timeout)

    @dual
    def get_info(self, request_timeout: float | None = None) -> SandboxInfo:
        """The sandbox's state, settings and deadline."""
        return self._remember(self._api.call(ops.get_info(self.sandbox_id), request_timeout))

    info = get_info

    def status(self) -> str:
        """The sandbox's state alone: ``running``, ``paused`` or ``killed``."""
        return self.get_info().state

    @dual
    def get_metrics(
        self,
        start: datetime.datetime | None = None,
        end: datetime.datetime | None = None,
        request_timeout: float | None = None,
    ) -> builtins.list[SandboxMetrics]:
        """Resource usage samples between ``start`` and ``end``, oldest first."""
        return self._api.call(ops.get_metrics(self.sandbox_id, start, end), request_timeout)

    @dual
    def pause(self, request_timeout: float | None = None) -> None:
        """Freeze every process (memory kept, no CPU used) and record a pause snapshot."""
        self._remember(self._api.call(ops.pause(self.sandbox_id), request_timeout))

    suspend = pause

    @dual
    def resume(self, request_timeout: float | None = None) -> None:
        """Thaw a paused sandbox."""
        self._remember(self._api.call(ops.resume(self.sandbox_id), request_timeout))

    @dual
    def snapshot(self, request_timeout: float | None = None) -> Snapshot:
        """Take a manual snapshot of the filesystem; snapshots accumulate and survive :meth:`kill`."""
        return self._api.call(ops.snapshot(self.sandbox_id), request_timeout)

    checkpoint = snapshot

    @dual
    def create_snapshot(self, request_timeout: float | None = None) -> SnapshotInfo:
        """A snapshot whose ``template_id`` can be passed as ``template=`` to boot new sandboxes from it."""
        return self._api.call(ops.template_snapshot(self.sandbox_id), request_timeout)

    @dual
    def list_snapshots(self, request_timeout: float | None = None) -> builtins.list[Snapshot]:
        """This sandbox's snapshots (periodic, pause, manual), newest first."""
        return self._api.call(ops.list_snapshots(self.sandbox_id), request_timeout)

    # ------------------------------------------------------------ declaw's inline names

    @overload
    def run_command(
        self, cmd: str, background: Literal[False] = False, **opts: Unpack[RunOptions]
    ) -> types.CommandResult: ...
    @overload
    def run_command(self, cmd: str, background: Literal[True], **opts: Unpack[RunOptions]) -> CommandHandle: ...
    def run_command(
        self, cmd: str, background: bool = False, **opts: Unpack[RunOptions]
    ) -> types.CommandResult | CommandHandle:
        """declaw's name for ``commands.run``."""
        return self.commands.run(cmd, background, **opts)

    @overload
    def read_file(self, path: str, format: Literal["text"] = "text", user: str = "user") -> str: ...
    @overload
    def read_file(self, path: str, format: Literal["bytes"], user: str = "user") -> bytearray: ...
    def read_file(
        self, path: str, format: types.ReadFormat = "text", user: str = "user"
    ) -> str | bytearray | FileStream:
        """declaw's name for ``files.read``."""
        return self.files.read(path, format, user)

    list_commands = alias("commands", Commands.list)
    kill_command = alias("commands", Commands.kill)
    write_file = alias("files", Files.write)
    list_files = alias("files", Files.list)

    # ------------------------------------------------------------ code execution (SDK-API section 7)

    run_code = alias("code", Code.run)
    run_code_stream = alias("code", Code.stream)
    create_code_context = alias("code", Code.create_context)
    list_code_contexts = alias("code", Code.list_contexts)
    restart_code_context = alias("code", Code.restart_context)
    remove_code_context = alias("code", Code.remove_context)

    # ------------------------------------------------------------ network (SDK-API section 9)

    @dual
    def update_network(
        self,
        network: SandboxNetworkOpts | Mapping[str, Any] | None = None,
        *,
        allow_internet_access: bool | None = None,
        request_timeout: float | None = None,
    ) -> None:
        """Replace the sandbox's network policy while it runs (no restart; connections the new policy
        refuses stop working). The lists given replace the old ones; with neither list,
        ``allow_internet_access=False`` cuts all outbound traffic and otherwise it is opened again.
        ``allow_public_traffic`` is kept unless given. Read it back with ``get_info().network``.
        """
        op = _network.update(self.sandbox_id, network, allow_internet_access)
        self._remember(self._api.call(op, request_timeout))

    def get_host(self, port: int) -> str:
        """Where a server listening on ``port`` inside the sandbox answers, through the hutch server:
        ``host:port/sandboxes/{id}/ports/{port}``, so ``f"http://{sbx.get_host(8000)}/path"`` works
        for HTTP and ``ws://`` for WebSocket. No host port is bound; when the sandbox's
        ``allow_public_traffic`` is False, requests need the API key or its traffic token."""
        return _network.host(self._api.config.base_url, self.sandbox_id, port)

    # ------------------------------------------------------------ closing

    def close(self) -> None:
        """Release this object's hold on the connection pool. Does not kill the sandbox."""
        self._api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Kill the sandbox if this object created it (``create``/``restore``), then close."""
        try:
            if self._owned:
                self.kill()
        finally:
            self.close()
