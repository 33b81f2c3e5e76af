"""Handlers of the control-plane operations: parse and check the request, call a service, answer JSON.

Each registers under its openapi.yaml operationId (`@handles`); routing.py builds the route table
from the spec and this registry, so a path or method is never written here."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from hutch_agent import contract
from hutchd import __version__
from hutchd.http import gateway, upload
from hutchd.http.errors import ApiError, conflict, not_found
from hutchd.http.gateway import AgentCall
from hutchd.http.routing import Endpoint
from hutchd.http.validation import check_declared_size, check_media_type, json_body, param, query_time
from hutchd.runtime import RuntimeUnavailable
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.services import audit_log, content_policy, network_settings, proxy_secrets, template_sandboxes
from hutchd.services.hub import Hub
from hutchd.store.db import dumps
from hutchd.store.records import metric, sandbox_detail, snapshot, template, volume

HANDLERS: dict[str, Endpoint] = {}


def handles(operation_id: str) -> Callable[[Endpoint], Endpoint]:
    def register(handler: Endpoint) -> Endpoint:
        if operation_id in HANDLERS:
            raise RuntimeError(f"two handlers for {operation_id}")
        HANDLERS[operation_id] = handler
        return handler

    return register


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@handles("getHealth")
async def health(request: Request) -> Response:
    hub = _hub(request)
    missing = hub.missing
    return JSONResponse(
        {
            "status": "ok" if not missing else "degraded",
            "version": __version__,
            "features": hub.features_json(),
            "missing": missing,
        }
    )


# ---------------------------------------------------------------------- sandboxes


@handles("createSandbox")
async def create_sandbox(request: Request) -> Response:
    hub = _hub(request)
    key = param(request, "header", "Idempotency-Key")
    body = await json_body(request)
    detail = await hub.sandboxes.create(request.state.tenant, body, key)
    return JSONResponse(detail, status_code=201)


def _encode_token(seq: int) -> str:
    """A page token is the creation sequence number of the last sandbox shown: pages stay stable
    while sandboxes come and go."""
    return str(seq)


@handles("listSandboxes")
async def list_sandboxes(request: Request) -> Response:
    hub = _hub(request)
    limit = param(request, "query", "limit") or 100
    token = param(request, "query", "nextToken")
    # A state no sandbox can be in matches nothing (the spec leaves the values open for new states).
    states = request.query_params.getlist("state")
    metadata: dict[str, str | None] = {}  # key=value: that value; a bare key: any value
    for pair in request.query_params.getlist("metadata"):
        k, sep, v = pair.partition("=")
        metadata[k] = v if sep else None
    page, after = hub.sandboxes.list(
        request.state.tenant,
        limit=limit,
        after_seq=int(token) if token else None,  # the spec's pattern: decimal
        states=states,
        metadata=metadata,
        template=param(request, "query", "template"),
        name=param(request, "query", "name"),
        started_after=query_time(request, "startedAfter"),
        ascending=param(request, "query", "order") == "asc",
    )
    return JSONResponse({"sandboxes": page, "nextToken": _encode_token(after) if after is not None else None})


@handles("getSandbox")
async def get_sandbox(request: Request) -> Response:
    row = _hub(request).sandboxes.visible(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(sandbox_detail(row))


@handles("killSandbox")
async def kill_sandbox(request: Request) -> Response:
    await _hub(request).sandboxes.kill(request.state.tenant, request.path_params["sandboxID"])
    return Response(status_code=204)


@handles("setSandboxTimeout")
async def set_timeout(request: Request) -> Response:
    hub = _hub(request)
    hub.sandboxes.live(request.state.tenant, request.path_params["sandboxID"])
    body = await json_body(request)
    hub.sandboxes.set_timeout(request.state.tenant, request.path_params["sandboxID"], body["timeout"])
    return Response(status_code=204)


@handles("pauseSandbox")
async def pause_sandbox(request: Request) -> Response:
    detail, paused_now = await _hub(request).sandboxes.pause(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(detail, headers={"Hutch-Already-Paused": "false" if paused_now else "true"})


@handles("resumeSandbox")
async def resume_sandbox(request: Request) -> Response:
    detail = await _hub(request).sandboxes.resume(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(detail)


@handles("connectSandbox")
async def connect_sandbox(request: Request) -> Response:
    hub = _hub(request)
    body = await json_body(request)
    detail = await hub.sandboxes.connect(request.state.tenant, request.path_params["sandboxID"], body.get("timeout"))
    return JSONResponse(detail)


@handles("refreshTrafficToken")
async def refresh_traffic_token(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = hub.sandboxes.live(request.state.tenant, request.path_params["sandboxID"])["id"]
    hub.db.run("UPDATE sandboxes SET traffic_token = ? WHERE id = ?", network_settings.new_token(), sandbox_id)
    return JSONResponse(hub.sandboxes.detail(sandbox_id))


@handles("getSandboxMetrics")
async def sandbox_metrics(request: Request) -> Response:
    hub = _hub(request)
    row = hub.sandboxes.visible(request.state.tenant, request.path_params["sandboxID"])
    start = query_time(request, "start")
    end = query_time(request, "end")
    rows = hub.db.all(
        "SELECT * FROM metrics WHERE sandbox_id = ? AND ts >= ? AND ts <= ? ORDER BY ts",
        row["id"],
        # timestamps travel with microseconds: a bound copied from a sample must still match it
        start - 1e-3 if start is not None else row["started_at"] - 1,
        end + 1e-3 if end is not None else 1e12,
    )
    return JSONResponse([metric(r) for r in rows])


@handles("getSandboxMetricsSnapshot")
async def sandbox_metrics_snapshot(request: Request) -> Response:
    hub = _hub(request)
    row = hub.sandboxes.live(request.state.tenant, request.path_params["sandboxID"])
    sample = await hub.sampler.sample_now(row["id"], row["cpu"])
    if sample is None:
        raise conflict(f"sandbox {row['id']} cannot be measured now (it is {row['state']}); retry when it runs")
    return JSONResponse(metric(sample))


@handles("updateSandboxSecurity")
async def update_security(request: Request) -> Response:
    """PUT /sandboxes/{sandboxID}/security (declaw's update_security)."""
    hub = _hub(request)
    tenant = request.state.tenant
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(tenant, sandbox_id)
    body = await json_body(request)
    async with hub.sandboxes.held_live(tenant, sandbox_id) as row:
        internet = not network_settings.row_policy(row).denies_everything
        # a valid policy that this sandbox (made without the egress proxy) cannot serve: 409
        secure = bool(row["secure"])
        on = audit_log.requested(body, secure=secure, internet=internet, refusal=conflict)
        inspect = content_policy.parse(body, secure=secure, internet=internet, refusal=conflict)
        await hub.backend.set_audit(sandbox_id, on)
        if inspect or hub.backend.inspect_policy(sandbox_id):
            added = await proxy_secrets.install(hub.backend, hub.agents, sandbox_id, None, inspect, live=True)
            if added:  # the CA's variables, for commands from now on (and a restore of it)
                envs = {**json.loads(row["envs"]), **added}
                hub.db.run("UPDATE sandboxes SET envs = ? WHERE id = ?", dumps(envs), sandbox_id)
    policy = audit_log.policy(hub.backend.audit_on(sandbox_id))
    return JSONResponse({**policy, **content_policy.public(hub.backend.inspect_policy(sandbox_id))})


@handles("getAuditLog")
async def get_audit_log(request: Request) -> Response:
    hub = _hub(request)
    row = hub.sandboxes.live(request.state.tenant, request.path_params["sandboxID"])
    page = await asyncio.to_thread(
        audit_log.page,
        hub.backend.audit_log(row["id"]),
        cursor=int(param(request, "query", "cursor") or 0),
        limit=param(request, "query", "limit") or 100,
        host=param(request, "query", "host"),
        decision=param(request, "query", "decision"),
    )
    return JSONResponse(page)


@handles("updateSandboxNetwork")
async def update_network(request: Request) -> Response:
    """PUT /sandboxes/{sandboxID}/network."""
    hub = request.app.state.hub
    tenant = request.state.tenant
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(tenant, sandbox_id)
    body = await json_body(request)
    async with hub.sandboxes.held_live(tenant, sandbox_id) as row:
        current = network_settings.row_policy(row)
        public = body.get("allowPublicTraffic", current.allow_public_traffic)
        mask = body.get("maskRequestHost", current.mask_request_host)
        if "allowOut" in body or "denyOut" in body:
            policy = network_settings.build(body.get("allowOut"), body.get("denyOut"), public, "", mask)
        elif body.get("allowInternetAccess", True) is False:
            policy = NetworkPolicy.deny_all(public, mask)
        else:
            policy = NetworkPolicy(allow_public_traffic=public, mask_request_host=mask)
        if (policy.allow_out, policy.deny_out) != (current.allow_out, current.deny_out):
            try:
                await hub.backend.set_network(sandbox_id, policy, proxy=bool(row["secure"]))
            except RuntimeUnavailable as e:
                raise (conflict(str(e)) if row["state"] == "paused" else ApiError(503, str(e))) from e
        hub.db.run(
            "UPDATE sandboxes SET network = ?, allow_internet = ?,"
            " traffic_token = COALESCE(traffic_token, ?) WHERE id = ?",
            policy.to_json(), int(not policy.denies_everything), network_settings.new_token(), sandbox_id,
        )  # fmt: skip
    return JSONResponse(hub.sandboxes.detail(sandbox_id))


# ---------------------------------------------------------------------- signed file URLs


def _agent_file_call(request: Request, operation_id: str, headers: list[tuple[str, str]], body: Any) -> AgentCall:
    """The agent's file operation (readFile, writeFile) for a signed request's (already checked) path
    and user."""
    op = contract.operation(operation_id)
    query = {"path": param(request, "query", "path"), "user": param(request, "query", "username") or "user"}
    return AgentCall(op.method, f"{op.agent_path}?{urlencode(query, quote_via=quote)}", headers, body)


@handles("downloadSignedFile")
async def download_signed_file(request: Request) -> Response:
    """The signature was checked in routing (credentials.py); the agent's readFile streams the file."""
    return await gateway.relay(request, _agent_file_call(request, "readFile", [], None))


@handles("uploadSignedFile")
async def upload_signed_file(request: Request) -> Response:
    """The agent's writeFile, fed the upload as it arrives (the `file` part of a form, or a raw body)."""
    kind = request.headers.get("content-type", "")
    media = kind.partition(";")[0].strip().lower()
    if media == "multipart/form-data":
        body = upload.file_part(request.stream(), upload.boundary(kind))
    elif media == "application/octet-stream":
        body = request.stream()
    else:
        raise ApiError(415, f"send the file as multipart/form-data (a part named 'file') or application/octet-stream, "
                       f"not {kind[:80]!r}")  # fmt: skip
    headers = [("content-type", "application/octet-stream")]
    return await gateway.relay(request, _agent_file_call(request, "writeFile", headers, body))


# ---------------------------------------------------------------------- snapshots


@handles("createSnapshot")
async def create_snapshot(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(request.state.tenant, sandbox_id)
    body = await json_body(request)
    async with hub.sandboxes.held_live(request.state.tenant, sandbox_id) as row:
        snap = await hub.snapshots.create(row, as_template=body.get("asTemplate", False), name=body.get("name"))
    return JSONResponse(snap, status_code=201)


@handles("listSandboxSnapshots")
async def list_sandbox_snapshots(request: Request) -> Response:
    hub = _hub(request)
    row = hub.sandboxes.visible(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(hub.snapshots.list(request.state.tenant, row["id"]))


@handles("restoreSandbox")
async def restore_sandbox(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.visible(request.state.tenant, sandbox_id)
    body = await json_body(request)
    detail = await hub.sandboxes.restore(request.state.tenant, sandbox_id, body.get("snapshotID"), body.get("timeout"))
    return JSONResponse(detail, status_code=201)


@handles("forkSandbox")
async def fork_sandbox(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(request.state.tenant, sandbox_id)
    body = await json_body(request)
    results = await hub.sandboxes.fork(request.state.tenant, sandbox_id, body.get("count", 1), body.get("timeout"))
    return JSONResponse(results, status_code=201)


@handles("listSnapshots")
async def list_snapshots(request: Request) -> Response:
    hub = _hub(request)
    return JSONResponse(hub.snapshots.list(request.state.tenant, param(request, "query", "sandboxID")))


@handles("getSnapshot")
async def get_snapshot(request: Request) -> Response:
    hub = _hub(request)
    return JSONResponse(snapshot(hub.snapshots.get(request.state.tenant, request.path_params["snapshotID"])))


@handles("deleteSnapshot")
async def delete_snapshot(request: Request) -> Response:
    hub = _hub(request)
    await hub.snapshots.delete(request.state.tenant, request.path_params["snapshotID"], hub.owner)
    return Response(status_code=204)


# ---------------------------------------------------------------------- templates


def _templates(hub: Hub, tenant_id: str) -> list[dict[str, object]]:
    out = []
    for tid in hub.backend.buildable_templates():
        meta = hub.backend.template_meta(tid)
        out.append(
            template(
                tid,
                kind="builtin",
                ready=meta is not None,
                created_at=float(meta.get("created", hub.started_at)) if meta else hub.started_at,
                description="Debian with Python, bash, git and curl" if tid == "base" else None,
                warm_sandboxes=hub.pool.ready_count(tid),
            )
        )
    for r in hub.db.all("SELECT * FROM templates WHERE tenant = ? ORDER BY created_at", tenant_id):
        out.append(
            template(
                r["id"],
                kind=r["kind"],
                ready=r["kind"] != "build" or r["build_id"] is not None,
                created_at=r["created_at"],
                description=r["description"],
                size_bytes=r["size_bytes"],
                source_sandbox_id=r["source_sandbox_id"],
                aliases=[r["alias"]] if r["alias"] else [],
                config=template_sandboxes.config(r),
                build_id=r["build_id"],
                warm_sandboxes=hub.pool.ready_count(r["id"]),
            )
        )
    return out


@handles("listTemplates")
async def list_templates(request: Request) -> Response:
    return JSONResponse(_templates(_hub(request), request.state.tenant.id))


@handles("getTemplate")
async def get_template(request: Request) -> Response:
    wanted = request.path_params["templateID"]
    for t in _templates(_hub(request), request.state.tenant.id):
        if wanted in (t["templateID"], *cast(list[str], t["aliases"])):
            return JSONResponse(t)
    raise not_found(f"template {wanted} not found")


@handles("buildTemplate")
async def build_template(request: Request) -> Response:
    body = await json_body(request)
    return JSONResponse(_hub(request).templates.start(request.state.tenant, body), status_code=202)


@handles("getTemplateBuild")
async def get_template_build(request: Request) -> Response:
    build = await _hub(request).templates.status(
        request.state.tenant,
        request.path_params["templateID"],
        request.path_params["buildID"],
        param(request, "query", "logsOffset") or 0,
    )
    return JSONResponse(build)


@handles("deleteTemplate")
async def delete_template(request: Request) -> Response:
    await _hub(request).templates.delete(request.state.tenant, request.path_params["templateID"])
    return Response(status_code=204)


@handles("getTemplateAlias")
async def get_template_alias(request: Request) -> Response:
    alias = request.path_params["alias"]
    return JSONResponse({"alias": alias, "templateID": _hub(request).templates.alias_of(request.state.tenant, alias)})


@handles("uploadTemplateFiles")
async def upload_template_files(request: Request) -> Response:
    limit = check_declared_size(request)
    stored = await _hub(request).templates.store_files(
        request.state.tenant, request.path_params["filesHash"], request.stream(), limit
    )
    return JSONResponse(stored, status_code=201)


# ---------------------------------------------------------------------- volumes


@handles("createVolume")
async def create_volume(request: Request) -> Response:
    body = await json_body(request)
    detail = await _hub(request).volumes.create(request.state.tenant, body["name"], body["sizeMB"])
    return JSONResponse(detail, status_code=201)


@handles("listVolumes")
async def list_volumes(request: Request) -> Response:
    return JSONResponse(_hub(request).volumes.list(request.state.tenant))


@handles("getVolume")
async def get_volume(request: Request) -> Response:
    return JSONResponse(volume(_hub(request).volumes.visible(request.state.tenant, request.path_params["volumeID"])))


@handles("deleteVolume")
async def delete_volume(request: Request) -> Response:
    hub = _hub(request)
    force = bool(param(request, "query", "force"))
    kill = functools.partial(hub.sandboxes.kill, wait=True)  # the volume is unmounted everywhere before it goes
    await hub.volumes.delete(request.state.tenant, request.path_params["volumeID"], force, kill)
    return Response(status_code=204)


def _volume_file(request: Request) -> tuple[Any, str]:
    """The caller's volume (404 otherwise) and the request's path in it."""
    row = _hub(request).volumes.visible(request.state.tenant, request.path_params["volumeID"])
    return row, param(request, "query", "path")


def _owner(request: Request) -> tuple[int, int, int]:
    """uid, gid and mode of what a volume files call makes (the spec's defaults when absent)."""
    uid, gid, mode = (param(request, "query", name) for name in ("uid", "gid", "mode"))
    return uid, gid, mode


@handles("readVolumeFile")
async def read_volume_file(request: Request) -> Response:
    row, path = _volume_file(request)
    chunks = await _hub(request).volumes.read(row, path)
    return StreamingResponse(chunks, media_type="application/octet-stream")


@handles("writeVolumeFile")
async def write_volume_file(request: Request) -> Response:
    row, path = _volume_file(request)
    check_media_type(request)
    entry = await _hub(request).volumes.write(row, path, request.stream(), *_owner(request))
    return JSONResponse(entry)


@handles("removeVolumeFile")
async def remove_volume_file(request: Request) -> Response:
    row, path = _volume_file(request)
    await _hub(request).volumes.remove(row, path)
    return Response(status_code=204)


@handles("listVolumeFiles")
async def list_volume_files(request: Request) -> Response:
    row, path = _volume_file(request)
    depth = param(request, "query", "depth") or 1
    return JSONResponse(await _hub(request).volumes.list_dir(row, path, depth))


@handles("statVolumeFile")
async def stat_volume_file(request: Request) -> Response:
    row, path = _volume_file(request)
    return JSONResponse(await _hub(request).volumes.stat(row, path))


@handles("makeVolumeDir")
async def make_volume_dir(request: Request) -> Response:
    row, path = _volume_file(request)
    made, entry = await _hub(request).volumes.make_dir(row, path, *_owner(request))
    return JSONResponse(entry, status_code=201 if made else 200)
