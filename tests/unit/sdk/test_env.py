"""sbx.env, sync and async, against a respx-mocked server."""

from __future__ import annotations

import httpx
import pytest
from sdk_fakes import sent_json

from hutch import InvalidArgumentException, NotFoundException

ENV = "/sandboxes/sb1/env"


async def test_get_all_and_get(sdk, api, sbx):
    api.get(ENV).respond(200, json={"A": "1", "B": ""})
    assert await sdk(sbx.env.get_all()) == {"A": "1", "B": ""}
    api.get(f"{ENV}/A").respond(200, json={"name": "A", "value": "1"})
    assert await sdk(sbx.env.get("A")) == "1"
    api.get(f"{ENV}/NOPE").respond(404, json={"code": 404, "message": "no such variable"})
    assert await sdk(sbx.env.get("NOPE")) is None
    assert await sdk(sbx.env.get("NOPE", "fallback")) == "fallback"


async def test_set_update_replace_delete(sdk, api, sbx):
    put = api.put(f"{ENV}/A").respond(200, json={"name": "A", "value": "x y"})
    assert await sdk(sbx.env.set("A", "x y")) is None
    assert sent_json(put) == {"value": "x y"}
    patch = api.patch(ENV).respond(200, json={"A": "2"})
    assert await sdk(sbx.env.update({"A": "2", "B": None})) is None
    assert sent_json(patch) == {"A": "2", "B": None}
    replace = api.put(ENV).respond(200, json={"C": "3"})
    assert await sdk(sbx.env.replace({"C": "3"})) is None
    assert sent_json(replace) == {"C": "3"}
    api.delete(f"{ENV}/A").respond(204)
    assert await sdk(sbx.env.delete("A")) is True
    api.delete(f"{ENV}/B").respond(404, json={"code": 404, "message": "no such variable"})
    assert await sdk(sbx.env.delete("B")) is False


async def test_refusals(sdk, api, sbx):
    with pytest.raises(InvalidArgumentException, match="name"):
        await sdk(sbx.env.get(""))
    with pytest.raises(InvalidArgumentException, match="dict"):
        await sdk(sbx.env.update(["A"]))
    api.put(f"{ENV}/A=B").respond(422, json={"code": 422, "message": "'A=B' is not a valid environment variable"})
    with pytest.raises(InvalidArgumentException, match="A=B"):
        await sdk(sbx.env.set("A=B", "x"))
    api.get(ENV).respond(404, json={"code": 404, "message": "no sandbox sb1"})
    with pytest.raises(NotFoundException, match="sb1"):
        await sdk(sbx.env.get_all())


async def test_a_failed_patch_is_retried_as_it_is_idempotent(sdk, api, sbx, sleeps):
    patch = api.patch(ENV)
    patch.side_effect = [
        httpx.Response(503, json={"code": 503, "message": "busy"}),
        httpx.Response(200, json={}),
    ]
    await sdk(sbx.env.update({"A": "1"}))
    assert patch.call_count == 2
