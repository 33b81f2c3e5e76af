"""``AsyncSandbox``: a sandbox and everything done to it as a whole (lifecycle, snapshots, network)."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal, Self, TypeVar, Unpack, overload

from hutch import types
from hutch._core.base import SandboxBase, placeholder_info
from hutch._core.descriptors import alias, dual
from hutch._features import metrics, sandboxes, snapshots
from hutch._features import network as _network
from hutch._features.commands import RunOptions
from hutch._features.sandboxes import CreateOptions, Pager, hopx_query
from hutch.config import ConnectionOpts, split_connection_opts
from hutch.sandbox_async._creation import AsyncSandboxCreation as AsyncSandboxCreation  # async only
from hutch.sandbox_async.code import AsyncCode
from hutch.sandbox_async.commands import AsyncCommands
from hutch.sandbox_async.env import AsyncEnvironmentVariables
from hutch.sandbox_async.files import AsyncFiles
from hutch.sandbox_async.handles import AsyncCommandHandle
from hutch.sandbox_async.pty import AsyncPty
from hutch.sandbox_async.transport import AsyncApiClient, AsyncFileStream
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

    def __init__(self, info: SandboxInfo, api: AsyncApiClient, owned: bool = False) -> None:
        super().__init__(info, api, owned, (AsyncCommands, AsyncFiles, AsyncPty))
        self.code = AsyncCode(self._sandbox_id, api)
        self.env = AsyncEnvironmentVariables(self._sandbox_id, api)

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
        cls, template: str = "base", timeout: int = 300, **opts: Unpack[CreateOptions]
    ) -> AsyncSandboxCreation[Self]:
        """Boot a sandbox from ``template`` and wait until it answers; ``timeout`` is its lifetime in seconds.

        See :class:`~hutch.CreateOptions` for the other keywords (metadata, envs, name, resources,
        lifecycle, ...) and the connection settings. On the async SDK the result is awaited, or used
        directly as an async context manager.
        """
        op, conn = sandboxes.create(template, timeout, opts)
        return AsyncSandboxCreation(cls._open(conn, lambda api: api.call(op), owned=True))

    @classmethod
    async def connect(cls, sandbox_id: str, timeout: int | None = None, **conn: Unpack[ConnectionOpts]) -> Self:
        """Attach to a sandbox by ID or name, resuming it if it is paused; ``timeout`` extends its lifetime to
        end no earlier than that many seconds from now (never shortens it, as in E2B)."""
        return await cls._open(conn, lambda api: api.call(sandboxes.connect(sandbox_id, timeout)), owned=False)

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

    @classmethod
    async def list(
        cls,
        query: SandboxQuery | None = None,
        limit: int = 100,
        next_token: str | None = None,
        **conn: Unpack[ConnectionOpts],
    ) -> SandboxList:
        """One page of your sandboxes, newest first; pass its ``next_token`` for the next page."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(sandboxes.list_page(query, limit, next_token))

    @classmethod
    async def iter(
        cls, query: SandboxQuery | None = None, status: str | None = None, **conn: Unpack[ConnectionOpts]
    ) -> AsyncIterator[Self]:
        """Every sandbox matching ``query`` (``status=``: hopx's shortcut), page by page: ``async for``."""
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
        """The sandbox's state, settings and deadline."""
        return self._remember(await self._api.call(sandboxes.get_info(self.sandbox_id), request_timeout))

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
    async def pause(self, request_timeout: float | None = None) -> None:
        """Freeze every process and record a pause snapshot."""
        self._remember(await self._api.call(sandboxes.pause(self.sandbox_id), request_timeout))

    suspend = pause

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
    async def create_snapshot(self, request_timeout: float | None = None) -> SnapshotInfo:
        """A snapshot that can boot new sandboxes (``template=info.template_id``)."""
        return await self._api.call(snapshots.template_snapshot(self.sandbox_id), request_timeout)

    @dual
    async def list_snapshots(self, request_timeout: float | None = None) -> builtins.list[Snapshot]:
        """This sandbox's snapshots, newest first."""
        return await self._api.call(snapshots.list_snapshots(self.sandbox_id), request_timeout)

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
