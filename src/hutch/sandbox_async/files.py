"""``sbx.files``: the sandbox's filesystem."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any, Literal, overload

from hutch._core.base import SubModule
from hutch._features import files as _files
from hutch.sandbox_async.handles import AsyncWatchHandle
from hutch.sandbox_async.transport import AsyncApiClient, AsyncFileStream
from hutch.types import EntryInfo, FilesystemEvent, ReadFormat, WriteData, WriteEntry, WriteInfo


class AsyncFiles(SubModule[AsyncApiClient]):
    """The sandbox's filesystem. Paths are absolute, or relative to the user's home (``/home/user``)."""

    @overload
    async def read(
        self,
        path: str,
        format: Literal["text"] = "text",
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
    ) -> str: ...
    @overload
    async def read(
        self,
        path: str,
        format: Literal["bytes"],
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
    ) -> bytearray: ...
    @overload
    async def read(
        self,
        path: str,
        format: Literal["stream"],
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
    ) -> AsyncFileStream: ...
    async def read(
        self,
        path: str,
        format: ReadFormat = "text",
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
    ) -> str | bytearray | AsyncFileStream:
        """Read a file as ``str`` (UTF-8), ``bytearray``, or a stream of ``bytes`` chunks.

        The content is streamed from the sandbox; with ``format="stream"`` nothing is held in memory.
        ``gzip`` (E2B's transfer encoding) is accepted: the bytes come the same either way.

        Raises:
            FileNotFoundException: if there is no such file.
        """
        _files.transfer_options(gzip)
        op = _files.read(self._sandbox_id, path, user)
        return await read_as(AsyncFileStream(await self._api.stream(op, request_timeout), self._api.config), format)

    async def write(
        self,
        path: str,
        data: WriteData | AsyncIterable[bytes],
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
        use_octet_stream: bool | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> WriteInfo:
        """Write ``data`` (str, bytes, a binary file object or an iterable of bytes, streamed) to ``path``;
        parent dirs are created. E2B's ``gzip`` / ``use_octet_stream`` are accepted (hutch always streams
        the raw bytes); ``metadata`` raises InvalidArgumentException (not kept here)."""
        _files.transfer_options(gzip, use_octet_stream, metadata)
        return await self._api.call(_files.write(self._sandbox_id, path, data, user), request_timeout)

    async def write_files(
        self,
        files: Sequence[WriteEntry | Mapping[str, Any]],
        user: str = "user",
        request_timeout: float | None = None,
        gzip: bool = False,
        use_octet_stream: bool | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> list[WriteInfo]:
        """Write many files in one streamed request; items are WriteEntry or E2B's ``{"path", "data"}``
        dicts, and no items write nothing (``[]``). ``gzip``, ``use_octet_stream``, ``metadata``: as
        :meth:`write`."""
        _files.transfer_options(gzip, use_octet_stream, metadata)
        entries = _files.write_entries(files)
        if not entries:
            return []
        return await self._api.call(_files.write_many(self._sandbox_id, entries, user), request_timeout)

    async def list(
        self, path: str, depth: int = 1, user: str = "user", request_timeout: float | None = None
    ) -> list[EntryInfo]:
        """Entries of a directory, ``depth`` levels down (1 = only its own entries, at most 32)."""
        return await self._api.call(_files.list_dir(self._sandbox_id, path, depth, user), request_timeout)

    async def exists(self, path: str, user: str = "user", request_timeout: float | None = None) -> bool:
        """Whether something exists at ``path``."""
        return await self._api.call(_files.exists(self._sandbox_id, path, user), request_timeout)

    async def get_info(self, path: str, user: str = "user", request_timeout: float | None = None) -> EntryInfo:
        """What is at ``path`` (a final symlink is not followed)."""
        return await self._api.call(_files.stat(self._sandbox_id, path, user), request_timeout)

    async def remove(self, path: str, user: str = "user", request_timeout: float | None = None) -> None:
        """Remove a file, or a directory with everything in it; a missing path is no error (E2B)."""
        await self._api.call(_files.remove(self._sandbox_id, path, user), request_timeout)

    async def rename(
        self, old_path: str, new_path: str, user: str = "user", request_timeout: float | None = None
    ) -> EntryInfo:
        """Move ``old_path`` to ``new_path``; returns the entry at its new path."""
        return await self._api.call(_files.rename(self._sandbox_id, old_path, new_path, user), request_timeout)

    async def make_dir(self, path: str, user: str = "user", request_timeout: float | None = None) -> bool:
        """Make a directory and its parents; False if it already existed."""
        return await self._api.call(_files.mkdir(self._sandbox_id, path, user), request_timeout)

    async def watch_dir(
        self,
        path: str,
        on_event: Callable[[FilesystemEvent], object] | None = None,
        on_exit: Callable[[Exception | None], object] | None = None,
        user: str = "user",
        request_timeout: float | None = None,
        timeout: float | None = None,
        recursive: bool = False,
        include_entry: bool = False,
        allow_network_mounts: bool = False,
    ) -> AsyncWatchHandle:
        """Watch a directory: iterate the events or pass ``on_event`` (E2B's 2nd positional; a callback
        that raises is logged and later events keep coming); returns once the watch is in place, so no
        later change is missed. ``on_exit`` gets the error that ended the watch (None after ``stop()``);
        ``timeout`` seconds end it with a TimeoutException (default: none; E2B's async default is 60);
        ``include_entry`` fills each event's ``entry``. E2B's ``allow_network_mounts`` is accepted: a
        sandbox has no network mounts."""
        callbacks = _files.WatchCallbacks.of(on_event, on_exit, timeout)
        op = _files.watch(self._sandbox_id, path, recursive, user, include_entry)
        stream = await self._api.stream(op, request_timeout)
        return await AsyncWatchHandle.start(stream, self._api.config, callbacks)


async def read_as(chunks: AsyncFileStream, format: ReadFormat) -> str | bytearray | AsyncFileStream:
    """A file's streamed content as ``format`` asks: the stream itself, or all of it as bytes or text."""
    if format == "stream":
        return chunks
    async with chunks:
        data = bytearray()
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text: list[str] = []
        async for chunk in chunks:
            if format == "bytes":
                data += chunk
            else:
                text.append(decoder.decode(chunk))
    return data if format == "bytes" else "".join(text) + decoder.decode(b"", final=True)
