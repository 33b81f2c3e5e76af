"""``AsyncVolume``: a persistent volume and its files, without a sandbox (E2B's ``AsyncVolume``)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterable
from typing import Any, Literal, Self, Unpack, overload

from hutch._core.descriptors import either
from hutch._core.request import Op
from hutch._features import volumes
from hutch.config import ConnectionOpts
from hutch.sandbox_async.files import read_as
from hutch.sandbox_async.transport import AsyncApiClient, AsyncFileStream
from hutch.types import ReadFormat, VolumeEntryStat, VolumeInfo, WriteData


class AsyncVolume:
    """A size-bounded file system of yours that sandboxes mount at create
    (``AsyncSandbox.create(volume_mounts={"/data": vol})``) and that outlives every one of them.

    Get one with :meth:`create` or :meth:`connect` (by ID or name). Its files are read and written here
    without any sandbox; paths are from the volume's root (``/`` or relative). A write past its size
    fails: ``NotEnoughSpaceException`` here, ENOSPC inside a sandbox.
    """

    def __init__(self, info: VolumeInfo, api: AsyncApiClient) -> None:
        self._info = info
        self._api = api

    @property
    def volume_id(self) -> str:
        return self._info.volume_id

    @property
    def name(self) -> str:
        return self._info.name

    @property
    def size_mb(self) -> int:
        return self._info.size_mb

    @property
    def info(self) -> VolumeInfo:
        return self._info

    @property
    def token(self) -> None:
        """E2B's per-volume token: hutch's volume files take the API key, so there is none."""
        return None

    # ------------------------------------------------------------ getting a volume

    @classmethod
    async def _open(cls, conn: ConnectionOpts | dict[str, Any], op: Op[VolumeInfo]) -> Self:
        api = AsyncApiClient.from_opts(conn)
        try:
            return cls(await api.call(op), api)
        except BaseException:
            await api.close()
            raise

    @classmethod
    async def create(cls, name: str, size_mb: int | None = None, **conn: Unpack[ConnectionOpts]) -> Self:
        """A new empty volume named ``name`` (unique among yours) of ``size_mb`` MiB (default 1024)."""
        return await cls._open(conn, volumes.create(name, size_mb))

    @classmethod
    async def connect(cls, volume_id: str, **conn: Unpack[ConnectionOpts]) -> Self:
        """One of your volumes by ID or name (VolumeNotFoundException if there is none)."""
        return await cls._open(conn, volumes.get(volume_id))

    get = connect
    """``Volume.get(name_or_id)``: the same as :meth:`connect`."""

    @classmethod
    async def _volume_info(cls, volume_id: str, **conn: Unpack[ConnectionOpts]) -> VolumeInfo:
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(volumes.get(volume_id))

    async def _path_info(self, path: str, request_timeout: float | None = None) -> VolumeEntryStat:
        return await self._api.call(volumes.stat(self.volume_id, path), request_timeout)

    get_info = either("_volume_info", _path_info)
    """``Volume.get_info(volume_id, **conn)``: the volume's :class:`VolumeInfo`; ``vol.get_info(path)``: a
    path's :class:`VolumeEntryStat` (a symlink is described, not followed)."""

    @classmethod
    async def _list_volumes(cls, **conn: Unpack[ConnectionOpts]) -> builtins.list[VolumeInfo]:
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(volumes.list_all())

    async def _list_dir(
        self, path: str, depth: int | None = None, request_timeout: float | None = None
    ) -> builtins.list[VolumeEntryStat]:
        return await self._api.call(volumes.list_dir(self.volume_id, path, depth), request_timeout)

    list = either("_list_volumes", _list_dir)
    """``Volume.list(**conn)``: your volumes, oldest first; ``vol.list(path, depth=1)``: a directory's entries,
    ``depth`` levels down, sorted by path."""

    @classmethod
    async def destroy(cls, volume_id: str, force: bool = False, **conn: Unpack[ConnectionOpts]) -> bool:
        """Delete a volume and its files: True, or False if there was none. A volume that a live sandbox
        mounts raises ConflictException, unless ``force``: then those sandboxes are killed first."""
        async with AsyncApiClient.from_opts(conn) as api:
            return await api.call(volumes.delete(volume_id, force))

    async def _delete_self(self, force: bool = False, request_timeout: float | None = None) -> bool:
        return await self._api.call(volumes.delete(self.volume_id, force), request_timeout)

    delete = either("destroy", _delete_self)
    """``Volume.delete(volume_id_or_name, force=False, **conn)`` or ``vol.delete(force=False)``: as :meth:`destroy`."""

    async def close(self) -> None:
        """Release this object's connection (the pool is shared; idempotent)."""
        await self._api.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------ files

    @overload
    async def read_file(
        self, path: str, format: Literal["text"] = "text", request_timeout: float | None = None
    ) -> str: ...
    @overload
    async def read_file(
        self, path: str, format: Literal["bytes"], request_timeout: float | None = None
    ) -> bytearray: ...
    @overload
    async def read_file(
        self, path: str, format: Literal["stream"], request_timeout: float | None = None
    ) -> AsyncFileStream: ...
    async def read_file(
        self, path: str, format: ReadFormat = "text", request_timeout: float | None = None
    ) -> str | bytearray | AsyncFileStream:
        """A file as ``str`` (UTF-8), ``bytearray``, or a stream of ``bytes`` chunks (nothing held in memory)."""
        op = volumes.read(self.volume_id, path)
        return await read_as(AsyncFileStream(await self._api.stream(op, request_timeout), self._api.config), format)

    async def write_file(
        self,
        path: str,
        data: WriteData | AsyncIterable[bytes],
        uid: int | None = None,
        gid: int | None = None,
        mode: int | None = None,
        force: bool | None = None,
        request_timeout: float | None = None,
    ) -> VolumeEntryStat:
        """Write ``data`` (str, bytes, a binary file object or an iterable of bytes, streamed) to ``path``,
        replacing the file and making missing parent dirs; owned by ``uid``/``gid`` (default 1000, the
        sandbox user) with ``mode`` (default 0o644). ``force`` (E2B) changes nothing: files are always
        replaced, never half-written."""
        return await self._api.call(volumes.write(self.volume_id, path, data, uid, gid, mode), request_timeout)

    async def make_dir(
        self,
        path: str,
        uid: int | None = None,
        gid: int | None = None,
        mode: int | None = None,
        force: bool | None = None,
        request_timeout: float | None = None,
    ) -> VolumeEntryStat:
        """Make a directory and its missing parents (``force``, E2B's "make parents", is always on)."""
        return await self._api.call(volumes.make_dir(self.volume_id, path, uid, gid, mode), request_timeout)

    async def exists(self, path: str, request_timeout: float | None = None) -> bool:
        return await self._api.call(volumes.exists(self.volume_id, path), request_timeout)

    async def remove(self, path: str, request_timeout: float | None = None) -> None:
        """Remove a file, or a directory with everything in it (VolumePathNotFoundException if missing)."""
        await self._api.call(volumes.remove(self.volume_id, path), request_timeout)
