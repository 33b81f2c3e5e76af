"""Exposed ports: HTTP and WebSocket traffic from the host to servers listening inside sandboxes,
through the server's gateway (`/sandboxes/{id}/ports/{port}/...`), and who may send it.

All traffic stays on this machine (the server listens on 127.0.0.1); the real internet is not
involved and not testable here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from nethelpers import ECHO_SERVER, Sandboxes
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.integration

ECHO_PORT = 8765


@pytest.fixture
def web(boxes: Sandboxes) -> Iterator[tuple[Sandboxes, str]]:
    """A sandbox running `python3 -m http.server 8000` in /tmp/site and the echo server on 8765."""
    sid = boxes.create()["sandboxID"]
    boxes.run(sid, "mkdir -p /tmp/site/sub && echo hello > /tmp/site/index.txt && echo deep > /tmp/site/sub/x.txt")
    boxes.serve(sid, "cd /tmp/site && python3 -m http.server 8000", 8000)
    boxes.write(sid, "/tmp/echo_server.py", ECHO_SERVER.read_bytes())
    boxes.serve(sid, f"python3 /tmp/echo_server.py {ECHO_PORT}", ECHO_PORT)
    yield boxes, sid


def _url(hutch_server: Any, sid: str, port: int, path: str = "/") -> str:
    return f"{hutch_server.base_url}/sandboxes/{sid}/ports/{port}{path}"


def test_http_server_in_the_sandbox_answers(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    _, sid = web
    r = httpx.get(_url(hutch_server, sid, 8000, "/index.txt"))
    assert r.status_code == 200 and r.text == "hello\n"
    assert httpx.get(_url(hutch_server, sid, 8000, "/sub/x.txt")).text == "deep\n"
    listing = httpx.get(_url(hutch_server, sid, 8000, "/"))
    assert listing.status_code == 200 and 'href="index.txt"' in listing.text
    assert httpx.get(_url(hutch_server, sid, 8000, "/missing")).status_code == 404
    head = httpx.head(_url(hutch_server, sid, 8000, "/index.txt"))
    assert head.status_code == 200 and head.headers["content-length"] == "6"


def test_redirects_stay_behind_the_prefix(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    _, sid = web
    prefix = f"/sandboxes/{sid}/ports/8000"
    bare = _url(hutch_server, sid, 8000, "").rstrip("/")  # no slash after the port
    r = httpx.get(bare, headers={"Accept": "text/html,*/*"})  # a browser: sent below the prefix
    assert r.status_code == 308 and r.headers["location"] == prefix + "/"
    assert 'href="index.txt"' in httpx.get(bare).text  # a program: served "/" directly
    r = httpx.get(_url(hutch_server, sid, 8000, "/sub"))  # http.server redirects to /sub/
    assert r.status_code == 301 and r.headers["location"] == prefix + "/sub/"
    assert httpx.get(_url(hutch_server, sid, 8000, "/sub"), follow_redirects=True).text.count("x.txt") >= 1


def test_large_responses_stream_intact(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    boxes, sid = web
    boxes.run(sid, "head -c 20000000 /dev/urandom > /tmp/site/big.bin")
    want = boxes.run(sid, "sha256sum /tmp/site/big.bin")[1].split()[0]
    digest = hashlib.sha256()
    with httpx.stream("GET", _url(hutch_server, sid, 8000, "/big.bin"), timeout=120) as r:
        assert r.status_code == 200
        for chunk in r.iter_bytes():
            digest.update(chunk)
    assert digest.hexdigest() == want


def test_requests_arrive_as_sent_without_our_secrets(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    _, sid = web
    r = httpx.post(
        _url(hutch_server, sid, ECHO_PORT, "/api/items?x=1&y=two"),
        content=b"payload",
        headers={"X-API-Key": hutch_server.api_key, "X-Custom": "kept", "Cookie": "a=1; hutch_traffic_token=zzz"},
    )
    assert r.status_code == 200, r.text
    seen = r.json()
    headers = dict(seen["headers"])
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/api/items?x=1&y=two", "payload")
    assert headers["x-custom"] == "kept" and headers["cookie"] == "a=1"
    assert "x-api-key" not in headers
    assert headers["x-forwarded-prefix"] == f"/sandboxes/{sid}/ports/{ECHO_PORT}"
    assert headers["x-forwarded-host"] == hutch_server.domain
    assert headers["host"] == f"localhost:{ECHO_PORT}"


def test_websocket_echo(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    _, sid = web
    url = _url(hutch_server, sid, ECHO_PORT, "/ws").replace("http://", "ws://")
    with connect(url, subprotocols=["chat.v1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v1"
        ws.send("hello")
        assert ws.recv(timeout=10) == "echo: hello"
        ws.send(b"\x00\x01\x02")
        assert ws.recv(timeout=10) == b"\x00\x01\x02"
        big = "x" * 300_000
        ws.send(big)
        assert ws.recv(timeout=30) == "echo: " + big


def test_host_header_form(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    _, sid = web
    r = httpx.get(f"{hutch_server.base_url}/index.txt", headers={"Host": f"8000-{sid}.localhost"})
    assert r.status_code == 200 and r.text == "hello\n"


def test_errors_say_what_is_wrong(web: tuple[Sandboxes, str], hutch_server: Any) -> None:
    boxes, sid = web
    r = httpx.get(_url(hutch_server, sid, 8001, "/"))
    assert r.status_code == 502 and "nothing accepts connections on port 8001" in r.json()["message"]
    assert httpx.get(_url(hutch_server, "sbx-0000000000000000", 8000, "/")).status_code == 404
    assert httpx.get(_url(hutch_server, sid, 70000, "/")).status_code == 400
    with pytest.raises(InvalidStatus) as e:
        connect(_url(hutch_server, sid, 8002, "/").replace("http://", "ws://"), open_timeout=20).close()
    assert e.value.response.status_code == 502
    boxes.http.delete(f"/sandboxes/{sid}")
    assert httpx.get(_url(hutch_server, sid, 8000, "/index.txt")).status_code == 404


def test_private_ports_take_the_access_token_and_e2bs_traffic_header(boxes: Sandboxes, hutch_server: Any) -> None:
    detail = boxes.create(network={"allowPublicTraffic": False}, secure=True)
    sid, traffic, access = detail["sandboxID"], detail["trafficAccessToken"], detail["envdAccessToken"]
    other = boxes.create(secure=True)["envdAccessToken"]
    boxes.write(sid, "/tmp/echo_server.py", ECHO_SERVER.read_bytes())
    boxes.serve(sid, f"python3 /tmp/echo_server.py {ECHO_PORT}", ECHO_PORT)
    url = _url(hutch_server, sid, ECHO_PORT, "/x")
    by_access = httpx.get(url, headers={"X-Access-Token": access})
    assert by_access.status_code == 200
    by_e2b = httpx.get(url, headers={"E2B-Traffic-Access-Token": traffic})
    assert by_e2b.status_code == 200
    for answer in (by_access, by_e2b):  # neither secret reaches the sandboxed server
        sent = {k.lower() for k, _ in answer.json()["headers"]}
        assert not sent & {"x-access-token", "e2b-traffic-access-token"}, sent
    assert httpx.get(url, headers={"X-Access-Token": other}).status_code == 401  # another sandbox's token
    assert httpx.get(url, headers={"E2B-Traffic-Access-Token": "wrong"}).status_code == 401


def test_private_ports_need_the_key_or_the_token(boxes: Sandboxes, hutch_server: Any) -> None:
    detail = boxes.create(network={"allowPublicTraffic": False})
    sid, token = detail["sandboxID"], detail["trafficAccessToken"]
    assert token
    boxes.write(sid, "/tmp/echo_server.py", ECHO_SERVER.read_bytes())
    boxes.serve(sid, f"python3 /tmp/echo_server.py {ECHO_PORT}", ECHO_PORT)
    url = _url(hutch_server, sid, ECHO_PORT, "/x")

    anonymous = httpx.get(url)
    assert anonymous.status_code == 401 and "X-API-Key" in anonymous.json()["message"]
    assert httpx.get(url, headers={"X-API-Key": hutch_server.api_key_b}).status_code == 401  # another tenant
    assert httpx.get(url, headers={"X-Hutch-Traffic-Token": "wrong"}).status_code == 401
    assert httpx.get(url, headers={"X-API-Key": hutch_server.api_key}).status_code == 200
    by_header = httpx.get(url, headers={"X-Hutch-Traffic-Token": token})
    assert by_header.status_code == 200
    assert "x-hutch-traffic-token" not in dict(by_header.json()["headers"])

    with httpx.Client() as browser:  # ?hutch_token= once, then the cookie it sets
        first = browser.get(url, params={"hutch_token": token, "q": "1"})
        assert first.status_code == 200 and first.json()["path"] == "/x?q=1"
        assert browser.get(_url(hutch_server, sid, ECHO_PORT, "/other")).status_code == 200

    ws_url = url.replace("http://", "ws://")
    with pytest.raises(InvalidStatus) as e:
        connect(ws_url, open_timeout=20).close()
    assert e.value.response.status_code == 401
    with connect(ws_url, additional_headers={"X-Hutch-Traffic-Token": token}) as ws:
        ws.send("private")
        assert ws.recv(timeout=10) == "echo: private"

    boxes.update(sid, allowPublicTraffic=True)  # and open it up, live
    assert httpx.get(url).status_code == 200
    assert boxes.http.get(f"/sandboxes/{sid}").json()["trafficAccessToken"] is None
