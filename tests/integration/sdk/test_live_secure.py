"""``secure`` sandboxes and signed file URLs through the SDK against a real server, both flavors."""

from __future__ import annotations

import httpx
import pytest

from hutch import InvalidArgumentException

pytestmark = pytest.mark.integration


async def test_signed_urls_work_without_the_api_key(sdk, sbx, hutch_server) -> None:
    token = sbx.envd_access_token
    assert token and sbx._envd_access_token == token  # secure=True is the default
    await sdk(sbx.files.write("/home/user/d.txt", "download me"))
    got = httpx.get(sbx.download_url("/home/user/d.txt", use_signature_expiration=60))
    assert got.status_code == 200 and got.content == b"download me"
    up = httpx.post(sbx.upload_url("/home/user/u/up.txt"), files={"file": ("up.txt", b"uploaded")})
    assert up.status_code == 200, up.text
    assert await sdk(sbx.files.read("/home/user/u/up.txt")) == "uploaded"
    as_root = httpx.post(sbx.upload_url("/root/r.txt", user="root"), files={"file": ("r", b"root's")})
    assert as_root.status_code == 200, as_root.text
    assert await sdk(sbx.files.read("/root/r.txt", user="root")) == "root's"
    # the URL is only good for its path and operation
    refused = httpx.get(sbx.download_url("/home/user/d.txt").replace("d.txt", "u%2Fup.txt"))
    assert refused.status_code == 403 and refused.json()["code"] == 403
    # the token alone drives the sandbox's agent routes, as E2B's envd
    with httpx.Client(base_url=hutch_server.base_url) as anon:
        r = anon.get(f"/sandboxes/{sbx.sandbox_id}/files", params={"path": "/home/user/d.txt"},
                     headers={"X-Access-Token": token})  # fmt: skip
        assert r.status_code == 200 and r.content == b"download me"


async def test_connect_hands_out_the_same_token_and_secure_false_has_none(sdk, sbx) -> None:
    again = await sdk(sdk.cls.connect(sbx.sandbox_id))
    try:
        assert again.envd_access_token == sbx.envd_access_token
        assert (await sdk(again.commands.run("echo ok"))).stdout == "ok\n"
    finally:
        await sdk(again.close())
    plain = await sdk.create(secure=False, timeout=120)
    try:
        assert plain.envd_access_token is None
        assert (await sdk(plain.commands.run("echo plain"))).stdout == "plain\n"  # the API key alone
        with pytest.raises(InvalidArgumentException, match="secured"):
            plain.download_url("/home/user/x")
    finally:
        await sdk(plain.kill())
        await sdk(plain.close())
