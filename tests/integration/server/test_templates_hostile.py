"""Hostile input on the template routes (buildTemplate, getTemplateBuild, deleteTemplate,
getTemplateAlias, uploadTemplateFiles): each gets the `Error` shape with a 4xx naming what was wrong
and leaves nothing behind (no template, no build, no stored upload)."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import httpx
import pytest

JSON = {"content-type": "application/json"}
OCTETS = {"content-type": "application/octet-stream"}
IMG = b'{"fromImage": "debian:12", "fromImageRegistry": '


def _error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == status, body
    for w in words:
        assert w in body["message"], body["message"]


def _templates(http: httpx.Client) -> list[str]:
    r = http.get("/templates")
    assert r.status_code == 200
    return sorted(t["templateID"] for t in r.json())


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"[1, 2]", 400, ("object",)),
        (b'{"steps": "run"}', 422, ("steps",)),
        (b'{"steps": [{"type": "shell", "cmd": "x"}]}', 422, ("type",)),
        (b'{"steps": [{"type": "run"}]}', 422, ("cmd",)),
        (b'{"steps": [{"type": "run", "cmd": "a\\u0000b"}]}', 422, ("cmd",)),
        (b'{"steps": [{"type": "run", "cmd": "\\ud800"}]}', 400, ("surrogate",)),
        (b'{"steps": [{"type": "run", "cmd": "x", "user": "daemon"}]}', 422, ("user",)),
        (b'{"steps": [{"type": "copy", "dest": "/x", "filesHash": "../../etc"}]}', 422, ("filesHash",)),
        (b'{"steps": [{"type": "copy", "dest": "/x", "filesHash": "' + b"a" * 64 + b'"}]}', 404, ("not uploaded",)),
        (b'{"steps": [{"type": "workdir", "path": "relative"}]}', 422, ("path",)),
        (b'{"steps": [{"type": "env", "envs": {"1BAD": "x"}}]}', 422, ("envs",)),
        (b'{"alias": "Has Spaces"}', 422, ("alias",)),
        (b'{"alias": "' + b"a" * 200 + b'"}', 422, ("alias",)),
        (b'{"alias": "base"}', 409, ("built-in",)),
        (b'{"fromTemplate": "tpl-doesnotexist"}', 404, ("not found",)),
        (b'{"fromTemplate": "base", "fromImage": "debian:12"}', 409, ("not both",)),
        (b'{"fromImage": "10.0.0.1:5000/x:1"}', 403, ("pulls images only from",)),
        (b'{"fromImage": "bad ref with spaces"}', 422, ("fromImage",)),
        (b'{"cpuCount": "two"}', 422, ("cpuCount",)),
        (b'{"memoryMB": 1}', 422, ("memoryMB",)),
        (b'{"unknown": 1}', 422, ("unknown",)),
        (b'{"fromImageRegistry": {"type": "registry", "username": "u", "password": "p"}}', 409, ("fromImage too",)),
        (IMG + b'{"type": "aws"}}', 422, ("fromImageRegistry",)),
        (
            IMG + b'{"type": "registry", "username": "u"}}',
            422,
            ("fromImageRegistry",),
        ),
        (
            IMG + b'{"type": "registry", "username": "a:b", "password": "p"}}',
            422,
            ("fromImageRegistry",),
        ),
        (
            IMG + b'{"type": "registry", "username": "u", "password": "a\\u0000"}}',
            422,
            ("fromImageRegistry",),
        ),
        (
            IMG + b'{"type": "gcp", "serviceAccountJson": 5}}',
            422,
            ("fromImageRegistry",),
        ),
        (b'{"tags": "v1"}', 422, ("tags",)),
        (b'{"tags": ["has space"]}', 422, ("tags",)),
        (b'{"tags": ["' + b"t" * 200 + b'"]}', 422, ("tags",)),
        (b'{"tags": [' + b'"a",' * 40 + b'"a"]}', 422, ("tags",)),
        (b'{"steps": [' + b'{"type": "run", "cmd": "x"},' * 300 + b'{"type": "run", "cmd": "x"}]}', 422, ("steps",)),
    ],
)
def test_bad_build_requests_are_refused_and_make_nothing(http, body, status, words):
    before = _templates(http)
    _error(http.post("/templates", content=body, headers=JSON), status, *words)
    assert _templates(http) == before


def test_a_huge_build_request_is_413(http):
    before = _templates(http)
    body = b'{"steps": [{"type": "run", "cmd": "' + b"x" * (3 * 1024 * 1024) + b'"}]}'
    _error(http.post("/templates", content=body, headers=JSON), 413, "limit")
    assert _templates(http) == before


def test_uploads_must_match_their_digest_and_limit(http, hutch_server):
    data = b"not really a tarball"
    good = hashlib.sha256(data).hexdigest()
    _error(http.put(f"/template-files/{'0' * 64}", content=data, headers=OCTETS), 409, "SHA-256")
    _error(http.put("/template-files/NOT-A-HASH", content=data, headers=OCTETS), 400, "filesHash")
    # a declared length over the spec's limit is refused before a byte of the body is read
    with socket.create_connection(("127.0.0.1", hutch_server.port), timeout=30) as sock:
        sock.sendall(
            f"PUT /template-files/{good} HTTP/1.1\r\nHost: x\r\nX-API-Key: {hutch_server.api_key}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {600 * 1024 * 1024}\r\n\r\n".encode()
        )
        head = sock.recv(65536).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    files = Path(hutch_server.data_dir) / "template-files"
    kept = [p.name for p in files.rglob("*") if p.is_file()]
    assert "0" * 64 not in kept and not [k for k in kept if k.startswith(".upload-")], "no refused upload is kept"
    stored = http.put(f"/template-files/{good}", content=data, headers=OCTETS)
    assert stored.status_code == 201 and stored.json() == {"filesHash": good, "sizeBytes": len(data)}


def test_lookups_of_what_does_not_exist(http):
    _error(http.get("/templates/tpl-nope/builds/bld-nope"), 404, "not found")
    _error(http.get("/templates/base/builds/x", params={"logsOffset": "-1"}), 400, "logsOffset")
    _error(http.get("/templates/base/builds/x", params={"logsOffset": "many"}), 400, "logsOffset")
    _error(http.delete("/templates/tpl-nope"), 404, "not found")
    _error(http.delete("/templates/base"), 404, "not found")
    _error(http.get("/templates/aliases/nope"), 404, "alias")
    assert http.get("/templates/aliases/nodejs").json() == {"alias": "nodejs", "templateID": "nodejs"}
    _error(http.get("/templates/" + "x" * 300), 400, "templateID")
