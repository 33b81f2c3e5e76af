"""``sbx.files`` (sync; mirrors ``sandbox_async.files``)."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Literal, overload

from hutch._core import request as ops
from hutch._core.base import SubModule
from hutch.sandbox_sync.handles import FileStream, WatchHandle
from hutch.sandbox_sync.transport import ApiClient, ndjson
from hutch.types import EntryInfo, ReadFormat, WriteData, WriteEntry, WriteInfo


class Files(SubModule[ApiClient]):
    """The sandbox's filesystem. Paths are absolute, or relative to the user's home (``/home/user``)."""

    @overload
    def read(self, path: str, format: Literal["text"] = "text", user: str = "user") -> str: ...
    @overload
    def read(self, path: str, format: Literal["bytes"], user: str = "user") -> bytearray: ...
    @overload
    def read(self, path: str, format: Literal["stream"], user: str = "user") -> FileStream: ...
    def read(self, path: str, format: ReadFormat = "text", user: str = "user") -> str | bytearray | FileStream:
        """Read a file as ``str`` (UTF-8), ``bytearray``, or a :class:`FileStream` of ``bytes`` chunks.

        The content is streamed from the sandbox; with ``format="stream"`` nothing is held in memory.

        Raises:
            FileNotFoundException: if there is no such file.
        """
        op = ops.read(self._sandbox_id, path, user)
        if format == "stream":
            return FileStream(self._api.open(op), self._api.config)
        with FileStream(self._api.open(op), self._api.config) as chunks:
            if format == "bytes":
                data = bytearray()
                for chunk in chunks:
                    data += chunk
                return data
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            return "".join(decoder.decode(chunk) for chunk in chunks) + decoder.decode(b"", final=True)

    def write(self, path: str, data: WriteData, user: str = "user", request_timeout: float | None = None) -> WriteInfo:
        """Write ``data`` (str, bytes, or a binary file object, streamed) to ``path``; parent dirs are created."""
        return self._api.call(ops.write(self._sandbox_id, path, data, user), request_timeout)

    def write_files(self, files: Sequence[WriteEntry], user: str = "user") -> list[WriteInfo]:
        """Write many files in one streamed request."""
        return self._api.call(ops.write_many(self._sandbox_id, files, user))

    def list(self, path: str, depth: int = 1, user: str = "user") -> list[EntryInfo]:
        """Entries of a directory, ``depth`` levels down (1 = only its own entries)."""
        return self._api.call(ops.list_dir(self._sandbox_id, path, depth, user))

    def exists(self, path: str, user: str = "user") -> bool:
        """Whether something exists at ``path``."""
        return self._api.call(ops.exists(self._sandbox_id, path, user))

    def get_info(self, path: str, user: str = "user") -> EntryInfo:
        """What is at ``path`` (a final symlink is not followed)."""
        return self._api.call(ops.stat(self._sandbox_id, path, user))

    def remove(self, path: str, user: str = "user") -> None:
        """Remove a file, or a directory with everything in it."""
        self._api.call(ops.remove(self._sandbox_id, path, user))

    def rename(self, old_path: str, new_path: str, user: str = "user") -> EntryInfo:
        """Move ``old_path`` to ``new_path``; returns the entry at its new path."""
        return self._api.call(ops.rename(self._sandbox_id, old_path, new_path, user))

    def make_dir(self, path: str, user: str = "user") -> bool:
        """Make a directory and its parents; False if it already existed."""
        return self._api.call(ops.mkdir(self._sandbox_id, path, user))

    def watch_dir(self, path: str, recursive: bool = False, user: str = "user") -> WatchHandle:
        """Watch a directory; returns once the watch is in place, so no later change is missed."""
        return WatchHandle(self._api.open(ops.watch(self._sandbox_id, path, recursive, user)), ndjson, self._api.config)
