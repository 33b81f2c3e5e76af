"""Every API operation the SDK uses, described once for both transports.

An :class:`Op` holds the request (built by the generated module's ``_get_kwargs``), how to read a
2xx answer into a :mod:`hutch.types` value, which ``NotFoundException`` a 404 means, which error
statuses are really answers (``kill`` of a dead sandbox is ``False``), whether it is safe to retry,
and for uploads a :class:`~hutch._core.body.Body`. The sync and async transports only send it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

import hutch_api.api.commands.close_command_stdin as close_command_stdin
import hutch_api.api.commands.get_command as get_command
import hutch_api.api.commands.kill_command as kill_command
import hutch_api.api.commands.list_commands as list_commands
import hutch_api.api.commands.send_command_stdin as send_command_stdin
import hutch_api.api.commands.signal_command as signal_command
import hutch_api.api.commands.start_command as start_command
import hutch_api.api.commands.stream_command_output as stream_command_output
import hutch_api.api.files.list_files as list_files
import hutch_api.api.files.make_dir as make_dir
import hutch_api.api.files.read_file as read_file
import hutch_api.api.files.remove_file as remove_file
import hutch_api.api.files.rename_file as rename_file
import hutch_api.api.files.stat_file as stat_file
import hutch_api.api.files.watch_dir as watch_dir
import hutch_api.api.files.write_file as write_file
import hutch_api.api.files.write_files as write_files
import hutch_api.api.metrics.get_sandbox_metrics as get_sandbox_metrics
import hutch_api.api.pty.create_pty as create_pty
import hutch_api.api.pty.kill_pty as kill_pty
import hutch_api.api.pty.resize_pty as resize_pty
import hutch_api.api.pty.send_pty_input as send_pty_input
import hutch_api.api.pty.stream_pty_output as stream_pty_output
import hutch_api.api.sandboxes.connect_sandbox as connect_sandbox
import hutch_api.api.sandboxes.create_sandbox as create_sandbox
import hutch_api.api.sandboxes.get_sandbox as get_sandbox
import hutch_api.api.sandboxes.kill_sandbox as kill_sandbox
import hutch_api.api.sandboxes.list_sandboxes as list_sandboxes
import hutch_api.api.sandboxes.pause_sandbox as pause_sandbox
import hutch_api.api.sandboxes.resume_sandbox as resume_sandbox
import hutch_api.api.sandboxes.set_sandbox_timeout as set_sandbox_timeout
import hutch_api.api.snapshots.create_snapshot as create_snapshot
import hutch_api.api.snapshots.delete_snapshot as delete_snapshot
import hutch_api.api.snapshots.list_sandbox_snapshots as list_sandbox_snapshots
import hutch_api.api.snapshots.restore_sandbox as restore_sandbox
from hutch._core import convert as conv
from hutch._core.body import Body, multipart, upload
from hutch._core.retry import IDEMPOTENT_METHODS
from hutch.exceptions import (
    FileNotFoundException,
    InvalidArgumentException,
    NotFoundException,
    SandboxNotFoundException,
    SnapshotNotFoundException,
)
from hutch.types import (
    EntryInfo,
    ProcessInfo,
    PtySize,
    SandboxInfo,
    SandboxLifecycle,
    SandboxList,
    SandboxMetrics,
    SandboxQuery,
    SandboxResources,
    Snapshot,
    SnapshotInfo,
    WriteEntry,
    WriteInfo,
)
from hutch_api.models.command_request import CommandRequest
from hutch_api.models.command_request_envs import CommandRequestEnvs
from hutch_api.models.connect_request import ConnectRequest
from hutch_api.models.entry_info import EntryInfo as ApiEntryInfo
from hutch_api.models.make_dir_request import MakeDirRequest
from hutch_api.models.new_sandbox import NewSandbox
from hutch_api.models.new_sandbox_envs import NewSandboxEnvs
from hutch_api.models.new_sandbox_metadata import NewSandboxMetadata
from hutch_api.models.new_sandbox_security import NewSandboxSecurity
from hutch_api.models.new_snapshot import NewSnapshot
from hutch_api.models.process_info import ProcessInfo as ApiProcessInfo
from hutch_api.models.pty_request import PtyRequest
from hutch_api.models.pty_request_envs import PtyRequestEnvs
from hutch_api.models.pty_size import PtySize as ApiPtySize
from hutch_api.models.rename_request import RenameRequest
from hutch_api.models.restore_request import RestoreRequest
from hutch_api.models.sandbox_detail import SandboxDetail
from hutch_api.models.sandbox_list import SandboxList as ApiSandboxList
from hutch_api.models.sandbox_metric import SandboxMetric
from hutch_api.models.signal_request import SignalRequest
from hutch_api.models.snapshot import Snapshot as ApiSnapshot
from hutch_api.models.timeout_request import TimeoutRequest
from hutch_api.models.write_files_upload import WriteFilesUpload
from hutch_api.models.write_info import WriteInfo as ApiWriteInfo
from hutch_api.types import UNSET, File

T = TypeVar("T")
M = TypeVar("M")


def _none(_: httpx.Response) -> None:
    return None


def _true(_: httpx.Response) -> bool:
    return True


@dataclass
class Op(Generic[T]):
    """One API call: the request, how to read its answer, and how to treat failures."""

    kwargs: dict[str, Any]
    parse: Callable[[httpx.Response], T]
    not_found: type[NotFoundException] = NotFoundException
    answers: Mapping[int, T] = field(default_factory=dict)
    """Non-2xx statuses that are answers rather than errors, e.g. ``{404: False}``."""
    idempotent: bool | None = None
    """Safe to retry; by default, whether the method is idempotent."""
    body: Body | None = None
    stream: bool = False
    """The answer is read incrementally by the caller."""
    idle: bool = False
    """A stream that may legitimately be silent for a long time: no read timeout."""
    retry_timeouts: bool = False
    """Retry after a read timeout too: only for requests the server de-duplicates (Idempotency-Key)."""

    @property
    def method(self) -> str:
        return str(self.kwargs["method"]).upper()

    @property
    def retry_safe(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    def request_kwargs(self) -> dict[str, Any]:
        """Arguments for ``httpx.Client.build_request`` for one try (a fresh body each time)."""
        kwargs = dict(self.kwargs)
        if self.body is not None:
            kwargs.pop("files", None)
            kwargs["content"] = self.body.produce()
            kwargs["headers"] = {**kwargs.get("headers", {}), **self.body.headers()}
        return kwargs


def _model(model: Callable[[Any], M], convert: Callable[[M], T]) -> Callable[[httpx.Response], T]:
    return lambda response: convert(model(response.json()))


def _models(model: Callable[[Any], M], convert: Callable[[M], T]) -> Callable[[httpx.Response], list[T]]:
    def parse(response: httpx.Response) -> list[T]:
        items = response.json()
        if not isinstance(items, list):
            raise TypeError(f"expected a JSON array, got {type(items).__name__}")
        return [convert(model(item)) for item in items]

    return parse


_sandbox = _model(SandboxDetail.from_dict, conv.sandbox_info)
_process = _model(ApiProcessInfo.from_dict, conv.process_info)
_entry = _model(ApiEntryInfo.from_dict, conv.entry_info)


def _str_dict(value: Mapping[str, Any] | None, what: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidArgumentException(f"{what} must be a dict of strings, not {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def _lifetime(seconds: float, what: str = "timeout") -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= 86400:
        raise InvalidArgumentException(f"{what} must be a number of seconds from 1 to 86400, not {seconds!r}")
    return int(seconds)


def _pid(pid: int) -> int:
    if isinstance(pid, bool) or not isinstance(pid, int) or pid < 1:
        raise InvalidArgumentException(f"pid must be a positive int, not {pid!r}")
    return pid


# ---------------------------------------------------------------- sandboxes


def create(
    template: str,
    timeout: float,
    metadata: Mapping[str, str] | None,
    envs: Mapping[str, str] | None,
    name: str | None,
    allow_internet_access: bool,
    resources: SandboxResources | None,
    lifecycle: SandboxLifecycle | None,
    secure: bool,
    security: Mapping[str, Any] | None,
    network: Mapping[str, Any] | None = None,
) -> Op[SandboxInfo]:
    from hutch._features.network import create_body  # (it builds on this module)

    meta, env = _str_dict(metadata, "metadata"), _str_dict(envs, "envs")
    body = NewSandbox(
        template_id=template or "base",
        timeout=_lifetime(timeout),
        name=conv.unset(name),
        metadata=UNSET if meta is None else NewSandboxMetadata.from_dict(meta),
        envs=UNSET if env is None else NewSandboxEnvs.from_dict(env),
        allow_internet_access=bool(allow_internet_access),
        resources=conv.resources(resources),
        lifecycle=conv.lifecycle(lifecycle),
        secure=True if secure else UNSET,
        security=UNSET if security is None else NewSandboxSecurity.from_dict(dict(security)),
        network=create_body(network),
    )
    # One key for all tries of this create: a retried create never makes two sandboxes.
    kwargs = create_sandbox._get_kwargs(body=body, idempotency_key=str(uuid.uuid4()))
    return Op(kwargs, _sandbox, idempotent=True, retry_timeouts=True)


def connect(sandbox_id_or_name: str, timeout: float | None) -> Op[SandboxInfo]:
    request = ConnectRequest(timeout=UNSET if timeout is None else _lifetime(timeout))
    kwargs = connect_sandbox._get_kwargs(_id(sandbox_id_or_name), body=request)
    return Op(kwargs, _sandbox, SandboxNotFoundException, idempotent=True)


def _id(value: str, what: str = "sandbox_id") -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentException(f"{what} must be a non-empty string, not {value!r}")
    return value


def get_info(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(get_sandbox._get_kwargs(_id(sandbox_id)), _sandbox, SandboxNotFoundException)


def is_running(sandbox_id: str) -> Op[bool]:
    parse = _model(SandboxDetail.from_dict, lambda d: d.state == "running")
    return Op(get_sandbox._get_kwargs(_id(sandbox_id)), parse, SandboxNotFoundException, {404: False})


def kill(sandbox_id: str) -> Op[bool]:
    return Op(kill_sandbox._get_kwargs(_id(sandbox_id)), _true, SandboxNotFoundException, {404: False})


def list_page(query: SandboxQuery | None, limit: int, next_token: str | None) -> Op[SandboxList]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidArgumentException(f"limit must be an int from 1 to 1000, not {limit!r}")
    q = query or SandboxQuery()
    meta = _str_dict(q.metadata, "query.metadata")
    state = [q.state] if isinstance(q.state, str) else q.state
    kwargs = list_sandboxes._get_kwargs(
        limit=limit,
        next_token=conv.unset(next_token),
        state=UNSET if not state else [str(s) for s in state],
        metadata=UNSET if not meta else [f"{k}={v}" for k, v in meta.items()],
        template=conv.unset(q.template),
        name=conv.unset(q.name),
    )

    def page(d: ApiSandboxList) -> SandboxList:
        return SandboxList([conv.sandbox_info(s) for s in d.sandboxes], conv.opt(d.next_token))

    return Op(kwargs, _model(ApiSandboxList.from_dict, page))


def set_timeout(sandbox_id: str, seconds: float) -> Op[None]:
    body = TimeoutRequest(timeout=_lifetime(seconds))
    kwargs = set_sandbox_timeout._get_kwargs(_id(sandbox_id), body=body)
    return Op(kwargs, _none, SandboxNotFoundException, idempotent=True)


def pause(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(pause_sandbox._get_kwargs(_id(sandbox_id)), _sandbox, SandboxNotFoundException, idempotent=True)


def resume(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(resume_sandbox._get_kwargs(_id(sandbox_id)), _sandbox, SandboxNotFoundException, idempotent=True)


def _when(value: datetime.datetime | None, what: str) -> datetime.datetime | None:
    if value is not None and not isinstance(value, datetime.datetime):
        raise InvalidArgumentException(f"{what} must be a datetime, not {type(value).__name__}")
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)  # naive times are taken as UTC (utcnow() style)
    return value


def get_metrics(
    sandbox_id: str, start: datetime.datetime | None, end: datetime.datetime | None
) -> Op[list[SandboxMetrics]]:
    kwargs = get_sandbox_metrics._get_kwargs(
        _id(sandbox_id), start=conv.unset(_when(start, "start")), end=conv.unset(_when(end, "end"))
    )
    return Op(kwargs, _models(SandboxMetric.from_dict, conv.metrics), SandboxNotFoundException)


# ---------------------------------------------------------------- snapshots


def snapshot(sandbox_id: str) -> Op[Snapshot]:
    kwargs = create_snapshot._get_kwargs(_id(sandbox_id), body=NewSnapshot(as_template=False))
    return Op(kwargs, _model(ApiSnapshot.from_dict, conv.snapshot), SandboxNotFoundException)


def template_snapshot(sandbox_id: str) -> Op[SnapshotInfo]:
    kwargs = create_snapshot._get_kwargs(_id(sandbox_id), body=NewSnapshot(as_template=True))
    return Op(kwargs, _model(ApiSnapshot.from_dict, conv.snapshot_info), SandboxNotFoundException)


def list_snapshots(sandbox_id: str) -> Op[list[Snapshot]]:
    kwargs = list_sandbox_snapshots._get_kwargs(_id(sandbox_id))
    return Op(kwargs, _models(ApiSnapshot.from_dict, conv.snapshot), SandboxNotFoundException)


def restore(sandbox_id: str, snapshot_id: str | None, timeout: float | None) -> Op[SandboxInfo]:
    body = RestoreRequest(snapshot_id=conv.unset(snapshot_id), timeout=UNSET if timeout is None else _lifetime(timeout))
    kwargs = restore_sandbox._get_kwargs(_id(sandbox_id), body=body)
    not_found = SandboxNotFoundException if snapshot_id is None else SnapshotNotFoundException
    return Op(kwargs, _sandbox, not_found)


def delete_snapshot_op(snapshot_id: str) -> Op[bool]:
    kwargs = delete_snapshot._get_kwargs(_id(snapshot_id, "snapshot_id"))
    return Op(kwargs, _true, SnapshotNotFoundException, {404: False})


# ---------------------------------------------------------------- commands


def start(
    sandbox_id: str,
    cmd: str,
    envs: Mapping[str, str] | None,
    user: str | None,
    cwd: str | None,
    stdin: bool,
    timeout: float | None,
) -> Op[ProcessInfo]:
    if not isinstance(cmd, str) or not cmd:
        raise InvalidArgumentException(f"cmd must be a non-empty string, not {cmd!r}")
    if timeout is not None and (isinstance(timeout, bool) or timeout < 0):
        raise InvalidArgumentException(f"timeout must be >= 0 seconds (0 = none), not {timeout!r}")
    env = _str_dict(envs, "envs")
    body = CommandRequest(
        cmd=cmd,
        envs=UNSET if env is None else CommandRequestEnvs.from_dict(env),
        user=conv.unset(user),
        cwd=conv.unset(cwd),
        stdin=True if stdin else UNSET,
        timeout=UNSET if not timeout else float(timeout),
    )
    return Op(start_command._get_kwargs(_id(sandbox_id), body=body), _process, SandboxNotFoundException)


def list_processes(sandbox_id: str) -> Op[list[ProcessInfo]]:
    return Op(list_commands._get_kwargs(_id(sandbox_id)), _models(ApiProcessInfo.from_dict, conv.process_info))


def get_process(sandbox_id: str, pid: int) -> Op[ProcessInfo]:
    return Op(get_command._get_kwargs(_id(sandbox_id), _pid(pid)), _process)


def kill_process(sandbox_id: str, pid: int) -> Op[bool]:
    return Op(kill_command._get_kwargs(_id(sandbox_id), _pid(pid)), _true, answers={404: False})


def signal_process(sandbox_id: str, pid: int, signal: int) -> Op[None]:
    number = int(signal)  # accepts signal.Signals
    if not 1 <= number <= 64:
        raise InvalidArgumentException(f"signal must be from 1 to 64, not {signal!r}")
    body = SignalRequest(signal=number)
    return Op(signal_command._get_kwargs(_id(sandbox_id), _pid(pid), body=body), _none)


def _bytes_body(data: str | bytes) -> Body:
    if not isinstance(data, str | bytes | bytearray | memoryview):
        raise InvalidArgumentException(f"stdin data must be str or bytes, not {type(data).__name__}")
    return upload(data)


def send_stdin(sandbox_id: str, pid: int, data: str | bytes) -> Op[None]:
    kwargs = send_command_stdin._get_kwargs(_id(sandbox_id), _pid(pid), body=File(payload=None))  # type: ignore[arg-type]
    return Op(kwargs, _none, body=_bytes_body(data))


def close_stdin(sandbox_id: str, pid: int) -> Op[None]:
    return Op(close_command_stdin._get_kwargs(_id(sandbox_id), _pid(pid)), _none, idempotent=True)


def command_output(sandbox_id: str, pid: int, offset: int) -> Op[None]:
    kwargs = stream_command_output._get_kwargs(_id(sandbox_id), _pid(pid), offset=offset or UNSET)
    return Op(kwargs, _none, stream=True, idle=True)


# ---------------------------------------------------------------- files


def _path(path: str) -> str:
    if not isinstance(path, str) or not path:
        raise InvalidArgumentException(f"path must be a non-empty string, not {path!r}")
    return path


def read(sandbox_id: str, path: str, user: str | None) -> Op[None]:
    kwargs = read_file._get_kwargs(_id(sandbox_id), path=_path(path), user=conv.unset(user))
    return Op(kwargs, _none, FileNotFoundException, stream=True)


def write(sandbox_id: str, path: str, data: object, user: str | None) -> Op[WriteInfo]:
    kwargs = write_file._get_kwargs(
        _id(sandbox_id),
        body=File(payload=None),  # type: ignore[arg-type]  # replaced by the streamed Body
        path=_path(path),
        user=conv.unset(user),
    )
    return Op(kwargs, _model(ApiWriteInfo.from_dict, conv.write_info), FileNotFoundException, body=upload(data))


def write_many(sandbox_id: str, entries: Sequence[WriteEntry], user: str | None) -> Op[list[WriteInfo]]:
    body = multipart(list(entries))
    kwargs = write_files._get_kwargs(_id(sandbox_id), body=WriteFilesUpload(files=[]), user=conv.unset(user))
    parse = _models(ApiWriteInfo.from_dict, conv.write_info)
    return Op(kwargs, parse, FileNotFoundException, body=body, idempotent=body.replayable)


def list_dir(sandbox_id: str, path: str, depth: int, user: str | None) -> Op[list[EntryInfo]]:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 32:
        raise InvalidArgumentException(f"depth must be an int from 1 to 32, not {depth!r}")
    kwargs = list_files._get_kwargs(_id(sandbox_id), path=_path(path), user=conv.unset(user), depth=depth)
    return Op(kwargs, _models(ApiEntryInfo.from_dict, conv.entry_info), FileNotFoundException)


def stat(sandbox_id: str, path: str, user: str | None) -> Op[EntryInfo]:
    kwargs = stat_file._get_kwargs(_id(sandbox_id), path=_path(path), user=conv.unset(user))
    return Op(kwargs, _entry, FileNotFoundException)


def exists(sandbox_id: str, path: str, user: str | None) -> Op[bool]:
    kwargs = stat_file._get_kwargs(_id(sandbox_id), path=_path(path), user=conv.unset(user))
    return Op(kwargs, _true, FileNotFoundException, {404: False})


def remove(sandbox_id: str, path: str, user: str | None) -> Op[None]:
    kwargs = remove_file._get_kwargs(_id(sandbox_id), path=_path(path), user=conv.unset(user))
    return Op(kwargs, _none, FileNotFoundException)


def rename(sandbox_id: str, old_path: str, new_path: str, user: str | None) -> Op[EntryInfo]:
    body = RenameRequest(source=_path(old_path), destination=_path(new_path), user=conv.unset(user))
    return Op(rename_file._get_kwargs(_id(sandbox_id), body=body), _entry, FileNotFoundException)


def mkdir(sandbox_id: str, path: str, user: str | None) -> Op[bool]:
    body = MakeDirRequest(path=_path(path), user=conv.unset(user))

    def made(response: httpx.Response) -> bool:
        ApiEntryInfo.from_dict(response.json())  # validates the answer
        return response.status_code == 201

    return Op(make_dir._get_kwargs(_id(sandbox_id), body=body), made, FileNotFoundException, idempotent=True)


def watch(sandbox_id: str, path: str, recursive: bool, user: str | None) -> Op[None]:
    kwargs = watch_dir._get_kwargs(
        _id(sandbox_id), path=_path(path), user=conv.unset(user), recursive=True if recursive else UNSET
    )
    return Op(kwargs, _none, FileNotFoundException, stream=True, idle=True)


# ---------------------------------------------------------------- pty


def _size(size: PtySize) -> ApiPtySize:
    if not isinstance(size, PtySize):
        raise InvalidArgumentException(f"size must be a PtySize, not {type(size).__name__}")
    return ApiPtySize(rows=int(size.rows), cols=int(size.cols))


def pty_create(
    sandbox_id: str,
    size: PtySize,
    user: str | None,
    cwd: str | None,
    envs: Mapping[str, str] | None,
    timeout: float | None,
) -> Op[ProcessInfo]:
    env = _str_dict(envs, "envs")
    body = PtyRequest(
        size=_size(size),
        user=conv.unset(user),
        cwd=conv.unset(cwd),
        envs=UNSET if env is None else PtyRequestEnvs.from_dict(env),
        timeout=UNSET if not timeout else float(timeout),
    )
    return Op(create_pty._get_kwargs(_id(sandbox_id), body=body), _process, SandboxNotFoundException)


def pty_kill(sandbox_id: str, pid: int) -> Op[bool]:
    return Op(kill_pty._get_kwargs(_id(sandbox_id), _pid(pid)), _true, answers={404: False})


def pty_input(sandbox_id: str, pid: int, data: str | bytes) -> Op[None]:
    kwargs = send_pty_input._get_kwargs(_id(sandbox_id), _pid(pid), body=File(payload=None))  # type: ignore[arg-type]
    return Op(kwargs, _none, body=_bytes_body(data))


def pty_resize(sandbox_id: str, pid: int, size: PtySize) -> Op[None]:
    kwargs = resize_pty._get_kwargs(_id(sandbox_id), _pid(pid), body=_size(size))
    return Op(kwargs, _none, idempotent=True)


def pty_output(sandbox_id: str, pid: int, offset: int) -> Op[None]:
    kwargs = stream_pty_output._get_kwargs(_id(sandbox_id), _pid(pid), offset=offset or UNSET)
    return Op(kwargs, _none, stream=True, idle=True)
