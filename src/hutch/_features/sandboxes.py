"""Sandboxes (spec tag ``sandboxes``): create, connect, info, list, kill, timeout, pause and resume.

Their options (:class:`CreateOptions`), requests, the ``SandboxDetail`` converter and the list
pager; the facades (``Sandbox`` / ``AsyncSandbox``) only send the ops.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Mapping
from typing import Any, cast

import httpx

import hutch_api.api.sandboxes.connect_sandbox as connect_sandbox
import hutch_api.api.sandboxes.create_sandbox as create_sandbox
import hutch_api.api.sandboxes.get_sandbox as get_sandbox
import hutch_api.api.sandboxes.kill_sandbox as kill_sandbox
import hutch_api.api.sandboxes.list_sandboxes as list_sandboxes
import hutch_api.api.sandboxes.pause_sandbox as pause_sandbox
import hutch_api.api.sandboxes.refresh_traffic_token as refresh_traffic_token
import hutch_api.api.sandboxes.resume_sandbox as resume_sandbox
import hutch_api.api.sandboxes.set_sandbox_timeout as set_sandbox_timeout
from hutch._core import checks
from hutch._core.convert import opt, unset
from hutch._core.paging import Opened
from hutch._core.request import Op, build, model, nothing, true
from hutch._features import network, volumes
from hutch._features.detail import detail, sandbox_info
from hutch.config import CONNECTION_KEYS, ConnectionConfig, ConnectionOpts, call_config
from hutch.exceptions import InvalidArgumentException, SandboxException, SandboxNotFoundException
from hutch.types import (
    AuditEntry,
    AuditLogPage,
    SandboxInfo,
    SandboxLifecycle,
    SandboxList,
    SandboxNetworkOpts,
    SandboxQuery,
    SandboxResources,
    Secret,
    SecurityPolicy,
)
from hutch_api.api.sandboxes import get_audit_log as get_audit_log_endpoint
from hutch_api.api.sandboxes import update_sandbox_security as update_sandbox_security_endpoint
from hutch_api.models.audit_entry import AuditEntry as ApiAuditEntry
from hutch_api.models.audit_log import AuditLog as ApiAuditLog
from hutch_api.models.connect_request import ConnectRequest
from hutch_api.models.get_audit_log_decision import check_get_audit_log_decision
from hutch_api.models.list_sandboxes_order import check_list_sandboxes_order
from hutch_api.models.new_sandbox import NewSandbox
from hutch_api.models.new_sandbox_envs import NewSandboxEnvs
from hutch_api.models.new_sandbox_metadata import NewSandboxMetadata
from hutch_api.models.new_sandbox_secrets import NewSandboxSecrets
from hutch_api.models.sandbox_detail import SandboxDetail
from hutch_api.models.sandbox_lifecycle import SandboxLifecycle as ApiSandboxLifecycle
from hutch_api.models.sandbox_list import SandboxList as ApiSandboxList
from hutch_api.models.sandbox_resources import SandboxResources as ApiSandboxResources
from hutch_api.models.sandbox_secret import SandboxSecret
from hutch_api.models.security_policy import SecurityPolicy as ApiSecurityPolicy
from hutch_api.models.timeout_request import TimeoutRequest
from hutch_api.types import UNSET, Unset

__all__ = ["CreateOptions", "PaginatorBase"]


class CreateOptions(ConnectionOpts, total=False):
    """Keywords of ``Sandbox.create`` besides ``template`` and ``timeout`` (plus the connection settings)."""

    metadata: Mapping[str, str] | None
    """Free key-value pairs, searchable with ``Sandbox.list``."""
    envs: Mapping[str, str] | None
    """Environment variables every command in the sandbox sees."""
    name: str | None
    """A name unique among your live sandboxes; ``connect`` accepts it in place of the ID."""
    allow_internet_access: bool
    """False cuts all outbound traffic (default True)."""
    network: SandboxNetworkOpts | Mapping[str, Any] | None
    """Egress rules and exposed-port access (:class:`~hutch.SandboxNetworkOpts`); overrides
    ``allow_internet_access`` when given."""
    resources: SandboxResources | None
    """``{"cpu": 2, "memory_mb": 2048, "disk_mb": 4096}``; each key optional."""
    lifecycle: SandboxLifecycle | None
    """``{"on_timeout": "kill" | "pause", "auto_resume": bool}``."""
    secure: bool
    """Give the sandbox an access token (default True, as in E2B): ``sbx.envd_access_token`` admits its
    agent routes without the API key, and signs ``download_url`` / ``upload_url``."""
    security: SecurityPolicy | Mapping[str, Any] | None
    """declaw's inspecting-proxy policy (:class:`~hutch.SecurityPolicy`): ``{"audit": {"enabled": True}}``
    records the sandbox's connections (``get_audit_log``); its other parts are refused for now (422)."""
    secrets: Mapping[str, Secret | Mapping[str, Any]] | None
    """Secrets held by the sandbox's egress proxy, not the sandbox (:class:`~hutch.Secret`, or
    ``{"value": ..., "hosts": [...]}``): its environment gets a placeholder under each name."""
    volume_mounts: Mapping[str, Any] | None
    """``{"/data": volume}``: volumes to mount (a ``Volume``, its ID or its name), shared with every other
    sandbox that mounts them; they outlive the sandbox."""
    template_id: str | None
    """hopx's name for ``template``."""
    timeout_seconds: int | None
    """hopx's name for ``timeout``."""
    internet_access: bool | None
    """hopx's name for ``allow_internet_access``."""
    env_vars: Mapping[str, str] | None
    """hopx's name for ``envs``."""
    region: str | None
    """hopx's region: accepted and ignored (a hutch server is one place; its sandboxes run on it)."""
    idempotency_key: str | None
    """E2B's: a create repeated with the same key (and API key) answers the sandbox the first one made
    (default: a fresh key per call, so the SDK's own retries never make two)."""


