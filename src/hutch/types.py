"""The plain data types the SDK returns and accepts.

None of them is tied to the HTTP layer: they are dataclasses (or ``TypedDict`` s where a plain
``dict`` literal is the natural way to pass them) with ``None`` for "not given".
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, Literal, Self, TypedDict, TypeVar, overload

from hutch.charts import Chart, chart_from_dict

__all__ = [
    "AsyncWriteData",
    "AuditEntry",
    "AuditLogPage",
    "AuditPolicy",
    "CodeContext",
    "CommandResult",
    "EntryInfo",
    "ExecutionError",
    "ExecutionResult",
    "FileType",
    "FilesystemEvent",
    "FilesystemEventType",
    "InjectionDefenseConfig",
    "OutputHandler",
    "PIIConfig",
    "ProcessInfo",
    "PtyOutput",
    "PtySize",
    "ReadFormat",
    "Result",
    "SandboxInfo",
    "SandboxInfoLifecycle",
    "SandboxLifecycle",
    "SandboxList",
    "SandboxListOrder",
    "SandboxMetrics",
    "SandboxNetworkInfo",
    "SandboxNetworkOpts",
    "SandboxNetworkSelector",
    "SandboxNetworkSelectorContext",
    "SandboxNetworkUpdate",
    "SandboxOnResume",
    "SandboxOnTimeout",
    "SandboxQuery",
    "SandboxResources",
    "SandboxState",
    "Secret",
    "SecurityPolicy",
    "Snapshot",
    "SnapshotInfo",
    "SnapshotMode",
    "Stderr",
    "Stdout",
    "TransformationRule",
    "Username",
    "WriteData",
    "WriteEntry",
    "WriteInfo",
]


class _OpenEnum(StrEnum):
    """A ``str`` enum (``SandboxState.RUNNING == "running"``, ``str()`` is the value) that also takes
    values a newer server may send: those become members of their own instead of a ``ValueError``."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


class SandboxState(_OpenEnum):
    """The states the server reports; treat any other value as "not running"."""

    RUNNING = "running"
    PAUSED = "paused"
    KILLED = "killed"


