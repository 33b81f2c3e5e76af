"""``AsyncSandbox``: a sandbox and everything done to it as a whole (lifecycle, snapshots, network)."""

from __future__ import annotations

import builtins
import dataclasses
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal, Self, TypeVar, Unpack, overload
from urllib.parse import urlsplit

from hutch import types
from hutch._core.base import SandboxBase, placeholder_info
from hutch._core.descriptors import alias, dual, either
from hutch._features import hopx, metrics, sandboxes, signed, snapshots
from hutch._features import network as _network
from hutch._features.commands import RunOptions
from hutch._features.sandboxes import CreateOptions, Pager, hopx_query
from hutch.config import ConnectionConfig, ConnectionOpts, call_config, split_connection_opts
from hutch.sandbox_async._creation import AsyncSandboxCreation as AsyncSandboxCreation  # async only
from hutch.sandbox_async.cache import AsyncCache
from hutch.sandbox_async.code import AsyncCode
from hutch.sandbox_async.commands import AsyncCommands
from hutch.sandbox_async.env import AsyncEnvironmentVariables
from hutch.sandbox_async.files import AsyncFiles
from hutch.sandbox_async.git import AsyncGit
from hutch.sandbox_async.handles import AsyncCommandHandle
from hutch.sandbox_async.paginator import AsyncSandboxPaginator, AsyncSnapshotPaginator
from hutch.sandbox_async.pty import AsyncPty
from hutch.sandbox_async.transport import AsyncApiClient, AsyncFileStream
from hutch.types import (
    AuditLogPage,
    SandboxInfo,
    SandboxMetrics,
    SandboxNetworkOpts,
    SandboxQuery,
    SecurityPolicy,
    Snapshot,
    SnapshotInfo,
)

R = TypeVar("R")


