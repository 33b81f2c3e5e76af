"""Hostile input against a real server: lone surrogates, deep nesting, huge bodies, clients that hang
up mid-body and garbage request lines. Each gets the `Error` shape with a 4xx naming what was wrong,
leaves nothing behind (no sandbox made, no variable stored) and does not cost the connection or the
sandbox (issue 11, defects 3, 5, 6 and 12)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from server_helpers import run

JSON = {"content-type": "application/json"}
LIVE = {"state": ["running", "paused", "starting"], "limit": 1000}
HUGE = 200 * 1024 * 1024
DEEP = 100_000


def _error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == status, body
    for w in words:
        assert w in body["message"], body["message"]


def _live_ids(http: httpx.Client) -> set[str]:
    r = http.get("/sandboxes", params=LIVE)
    assert r.status_code == 200, r.text
    return {s["sandboxID"] for s in r.json()["sandboxes"]}


def _client_address(r: httpx.Response) -> object:
    """The client side of the connection the response came on (the same address: the same connection)."""
    return r.extensions["network_stream"].get_extra_info("client_addr")


# ------------------------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"metadata": {"k": "\\ud800"}}', "metadata.k"),
        (b'{"envs": {"A": "x\\udfff"}}', "envs.A"),
        (b'{"name": "\\ud800"}', "name"),
    ],
)
def test_a_lone_surrogate_in_a_create_is_400_and_makes_nothing(http, make_sandbox, body, field):
    existing = make_sandbox().sandbox_id
    before = _live_ids(http)
    _error(http.post("/sandboxes", content=body, headers=JSON), 400, field, "surrogate")
    assert _live_ids(http) == before
    assert http.get(f"/sandboxes/{existing}").status_code == 200


def test_a_lone_surrogate_on_agent_routes_is_400_and_changes_nothing(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    base = f"/sandboxes/{sid}"
    assert http.put(f"{base}/env", json={"KEPT": "yes"}).status_code == 200
    env = http.get(f"{base}/env").json()
    commands = http.get(f"{base}/commands").json()
    for method, path, body, field in [
        ("POST", "/commands", b'{"cmd": "echo \\ud800"}', "cmd"),
        ("POST", "/commands", b'{"cmd": "true", "envs": {"A": "\\ud800"}}', "envs.A"),
        ("PUT", "/env/A", b'{"value": "\\ud800"}', "value"),
        ("PUT", "/env", b'{"A": "\\udc00"}', "A"),
        ("PATCH", "/env", b'{"A": "\\ud800"}', "A"),
        ("POST", "/code/run", b'{"code": "print(1)  # \\ud800"}', "code"),
    ]:
        _error(http.request(method, base + path, content=body, headers=JSON), 400, field, "surrogate")
    assert http.get(f"{base}/env").json() == env
    assert http.get(f"{base}/commands").json() == commands
    assert http.get("/sandboxes", params=LIVE).status_code == 200
    assert http.get(base).status_code == 200
    result = run(http, sid, 'echo "$KEPT"')
    assert (result["exitCode"], result["stdout"]) == (0, "yes\n")


# ---------------------------------------------------------------------------------- deep nesting


def _deep(prefix: bytes, suffix: bytes = b"}") -> bytes:
    return prefix + b"[" * DEEP + b"]" * DEEP + suffix


def test_deep_nesting_is_400_and_the_connection_survives(http, make_sandbox):
    sid = make_sandbox().sandbox_id
    for path, body in [
        ("/sandboxes", _deep(b'{"metadata": ')),
        (f"/sandboxes/{sid}/commands", _deep(b'{"cmd": "true", "envs": ')),
    ]:
        refused = http.post(path, content=body, headers=JSON)
        _error(refused, 400, "deeper than")
        after = http.get(f"/sandboxes/{sid}")
        assert after.status_code == 200
        assert _client_address(after) == _client_address(refused), "the server dropped the kept-alive connection"
    assert run(http, sid, "echo alive")["stdout"] == "alive\n"


# ----------------------------------------------------------------------------------- huge bodies


def _huge() -> Iterator[bytes]:
    """A 200 MB body, streamed."""
    chunk = b"x" * (1024 * 1024)
    for _ in range(HUGE // len(chunk)):
        yield chunk


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/commands"), ("PUT", "/env"), ("POST", "/code/run")])
def test_a_huge_body_on_an_agent_route_is_413(hutch_server, make_sandbox, method, path, declared):
    sid = make_sandbox().sandbox_id
    headers = {**JSON, **({"content-length": str(HUGE)} if declared else {})}
    with hutch_server.http() as http:
        _error(http.request(method, f"/sandboxes/{sid}{path}", content=_huge(), headers=headers), 413, "limit")
        assert run(http, sid, "echo alive")["stdout"] == "alive\n"


# ---------------------------------------------------------------------------- broken connections


def _raw(hutch_server, data: bytes, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", hutch_server.port), timeout=30) as sock:
        sock.sendall(data)
        if not read:
            return b""
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        return reply


def _log_since(hutch_server, offset: int) -> str:
    return hutch_server.log_path.read_bytes()[offset:].decode(errors="replace")


def test_a_client_that_hangs_up_mid_body_is_not_an_error(hutch_server, http, make_sandbox):
    sid = make_sandbox().sandbox_id
    offset = hutch_server.log_path.stat().st_size
    for method, path in (
        ("POST", "/sandboxes"),
        ("POST", f"/sandboxes/{sid}/commands"),
        ("PUT", f"/sandboxes/{sid}/env"),
    ):
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {hutch_server.domain}\r\nX-API-Key: {hutch_server.api_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        )
        _raw(hutch_server, head.encode() + b'{"cmd": "t', read=False)
    # The server notices each hang-up at once; give its log a moment, while it keeps answering.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert http.get(f"/sandboxes/{sid}").status_code == 200
        time.sleep(0.2)
    log = _log_since(hutch_server, offset)
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
    assert run(http, sid, "echo alive")["stdout"] == "alive\n"


@pytest.mark.parametrize(
    "line", [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"\x00\x01\x02\r\n\r\n"]
)
def test_a_malformed_request_is_400_in_the_error_shape(hutch_server, line):
    reply = _raw(hutch_server, line)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), reply[:200]
    assert b"content-type: application/json" in head.lower(), head
    parsed = httpx.Response(400, content=body).json()
    assert set(parsed) == {"code", "message"} and parsed["code"] == 400 and parsed["message"], parsed
