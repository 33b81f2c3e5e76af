"""Network policy on the server's side: request bodies to policies, what `SandboxDetail` reports,
and `PUT /sandboxes/{id}/network`. The rules themselves live in runtime/netpolicy.py."""

from __future__ import annotations

import secrets
from typing import Any

from hutchd.http.errors import unprocessable
from hutchd.runtime.netpolicy import NetworkPolicy, PolicyError
from hutchd.store.db import Row


def new_token() -> str:
    return secrets.token_urlsafe(24)


def build(allow: Any, deny: Any, public: bool, prefix: str, mask: str | None = None) -> NetworkPolicy:
    try:
        return NetworkPolicy.build(allow, deny, public, prefix=prefix, mask_request_host=mask)
    except PolicyError as e:
        raise unprocessable(str(e)) from None


def launch_policy(body: dict[str, Any]) -> NetworkPolicy | None:
    """The policy a create asks for: `network` when given (it overrides allowInternetAccess),
    deny-all for `allowInternetAccess: false`, else None (open, the runtime's default)."""
    net = body.get("network")
    if net is not None:
        allow, deny, mask = net.get("allowOut"), net.get("denyOut"), net.get("maskRequestHost")
        return build(allow, deny, net.get("allowPublicTraffic", True), "network.", mask)
    if body.get("allowInternetAccess", True) is False:
        return NetworkPolicy.deny_all()
    return None


def stored_policy(row: Row) -> NetworkPolicy | None:
    """The policy a row records explicitly (None: the open default, or deny-all without internet)."""
    raw = row.get("network")
    return NetworkPolicy.from_json(raw) if raw else None


def row_policy(row: Row) -> NetworkPolicy:
    """The policy in force for a sandbox row (rows from before policies existed: from allow_internet)."""
    stored = stored_policy(row)
    if stored is not None:
        return stored
    return NetworkPolicy() if row["allow_internet"] else NetworkPolicy.deny_all()


def detail_fields(row: Row) -> dict[str, Any]:
    """`network` and `trafficAccessToken` of SandboxDetail; also corrects `allowInternetAccess`."""
    policy = row_policy(row)
    token = row.get("traffic_token")
    return {
        "allowInternetAccess": not policy.denies_everything,
        "network": policy.to_api(),
        "trafficAccessToken": None if policy.allow_public_traffic else token,
    }
