"""Which credential admits a request, per operation: the spec's `security` (the contract's `credentials`).

- `ApiKeyAuth`: the tenant's `X-API-Key` (AuthMiddleware resolves it before routing; every operation
  but `getHealth` and the signed file routes takes it).
- `AccessTokenAuth`: a secure sandbox's access token as `X-Access-Token`, on that sandbox's agent
  routes, with or without the API key (E2B's envd takes the token alone). A token that is sent must be
  right, even beside a good API key: a wrong credential is never ignored.
- `FileSignature`: the signed file routes take the signature instead of any key; one that does not
  match, or has expired, is 403 (the token never leaves the server in the URL, only its hash does).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from hutch_agent.contract import Operation
from hutchd.auth import Tenant
from hutchd.http.errors import ApiError
from hutchd.http.validation import param

ACCESS_TOKEN_HEADER = "x-access-token"
SIGNED_OPERATIONS = {"GET": "read", "POST": "write"}


def _owner(row: Any, how: str) -> Tenant:
    return Tenant(row["tenant"], f"{how}:{row['id']}")


def authorize(request: Request, op: Operation) -> None:
    """Admit the request to `op` or raise 401/403; afterwards `request.state.tenant` is who acts."""
    state = request.scope.setdefault("state", {})
    if not op.credentials:  # getHealth
        return
    if "FileSignature" in op.credentials:
        state["tenant"] = _check_signature(request)
        return
    token = request.headers.get(ACCESS_TOKEN_HEADER)
    if token is not None and "AccessTokenAuth" in op.credentials:
        state["tenant"] = _check_token(request, token)
        return
    if state.get("tenant") is None:
        also = " or the sandbox's X-Access-Token" if "AccessTokenAuth" in op.credentials else ""
        raise ApiError(401, f"the X-API-Key header{also} is missing; `hutch serve` printed the key at start")


def _check_token(request: Request, token: str) -> Tenant:
    hub = request.app.state.hub
    sandbox_id = request.path_params["sandboxID"]
    row = hub.sandboxes.row(sandbox_id)
    if row is None or row["tenant"] is None or not row["secure"] or not hub.access.admits(sandbox_id, token):
        raise ApiError(401, f"the X-Access-Token header is not the access token of sandbox {sandbox_id}")
    current: Tenant | None = request.scope["state"].get("tenant")
    return current if current is not None and current.id == row["tenant"] else _owner(row, "token")


def _check_signature(request: Request) -> Tenant:
    hub = request.app.state.hub
    sandbox_id = request.path_params["sandboxID"]
    path = param(request, "query", "path")
    user = param(request, "query", "username")
    signature = param(request, "query", "signature")
    expiration = param(request, "query", "signature_expiration")
    row = hub.sandboxes.row(sandbox_id)
    valid = (
        row is not None
        and row["tenant"] is not None
        and bool(row["secure"])
        and hub.access.signature_matches(
            sandbox_id, path, SIGNED_OPERATIONS[request.method], user, expiration, signature
        )
    )
    if not valid:
        raise ApiError(
            403,
            "the signature does not admit this request: it was made for another sandbox, path, operation, "
            "user or expiration (or the sandbox was not created with secure=True)",
        )
    if expiration is not None and expiration < time.time():
        raise ApiError(403, f"the signature expired at {expiration} (Unix seconds); ask for a new URL")
    return _owner(row, "signature")