# ---------------------------------------------------------------- request parts


def _resources(r: SandboxResources | Mapping[str, Any] | None) -> ApiSandboxResources | Unset:
    if r is None:
        return UNSET
    known = {"cpu", "memory_mb", "disk_mb"}
    extra = set(r) - known
    if extra:
        raise InvalidArgumentException(f"unknown resources key(s) {sorted(extra)}; use {sorted(known)}")
    return ApiSandboxResources(
        cpu=unset(r.get("cpu")), memory_mb=unset(r.get("memory_mb")), disk_mb=unset(r.get("disk_mb"))
    )


def _lifecycle(lc: SandboxLifecycle | Mapping[str, Any] | None) -> ApiSandboxLifecycle | Unset:
    if lc is None:
        return UNSET
    extra = set(lc) - {"on_timeout", "auto_resume"}
    if extra:
        raise InvalidArgumentException(f"unknown lifecycle key(s) {sorted(extra)}; use on_timeout, auto_resume")
    on_timeout = lc.get("on_timeout")
    if isinstance(on_timeout, Mapping):  # E2B's {"action": "pause", "keep_memory": ...} form
        extra = set(on_timeout) - {"action", "keep_memory", "mode"}
        if extra:
            raise InvalidArgumentException(
                f"unknown lifecycle on_timeout key(s) {sorted(extra)}; use action, keep_memory"
            )
        if on_timeout.get("action") == "pause":
            check_pause_options(on_timeout.get("keep_memory"), on_timeout.get("mode"))
        on_timeout = on_timeout.get("action")
    if on_timeout not in (None, "kill", "pause"):
        raise InvalidArgumentException(f"lifecycle on_timeout must be 'kill' or 'pause', not {on_timeout!r}")
    auto_resume = lc.get("auto_resume")
    return ApiSandboxLifecycle(
        on_timeout=unset(on_timeout), auto_resume=UNSET if auto_resume is None else bool(auto_resume)
    )


def _secrets(raw: Mapping[str, Secret | Mapping[str, Any]] | None) -> NewSandboxSecrets | Unset:
    if raw is None:
        return UNSET
    if not isinstance(raw, Mapping):
        raise InvalidArgumentException(f"secrets must map names to Secret(value, hosts), not {raw!r}")
    out = NewSandboxSecrets()
    for name, secret in raw.items():
        if isinstance(secret, Mapping) and set(secret) <= {"value", "hosts"}:
            secret = Secret(secret.get("value"), secret.get("hosts"))  # type: ignore[arg-type]
        if not isinstance(secret, Secret):
            raise InvalidArgumentException(f"secrets[{name!r}] must be a Secret(value, hosts)")
        value, hosts = secret.value, secret.hosts
        if not isinstance(value, str) or not isinstance(hosts, list | tuple) or not hosts:
            raise InvalidArgumentException(f"secrets[{name!r}] needs a str value and a non-empty list of hosts")
        out[str(name)] = SandboxSecret(value=value, hosts=[str(h) for h in hosts])
    return out


