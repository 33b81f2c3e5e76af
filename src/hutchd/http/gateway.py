"""The gateway: agent routes are forwarded to the sandbox's agent over its Unix socket.

Requests and responses are streamed in both directions (no body ever sits in memory whole, and
command output reaches the client as the agent produces it). The `/sandboxes/{id}` prefix is
stripped; the method, query string, body and content headers are passed on as they are.
The routes are the spec's agent operations (routing.py); their path parameters are checked there,
and a body over the operation's limit is refused (413) here before or while it is forwarded.
A sandbox with `env_masking` is the exception: the calls that carry or show environment values
are read whole, to hand the masked values to its proxy and to mask them in the reply
(services/env_masking.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hutchd.agentconn import AgentError, AgentPool, AgentResponse
from hutchd.http.errors import conflict, error_response, not_found
from hutchd.http.validation import SCOPE_KEY, check_body_present, check_declared_size, too_large
from hutchd.runtime import SandboxNotFound
from hutchd.services import env_masking

log = logging.getLogger("hutchd.gateway")

REQUEST_HEADERS = ("content-type", "content-length", "accept", "content-encoding", "range", "if-none-match")
SMALL_BODY = 64 * 1024
MAX_REWRITTEN = 32 << 20  # an agent reply read whole to mask it: past this, the agent is misbehaving
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "server", "date"}


@dataclass(frozen=True)
class AgentCall:
    """What is sent to the agent: by default the client's request as it came (`forward`)."""

    method: str
    target: str  # path and query, percent-encoded
    headers: list[tuple[str, str]]
    body: AsyncIterator[bytes] | None


async def forward(request: Request) -> Response:
    """An agent operation: the request goes to the sandbox's agent unchanged but for its prefix."""
    check_body_present(request)
    limit = check_declared_size(request)
    operation = request.scope[SCOPE_KEY].id
    if operation in env_masking.ECHOING or operation in env_masking.CARRYING:
        return await _forward_masked(request, operation, limit)
    return await relay(request, _as_sent(request, limit), limit)


async def _forward_masked(request: Request, operation: str, limit: int | None) -> Response:
    """A call that carries or shows environment values, to a sandbox that may mask some: the values
    it carries go to the sandbox's proxy before the agent gets them, and its reply is masked."""
    hub = request.app.state.hub
    sandbox_id = request.path_params["sandboxID"]
    row = hub.sandboxes.live(request.state.tenant, sandbox_id)
    policy = hub.backend.inspect_policy(sandbox_id) if row["secure"] else {}  # (only a secure one has one)
    patterns = (policy.get("env_masking") or {}).get("patterns")
    call = _as_sent(request, limit)
    if not patterns:
        return await relay(request, call, limit)
    if operation in env_masking.CARRYING and call.body is not None:
        try:
            body = b"".join([chunk async for chunk in call.body])
        except BodyTooLarge:
            raise too_large(limit or 0) from None
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None  # the agent refuses it
        name = request.path_params.get("name")
        if env_masking.echoes_tokens(operation, doc, name):  # a masked reply sent back: keep the values
            doc = env_masking.unmask(operation, doc, name, await hub.agents.envs(sandbox_id))
            body = json.dumps(doc).encode()
            call = dataclasses.replace(call, headers=_with_length(call.headers, len(body)))
        values = env_masking.values_sent(operation, doc, name, patterns)
        if values:
            await hub.backend.add_masked(sandbox_id, values)
        call = dataclasses.replace(call, body=_once(body))
    if operation not in env_masking.ECHOING:
        return await relay(request, call, limit)
    return await relay(request, call, limit, rewrite=lambda doc: env_masking.mask_reply(operation, doc, patterns))


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


def _with_length(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    return [*((k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")),
            ("content-length", str(length))]  # fmt: skip


async def relay(
    request: Request, call: AgentCall, limit: int | None = None, rewrite: Callable[[Any], Any] | None = None
) -> Response:
    """Send `call` to the agent of the request's sandbox (resuming it if it auto-resumes), streaming;
    a JSON reply is read whole and given to `rewrite` if there is one."""
    hub = request.app.state.hub
    tenant = request.state.tenant
    sandbox_id = request.path_params["sandboxID"]
    row = hub.sandboxes.live(tenant, sandbox_id)
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
    try:
        response = await proxy(client, call, sandbox_id, rewrite)
    except BodyTooLarge:
        raise too_large(limit or 0) from None
    if response.status_code == 502 and not await hub.backend.is_alive(sandbox_id):
        # killed (by its deadline, or on the host) while this request was on its way
        await hub.sandboxes.expire_gone(sandbox_id)
        raise not_found(f"sandbox {sandbox_id} is gone")
    return response


class BodyTooLarge(Exception):
    """A streamed body went over the operation's limit (its Content-Length did not say so)."""


async def _body(request: Request, limit: int | None) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk


def agent_path(request: Request) -> str:
    """The request's path minus `/sandboxes/{id}`, still percent-encoded as the client sent it (so a
    file or variable name with any characters reaches the agent unchanged)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.split(b"/", 3)  # b"", b"sandboxes", id, rest
    return "/" + (parts[3].decode("ascii", "replace") if len(parts) > 3 else "")


def _as_sent(request: Request, limit: int | None) -> AgentCall:
    target = agent_path(request)
    query = request.scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in REQUEST_HEADERS]
    length = request.headers.get("content-length")
    has_body = (length is not None and length != "0") or "transfer-encoding" in request.headers
    return AgentCall(request.method, target, headers, _body(request, limit) if has_body else None)


async def proxy(
    pool: AgentPool, call: AgentCall, sandbox_id: str, rewrite: Callable[[Any], Any] | None = None
) -> Response:
    try:
        resp = await pool.request(call.method, call.target, call.headers, call.body)
    except AgentError as e:
        return _unreachable(sandbox_id, e)
    out_headers = {k: v for k, v in resp.headers if k.lower() not in HOP_BY_HOP}
    json_reply = (resp.header("content-type") or "").startswith("application/json")
    if rewrite is not None and resp.status_code < 300 and json_reply:
        return await _rewritten(resp, sandbox_id, out_headers, rewrite)
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


async def _rewritten(
    resp: AgentResponse, sandbox_id: str, headers: dict[str, str], rewrite: Callable[[Any], Any]
) -> Response:
    body = bytearray()
    try:
        async for chunk in resp.iter_body():
            body += chunk
            if len(body) > MAX_REWRITTEN:
                raise AgentError(f"its answer is over {MAX_REWRITTEN} bytes")
        doc = json.loads(body)
    except (AgentError, ValueError) as e:
        return _unreachable(sandbox_id, e)
    finally:
        await resp.aclose()
    headers.pop("content-length", None)
    return Response(json.dumps(rewrite(doc)).encode(), status_code=resp.status_code, headers=headers)


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
