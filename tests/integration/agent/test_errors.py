"""Bad input gets the `Error` shape with the right status, and nothing a client does kills the agent."""

from __future__ import annotations

import os
import socket

import pytest

from .conftest import AgentClient, AgentProcess


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"{}", 400, "'cmd' is required"),
        (b'{"cmd": 5}', 400, "'cmd' must be a string"),
        (b'{"cmd": ""}', 422, "'cmd' must be at least 1 characters"),
        (b'{"cmd": "true", "user": "nobody-here"}', 422, "'user' 'nobody-here' does not match"),
        (b'{"cmd": "true", "user": "root", "timeout": -1}', 422, "'timeout'"),
        (b'{"cmd": "true", "user": "root", "timeout": "soon"}', 400, "'timeout' must be a number"),
        (b'{"cmd": "true", "user": "root", "stdin": "yes"}', 400, "'stdin'"),
        (b'{"cmd": "true", "user": "root", "envs": {"A": 1}}', 400, "'envs.A' must be a string"),
        (b'{"cmd": "true", "user": "root", "envs": {"A=B": "1"}}', 422, "'A=B' is not a valid name"),
    ],
)
def test_bad_command_requests(client: AgentClient, body: bytes, status: int, fragment: str) -> None:
    reply = client.post("/commands", content=body, headers={"Content-Type": "application/json"})
    client.expect_error(reply, status, fragment)


def test_a_huge_json_body_is_413(client: AgentClient) -> None:
    reply = client.post("/commands", content=b'{"cmd": "' + b"x" * (6 * 1024 * 1024) + b'"}')
    client.expect_error(reply, 413, "exceeds the limit")
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "fragment"),
    [
        ("GET", "/nowhere", 404, "no such route: GET /nowhere"),
        ("DELETE", "/commands", 405, "POST, GET"),
        ("GET", "/commands/abc", 400, "path parameter 'pid' must be an integer"),
        ("GET", "/commands/0", 400, "path parameter 'pid' must be at least 1"),
        ("GET", "/commands/4000000/output?offset=-1", 404, "no process with pid"),
        ("GET", "/files?user=root", 400, "query parameter 'path' is required"),
        ("GET", "/files/list?user=root&path=/tmp&depth=33", 400, "query parameter 'depth' must be at most 32"),
        ("GET", "/files/stat?user=" + "u" * 33 + "&path=/tmp", 400, "'user'"),
        ("GET", "/files/watch?user=root&path=/tmp&recursive=maybe", 400, "'recursive'"),
        ("POST", "/pty", 400, "not valid JSON"),
    ],
)
def test_bad_routes_and_parameters(client: AgentClient, method: str, path: str, status: int, fragment: str) -> None:
    client.expect_error(client.request(method, path), status, fragment)


def test_bad_offsets(client: AgentClient) -> None:
    pid = client.start("true")
    client.expect_error(client.get(f"/commands/{pid}/output", params={"offset": -1}), 400, "'offset'")
    client.expect_error(client.get(f"/commands/{pid}/output", params={"offset": "x"}), 400, "'offset'")


def test_health_names_the_sandbox(client: AgentClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "sandboxID": "sbx-test"}


def _raw(agent: AgentProcess, data: bytes, read: bool = True) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(agent.socket)
        sock.sendall(data)
        if not read:
            return b""
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        return reply


def test_garbage_and_abandoned_connections_leave_the_agent_alive(client: AgentClient, agent: AgentProcess) -> None:
    assert _raw(agent, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _raw(agent, b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 70000 + b"\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert (
        _raw(agent, b"PUT /files?path=/tmp/x&user=root HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", read=False) == b""
    )
    chunked = b"POST /commands HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    assert _raw(agent, chunked).startswith(b"HTTP/1.1 400 ")
    pid = client.start("for i in $(seq 200); do echo line $i; sleep 0.001; done")
    with client.stream("GET", f"/commands/{pid}/output") as reply:
        next(reply.iter_lines())  # hang up after the first event, mid-stream
    with client.stream("GET", "/files/watch", params={"path": "/tmp", "user": "root"}) as reply:
        next(reply.iter_lines())
    assert client.events(pid)[-1]["exitCode"] == 0
    assert client.get("/health").status_code == 200


def test_keep_alive_and_pipelining_on_one_connection(agent: AgentProcess) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: agent\r\n\r\n"
    reply = _raw(agent, request * 3)
    assert reply.count(b"HTTP/1.1 200 OK") == 3


def test_expect_100_continue_is_honoured(agent: AgentProcess) -> None:
    head = b"PUT /files?path=/tmp/hutch-agent-continue&user=root HTTP/1.1\r\nContent-Length: 2\r\n"
    head += b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(agent.socket)
        sock.sendall(head)
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"ok")
        assert b"HTTP/1.1 200 OK" in sock.recv(65536)
    with open("/tmp/hutch-agent-continue", "rb") as written:
        assert written.read() == b"ok"
    os.unlink("/tmp/hutch-agent-continue")