def _plain(value: Any) -> Any:
    """Mappings (TypedDicts, declaw's dicts) as plain dicts, all the way down."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _audit_entry(e: ApiAuditEntry) -> AuditEntry:
    return AuditEntry(
        time=e.time, host=e.host, address=e.address, port=e.port, protocol=e.protocol, decision=e.decision,
        reason=e.reason, decrypted=e.decrypted, bytes_out=e.bytes_out, bytes_in=e.bytes_in,
    )  # fmt: skip


def update_security(sandbox_id: str, security: SecurityPolicy | Mapping[str, Any]) -> Op[SecurityPolicy]:
    """``PUT /sandboxes/{id}/security``: the whole policy is replaced (an absent part is off)."""
    if not isinstance(security, Mapping):
        raise InvalidArgumentException(f"security must be a SecurityPolicy (a dict), not {security!r}")
    body = ApiSecurityPolicy.from_dict(_plain(security))
    kwargs = build(update_sandbox_security_endpoint, checks.ident(sandbox_id), body=body)
    parse = model(ApiSecurityPolicy.from_dict, lambda p: cast(SecurityPolicy, p.to_dict()))
    return Op(kwargs, parse, SandboxNotFoundException, idempotent=True)


def get_audit_log(
    sandbox_id: str, limit: int | None, cursor: str | None, host: str | None, decision: str | None
) -> Op[AuditLogPage]:
    """``GET /sandboxes/{id}/audit-log``: a page of the egress proxy's record of the sandbox's connections."""
    if decision not in (None, "allowed", "refused"):
        raise InvalidArgumentException(f"decision must be 'allowed' or 'refused', not {decision!r}")
    kwargs = build(
        get_audit_log_endpoint,
        checks.ident(sandbox_id),
        limit=unset(limit),
        cursor=unset(cursor),
        host=unset(host),
        decision=UNSET if decision is None else check_get_audit_log_decision(decision),
    )
    parse = model(
        ApiAuditLog.from_dict,
        lambda page: AuditLogPage([_audit_entry(e) for e in page.entries], page.next_cursor),
    )
    return Op(kwargs, parse, SandboxNotFoundException, idempotent=True)


# ---------------------------------------------------------------- operations


def create(template: str | None, timeout: float | None, opts: CreateOptions) -> tuple[Op[SandboxInfo], dict[str, Any]]:
    """The create request and the connection settings among ``opts`` (hopx's names map onto hutch's)."""
    checks.known_keys(opts, CreateOptions, "create", CONNECTION_KEYS)
    named = {**opts, "template": template, "timeout": timeout}
    template = checks.synonym(named, "template", "template_id", "base")
    timeout = checks.synonym(named, "timeout", "timeout_seconds", 300)
    if not isinstance(opts.get("region"), str | None):
        raise InvalidArgumentException(f"region must be a string, not {opts.get('region')!r}")
    meta = checks.str_dict(opts.get("metadata"), "metadata")
    env = checks.str_dict(checks.synonym(opts, "envs", "env_vars"), "envs")
    security = opts.get("security")
    body = NewSandbox(
        template_id=template or "base",
        timeout=checks.lifetime(timeout),
        name=unset(opts.get("name")),
        metadata=UNSET if meta is None else NewSandboxMetadata.from_dict(meta),
        envs=UNSET if env is None else NewSandboxEnvs.from_dict(env),
        allow_internet_access=bool(checks.synonym(opts, "allow_internet_access", "internet_access", True)),
        resources=_resources(opts.get("resources")),
        lifecycle=_lifecycle(opts.get("lifecycle")),
        secure=bool(opts.get("secure", True)),
        security=UNSET if security is None else ApiSecurityPolicy.from_dict(_plain(security)),
        secrets=_secrets(opts.get("secrets")),
        network=network.create_body(opts.get("network")),
        volume_mounts=unset(volumes.mounts(opts.get("volume_mounts"))),
    )
    # One key for all tries of this create: a retried create never makes two sandboxes.
    key = opts.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200 or not key.isprintable()):
        raise InvalidArgumentException(f"idempotency_key must be 1 to 200 printable characters, not {key!r}")
    kwargs = build(create_sandbox, body=body, idempotency_key=key or str(uuid.uuid4()))
    conn = {key: value for key, value in opts.items() if key in CONNECTION_KEYS}
    return Op(kwargs, detail, idempotent=True, retry_timeouts=True), conn


def connect(sandbox_id_or_name: str, timeout: float | None) -> Op[SandboxInfo]:
    request = ConnectRequest(timeout=UNSET if timeout is None else checks.lifetime(timeout))
    kwargs = build(connect_sandbox, checks.ident(sandbox_id_or_name), body=request)
    return Op(kwargs, detail, SandboxNotFoundException, idempotent=True)


def get_info(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(build(get_sandbox, checks.ident(sandbox_id)), detail, SandboxNotFoundException)


def is_running(sandbox_id: str) -> Op[bool]:
    parse = model(SandboxDetail.from_dict, lambda d: d.state == "running")
    return Op(build(get_sandbox, checks.ident(sandbox_id)), parse, SandboxNotFoundException, {404: False})


def kill(sandbox_id: str) -> Op[bool]:
    return Op(build(kill_sandbox, checks.ident(sandbox_id)), true, SandboxNotFoundException, {404: False})


def _started_after(value: object) -> datetime.datetime | Unset:
    if value is None:
        return UNSET
    if not isinstance(value, datetime.datetime):
        raise InvalidArgumentException(f"query.started_after must be a datetime, not {value!r}")
    return value.astimezone()  # a naive datetime is local time, as in E2B


def list_page(
    query: SandboxQuery | None, limit: int | None, next_token: str | None, order: str | None = None
) -> Op[SandboxList]:
    """One ``listSandboxes`` page; ``limit`` None is the server's default (100), ``order`` E2B's."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000):
        raise InvalidArgumentException(f"limit must be an int from 1 to 1000, not {limit!r}")
    if order not in (None, "asc", "desc"):
        raise InvalidArgumentException(f"Invalid order {order!r}, expected 'asc' or 'desc'")
    q = query or SandboxQuery()
    meta = checks.str_dict(q.metadata, "query.metadata")
    state = [q.state] if isinstance(q.state, str) else q.state
    kwargs = build(
        list_sandboxes,
        limit=unset(limit),
        next_token=unset(next_token),
        state=UNSET if not state else [str(s) for s in state],
        metadata=UNSET if not meta else [f"{k}={v}" for k, v in meta.items()],
        template=unset(q.template),
        name=unset(q.name),
        started_after=_started_after(q.started_after),
        order=UNSET if order is None else check_list_sandboxes_order(order),
    )

    def page(d: ApiSandboxList) -> SandboxList:
        return SandboxList([sandbox_info(s) for s in d.sandboxes], opt(d.next_token))

    return Op(kwargs, model(ApiSandboxList.from_dict, page))


