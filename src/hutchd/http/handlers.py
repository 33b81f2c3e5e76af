"""Handlers of the control-plane operations: parse and check the request, call a service, answer JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hutchd import __version__
from hutchd.http.errors import bad_request, conflict, not_found
from hutchd.http.validation import (
    CONNECT_REQUEST,
    NEW_SANDBOX,
    NEW_SNAPSHOT,
    RESTORE_REQUEST,
    TIMEOUT_REQUEST,
    json_body,
    query_int,
    query_str,
    query_time,
)
from hutchd.services.hub import Hub
from hutchd.services.sandbox_service import Launch
from hutchd.store.records import metric, sandbox_detail, snapshot, template


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


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


async def create_sandbox(request: Request) -> Response:
    hub = _hub(request)
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise bad_request("the Idempotency-Key header must be 1 to 200 characters long")
    body = await json_body(request, NEW_SANDBOX)
    launch = Launch.from_body(body, hub.settings.default_timeout)
    detail = await hub.sandboxes.create(request.state.tenant, launch, key)
    return JSONResponse(detail, status_code=201)


def _encode_token(seq: int) -> str:
    """A page token is the creation sequence number of the last sandbox shown: pages stay stable
    while sandboxes come and go."""
    return str(seq)


def _decode_token(token: str) -> int:
    if not (token.isascii() and token.isdigit() and len(token) <= 18):
        raise bad_request("nextToken is not a token this server handed out (they are decimal numbers)")
    return int(token)


async def list_sandboxes(request: Request) -> Response:
    hub = _hub(request)
    limit = query_int(request, "limit", minimum=1, maximum=1000) or 100
    token = query_str(request, "nextToken")
    # A state no sandbox can be in matches nothing (the spec leaves the values open for new states).
    states = request.query_params.getlist("state")
    metadata: dict[str, str | None] = {}  # key=value: that value; a bare key: any value
    for pair in request.query_params.getlist("metadata"):
        k, sep, v = pair.partition("=")
        metadata[k] = v if sep else None
    page, after = hub.sandboxes.list(
        request.state.tenant,
        limit=limit,
        after_seq=_decode_token(token) if token else None,
        states=states,
        metadata=metadata,
        template=query_str(request, "template"),
        name=query_str(request, "name"),
    )
    return JSONResponse({"sandboxes": page, "nextToken": _encode_token(after) if after is not None else None})


async def get_sandbox(request: Request) -> Response:
    row = _hub(request).sandboxes.visible(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(sandbox_detail(row))


async def kill_sandbox(request: Request) -> Response:
    await _hub(request).sandboxes.kill(request.state.tenant, request.path_params["sandboxID"])
    return Response(status_code=204)


async def set_timeout(request: Request) -> Response:
    hub = _hub(request)
    hub.sandboxes.live(request.state.tenant, request.path_params["sandboxID"])
    body = await json_body(request, TIMEOUT_REQUEST)
    hub.sandboxes.set_timeout(request.state.tenant, request.path_params["sandboxID"], body["timeout"])
    return Response(status_code=204)


async def pause_sandbox(request: Request) -> Response:
    detail = await _hub(request).sandboxes.pause(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(detail)


async def resume_sandbox(request: Request) -> Response:
    detail = await _hub(request).sandboxes.resume(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(detail)


async def connect_sandbox(request: Request) -> Response:
    hub = _hub(request)
    body = await json_body(request, CONNECT_REQUEST)
    detail = await hub.sandboxes.connect(request.state.tenant, request.path_params["sandboxID"], body.get("timeout"))
    return JSONResponse(detail)


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


# ---------------------------------------------------------------------- snapshots


async def create_snapshot(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(request.state.tenant, sandbox_id)
    body = await json_body(request, NEW_SNAPSHOT)
    async with hub.sandboxes.lock(sandbox_id):
        row = hub.sandboxes.live(request.state.tenant, sandbox_id)
        if row["state"] not in ("running", "paused"):
            raise conflict(f"sandbox {sandbox_id} is {row['state']}; retry when it is running")
        snap = await hub.snapshots.create(row, as_template=body.get("asTemplate", False))
    return JSONResponse(snap, status_code=201)


async def list_sandbox_snapshots(request: Request) -> Response:
    hub = _hub(request)
    row = hub.sandboxes.visible(request.state.tenant, request.path_params["sandboxID"])
    return JSONResponse(hub.snapshots.list(request.state.tenant, row["id"]))


async def restore_sandbox(request: Request) -> Response:
    hub = _hub(request)
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.visible(request.state.tenant, sandbox_id)
    body = await json_body(request, RESTORE_REQUEST)
    detail = await hub.sandboxes.restore(request.state.tenant, sandbox_id, body.get("snapshotID"), body.get("timeout"))
    return JSONResponse(detail, status_code=201)


async def list_snapshots(request: Request) -> Response:
    hub = _hub(request)
    return JSONResponse(hub.snapshots.list(request.state.tenant, query_str(request, "sandboxID")))


async def get_snapshot(request: Request) -> Response:
    hub = _hub(request)
    return JSONResponse(snapshot(hub.snapshots.get(request.state.tenant, request.path_params["snapshotID"])))


async def delete_snapshot(request: Request) -> Response:
    await _hub(request).snapshots.delete(request.state.tenant, request.path_params["snapshotID"])
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
            )
        )
    for r in hub.db.all("SELECT * FROM templates WHERE tenant = ? ORDER BY created_at", tenant_id):
        out.append(
            template(
                r["id"],
                kind=r["kind"],
                ready=True,
                created_at=r["created_at"],
                description=r["description"],
                size_bytes=r["size_bytes"],
                source_sandbox_id=r["source_sandbox_id"],
            )
        )
    return out


async def list_templates(request: Request) -> Response:
    return JSONResponse(_templates(_hub(request), request.state.tenant.id))


async def get_template(request: Request) -> Response:
    wanted = request.path_params["templateID"]
    for t in _templates(_hub(request), request.state.tenant.id):
        if t["templateID"] == wanted:
            return JSONResponse(t)
    raise not_found(f"template {wanted} not found")
