"""Files (spec tag ``files``): read, write, list, stat, remove, rename, make dirs and watch them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

import hutch_api.api.files.list_files as list_files
import hutch_api.api.files.make_dir as make_dir
import hutch_api.api.files.read_file as read_file
import hutch_api.api.files.remove_file as remove_file
import hutch_api.api.files.rename_file as rename_file
import hutch_api.api.files.stat_file as stat_file
import hutch_api.api.files.watch_dir as watch_dir
import hutch_api.api.files.write_file as write_file
import hutch_api.api.files.write_files as write_files
from hutch._core import checks
from hutch._core.body import multipart, upload
from hutch._core.convert import plain, unset
from hutch._core.output import Call
from hutch._core.request import STREAMED, Op, build, model, models, nothing, true
from hutch.exceptions import FileNotFoundException, InvalidArgumentException, TimeoutException
from hutch.types import EntryInfo, FilesystemEvent, FilesystemEventType, WriteEntry, WriteInfo
from hutch_api.models.entry_info import EntryInfo as ApiEntryInfo
from hutch_api.models.make_dir_request import MakeDirRequest
from hutch_api.models.rename_request import RenameRequest
from hutch_api.models.write_files_upload import WriteFilesUpload
from hutch_api.models.write_info import WriteInfo as ApiWriteInfo
from hutch_api.types import UNSET


def _entry_info(e: ApiEntryInfo) -> EntryInfo:
    return plain(EntryInfo, e)


def _write_info(w: ApiWriteInfo) -> WriteInfo:
    return plain(WriteInfo, w)


_entry = model(ApiEntryInfo.from_dict, _entry_info)


def read(sandbox_id: str, path: str, user: str | None) -> Op[None]:
    kwargs = build(read_file, checks.ident(sandbox_id), path=checks.path(path), user=unset(user))
    return Op(kwargs, nothing, FileNotFoundException, stream=True)


def write(sandbox_id: str, path: str, data: object, user: str | None) -> Op[WriteInfo]:
    kwargs = build(write_file, checks.ident(sandbox_id), body=STREAMED, path=checks.path(path), user=unset(user))
    return Op(kwargs, model(ApiWriteInfo.from_dict, _write_info), FileNotFoundException, body=upload(data))


def write_entries(entries: Sequence[WriteEntry | Mapping[str, Any]]) -> list[WriteEntry]:
    """``write_files`` items as WriteEntry: E2B passes ``{"path": ..., "data": ...}`` dicts."""
    out: list[WriteEntry] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            if set(entry) != {"path", "data"}:
                raise InvalidArgumentException(
                    f"a write_files dict needs exactly 'path' and 'data', not {sorted(entry)}"
                )
            entry = WriteEntry(path=entry["path"], data=entry["data"])
        out.append(entry)  # anything else is refused by multipart()
    return out


def write_many(sandbox_id: str, entries: Sequence[WriteEntry], user: str | None) -> Op[list[WriteInfo]]:
    body = multipart(entries)
    kwargs = build(write_files, checks.ident(sandbox_id), body=WriteFilesUpload(files=[]), user=unset(user))
    parse = models(ApiWriteInfo.from_dict, _write_info)
    return Op(kwargs, parse, FileNotFoundException, body=body, idempotent=body.replayable)


def list_dir(sandbox_id: str, path: str, depth: int, user: str | None) -> Op[list[EntryInfo]]:
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise InvalidArgumentException(f"depth must be an int, not {depth!r}")
    if depth < 1:
        raise InvalidArgumentException("depth should be at least 1")  # E2B's text
    if depth > 32:
        raise InvalidArgumentException(f"depth should be at most 32, not {depth}")
    kwargs = build(list_files, checks.ident(sandbox_id), path=checks.path(path), user=unset(user), depth=depth)
    return Op(kwargs, models(ApiEntryInfo.from_dict, _entry_info), FileNotFoundException)


def stat(sandbox_id: str, path: str, user: str | None) -> Op[EntryInfo]:
    kwargs = build(stat_file, checks.ident(sandbox_id), path=checks.path(path), user=unset(user))
    return Op(kwargs, _entry, FileNotFoundException)


def exists(sandbox_id: str, path: str, user: str | None) -> Op[bool]:
    kwargs = build(stat_file, checks.ident(sandbox_id), path=checks.path(path), user=unset(user))
    return Op(kwargs, true, FileNotFoundException, {404: False})


def remove(sandbox_id: str, path: str, user: str | None) -> Op[None]:
    """Removing a missing path does nothing (E2B)."""
    kwargs = build(remove_file, checks.ident(sandbox_id), path=checks.path(path), user=unset(user))
    return Op(kwargs, nothing, FileNotFoundException, {404: None})


def rename(sandbox_id: str, old_path: str, new_path: str, user: str | None) -> Op[EntryInfo]:
    body = RenameRequest(source=checks.path(old_path), destination=checks.path(new_path), user=unset(user))
    return Op(build(rename_file, checks.ident(sandbox_id), body=body), _entry, FileNotFoundException)


def mkdir(sandbox_id: str, path: str, user: str | None) -> Op[bool]:
    body = MakeDirRequest(path=checks.path(path), user=unset(user))

    def made(response: httpx.Response) -> bool:
        ApiEntryInfo.from_dict(response.json())  # validates the answer
        return response.status_code == 201

    return Op(build(make_dir, checks.ident(sandbox_id), body=body), made, FileNotFoundException, idempotent=True)


def watch(sandbox_id: str, path: str, recursive: bool, user: str | None, include_entry: bool = False) -> Op[None]:
    kwargs = build(
        watch_dir,
        checks.ident(sandbox_id),
        path=checks.path(path),
        user=unset(user),
        recursive=True if recursive else UNSET,
        include_entry=True if include_entry else UNSET,
    )
    return Op(kwargs, nothing, FileNotFoundException, stream=True, idle=True)


def transfer_options(gzip: object, use_octet_stream: object = None, metadata: object = None) -> None:
    """E2B's upload/download encodings, checked. hutch always streams the bytes raw
    (``application/octet-stream``), so ``gzip`` and ``use_octet_stream``, which choose how E2B talks to
    its envd, leave nothing to do: the file is the same. File metadata (E2B's ``user.e2b.*`` extended
    attributes) is not kept by this server: refused rather than dropped."""
    if not isinstance(gzip, bool):
        raise InvalidArgumentException(f"gzip must be True or False, not {gzip!r}")
    if use_octet_stream is not None and not isinstance(use_octet_stream, bool):
        raise InvalidArgumentException(f"use_octet_stream must be True, False or None, not {use_octet_stream!r}")
    if gzip and use_octet_stream is False:
        raise InvalidArgumentException("gzip=True implies the octet-stream upload; it cannot be combined with "
                                       "use_octet_stream=False")  # fmt: skip
    if metadata:
        raise InvalidArgumentException(
            "file metadata (E2B's extended attributes on uploaded files) is not supported by this server"
        )


@dataclass(frozen=True)
class WatchCallbacks:
    """What a watch handle calls (``on_event``, ``on_exit``: E2B's) and how long the watch lasts."""

    on_event: Callable[[FilesystemEvent], object] | None = None
    on_exit: Callable[[Exception | None], object] | None = None
    timeout: float | None = None
    """Seconds after which the watch ends with a TimeoutException; None: until ``stop()``."""

    @classmethod
    def of(
        cls,
        on_event: Callable[[FilesystemEvent], object] | None,
        on_exit: Callable[[Exception | None], object] | None,
        timeout: float | None,
    ) -> WatchCallbacks:
        """Checked: ``timeout`` 0 or None means no limit (E2B's 0)."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0):
            raise InvalidArgumentException(f"timeout must be a number of seconds >= 0 (0: no limit), not {timeout!r}")
        for name, callback in (("on_event", on_event), ("on_exit", on_exit)):
            if callback is not None and not callable(callback):
                raise InvalidArgumentException(f"{name} must be callable, not {callback!r}")
        return cls(on_event, on_exit, float(timeout) if timeout else None)

    def event(self, event: FilesystemEvent) -> list[Call]:
        return [] if self.on_event is None else [(self.on_event, event)]

    def exit(self, error: Exception | None) -> list[Call]:
        return [] if self.on_exit is None else [(self.on_exit, error)]


def watch_expired(timeout: float | None) -> TimeoutException:
    """How a watch's ``timeout`` ends it (E2B: the stream's deadline)."""
    return TimeoutException(f"the directory watch ended after its timeout of {timeout:g} s; pass timeout=0 for none")


_EVENT_KINDS = frozenset(FilesystemEventType)


def fs_event(event: Mapping[str, Any]) -> FilesystemEvent | None:
    """A ``watchDir`` line as a FilesystemEvent; None for ``ready`` and for kinds this SDK does not know."""
    kind = event.get("type")
    if kind not in _EVENT_KINDS:
        return None
    name, path, entry = event.get("name"), event.get("path"), event.get("entry")
    return FilesystemEvent(
        type=FilesystemEventType(kind),
        name=str(name or path or ""),
        path=str(path or name or ""),
        entry=_entry_info(ApiEntryInfo.from_dict(entry)) if isinstance(entry, Mapping) else None,
    )
