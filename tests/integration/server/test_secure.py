"""`secure` sandboxes against a real server: the access token (X-Access-Token) on agent routes, and
signed file URLs (downloadSignedFile / uploadSignedFile) that take a signature instead of the API key."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from urllib.parse import quote, urlencode

import httpx
import pytest

from hutch import get_signature

pytestmark = pytest.mark.integration

SAMPLE = "/home/user/signed.txt"


def _url(base: str, sid: str, path: str, op: str, token: str, user: str | None = None, exp: int | None = None) -> str:
    """A signed URL made with E2B's formula (hutch.get_signature), with an absolute expiration."""
    seconds = None if exp is None else exp - int(time.time())
    sig = get_signature(path, op, user, token, seconds)  # type: ignore[arg-type]
    query = {"path": path, **({"username": user} if user else {}), "signature": sig["signature"]}
    if sig["expiration"] is not None:
        query["signature_expiration"] = str(sig["expiration"])
    return f"{base}/sandboxes/{sid}/files/signed?" + urlencode(query, quote_via=quote)


@pytest.fixture
def secured(make_sandbox, http):
    detail = make_sandbox(secure=True)
    token = detail.envd_access_token
    assert isinstance(token, str) and len(token) > 40
    r = http.put(f"/sandboxes/{detail.sandbox_id}/files", params={"path": SAMPLE}, content=b"signed content\n")
    assert r.status_code == 200, r.text
    return detail.sandbox_id, token