def set_timeout(sandbox_id: str, seconds: float) -> Op[None]:
    body = TimeoutRequest(timeout=checks.lifetime(seconds))
    kwargs = build(set_sandbox_timeout, checks.ident(sandbox_id), body=body)
    return Op(kwargs, nothing, SandboxNotFoundException, idempotent=True)


def check_pause_options(keep_memory: bool | None, mode: str | None) -> None:
    """E2B's pause options. A pause here freezes the processes in place: their memory stays as long as
    the host runs them, and only the filesystem is recorded (the pause snapshot). E2B's
    ``keep_memory=True`` / ``mode="full"`` promises a memory image that outlives the processes,
    which needs CRIU: refused. ``keep_memory=False`` / ``mode="filesystem"`` is what is recorded anyway."""
    if keep_memory is True or mode == "full":
        raise InvalidArgumentException(
            "memory cannot be kept on this host (keep_memory=True / mode='full' needs a memory snapshot, and "
            "there is no CRIU here): a pause freezes the processes in place, so their memory survives only "
            "while the host keeps running them; a host restart loses it and the sandbox comes back from its "
            "filesystem (the pause snapshot). Pass keep_memory=False or nothing."
        )
    if mode not in (None, "filesystem") or keep_memory not in (None, False):
        raise InvalidArgumentException(
            f"pause takes keep_memory=True/False and mode='full'/'filesystem', not {keep_memory!r}/{mode!r}"
        )


