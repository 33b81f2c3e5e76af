"""Network policy on the server's side: request bodies to policies, what `SandboxDetail` reports,
and `PUT /sandboxes/{id}/network`. The rules themselves live in runtime/netpolicy.py."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hutchd.http.errors import ApiError, conflict, unprocessable
from hutchd.http.validation import NETWORK_UPDATE, json_body
from hutchd.runtime import RuntimeUnavailable
from hutchd.runtime.netpolicy import NetworkPolicy, PolicyError


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _build(allow: Any, deny: Any, public: bool, prefix: str) -> NetworkPolicy:
    try:
        return NetworkPolicy.build(allow, deny, public, prefix=prefix)
    except PolicyError as e:
        raise unprocessable(str(e)) from None


def launch_policy(body: dict[str, Any]) -> NetworkPolicy | None:
    """The policy a create asks for: `network` when given (it overrides allowInternetAccess),
    deny-all for `allowInternetAccess: false`, else None (open, the runtime's default)."""
    net = body.get("network")
    if net is not None:
        return _build(net.get("allowOut"), net.get("denyOut"), net.get("allowPublicTraffic", True), "network.")
    if body.get("allowInternetAccess", True) is False:
        return NetworkPolicy.deny_all()
    return None


def stored_policy(row: sqlite3.Row) -> NetworkPolicy | None:
    """The policy a row records explicitly (None: the open default, or deny-all without internet)."""
    raw = row["network"] if "network" in row.keys() else None  # noqa: SIM118 (sqlite3.Row)
    return NetworkPolicy.from_json(raw) if raw else None


def row_policy(row: sqlite3.Row) -> NetworkPolicy:
    """The policy in force for a sandbox row (rows from before policies existed: from allow_internet)."""
    stored = stored_policy(row)
    if stored is not None:
        return stored
    return NetworkPolicy() if row["allow_internet"] else NetworkPolicy.deny_all()


def detail_fields(row: sqlite3.Row) -> dict[str, Any]:
    """`network` and `trafficAccessToken` of SandboxDetail; also corrects `allowInternetAccess`."""
    policy = row_policy(row)
    token = row["traffic_token"] if "traffic_token" in row.keys() else None  # noqa: SIM118
    return {
        "allowInternetAccess": not policy.denies_everything,
        "network": policy.to_api(),
        "trafficAccessToken": None if policy.allow_public_traffic else token,
    }


async def update_network(request: Request) -> Response:
    """PUT /sandboxes/{sandboxID}/network."""
    hub = request.app.state.hub
    tenant = request.state.tenant
    sandbox_id = request.path_params["sandboxID"]
    hub.sandboxes.live(tenant, sandbox_id)
    body = await json_body(request, NETWORK_UPDATE)
    async with hub.sandboxes.lock(sandbox_id):
        row = hub.sandboxes.live(tenant, sandbox_id)
        if row["state"] not in ("running", "paused"):
            raise conflict(f"sandbox {sandbox_id} is {row['state']}; retry when it is running")
        current = row_policy(row)
        public = body.get("allowPublicTraffic", current.allow_public_traffic)
        if "allowOut" in body or "denyOut" in body:
            policy = _build(body.get("allowOut"), body.get("denyOut"), public, "")
        elif body.get("allowInternetAccess", True) is False:
            policy = NetworkPolicy.deny_all(public)
        else:
            policy = NetworkPolicy(allow_public_traffic=public)
        if (policy.allow_out, policy.deny_out) != (current.allow_out, current.deny_out):
            try:
                await hub.backend.set_network(sandbox_id, policy)
            except RuntimeUnavailable as e:
                raise (conflict(str(e)) if row["state"] == "paused" else ApiError(503, str(e))) from e
        hub.db.run(
            "UPDATE sandboxes SET network = ?, allow_internet = ?,"
            " traffic_token = COALESCE(traffic_token, ?) WHERE id = ?",
            policy.to_json(), int(not policy.denies_everything), new_token(), sandbox_id,
        )  # fmt: skip
    return JSONResponse(hub.sandboxes.detail(sandbox_id))