def _refused(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == status
    return str(body["message"])


def test_the_token_is_handed_out_by_create_and_connect_only(hutch_server, http, secured) -> None:
    sid, token = secured
    assert http.post(f"/sandboxes/{sid}/connect", json={}).json()["envdAccessToken"] == token
    assert http.get(f"/sandboxes/{sid}").json().get("envdAccessToken") is None
    listed = [s for s in http.get("/sandboxes").json()["sandboxes"] if s["sandboxID"] == sid]
    assert listed and listed[0].get("envdAccessToken") is None
    assert token not in hutch_server.log_tail(10**7)
    assert token.encode() not in hutch_server.stored()


def test_the_token_alone_admits_the_sandboxs_agent_routes_only(hutch_server, make_sandbox, secured) -> None:
    sid, token = secured
    other = make_sandbox(secure=True).sandbox_id
    with httpx.Client(base_url=hutch_server.base_url, timeout=60) as anon:
        r = anon.get(f"/sandboxes/{sid}/files", params={"path": SAMPLE}, headers={"X-Access-Token": token})
        assert r.status_code == 200 and r.content == b"signed content\n"
        r = anon.post(f"/sandboxes/{sid}/commands", json={"cmd": "echo hi"}, headers={"X-Access-Token": token})
        assert r.status_code in (200, 201), r.text
        # not another sandbox's routes, not the control plane, not a wrong token
        assert "X-Access-Token" in _refused(
            anon.get(f"/sandboxes/{other}/files", params={"path": SAMPLE}, headers={"X-Access-Token": token}), 401
        )
        assert "X-API-Key" in _refused(anon.delete(f"/sandboxes/{sid}", headers={"X-Access-Token": token}), 401)
        _refused(anon.get(f"/sandboxes/{sid}/files", params={"path": SAMPLE}, headers={"X-Access-Token": "x"}), 401)
        _refused(anon.get(f"/sandboxes/{sid}/files", params={"path": SAMPLE}), 401)
    with hutch_server.http() as owner:
        # the API key alone keeps working; beside it a wrong token is still refused
        assert owner.get(f"/sandboxes/{sid}/files", params={"path": SAMPLE}).status_code == 200
        r = owner.get(f"/sandboxes/{sid}/files", params={"path": SAMPLE}, headers={"X-Access-Token": token[:-1]})
        _refused(r, 401)


def test_a_sandbox_without_secure_has_no_token(make_sandbox, http, hutch_server) -> None:
    sid = make_sandbox().sandbox_id
    assert http.post(f"/sandboxes/{sid}/connect", json={}).json()["envdAccessToken"] is None
    with httpx.Client(base_url=hutch_server.base_url) as anon:
        r = anon.get(f"/sandboxes/{sid}/env", headers={"X-Access-Token": "hutch_at_" + "A" * 43})
        _refused(r, 401)


def test_signed_download_and_upload_without_an_api_key(hutch_server, http, secured) -> None:
    sid, token = secured
    base = hutch_server.base_url
    r = httpx.get(_url(base, sid, SAMPLE, "read", token))
    assert r.status_code == 200 and r.content == b"signed content\n"
    # E2B's upload form: multipart, part `file`
    up = _url(base, sid, "/home/user/up/new.bin", "write", token, exp=int(time.time()) + 60)
    r = httpx.post(up, files={"file": ("ignored-name", b"\x00\x01multipart bytes")})
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/home/user/up/new.bin"
    got = http.get(f"/sandboxes/{sid}/files", params={"path": "/home/user/up/new.bin"})
    assert got.content == b"\x00\x01multipart bytes"
    # a raw body, with curl, as root
    root_url = _url(base, sid, "/root/raw.txt", "write", token, user="root")
    out = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "raw",
         "-o", "/dev/null", "-w", "%{http_code}", root_url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout == "200"
    assert httpx.get(_url(base, sid, "/root/raw.txt", "read", token, user="root")).content == b"raw"
    # signed for `user`, who may not read /root
    _refused(httpx.get(_url(base, sid, "/root/raw.txt", "read", token, user="user")), 403)


def test_refused_signatures(hutch_server, make_sandbox, secured) -> None:
    sid, token = secured
    other_sid = make_sandbox(secure=True).sandbox_id
    base = hutch_server.base_url
    good = _url(base, sid, SAMPLE, "read", token)
    assert httpx.get(good).status_code == 200
    cases = {
        "expired": _url(base, sid, SAMPLE, "read", token, exp=int(time.time()) - 5),
        "altered path": good.replace("signed.txt", "other.txt"),
        "altered op": _url(base, sid, SAMPLE, "write", token),
        "altered user": _url(base, sid, SAMPLE, "read", token) + "&username=root",
        "other sandbox": good.replace(sid, other_sid),
        "another token": _url(base, sid, SAMPLE, "read", "hutch_at_" + "B" * 43),
        "added expiration": good + "&signature_expiration=99999999999",
    }
    for why, url in cases.items():
        message = _refused(httpx.get(url), 403)
        assert ("expired" in message) == (why == "expired"), (why, message)
    # a write signature does not download, a read one does not upload
    _refused(httpx.post(_url(base, sid, SAMPLE, "read", token), content=b"x",
                        headers={"Content-Type": "application/octet-stream"}), 403)  # fmt: skip
    # an expiration in the future works, and an expired one refuses uploads too
    assert httpx.get(_url(base, sid, SAMPLE, "read", token, exp=int(time.time()) + 30)).status_code == 200
    expired_up = _url(base, sid, SAMPLE, "write", token, exp=int(time.time()) - 1)
    _refused(httpx.post(expired_up, content=b"x", headers={"Content-Type": "application/octet-stream"}), 403)
    # a secure=False sandbox takes no signature at all
    plain = make_sandbox().sandbox_id
    _refused(httpx.get(_url(base, plain, SAMPLE, "read", token)), 403)


def test_hostile_input_on_the_signed_routes(hutch_server, http, secured) -> None:
    sid, token = secured
    base = f"{hutch_server.base_url}/sandboxes/{sid}/files/signed"
    sig = get_signature(SAMPLE, "read", None, token)["signature"]
    bad = [
        {"path": SAMPLE},  # no signature
        {"path": SAMPLE, "signature": "v2_" + sig[3:]},
        {"path": SAMPLE, "signature": sig[:-1]},
        {"path": SAMPLE, "signature": sig + "A"},
        {"path": SAMPLE, "signature": "v1_" + "-" * 43},
        {"path": SAMPLE, "signature": "v1_" + "A" * 60_000},
        {"path": SAMPLE + "\x00", "signature": sig},
        {"path": "x" * 5000, "signature": sig},
        {"path": SAMPLE, "signature": sig, "signature_expiration": "soon"},
        {"path": SAMPLE, "signature": sig, "signature_expiration": "-1"},
        {"path": SAMPLE, "signature": sig, "signature_expiration": "9" * 40},
        {"path": SAMPLE, "signature": sig, "username": "nobody"},
        {"path": SAMPLE, "signature": sig, "username": "\udcff"},
        {"signature": sig},
    ]
    for params in bad:
        query = urlencode(params, quote_via=quote, errors="surrogatepass")
        r = httpx.get(f"{base}?{query}")
        assert 400 <= r.status_code < 500 and set(r.json()) == {"code", "message"}, (params, r.status_code, r.text)
    # a lone surrogate's escape in the path is not a match for anything
    r = httpx.get(f"{base}?path=%ED%A0%80&signature={quote(sig, safe='')}")
    assert r.status_code in (400, 403) and set(r.json()) == {"code", "message"}
    # uploads: no file part, a cut body, a wrong media type, no boundary -> 4xx and no file left
    target = "/home/user/hostile.bin"
    up = _url(hutch_server.base_url, sid, target, "write", token)
    r = httpx.post(up, files={"other": ("a", b"data")})
    assert "no part named 'file'" in _refused(r, 400)
    r = httpx.post(up, content=b"--xx\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ncut short",
                   headers={"Content-Type": "multipart/form-data; boundary=xx"})  # fmt: skip
    _refused(r, 400)
    _refused(httpx.post(up, content=b"x", headers={"Content-Type": "text/plain"}), 415)
    _refused(httpx.post(up, content=b"x", headers={"Content-Type": "multipart/form-data"}), 400)
    assert http.get(f"/sandboxes/{sid}/files", params={"path": target}).status_code == 404
    for _ in range(50):  # the agent drops its temporary file once it sees the cut body
        names = [e["name"] for e in http.get(f"/sandboxes/{sid}/files/list", params={"path": "/home/user"}).json()]
        if not [n for n in names if n.startswith(".hutch-upload-")]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"a cut upload left a temporary file: {names}")


def test_a_large_file_streams_both_ways(hutch_server, secured, tmp_path) -> None:
    sid, token = secured
    size = 50 * 1024 * 1024
    src = tmp_path / "big.bin"
    with src.open("wb") as f:
        for _ in range(size // (1024 * 1024)):
            f.write(os.urandom(1024 * 1024))
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    up = _url(hutch_server.base_url, sid, "/home/user/big.bin", "write", token)
    with src.open("rb") as f:
        r = httpx.post(up, files={"file": ("big.bin", f)}, timeout=300)
    assert r.status_code == 200, r.text
    digest = hashlib.sha256()
    received = 0
    with httpx.stream("GET", _url(hutch_server.base_url, sid, "/home/user/big.bin", "read", token), timeout=300) as r:
        assert r.status_code == 200
        assert r.headers.get("content-length") in (None, str(size))
        for chunk in r.iter_bytes():
            received += len(chunk)
            digest.update(chunk)
    assert received == size and digest.hexdigest() == want
