"""The plain data types the SDK returns and accepts.

None of them is tied to the HTTP layer: they are dataclasses (or ``TypedDict`` s where a plain
``dict`` literal is the natural way to pass them) with ``None`` for "not given".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Literal, TypedDict, overload

__all__ = [
    "CommandResult",
    "EntryInfo",
    "FileType",
    "FilesystemEvent",
    "FilesystemEventType",
    "ProcessInfo",
    "PtySize",
    "ReadFormat",
    "SandboxInfo",
    "SandboxLifecycle",
    "SandboxList",
    "SandboxMetrics",
    "SandboxQuery",
    "SandboxResources",
    "SandboxState",
    "Snapshot",
    "SnapshotInfo",
    "WriteData",
    "WriteEntry",
    "WriteInfo",
]

SandboxState = Literal["running", "paused", "killed"]
"""The states the server reports today; treat any other value as "not running"."""

FileType = Literal["file", "dir", "symlink", "other"]
FilesystemEventType = Literal["create", "write", "remove", "rename", "chmod"]

ReadFormat = Literal["text", "bytes", "stream"]
"""What ``files.read`` returns: ``str``, ``bytearray``, or an iterator of ``bytes`` chunks."""

WriteData = str | bytes | bytearray | memoryview | IO[bytes]
"""What ``files.write`` accepts: text (written as UTF-8), bytes, or a binary file object (streamed)."""


class SandboxResources(TypedDict, total=False):
    """Resource limits for ``create(resources=...)``; each key is optional."""

    cpu: float
    """CPUs (fractions allowed); the server uses 2 when absent."""
    memory_mb: int
    """Memory limit in MiB; the server uses 1024 when absent."""
    disk_mb: int
    """Disk limit of the writable layer in MiB; the server uses 2048 when absent."""


class SandboxLifecycle(TypedDict, total=False):
    """What happens when a sandbox's lifetime ends, for ``create(lifecycle=...)`` and in :class:`SandboxInfo`."""

    on_timeout: Literal["kill", "pause"]
    """Kill the sandbox (default) or pause it."""
    auto_resume: bool
    """Resume a paused sandbox when a command or file call arrives."""


@dataclass
class SandboxInfo:
    """A sandbox as the server knows it."""

    sandbox_id: str
    """The sandbox's ID."""
    template_id: str
    """The template (or snapshot template) it booted from."""
    state: str
    """``running``, ``paused`` or ``killed``."""
    started_at: datetime.datetime
    """When it started."""
    end_at: datetime.datetime
    """When its lifetime ends (or ended)."""
    name: str | None = None
    """Its name, if it was given one."""
    metadata: dict[str, str] = field(default_factory=dict)
    """The metadata given at create."""
    envs: list[str] = field(default_factory=list)
    """Names of its environment variables (the values are never shown)."""
    cpu_count: float = 0
    """CPUs it may use."""
    memory_mb: int = 0
    """Memory limit in MiB."""
    disk_mb: int = 0
    """Disk limit of its writable layer in MiB."""
    allow_internet_access: bool = True
    """Whether it may reach the internet."""
    network: dict[str, object] | None = None
    """Its network rules, when the server reports them."""
    lifecycle: SandboxLifecycle = field(default_factory=lambda: SandboxLifecycle(on_timeout="kill"))
    """What happens when its lifetime ends."""
    restored_from: str | None = None
    """The snapshot it was restored from, if any."""


@dataclass
class SandboxMetrics:
    """One resource usage sample."""

    timestamp: datetime.datetime
    """When the sample was taken."""
    cpu_count: float
    """CPUs the sandbox may use."""
    cpu_used_pct: float
    """CPU used since the previous sample, in percent of ``cpu_count`` CPUs."""
    mem_total_mb: float
    """Memory limit, MiB."""
    mem_used_mb: float
    """Memory in use, MiB."""
    disk_total_mb: float
    """Disk limit of the writable layer, MiB."""
    disk_used_mb: float
    """Space used in the writable layer, MiB."""


@dataclass
class Snapshot:
    """A filesystem snapshot of a sandbox (``periodic``, ``pause``, ``manual`` or ``template``)."""

    sandbox_id: str
    """The sandbox it was taken of."""
    snapshot_id: str
    """Its ID (pass it to ``restore``)."""
    kind: str
    """``manual``, ``pause``, ``periodic`` or ``template``."""
    size_bytes: int
    """Bytes it takes on the server."""
    created_at: datetime.datetime
    """When it was taken."""
    template_id: str | None = None
    """For template snapshots, what to pass as ``template=`` to boot from it."""


