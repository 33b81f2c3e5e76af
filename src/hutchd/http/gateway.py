"""The gateway: agent routes are forwarded to the sandbox's agent over its Unix socket.

Requests and responses are streamed in both directions (no body ever sits in memory whole, and
command output reaches the client as the agent produces it). The `/sandboxes/{id}` prefix is
stripped; the method, query string, body and content headers are passed on as they are.
To expose a new agent route, add its path pattern to AGENT_ROUTES.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hutchd.agentconn import AgentError, AgentPool, AgentResponse, StaleConnection
from hutchd.http.errors import conflict, error_response, not_found
from hutchd.http.routing import path_route
from hutchd.runtime import SandboxNotFound

log = logging.getLogger("hutchd.gateway")

# (path under /sandboxes/{sandboxID}, methods). Starlette's `{pid:int}` keeps non-numeric pids from
# reaching the agent; everything else about the request is the agent's to judge.
AGENT_ROUTES: list[tuple[str, list[str]]] = [
    ("/commands", ["GET", "POST"]),
    ("/commands/{pid}", ["GET", "DELETE"]),
    ("/commands/{pid}/output", ["GET"]),
    ("/commands/{pid}/stdin", ["POST"]),
    ("/commands/{pid}/stdin/close", ["POST"]),
    ("/commands/{pid}/signal", ["POST"]),
    ("/files", ["GET", "PUT", "DELETE"]),
    ("/files/batch", ["POST"]),
    ("/files/list", ["GET"]),
    ("/files/stat", ["GET"]),
    ("/files/rename", ["POST"]),
    ("/files/mkdir", ["POST"]),
    ("/files/watch", ["GET"]),
    ("/pty", ["POST"]),
    ("/pty/{pid}", ["DELETE"]),
    ("/pty/{pid}/output", ["GET"]),
    ("/pty/{pid}/input", ["POST"]),
    ("/pty/{pid}/resize", ["POST"]),
    ("/code/run", ["POST"]),
    ("/code/contexts", ["GET", "POST"]),
    ("/code/contexts/{contextID}", ["DELETE"]),
    ("/code/contexts/{contextID}/restart", ["POST"]),
    ("/env", ["GET", "PUT", "PATCH"]),
    ("/env/{name}", ["GET", "PUT", "DELETE"]),
]

REQUEST_HEADERS = ("content-type", "content-length", "accept", "content-encoding", "range", "if-none-match")
SMALL_BODY = 64 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "server", "date"}


def routes() -> list[Route]:
    return [
        path_route("/sandboxes/{sandboxID}" + path, dict.fromkeys(methods, forward)) for path, methods in AGENT_ROUTES
    ]


def _check_pid(request: Request) -> None:
    raw = request.path_params.get("pid")
    if raw is None:
        return
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise not_found(f"no process with pid {raw[:40]!r}: pids are positive integers")


async def forward(request: Request) -> Response:
    hub = request.app.state.hub
    tenant = request.state.tenant
    sandbox_id = request.path_params["sandboxID"]
    row = hub.sandboxes.live(tenant, sandbox_id)
    _check_pid(request)
    if row["state"] == "paused":
        if not row["auto_resume"]:
            raise conflict(
                f"sandbox {sandbox_id} is paused; resume it (resumeSandbox) or connect to it (connectSandbox)"
            )
        await hub.sandboxes.ensure_running(sandbox_id)
    elif row["state"] != "running":
        raise conflict(f"sandbox {sandbox_id} is {row['state']}; retry when it is running")
    try:
        client = hub.agents.get(sandbox_id)
    except SandboxNotFound:
        # killed (by its deadline, or on the host) while this request was on its way
        await hub.sandboxes.expire_gone(sandbox_id)
        raise not_found(f"sandbox {sandbox_id} is gone") from None
    response = await proxy(client, request, sandbox_id)
    if response.status_code == 502 and not await hub.backend.is_alive(sandbox_id):
        # killed (by its deadline, or on the host) while this request was on its way
        await hub.sandboxes.expire_gone(sandbox_id)
        raise not_found(f"sandbox {sandbox_id} is gone")
    return response


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def agent_path(request: Request) -> str:
    """The request's path minus `/sandboxes/{id}`, still percent-encoded as the client sent it (so a
    file or variable name with any characters reaches the agent unchanged)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.split(b"/", 3)  # b"", b"sandboxes", id, rest
    return "/" + (parts[3].decode("ascii", "replace") if len(parts) > 3 else "")


async def proxy(pool: AgentPool, request: Request, sandbox_id: str) -> Response:
    target = agent_path(request)
    query = request.scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in REQUEST_HEADERS]
    length = request.headers.get("content-length")
    has_body = (length is not None and length != "0") or "transfer-encoding" in request.headers
    # A kept-alive connection the agent has just closed fails before any byte of the answer: a request
    # without a body is then safely sent again on a fresh connection; one with a body cannot be replayed.
    for attempt in range(2):
        try:
            resp = await pool.request(request.method, target, headers, _body(request) if has_body else None)
            break
        except StaleConnection as e:
            if attempt == 0:
                continue
            return _unreachable(sandbox_id, e)
        except AgentError as e:
            return _unreachable(sandbox_id, e)
    out_headers = {k: v for k, v in resp.headers if k.lower() not in HOP_BY_HOP}
    size = resp.header("content-length")
    if size is not None and size.isdigit() and int(size) <= SMALL_BODY:
        # A short answer with a known size: read it whole; cheaper than a streamed response.
        try:
            body = await resp.read()
        except AgentError as e:
            return _unreachable(sandbox_id, e)
        return Response(body, status_code=resp.status_code, headers=out_headers)
    return StreamingResponse(
        _relay(resp, sandbox_id),
        status_code=resp.status_code,
        headers=out_headers,
        background=BackgroundTask(resp.aclose),
    )


def _unreachable(sandbox_id: str, e: Exception) -> Response:
    log.warning("agent of %s unreachable: %r", sandbox_id, e)
    return error_response(502, f"the agent of sandbox {sandbox_id} did not answer: {e}")


async def _relay(resp: AgentResponse, sandbox_id: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in resp.iter_body():
            yield chunk
    except AgentError as e:
        # Headers are already sent: all we can do is end the body early (the client sees a cut stream).
        log.warning("agent stream of %s broke: %r", sandbox_id, e)
    finally:
        await resp.aclose()  # a no-op once the answer was read to its end