def check_on_resume(on_resume: object) -> None:
    """E2B's ``connect(on_resume=)``. A paused hutch sandbox's processes are frozen in place, and a resume
    thaws them: E2B's ``"restore"``. ``"reboot"`` (a cold boot from the files, keeping the ID) is not
    something a hutch sandbox does; ``Sandbox.restore(id)`` boots a new one from its pause snapshot."""
    if on_resume == "reboot":
        raise InvalidArgumentException(
            "on_resume='reboot' is not supported: a paused hutch sandbox resumes its frozen processes "
            "(on_resume='restore'); to boot a new sandbox from its files, use Sandbox.restore(sandbox_id)"
        )
    if on_resume != "restore":
        raise InvalidArgumentException(f"on_resume must be 'restore' or 'reboot', not {on_resume!r}")


def pause(sandbox_id: str) -> Op[tuple[SandboxInfo, bool]]:
    """The paused sandbox, and whether this call paused it (E2B's return value; False: it already was)."""

    def paused(response: httpx.Response) -> tuple[SandboxInfo, bool]:
        return detail(response), response.headers.get("hutch-already-paused") != "true"

    return Op(build(pause_sandbox, checks.ident(sandbox_id)), paused, SandboxNotFoundException, idempotent=True)


def resume(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(build(resume_sandbox, checks.ident(sandbox_id)), detail, SandboxNotFoundException, idempotent=True)


def refresh_token(sandbox_id: str) -> Op[SandboxInfo]:
    return Op(build(refresh_traffic_token, checks.ident(sandbox_id)), detail, SandboxNotFoundException)


class PaginatorBase(Opened, SandboxList):
    """E2B's sandbox paginator (``has_next``, ``next_token``, ``next_items()``), sans-I/O; also the page
    declaw's and hutch's code reads (``sandboxes``, iteration, ``page["next_token"]``): the page last
    fetched. The first page is fetched by ``Sandbox.list`` (sync) or by awaiting the paginator (async)
    and is still handed out by the first ``next_items()``, so E2B's ``while p.has_next`` loop sees it."""

    def __init__(
        self,
        conn: Mapping[str, Any],
        query: SandboxQuery | None,
        limit: int | None,
        next_token: str | None,
        order: str | None,
    ) -> None:
        list_page(query, limit, next_token, order)  # refuse bad arguments at the call
        super().__init__([], next_token)
        self._conn = dict(conn)
        self._config = call_config(self._conn, {}, "list")  # bad connection settings raise at the call too
        self._query, self._limit, self._order = query, limit, order
        self._fetched = False
        self._pending = False

    @property
    def has_next(self) -> bool:
        """Whether ``next_items()`` has a page to give (E2B)."""
        return self._pending or not self._fetched or self.next_token is not None

    def _config_for(self, opts: Mapping[str, Any]) -> ConnectionConfig:
        return call_config(self._conn, opts, "next_items")

    def _next_op(self) -> Op[SandboxList]:
        if not self.has_next:
            raise SandboxException("No more items to fetch")
        return list_page(self._query, self._limit, self.next_token, self._order)

    def _take(self, page: SandboxList, pending: bool = False) -> list[SandboxInfo]:
        self.sandboxes, self.next_token = list(page.sandboxes), page.next_token
        self._fetched, self._pending = True, pending
        return list(page.sandboxes)

    def _take_pending(self) -> list[SandboxInfo] | None:
        """The first page, if ``next_items`` has not handed it out yet."""
        if not self._pending:
            return None
        self._pending = False
        return list(self.sandboxes)


class Pager:
    """Walks the pages of ``listSandboxes`` (sans-I/O: the facade sends each op)."""

    def __init__(self, query: SandboxQuery | None, page_size: int = 100) -> None:
        self._query = query
        self._size = page_size
        self._token: str | None = None
        self._done = False

    def next_op(self) -> Op[SandboxList] | None:
        return None if self._done else list_page(self._query, self._size, self._token)

    def take(self, page: SandboxList) -> list[SandboxInfo]:
        self._token = page.next_token
        self._done = self._token is None
        return list(page.sandboxes)


def hopx_query(query: SandboxQuery | None, status: str | list[str] | None) -> SandboxQuery | None:
    """``iter(status=...)`` (hopx) as a SandboxQuery."""
    if status is None:
        return query
    states = [status] if isinstance(status, str) else list(status)
    base = query or SandboxQuery()
    return dataclasses.replace(base, state=states)