@dataclass
class SnapshotInfo:
    """A snapshot from ``create_snapshot()``: pass ``template_id`` as ``template=`` to boot sandboxes from it."""

    snapshot_id: str
    template_id: str
    """The template ID of the snapshot (pass it to ``Sandbox.create(template=...)``)."""
    sandbox_id: str
    created_at: datetime.datetime
    size_bytes: int


@dataclass
class SandboxQuery:
    """Filters for ``Sandbox.list`` and ``Sandbox.iter``; they combine with AND."""

    metadata: dict[str, str] | None = None
    """Only sandboxes whose metadata has all these pairs."""
    state: list[str] | None = None
    """Only sandboxes in these states (``running``, ``paused``, ``killed``)."""
    template: str | None = None
    """Only sandboxes booted from this template."""
    name: str | None = None
    """Only the sandbox with this name."""


@dataclass
class SandboxList:
    """One page of ``Sandbox.list``.

    Iterating it yields its :class:`SandboxInfo` items; ``page["sandboxes"]`` and
    ``page["next_token"]`` work too, for code written against declaw's dict.
    """

    sandboxes: list[SandboxInfo]
    next_token: str | None = None
    """Pass as ``next_token=`` to get the next page; ``None`` on the last page."""

    @property
    def has_next(self) -> bool:
        """Whether there is another page."""
        return self.next_token is not None

    def __iter__(self) -> Iterator[SandboxInfo]:
        return iter(self.sandboxes)

    def __len__(self) -> int:
        return len(self.sandboxes)

    @overload
    def __getitem__(self, key: int) -> SandboxInfo: ...
    @overload
    def __getitem__(self, key: str) -> list[SandboxInfo] | str | None: ...
    def __getitem__(self, key: int | str) -> SandboxInfo | list[SandboxInfo] | str | None:
        if isinstance(key, int):
            return self.sandboxes[key]
        if key == "sandboxes":
            return self.sandboxes
        if key in ("next_token", "nextToken"):
            return self.next_token
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:
        """``dict.get`` for the declaw keys."""
        try:
            return self[key]
        except KeyError:
            return default


@dataclass
class CommandResult:
    """How a command ended."""

    stdout: str
    """Everything it wrote to standard output."""
    stderr: str
    """Everything it wrote to standard error."""
    exit_code: int
    """Its exit code (128 + N when killed by signal N)."""
    error: str | None = None
    """Why it ended abnormally (for example that it timed out), if it did."""


@dataclass
class ProcessInfo:
    """A command or terminal started in a sandbox."""

    pid: int
    cmd: str
    cwd: str
    user: str
    started_at: datetime.datetime
    running: bool
    envs: dict[str, str] = field(default_factory=dict)
    """The environment variables given for it (not the sandbox's)."""
    tag: str | None = None
    pty: bool = False
    """Whether it is a terminal."""
    exit_code: int | None = None
    """Its exit code once it ended."""
    signal: int | None = None
    """The signal that killed it, if one did."""


@dataclass
class EntryInfo:
    """A file, directory or symlink in a sandbox."""

    name: str
    """Its last path component."""
    type: str
    """``file``, ``dir``, ``symlink`` or ``other``."""
    path: str
    """Its absolute path."""
    size: int
    """Size in bytes."""
    mode: int
    """Permission bits, e.g. ``0o644``."""
    permissions: str
    """As ``ls -l`` shows them, e.g. ``-rw-r--r--``."""
    group: str
    """The owning group's name."""
    owner: str
    """The owning user's name."""
    modified_time: datetime.datetime
    """When its content last changed."""
    symlink_target: str | None = None
    """Where a symlink points."""


@dataclass
class WriteInfo:
    """A file that was written."""

    path: str
    """Its absolute path."""
    name: str
    """Its last path component."""
    type: str = "file"


@dataclass
class WriteEntry:
    """One file for ``files.write_files``."""

    path: str
    data: WriteData


@dataclass
class PtySize:
    """A terminal's size."""

    rows: int = 24
    cols: int = 80


@dataclass
class FilesystemEvent:
    """A change seen by ``files.watch_dir``."""

    type: str
    """``create``, ``write``, ``remove``, ``rename`` or ``chmod``."""
    name: str
    """The changed path relative to the watched directory."""
    path: str
    """The changed path, absolute."""
