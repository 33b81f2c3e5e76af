"""``secure`` (E2B's access token) and signed file URLs in the SDK, both flavors, against a respx server."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sdk_fakes import BASE, KEY, detail, sent_json

from hutch import InvalidArgumentException, get_signature

TOKEN = "hutch_at_" + "t" * 43


def _expected(raw: str) -> str:
    return "v1_" + base64.b64encode(hashlib.sha256(raw.encode()).digest()).rstrip(b"=").decode()


def test_get_signature_is_e2bs_formula() -> None:
    assert get_signature("/a b", "read", None, TOKEN) == {
        "signature": _expected(f"/a b:read::{TOKEN}"),
        "expiration": None,
    }
    signed = get_signature("/x", "write", "root", TOKEN, 60)
    assert isinstance(signed["expiration"], int) and abs(signed["expiration"] - (time.time() + 60)) < 5
    assert signed["signature"] == _expected(f"/x:write:root:{TOKEN}:{signed['expiration']}")
    with pytest.raises(ValueError, match="Access token is not set"):
        get_signature("/x", "read", None, None)


async def test_secure_is_the_default_and_the_token_is_kept_and_sent(sdk, api) -> None:
    created = api.post("/sandboxes").respond(201, json=detail(envdAccessToken=TOKEN))
    api.get("/sandboxes/sb1").respond(200, json=detail())  # get_info never carries the token
    env = api.get("/sandboxes/sb1/env").respond(200, json={})
    sbx = await sdk.create()
    assert sent_json(created)["secure"] is True
    assert sbx.envd_access_token == TOKEN and sbx._envd_access_token == TOKEN
    await sdk(sbx.get_info())
    assert sbx.envd_access_token == TOKEN  # kept across later replies without it
    await sdk(sbx.env.get_all())
    sent = env.calls[-1].request.headers
    assert sent["X-Access-Token"] == TOKEN and sent["X-API-Key"] == KEY
    await sdk(sbx.close())


async def test_secure_false_is_sent_and_leaves_no_token(sdk, api) -> None:
    created = api.post("/sandboxes").respond(201, json=detail(envdAccessToken=None))
    env = api.get("/sandboxes/sb1/env").respond(200, json={})
    sbx = await sdk.create(secure=False)
    assert sent_json(created)["secure"] is False
    assert sbx.envd_access_token is None
    await sdk(sbx.env.get_all())
    assert "X-Access-Token" not in env.calls[-1].request.headers
    with pytest.raises(InvalidArgumentException, match="Signature expiration can be used only when sandbox is created"):
        sbx.download_url("/x", use_signature_expiration=10)
    with pytest.raises(InvalidArgumentException, match="secured"):
        sbx.upload_url("/x")
    await sdk(sbx.close())


async def test_connect_takes_the_token_of_its_reply(sdk, api) -> None:
    api.post("/sandboxes/sb1/connect").respond(200, json=detail(envdAccessToken=TOKEN))
    sbx = await sdk(sdk.cls.connect("sb1"))
    assert sbx.envd_access_token == TOKEN
    await sdk(sbx.close())


async def test_download_and_upload_urls(sdk, api) -> None:
    api.post("/sandboxes").respond(201, json=detail(envdAccessToken=TOKEN))
    sbx = await sdk.create()
    url = sbx.download_url("/home/user/a b+c.txt")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == "/sandboxes/sb1/files/signed"
    assert "%2B" in parts.query and "+" not in parts.query  # quoted, so `+` is not read as a space
    query = parse_qs(parts.query)
    assert query == {"path": ["/home/user/a b+c.txt"], "signature": [_expected(f"/home/user/a b+c.txt:read::{TOKEN}")]}
    up = parse_qs(urlsplit(sbx.upload_url("/f", user="root", use_signature_expiration=30)).query)
    expiration = int(up["signature_expiration"][0])
    assert abs(expiration - (time.time() + 30)) < 5 and up["username"] == ["root"]
    assert up["signature"] == [_expected(f"/f:write:root:{TOKEN}:{expiration}")]
    with pytest.raises(InvalidArgumentException, match="use_signature_expiration"):
        sbx.download_url("/f", use_signature_expiration="soon")
    assert not api.calls.called or all(c.request.url.path == "/sandboxes" for c in api.calls)  # no request sent
    await sdk(sbx.close())