class FileType(_OpenEnum):
    """What an :class:`EntryInfo` is."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    OTHER = "other"
    """A device, socket or FIFO."""


class FilesystemEventType(_OpenEnum):
    """What happened in a :class:`FilesystemEvent`."""

    CHMOD = "chmod"
    CREATE = "create"
    REMOVE = "remove"
    RENAME = "rename"
    WRITE = "write"


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


class SandboxNetworkOpts(TypedDict, total=False):
    """A sandbox's network policy, for ``create(network=...)``, ``update_network`` and in :class:`SandboxInfo`.

    Entries are IPs, CIDRs, domain names and ``*.domain`` wildcards. A deny entry wins over an allow
    entry; ``allow_out`` alone means "only these"; ``deny_out=[ALL_TRAFFIC]`` ("0.0.0.0/0") with
    ``allow_out`` also means "only these". Private, loopback and link-local ranges and the server's
    own addresses are never reachable.
    """

    allow_out: list[str] | Callable[[SandboxNetworkSelectorContext], list[str]]
    """Destinations the sandbox may reach; or, as in E2B, a function of a
    :class:`SandboxNetworkSelectorContext` returning them (``lambda ctx: [ctx.all_traffic]``)."""
    deny_out: list[str] | Callable[[SandboxNetworkSelectorContext], list[str]]
    """Destinations it may not reach (a list, or a function as for ``allow_out``)."""
    allow_public_traffic: bool
    """Whether anyone who can reach the server may use the sandbox's exposed ports (``get_host``);
    when False they need the API key or ``SandboxInfo.traffic_access_token`` (default True)."""
    mask_request_host: str
    """The ``Host`` header the servers on the exposed ports see (E2B's), ``${PORT}`` replaced by the
    port: ``"${PORT}-myapp.example.com"``; by default ``localhost:<port>``."""


@dataclass(frozen=True)
class SandboxNetworkSelectorContext:
    """What an ``allow_out`` / ``deny_out`` function receives (E2B's)."""

    all_traffic: str
    """``"0.0.0.0/0"``: every IPv4 destination."""
    rules: Mapping[str, list[Any]]
    """E2B's per-host ``rules``: always empty here (hutch refuses ``rules``)."""


class AuditPolicy(TypedDict, total=False):
    """declaw's ``audit`` part of :class:`SecurityPolicy`."""

    enabled: bool
    """Record every connection through the sandbox's egress proxy (default True when given)."""


class PIIConfig(TypedDict, total=False):
    """declaw's ``pii`` part of :class:`SecurityPolicy`: personal data in request bodies."""

    enabled: bool
    """False turns it off (default True when given)."""
    types: list[Literal["ssn", "credit_card", "email", "phone_number", "api_key", "ip_address"]]
    """What to look for (default all six); ``credit_card`` only for numbers that pass the Luhn check."""
    action: Literal["redact", "block", "log_only"]
    """``redact`` (default): a token per value, the same in this sandbox for the same value; ``block``:
    the request is answered 403 with the reason; ``log_only``: only the audit log says what it found."""
    rehydrate_response: bool
    """With ``redact``: this sandbox's tokens in response bodies go back to their values (default False)."""
    scan_requests: bool
    """Look for PII in request bodies (default True)."""
    scan_responses: bool
    """Look for PII in response bodies too (default False): ``redact`` puts tokens in place of what
    the server sent, ``block`` answers 403 in place of the response."""
    domains: list[str]
    """Host names (``*.example.com`` for the names below it) it applies to; every name when empty."""


class TransformationRule(TypedDict, total=False):
    """One of declaw's ``transformations``: a regex replacement in the bodies going one way.

    declaw spells the pair both ``match``/``replace`` and ``pattern``/``replacement``: give one of each.
    """

    match: str
    pattern: str
    replace: str
    replacement: str
    direction: Literal["request", "response", "outbound", "inbound"]
    """``request`` (default; declaw's ``outbound``) or ``response`` (``inbound``)."""
    domains: list[str]
    """Host names it applies to; every name when empty."""


class InjectionDefenseConfig(TypedDict, total=False):
    """declaw's ``injection_defense`` part of :class:`SecurityPolicy`: request and response bodies are
    scored (0 to 1) against a library of prompt-injection phrases."""

    enabled: bool
    """False turns it off (default True when given)."""
    sensitivity: Literal["low", "medium", "high"]
    """The threshold by name: ``low`` 0.9, ``medium`` 0.7 (default), ``high`` 0.5."""
    threshold: float
    """The score at which a body counts as an injection (0.01 to 1); wins over ``sensitivity``."""
    action: Literal["block", "log_only", "log"]
    """``block`` (default): 403 with the reason in place of the request or response; ``log_only``
    (or ``log``): only the audit log says so."""
    domains: list[str]
    """Host names it applies to; every name when empty."""


class EnvMaskingConfig(TypedDict, total=False):
    """declaw's ``EnvSecurityConfig`` (``env_masking``, or ``env`` as declaw's docs also call it)."""

    enabled: bool
    """False turns it off (default True when given)."""
    mask_patterns: list[str]
    """Globs of variable names whose values are masked (``[MASKED:NAME]``) in every reply that shows
    values and in every request the sandbox sends out; default ``*_KEY``, ``*_SECRET``, ``*_TOKEN``,
    ``*_PASSWORD``. Inside the sandbox the values stay readable."""


class SecurityPolicy(TypedDict, total=False):
    """declaw's inspecting-proxy policy, for ``create(security=...)`` (a plain dict works too).

    ``audit`` (``sbx.get_audit_log()``), ``pii``, ``transformations``, ``injection_defense`` and
    ``env_masking`` (or declaw's other spelling, ``env``): the egress proxy decrypts only the traffic
    the last four apply to (``env_masking``: all of it).
    """

    audit: AuditPolicy
    pii: PIIConfig
    transformations: list[TransformationRule]
    injection_defense: InjectionDefenseConfig
    env_masking: EnvMaskingConfig
    env: EnvMaskingConfig


@dataclass
class AuditEntry:
    """One connection through a sandbox's egress proxy, or one request its decrypting proxy read
    (those have ``method``, ``path``, ``status`` and ``findings``); never a body."""

    time: datetime.datetime
    """When it was opened."""
    host: str | None
    """The name in the traffic (TLS SNI, HTTP Host), None when it named none."""
    address: str
    """The destination address."""
    port: int
    protocol: str
    """``tls``, ``http`` or ``other`` for a connection; ``https`` or ``http`` for a request."""
    decision: str
    """``allowed`` or ``refused``."""
    reason: str | None
    """Why it was refused."""
    decrypted: bool
    """Whether it went through the decrypting proxy (secrets, ``pii``, ``transformations``)."""
    bytes_out: int
    """Bytes the sandbox sent."""
    bytes_in: int
    """Bytes it received."""
    method: str | None = None
    """A request's method."""
    path: str | None = None
    """A request's path, without its query."""
    status: int | None = None
    """A request's response status (403 when the policy blocked it)."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    """What the policy found or did (``{"policy": "pii", "type": "email", "action": "redact",
    "count": 1}``, ``{"policy": "transformations", "direction": "response", "count": 2}``)."""


@dataclass
class AuditLogPage:
    """A page of :meth:`Sandbox.get_audit_log`; ``next_cursor`` (None at the end) gets the next one."""

    entries: list[AuditEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class Secret:
    """A secret the sandbox uses without holding it, for ``create(secrets={"NAME": Secret(...)})``.

    The sandbox's ``$NAME`` is a placeholder; its egress proxy puts ``value`` in its place in the
    headers of HTTPS requests to ``hosts`` (names, or ``*.domain`` for the names below it) and
    nowhere else. Needs ``secure=True`` (the default) and internet access.
    """

    value: str = field(repr=False)
    hosts: list[str] = field(default_factory=list)


@dataclass
class SandboxInfo:
    """A sandbox as the server knows it."""

    sandbox_id: str
    """The sandbox's ID."""
    template_id: str
    """The template (or snapshot template) it booted from."""
    state: SandboxState
    """``running``, ``paused`` or ``killed`` (a :class:`SandboxState`, equal to those strings)."""
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
    network: SandboxNetworkOpts | None = None
    """The network policy in force (entries normalised), when the server reports it."""
    lifecycle: SandboxLifecycle = field(default_factory=lambda: SandboxLifecycle(on_timeout="kill"))
    """What happens when its lifetime ends."""
    restored_from: str | None = None
    """The snapshot it was restored from, if any."""
    volume_mounts: dict[str, str] = field(default_factory=dict)
    """The volumes it mounts: mount path -> volume ID."""
    traffic_access_token: str | None = None
    """When its exposed ports are not public: the token that admits requests to them (header
    ``X-Hutch-Traffic-Token``, or ``?hutch_token=`` in a browser)."""
    envd_access_token: str | None = None
    """A secure sandbox's access token (header ``X-Access-Token``), only in what ``create``,
    ``connect`` and ``restore`` answer; None otherwise."""
    public_host: str | None = None
    """hopx's ``public_host``: the sandbox's URL on the server (``{server}/sandboxes/{id}``; a port's
    traffic is under ``/ports/{port}`` there, see ``get_host``). Set by ``get_info``."""

    @property
    def status(self) -> str:
        """hopx's name for :attr:`state`."""
        return self.state

    def __post_init__(self) -> None:
        self.state = SandboxState(self.state)


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
    mem_used: int = 0
    """Memory in use, bytes (E2B's name and unit)."""
    mem_total: int = 0
    """Memory limit, bytes."""
    mem_cache: int = 0
    """Page cache charged to the sandbox, bytes (part of ``mem_used``)."""
    disk_used: int = 0
    """Space used in the writable layer, bytes."""
    disk_total: int = 0
    """Disk limit of the writable layer, bytes."""


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
    names: list[str] = field(default_factory=list)
    """The names it was given (``create_snapshot(name=)``), as E2B's ``SnapshotInfo.names``."""


@dataclass
class SnapshotInfo:
    """A snapshot from ``create_snapshot()``: pass ``template_id`` as ``template=`` to boot sandboxes from it."""

    snapshot_id: str
    template_id: str
    """The template ID of the snapshot (pass it to ``Sandbox.create(template=...)``)."""
    sandbox_id: str
    created_at: datetime.datetime
    size_bytes: int
    names: list[str] = field(default_factory=list)
    """Its names (``create_snapshot(name=)``); each boots sandboxes as ``template=`` too (E2B)."""


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
    started_after: datetime.datetime | None = None
    """Only sandboxes started at or after this time (E2B's; a naive datetime is local time, as in E2B)."""


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
    type: FileType
    """``file``, ``dir``, ``symlink`` or ``other`` (a :class:`FileType`, equal to those strings)."""
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

    def __post_init__(self) -> None:
        self.type = FileType(self.type)


@dataclass
class WriteInfo:
    """A file that was written."""

    path: str
    """Its absolute path."""
    name: str
    """Its last path component."""
    type: FileType = FileType.FILE

    def __post_init__(self) -> None:
        self.type = FileType(self.type)


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

    type: FilesystemEventType
    """``create``, ``write``, ``remove``, ``rename`` or ``chmod`` (equal to those strings)."""
    name: str
    """The changed path relative to the watched directory."""
    path: str
    """The changed path, absolute."""
    entry: EntryInfo | None = None
    """The changed path's entry when the watch was started with ``include_entry=True`` (E2B); None
    otherwise, and for a path already gone when the event was read (remove, rename away)."""

    def __post_init__(self) -> None:
        self.type = FilesystemEventType(self.type)


# ---------------------------------------------------------------- run_code (SDK-API section 7)

RESULT_FORMATS = {
    "text": "text/plain",
    "html": "text/html",
    "markdown": "text/markdown",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "latex": "text/latex",
    "json": "application/json",
    "javascript": "application/javascript",
    "data": "application/vnd.hutch.data+json",
}
"""``Result`` attribute: the MIME type it holds."""


@dataclass
class Result:
    """A rich output of ``run_code``: the value of the code's last expression (``is_main_result``),
    an object it ``display()``ed, or a matplotlib figure; every representation the object offered
    is an attribute (None when absent). In Jupyter, a ``Result`` displays as itself."""

    text: str | None = None
    """``text/plain``."""
    html: str | None = None
    """``text/html`` (a pandas DataFrame has one)."""
    markdown: str | None = None
    svg: str | None = None
    png: str | None = None
    """``image/png``, base64 (``base64.b64decode(result.png)`` gives the file)."""
    jpeg: str | None = None
    """``image/jpeg``, base64."""
    pdf: str | None = None
    """``application/pdf``, base64."""
    latex: str | None = None
    json: Any = None
    """``application/json``, parsed."""
    javascript: str | None = None
    data: dict[str, list[Any]] | None = None
    """A pandas DataFrame's columns, ``{column: [values, ...]}`` (E2B's ``Result.data``)."""
    extra: dict[str, str] = field(default_factory=dict)
    """Representations of other MIME types, by type."""
    is_main_result: bool = False
    """Whether it is the value of the code's last expression (rather than something displayed)."""
    chart: Chart | None = None
    """For a matplotlib figure, its chart data: a :class:`~hutch.LineChart`, :class:`~hutch.BarChart`,
    ... (E2B's classes, ``hutch.charts``; ``chart.to_dict()`` is the JSON)."""

    def __getitem__(self, name: str) -> Any:
        """E2B's ``result["png"]``: the attribute of that name."""
        return getattr(self, name)

    @classmethod
    def from_bundle(
        cls, bundle: Mapping[str, str], is_main_result: bool = False, chart: Mapping[str, Any] | None = None
    ) -> Result:
        """A result from a Jupyter-style MIME bundle (``{"text/plain": ..., "image/png": <base64>}``).

        As E2B's, ``text`` drops the single quotes of a ``str``'s repr (``'hi'`` gives ``hi``); the
        bundle itself (``run_code_stream``'s ``data``) keeps IPython's ``text/plain``."""
        by_type = {mime: name for name, mime in RESULT_FORMATS.items()}
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for mime, value in bundle.items():
            name = by_type.get(mime)
            if name is None:
                extra[mime] = str(value)
            elif name in ("json", "data"):
                values[name] = _json_or_text(value)
            else:
                values[name] = str(value)
        text = values.get("text")
        if text is not None and len(text) >= 2 and text[0] == text[-1] == "'":
            values["text"] = text[1:-1]
        chart_object = None if chart is None else chart_from_dict(chart)
        return cls(**values, extra=extra, is_main_result=is_main_result, chart=chart_object)

    def formats(self) -> list[str]:
        """The names of the representations present (``["text", "html"]``), then other MIME types."""
        present = [name for name in RESULT_FORMATS if getattr(self, name) is not None]
        return present + ["chart"] * (self.chart is not None) + list(self.extra)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        bundle = {mime: getattr(self, name) for name, mime in RESULT_FORMATS.items() if getattr(self, name) is not None}
        return {**bundle, **self.extra}

    def __str__(self) -> str:
        return self.text if self.text is not None else repr(self)

    def __repr__(self) -> str:
        shown = [f"{name}={_brief(getattr(self, name))}" for name in RESULT_FORMATS if getattr(self, name) is not None]
        shown += [f"{mime!r}: {_brief(value)}" for mime, value in self.extra.items()]
        return f"Result({', '.join(shown)}{', main' if self.is_main_result else ''})"


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


def _json_or_text(value: object) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class ExecutionError:
    """What the code raised (or why its execution was cut short: ``TimeoutError``, ``ContextRestarted``)."""

    name: str
    """The error's type, e.g. ``NameError``."""
    value: str
    """Its message."""
    traceback: str
    """The formatted traceback."""

    def to_json(self) -> str:
        """E2B's JSON of it: ``{"name", "value", "traceback"}``."""
        return json.dumps(vars(self))


class OutputMessage(str):
    """A chunk of output as ``run_code``'s ``on_stdout``/``on_stderr`` get it: the text itself (a
    ``str``, as hopx-style callbacks use it) that also has E2B's ``line``, ``timestamp`` and ``error``."""

    timestamp: int
    """When the sandbox read it: Unix epoch in nanoseconds."""
    error: bool
    """Whether it was written to standard error."""

    def __new__(cls, line: str, timestamp: int = 0, error: bool = False) -> OutputMessage:
        message = super().__new__(cls, line)
        message.timestamp, message.error = timestamp, error
        return message

    @property
    def line(self) -> str:
        """The text (E2B's name)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"OutputMessage(line={self.line!r}, timestamp={self.timestamp}, error={self.error})"


@dataclass
class Logs:
    """What the code printed, chunk by chunk as it arrived (E2B's ``Execution.logs``)."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"stdout": self.stdout, "stderr": self.stderr})


@dataclass
class Execution:
    """How a ``run_code`` went: what the code printed, the rich results it produced, and its error.

    Both shapes in one object: E2B's (``logs.stdout``/``logs.stderr`` lists, ``results``, ``error``,
    ``execution_count``, ``text``, ``to_json()``) and hopx's ``ExecutionResult`` (``stdout`` and
    ``stderr`` strings, ``exit_code``, ``results``, ``error``)."""

    results: list[Result] = field(default_factory=list)
    """Rich outputs, in the order they were produced."""
    logs: Logs = field(default_factory=Logs)
    """Standard output and error, as lists of the chunks printed."""
    error: ExecutionError | None = None
    """The error the code raised, if it did (run_code does not raise for errors in the code)."""
    execution_count: int | None = None
    """How many executions the context has run since it (re)started, this one included."""
    exit_code: int = 0
    """0 when it ran without error; 1 after an uncaught error; bash: the last command's status."""
    context_id: str | None = None
    """The code context it ran in."""

    @property
    def stdout(self) -> str:
        """All of standard output, as one string (hopx's)."""
        return "".join(self.logs.stdout)

    @property
    def stderr(self) -> str:
        return "".join(self.logs.stderr)

    @property
    def text(self) -> str | None:
        """The plain text of the main result (the value of the last expression), if there is one."""
        return next((r.text for r in self.results if r.is_main_result), None)

    def to_json(self) -> str:
        """E2B's JSON of it (``logs`` and ``error`` are JSON strings inside it, as E2B's are)."""
        results = [
            {**{f: r.chart.to_dict() if f == "chart" and r.chart else r[f] for f in r.formats() if f in _SERIALIZED},
             "text": r.text}
            for r in self.results
        ]  # fmt: skip
        error = self.error.to_json() if self.error else None
        return json.dumps({"results": results, "logs": self.logs.to_json(), "error": error})

    @property
    def success(self) -> bool:
        """No error and a zero exit code."""
        return self.error is None and self.exit_code == 0


ExecutionResult = Execution
"""hopx's name for :class:`Execution`."""
_SERIALIZED = (*RESULT_FORMATS, "chart")


@dataclass
class CodeContext:
    """A persistent interpreter ``run_code`` can run in: state carries over from one run to the next."""

    context_id: str
    """Its ID (a default context's ID is its language)."""
    language: str
    """``python``, ``bash`` or ``javascript``."""
    cwd: str
    """The working directory it started in."""
    user: str = "user"
    """The sandbox user it runs as."""
    envs: dict[str, str] = field(default_factory=dict)
    """The environment variables given for it (not the sandbox's)."""
    created_at: datetime.datetime | None = None

    @property
    def id(self) -> str:
        """E2B's name for :attr:`context_id`."""
        return self.context_id


@dataclass
class VolumeInfo:
    """A volume (E2B's ``VolumeInfo``, with its size limit and creation time)."""

    volume_id: str
    name: str
    size_mb: int
    """Its size limit in MiB: a write past it fails with ENOSPC (NotEnoughSpaceException in the files API)."""
    created_at: datetime.datetime


@dataclass
class VolumeEntryStat:
    """A file, directory or symlink in a volume (E2B's fields)."""

    name: str
    type: FileType
    """``file``, ``dir``, ``symlink`` or ``other``."""
    path: str
    """Its path from the volume's root."""
    size: int
    mode: int
    """Permission bits, e.g. ``0o644``."""
    uid: int
    """Its owner as the sandboxes see it (1000 is the sandbox user)."""
    gid: int
    atime: datetime.datetime
    mtime: datetime.datetime
    ctime: datetime.datetime
    target: str | None = None
    """Where a symlink points."""

    def __post_init__(self) -> None:
        self.type = FileType(self.type)


# ---------------------------------------------------------------- E2B's type names (for E2B code's annotations)

T = TypeVar("T")

SandboxListOrder = Literal["asc", "desc"]
"""``Sandbox.list(order=)``."""
SnapshotMode = Literal["full", "filesystem"]
"""``pause(mode=)`` / ``create_snapshot(mode=)``; ``"full"`` is refused here (no CRIU)."""
SandboxOnResume = Literal["restore", "reboot"]
"""``connect(on_resume=)``; ``"reboot"`` is refused here."""
SandboxOnTimeout = Literal["kill", "pause"] | Mapping[str, Any]
"""``lifecycle["on_timeout"]``: the action, or E2B's ``{"action": ..., "keep_memory": ...}``."""
SandboxInfoLifecycle = SandboxLifecycle
SandboxNetworkSelector = list[str] | Callable[[SandboxNetworkSelectorContext], list[str]]
SandboxNetworkInfo = SandboxNetworkOpts
Stdout = str
Stderr = str
PtyOutput = bytes
Username = str
OutputHandler = Callable[[T], object]
"""A callback of output (on the async SDK it may be a coroutine function)."""
AsyncWriteData = WriteData | AsyncIterable[bytes]


class SandboxNetworkUpdate(SandboxNetworkOpts, total=False):
    """``update_network``'s argument (E2B's): a policy, and ``allow_internet_access`` when it has no lists."""

    allow_internet_access: bool
