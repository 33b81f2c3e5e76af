"""The files API on a volume without a sandbox, as the volume service calls it (`Backend.volume_files`):
the interface, and this host's implementation (the local backend: hutch_agent/volumefiles.py on the
host's mount of the volume, in the backend's worker threads). The kubernetes backend's sends the same
operations to the agent of a pod that mounts the volume (backends/kubernetes/volumes.py), which runs
the same volumefiles.py. Failures are raised as volumefiles raises them (OSError, ValueError,
OverflowError), for the volume service to answer.
"""

from __future__ import annotations

import abc
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from hutch_agent import volumefiles
from hutchd.runtime import userns

if TYPE_CHECKING:
    from hutchd.backend import Backend

# The host sees the sandboxes' ids shifted by their user namespace (userns.py).
HOST_IDS = volumefiles.Ids(userns.ID_BASE, userns.ID_COUNT)


class VolumeFiles(abc.ABC):
    @abc.abstractmethod
    async def stat(self, volume_id: str, path: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def list_dir(self, volume_id: str, path: str, depth: int) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def remove(self, volume_id: str, path: str) -> None: ...

    @abc.abstractmethod
    async def make_dir(self, volume_id: str, path: str, uid: int, gid: int, mode: int) -> tuple[bool, dict[str, Any]]:
        """(whether it was made, its entry)."""

    @abc.abstractmethod
    async def read(self, volume_id: str, path: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time; opened before this returns (a missing file raises here)."""

    @abc.abstractmethod
    async def write(
        self, volume_id: str, path: str, body: AsyncIterator[bytes], uid: int, gid: int, mode: int
    ) -> dict[str, Any]:
        """Stream `body` into the file (renamed into place at the end: a failure leaves the old one)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """At the server's stop: what the files API keeps running goes."""


class HostVolumeFiles(VolumeFiles):
    """Volumes that are disk images of this host, mounted by the backend's VolumeStore."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    async def close(self) -> None:
        """Nothing runs for it: the host's mounts are the VolumeStore's (they stay for the next server)."""

    async def _root(self, volume_id: str) -> Any:
        return await self._backend.call(self._backend.volumes.ensure_mounted, volume_id)

    async def stat(self, volume_id: str, path: str) -> dict[str, Any]:
        root = await self._root(volume_id)
        return await self._backend.call(volumefiles.stat_path, root, path, HOST_IDS)

    async def list_dir(self, volume_id: str, path: str, depth: int) -> list[dict[str, Any]]:
        root = await self._root(volume_id)
        return await self._backend.call(volumefiles.list_dir, root, path, depth, HOST_IDS)

    async def remove(self, volume_id: str, path: str) -> None:
        root = await self._root(volume_id)
        await self._backend.call(volumefiles.remove, root, path)

    async def make_dir(self, volume_id: str, path: str, uid: int, gid: int, mode: int) -> tuple[bool, dict[str, Any]]:
        root = await self._root(volume_id)
        return await self._backend.call(volumefiles.make_dir, root, path, uid, gid, mode, HOST_IDS)

    async def read(self, volume_id: str, path: str) -> AsyncIterator[bytes]:
        root = await self._root(volume_id)
        fd = await self._backend.call(volumefiles.open_for_read, root, path)
        return self._chunks(fd)

    async def _chunks(self, fd: int) -> AsyncIterator[bytes]:
        try:
            while chunk := await self._backend.call(os.read, fd, volumefiles.CHUNK):
                yield chunk
        finally:
            os.close(fd)

    async def write(
        self, volume_id: str, path: str, body: AsyncIterator[bytes], uid: int, gid: int, mode: int
    ) -> dict[str, Any]:
        """Gathered into writes of up to a MiB (one worker hop each, not one per network chunk): a MiB or
        so in memory."""
        root = await self._root(volume_id)
        upload = await self._backend.call(volumefiles.Upload, root, path, uid, gid, mode, HOST_IDS)
        try:
            pending = bytearray()
            async for chunk in body:
                pending += chunk
                if len(pending) >= volumefiles.CHUNK:
                    await self._backend.call(upload.write, bytes(pending))
                    pending.clear()
            if pending:
                await self._backend.call(upload.write, bytes(pending))
            return await self._backend.call(upload.commit)
        except BaseException:
            await self._backend.call(upload.abort)
            raise