class AsyncSandbox(SandboxBase[AsyncApiClient, AsyncCommands, AsyncFiles, AsyncPty]):
    """A disposable, isolated Linux sandbox.

    Get one with :meth:`create` (used in a ``with`` block, it is killed on exit) or :meth:`connect`.
    ``sbx.commands``, ``sbx.files`` and ``sbx.pty`` reach inside it. The sync SDK's sandboxes are
    safe to use from several threads and share one connection pool per process; the async SDK's
    share one per event loop, so hundreds can be driven at once with ``asyncio.gather``.
    """

    code: AsyncCode
    """Code execution in persistent interpreters: ``run_code`` and the code-context methods are its methods."""
    env: AsyncEnvironmentVariables
    """The sandbox-wide environment variables (hopx's ``sbx.env``): ``get_all``, ``get``, ``set``, ``update``,
    ``delete``."""
    cache: AsyncCache
    """hopx's ``sbx.cache``: the sandbox user's on-disk cache directory (``stats``, ``clear``)."""
    git: AsyncGit
    """Git in the sandbox (E2B's ``sbx.git``): clone, status, commit, push, pull, branches, config, ..."""

    def __init__(self, info: SandboxInfo, api: AsyncApiClient, owned: bool = False) -> None:
        super().__init__(info, api, owned, (AsyncCommands, AsyncFiles, AsyncPty))
        api.access_token = self._envd_access_token  # sent as X-Access-Token, as E2B's SDK does
        self.code = AsyncCode(self._sandbox_id, api)
        self.env = AsyncEnvironmentVariables(self._sandbox_id, api)
        self.git = AsyncGit(self.commands)
        self.cache = AsyncCache(self.commands)

    @property
    def connection_config(self) -> ConnectionConfig:
        """The connection settings this sandbox object uses (E2B's)."""
        return self._api.config

    @property
    def traffic_access_token(self) -> str | None:
        """The token that admits requests to the exposed ports when ``allow_public_traffic`` is False (E2B's),
        as of the last reply about this sandbox (``get_info()`` refreshes it)."""
        return self._last_info.traffic_access_token

    @property
    def sandbox_domain(self) -> str:
        """E2B's sandbox domain: here the hutch server's ``host:port``, through which sandboxes are reached."""
        return urlsplit(self._api.config.base_url).netloc

    @property
    def envd_api_url(self) -> str:
        """Where the sandbox's own routes (files, commands, ...) answer (E2B's): ``{server}/sandboxes/{id}``."""
        return _network.public_host(self._api.config.base_url, self.sandbox_id)

    # ------------------------------------------------------------ getting a sandbox

    @classmethod
    async def _open(
        cls,
        conn: ConnectionOpts | dict[str, Any],
        fetch: Callable[[AsyncApiClient], Awaitable[SandboxInfo]],
        owned: bool,
    ) -> Self:
        api = AsyncApiClient.from_opts(conn)
        try:
            return cls(await fetch(api), api, owned)
        except BaseException:
            await api.close()
            raise

    @classmethod
    def create(
        cls, template: str | None = None, timeout: int | None = None, **opts: Unpack[CreateOptions]
    ) -> AsyncSandboxCreation[Self]:
        """Boot a sandbox from ``template`` (default ``base``) and wait until it answers; ``timeout`` is its
        lifetime in seconds (default 300).

        See :class:`~hutch.CreateOptions` for the other keywords (metadata, envs, name, resources,
        lifecycle, ...) and the connection settings. On the async SDK the result is awaited, or used
        directly as an async context manager.
        """
        op, conn = sandboxes.create(template, timeout, opts)
        return AsyncSandboxCreation(cls._open(conn, lambda api: api.call(op), owned=True))

    @classmethod
    async def _connect(
        cls,
        sandbox_id: str,
        timeout: int | None = None,
        on_resume: Literal["restore", "reboot"] = "restore",
        **conn: Unpack[ConnectionOpts],
    ) -> Self:
        """Attach to a sandbox by ID or name, resuming it if it is paused; ``timeout`` extends its lifetime to
        end no earlier than that many seconds from now (never shortens it, as in E2B). E2B's
        ``on_resume="reboot"`` raises InvalidArgumentException (see :func:`check_on_resume`)."""
        sandboxes.check_on_resume(on_resume)
        return await cls._open(conn, lambda api: api.call(sandboxes.connect(sandbox_id, timeout)), owned=False)

    async def _connect_again(
        self,
        timeout: int | None = None,
        on_resume: Literal["restore", "reboot"] = "restore",
        request_timeout: float | None = None,
    ) -> Self:
        """``sbx.connect()`` (E2B): this sandbox again, resumed if it was paused, as a new object."""
        sandboxes.check_on_resume(on_resume)
        api = AsyncApiClient(self._api.config)
        try:
            info = await api.call(sandboxes.connect(self.sandbox_id, timeout), request_timeout)
        except BaseException:
            await api.close()
            raise
        return type(self)(info, api, owned=False)

    connect = either("_connect", _connect_again)
    """``Sandbox.connect(sandbox_id, timeout=None, on_resume="restore", **conn)``, or ``sbx.connect(timeout=None)``."""

    @classmethod
    async def restore(
        cls, sandbox_id: str, snapshot_id: str | None = None, timeout: int | None = None, **conn: Unpack[ConnectionOpts]
    ) -> Self:
        """A new running sandbox from a snapshot of ``sandbox_id`` (default: its newest)."""
        return await cls._open(
            conn, lambda api: api.call(snapshots.restore(sandbox_id, snapshot_id, timeout)), owned=True
        )

    @classmethod
    async def _detached(cls, method: Callable[..., Awaitable[R]], sandbox_id: str, *args: Any, **kwargs: Any) -> R:
        """Run an instance method for ``sandbox_id`` without a request to attach (static variants)."""

        async def attach(api: AsyncApiClient) -> SandboxInfo:
            return placeholder_info(sandbox_id)

        sbx = await cls._open(split_connection_opts(kwargs), attach, owned=False)
        try:
            return await method(sbx, *args, **kwargs)
        finally:
            await sbx.close()

    @overload
    @classmethod
    def list(
        cls,
        query: SandboxQuery | None = None,
        limit: int | None = 100,
        next_token: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        *,
        status: None = None,
        region: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> AsyncSandboxPaginator: ...
    @overload
    @classmethod
    def list(
        cls,
        query: SandboxQuery | None = None,
        limit: int | None = 100,
        next_token: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        *,
        status: str | builtins.list[str],
        region: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> Awaitable[builtins.list[Self]]: ...
    @classmethod
    def list(
        cls,
        query: SandboxQuery | None = None,
        limit: int | None = 100,
        next_token: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        *,
        status: str | builtins.list[str] | None = None,
        region: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> AsyncSandboxPaginator | Awaitable[builtins.list[Self]]:
        """Your sandboxes, one page at a time, newest first (``order="asc"``: oldest first).

        The result is E2B's paginator (``while p.has_next: p.next_items()``, each call the next page)
        and also the first page (hutch's and declaw's: ``page.sandboxes``, ``page.next_token``,
        ``page["sandboxes"]``, iteration; the async one once awaited). With hopx's ``status=`` (a
        state or a list of them) it is that page's sandboxes as sandbox objects, as hopx returns;
        ``region`` (hopx) is accepted and ignored.
        """
        if status is not None:
            return cls._list_objects(hopx_query(query, status), limit, next_token, order, conn)
        return AsyncSandboxPaginator.start(conn, query, limit, next_token, order)

    @classmethod
    async def _list_objects(
        cls,
        query: SandboxQuery | None,
        limit: int | None,
        next_token: str | None,
        order: str | None,
        conn: ConnectionOpts,
    ) -> builtins.list[Self]:
        async with AsyncApiClient.from_opts(conn) as api:
            page = await api.call(sandboxes.list_page(query, limit, next_token, order))
            return [cls(info, AsyncApiClient(api.config)) for info in page]

    @classmethod
    async def iter(
        cls,
        query: SandboxQuery | None = None,
        status: str | None = None,
        region: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> AsyncIterator[Self]:
        """Every sandbox matching ``query`` (``status=``: hopx's shortcut; ``region``: hopx's, ignored),
        page by page: ``async for``."""
        pages = Pager(hopx_query(query, status))
        api = AsyncApiClient.from_opts(conn)  # no ``with``: an abandoned generator must not close it from the GC
        while (op := pages.next_op()) is not None:
            for info in pages.take(await api.call(op)):
                yield cls(info, AsyncApiClient(api.config))
        await api.close()

    @staticmethod
    async def delete_snapshot(snapshot_id: str, **conn: Unpack[ConnectionOpts]) -> bool:
        """Delete a snapshot; False if there was no such snapshot."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(snapshots.delete(snapshot_id))

    # ------------------------------------------------------------ lifecycle

    @dual
    async def kill(self, request_timeout: float | None = None) -> bool:
        """Kill the sandbox: True if it was killed, False if it was already gone."""
        return await self._api.call(sandboxes.kill(self.sandbox_id), request_timeout)

    @dual
    async def is_running(self, request_timeout: float | None = None) -> bool:
        """Whether the sandbox is running."""
        return await self._api.call(sandboxes.is_running(self.sandbox_id), request_timeout)

    @dual
    async def set_timeout(self, timeout: int, request_timeout: float | None = None) -> None:
        """The sandbox now ends ``timeout`` seconds from now."""
        await self._api.call(sandboxes.set_timeout(self.sandbox_id, timeout), request_timeout)

    @dual
    async def get_info(self, request_timeout: float | None = None) -> SandboxInfo:
        """The sandbox's state, settings and deadline (and hopx's ``public_host``)."""
        info = await self._api.call(sandboxes.get_info(self.sandbox_id), request_timeout)
        host = _network.public_host(self._api.config.base_url, info.sandbox_id)
        return self._remember(dataclasses.replace(info, public_host=host))

    info = get_info

    async def status(self) -> str:
        """The sandbox's state alone."""
        return (await self.get_info()).state

    @dual
    async def get_metrics(
        self,
        start: datetime.datetime | None = None,
        end: datetime.datetime | None = None,
        request_timeout: float | None = None,
    ) -> builtins.list[SandboxMetrics]:
        """Resource usage samples between ``start`` and ``end``, oldest first."""
        return await self._api.call(metrics.get_metrics(self.sandbox_id, start, end), request_timeout)

    @dual
    async def refresh_token(self, request_timeout: float | None = None) -> None:
        """Replace the sandbox's traffic access token (hopx): the old one stops working at once, the new
        one is ``get_info().traffic_access_token``."""
        self._remember(await self._api.call(sandboxes.refresh_token(self.sandbox_id), request_timeout))

    @dual
    async def update_security(
        self, security: SecurityPolicy | Mapping[str, Any], request_timeout: float | None = None
    ) -> SecurityPolicy:
        """Replace the sandbox's inspecting-proxy policy while it runs (declaw's ``update_security``):
        the next connection follows it; a part left out is off. Returns the policy in force."""
        return await self._api.call(sandboxes.update_security(self.sandbox_id, security), request_timeout)

    @dual
    async def get_audit_log(
        self,
        limit: int | None = None,
        cursor: str | None = None,
        *,
        host: str | None = None,
        decision: Literal["allowed", "refused"] | None = None,
        request_timeout: float | None = None,
    ) -> AuditLogPage:
        """A page of the sandbox's connections through its egress proxy (``security={"audit": {}}`` at
        create): oldest first, ``limit`` (1-1000, default 100) of them from ``cursor`` (a previous page's
        ``next_cursor``), only to ``host`` or only ``allowed``/``refused`` ones if asked. Never bodies."""
        op = sandboxes.get_audit_log(self.sandbox_id, limit, cursor, host, decision)
        return await self._api.call(op, request_timeout)

    @dual
    async def get_metrics_snapshot(self, request_timeout: float | None = None) -> dict[str, Any]:
        """Resource usage now (hopx): a dict with :class:`~hutch.SandboxMetrics`' fields, sampled for this call."""
        return await self._api.call(metrics.get_metrics_snapshot(self.sandbox_id), request_timeout)

    @dual
    async def pause(
        self,
        keep_memory: bool | None = None,
        *,
        mode: Literal["full", "filesystem"] | None = None,
        strict: bool = False,
        request_timeout: float | None = None,
    ) -> bool:
        """Freeze every process in place (their memory stays while the host runs them) and record a pause
        snapshot of the filesystem; True if this call paused it, False if it was paused already (E2B).
        ``keep_memory=True`` / ``mode="full"`` (E2B: a memory image that survives anything) raise
        InvalidArgumentException: there is no CRIU here. ``strict`` is accepted."""
        sandboxes.check_pause_options(keep_memory, mode)
        info, paused_now = await self._api.call(sandboxes.pause(self.sandbox_id), request_timeout)
        self._remember(info)
        return paused_now

    suspend = pause
    beta_pause = pause

    async def stop(self, request_timeout: float | None = None) -> None:
        """hopx's ``stop``: here a :meth:`pause` (processes frozen, state kept), undone by :meth:`start`."""
        await self.pause(request_timeout=request_timeout)

    async def start(self, request_timeout: float | None = None) -> None:
        """hopx's ``start`` of a stopped sandbox: :meth:`resume`."""
        await self.resume(request_timeout)

    @dual
    async def resume(self, request_timeout: float | None = None) -> None:
        """Thaw a paused sandbox."""
        self._remember(await self._api.call(sandboxes.resume(self.sandbox_id), request_timeout))

    @dual
    async def snapshot(self, request_timeout: float | None = None) -> Snapshot:
        """Take a manual snapshot; snapshots accumulate and survive :meth:`kill`."""
        return await self._api.call(snapshots.snapshot(self.sandbox_id), request_timeout)

    checkpoint = snapshot

    @dual
    async def create_snapshot(
        self,
        name: str | None = None,
        *,
        mode: Literal["filesystem", "full"] | None = None,
        request_timeout: float | None = None,
    ) -> SnapshotInfo:
        """A snapshot of the files that boots new sandboxes: ``Sandbox.create(info.snapshot_id)`` (E2B),
        ``template=info.template_id`` or its ``name``. The sandbox keeps running. ``mode="full"`` (with
        memory) raises InvalidArgumentException: there is no CRIU here."""
        return await self._api.call(snapshots.template_snapshot(self.sandbox_id, name, mode), request_timeout)

    def _list_own_snapshots(
        self,
        limit: int | None = None,
        next_token: str | None = None,
        name: str | None = None,
        request_timeout: float | None = None,
    ) -> AsyncSnapshotPaginator:
        """This sandbox's snapshots, newest first: E2B's paginator, and the list declaw's code reads."""
        config = call_config(self._api.config, {"request_timeout": request_timeout}, "list_snapshots")
        return AsyncSnapshotPaginator.start(config, snapshots.list_snapshots(self.sandbox_id), limit, next_token, name)

    @classmethod
    def _list_all_snapshots(
        cls,
        sandbox_id: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
        name: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> AsyncSnapshotPaginator:
        """All of the caller's snapshots (or ``sandbox_id``'s), newest first; as :meth:`_list_own_snapshots`."""
        return AsyncSnapshotPaginator.start(conn, snapshots.list_all(sandbox_id), limit, next_token, name)

    list_snapshots = either("_list_all_snapshots", _list_own_snapshots)
    """``sbx.list_snapshots(limit=None, next_token=None, name=None)``: this sandbox's;
    ``Sandbox.list_snapshots(sandbox_id=None, limit=None, next_token=None, name=None, **conn)``: all of the
    caller's (E2B's class form), or one sandbox's. Either is E2B's paginator (``has_next``,
    ``next_items()``) and the list of snapshots (awaited, on the async SDK); ``name`` keeps those with
    that name or ID."""

    @dual
    async def fork(
        self, timeout: int | None = None, count: int | None = None, request_timeout: float | None = None
    ) -> builtins.list[Self | Exception]:
        """``count`` (1 to 20) new running sandboxes from one snapshot of this one's files, booted in
        parallel; one result per fork: the sandbox (owned: ``with`` kills it) or the exception its boot met."""
        results = await self._api.call(snapshots.fork(self.sandbox_id, count, timeout), request_timeout)
        return [
            r if isinstance(r, Exception) else type(self)(r, AsyncApiClient(self._api.config), True) for r in results
        ]

    # ------------------------------------------------------------ declaw's inline names

    @overload
    async def run_command(
        self, cmd: str, background: Literal[False] = False, **opts: Unpack[RunOptions]
    ) -> types.CommandResult: ...
    @overload
    async def run_command(
        self, cmd: str, background: Literal[True], **opts: Unpack[RunOptions]
    ) -> AsyncCommandHandle: ...
    async def run_command(
        self, cmd: str, background: bool = False, **opts: Unpack[RunOptions]
    ) -> types.CommandResult | AsyncCommandHandle:
        """declaw's name for ``commands.run``."""
        return await self.commands.run(cmd, background, **opts)

    @overload
    async def read_file(self, path: str, format: Literal["text"] = "text", user: str = "user") -> str: ...
    @overload
    async def read_file(self, path: str, format: Literal["bytes"], user: str = "user") -> bytearray: ...
    async def read_file(
        self, path: str, format: types.ReadFormat = "text", user: str = "user"
    ) -> str | bytearray | AsyncFileStream:
        """declaw's name for ``files.read``."""
        return await self.files.read(path, format, user)

    async def list_processes(self, request_timeout: float | None = None) -> builtins.list[dict[str, Any]]:
        """hopx's name for ``commands.list``, in hopx's shape: dicts with ``process_id`` (the pid as a
        string), ``pid``, ``name`` (the command line), ``status`` (running/completed/failed/killed),
        ``start_time``, ``exit_code``, ``user``, ``cwd``."""
        return [hopx.process(p) for p in await self.commands.list(request_timeout)]

    async def kill_process(self, process_id: str | int, request_timeout: float | None = None) -> dict[str, Any]:
        """hopx's name for ``commands.kill``: ``{"process_id", "success", "message"}`` (success False when it
        had already ended)."""
        done = await self.commands.kill(hopx.pid_of(process_id), request_timeout)
        return hopx.killed(process_id, done)

    list_commands = alias("commands", AsyncCommands.list)
    kill_command = alias("commands", AsyncCommands.kill)
    write_file = alias("files", AsyncFiles.write)
    list_files = alias("files", AsyncFiles.list)

    # ------------------------------------------------------------ code execution (SDK-API section 7)

    run_code = alias("code", AsyncCode.run)
    run_code_stream = alias("code", AsyncCode.stream)
    create_code_context = alias("code", AsyncCode.create_context)
    list_code_contexts = alias("code", AsyncCode.list_contexts)
    restart_code_context = alias("code", AsyncCode.restart_context)
    remove_code_context = alias("code", AsyncCode.remove_context)

    # ------------------------------------------------------------ network (SDK-API section 9)

    @dual
    async def update_network(
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
        self._remember(await self._api.call(op, request_timeout))

    def get_host(self, port: int) -> str:
        """Where a server listening on ``port`` inside the sandbox answers, through the hutch server:
        ``host:port/sandboxes/{id}/ports/{port}``, so ``f"http://{sbx.get_host(8000)}/path"`` works
        for HTTP and ``ws://`` for WebSocket. No host port is bound; when the sandbox's
        ``allow_public_traffic`` is False, requests need the API key or its traffic token.
        It sends no request, so it is a plain method on both SDKs (as in E2B's)."""
        return _network.host(self._api.config.base_url, self.sandbox_id, port)

    # ------------------------------------------------------------ signed file URLs (E2B's download_url/upload_url)

    def download_url(self, path: str, user: str | None = None, use_signature_expiration: int | None = None) -> str:
        """A URL that downloads ``path`` (GET) without the API key, signed with the sandbox's access token;
        ``use_signature_expiration`` seconds from now it stops working (never, by default). Needs a
        sandbox created with ``secure=True`` (the default). Sends no request."""
        return signed.file_url(
            self._api.config.base_url, self.sandbox_id, self._envd_access_token, path, "read", user,
            use_signature_expiration,
        )  # fmt: skip

    def upload_url(self, path: str, user: str | None = None, use_signature_expiration: int | None = None) -> str:
        """A URL that replaces ``path`` with a POSTed file (``multipart/form-data``, part ``file``, as in E2B;
        or a raw ``application/octet-stream`` body) without the API key. As :meth:`download_url`."""
        return signed.file_url(
            self._api.config.base_url, self.sandbox_id, self._envd_access_token, path, "write", user,
            use_signature_expiration,
        )  # fmt: skip

    # ------------------------------------------------------------ closing

    async def close(self) -> None:
        """Release this object's hold on the connection pool. Does not kill the sandbox."""
        await self._api.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Kill the sandbox if this object created it (``create``/``restore``), then close."""
        try:
            if self._owned:
                await self.kill()
        finally:
            await self.close()
