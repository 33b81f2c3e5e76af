"""E2B's connection parameters (issue 12), sync and async: accepted instead of refused as unknown,
``headers``/``api_headers`` sent with every request, ``retries`` honoured, ``proxy`` configured."""

from __future__ import annotations

import httpx
import pytest
from sdk_fakes import detail

from hutch import ConnectionConfig, InvalidArgumentException, ServiceBusyException


async def test_headers_and_api_headers_are_sent_with_every_request(sdk, api, created):
    info = api.get("/sandboxes/sb1").respond(200, json=detail())
    api.post("/sandboxes/sb1/connect").respond(200, json=detail())
    sbx = await sdk.create(headers={"X-Trace": "t1", "X-Both": "h"}, api_headers={"X-Both": "api"})
    await sdk(sbx.get_info())
    for request in (created.calls[0].request, info.calls[0].request):
        assert (request.headers["x-trace"], request.headers["x-both"]) == ("t1", "api")
        assert request.headers["x-api-key"] == "unit-test-key"
    connected = await sdk(sdk.cls.connect("sb1", headers={"X-Trace": "t2"}))
    await sdk(connected.get_info())
    assert info.calls[-1].request.headers["x-trace"] == "t2"


async def test_e2bs_other_options_are_accepted(sdk, api, created):
    api.get("/sandboxes/sb1").respond(200, json=detail())
    sbx = await sdk.create(
        request_timeout=10,
        http_version="2",
        validate_api_key=False,
        sandbox_url="https://ignored.example",
        proxy=None,
        retries=2,
    )
    assert (await sdk(sbx.get_info())).sandbox_id == "sb1"


async def test_retries_zero_means_one_try(sdk, api, created, sleeps):
    route = api.get("/sandboxes/sb1").respond(503, json={"code": 503, "message": "busy"})
    sbx = await sdk.create(retries=0)
    with pytest.raises(ServiceBusyException):
        await sdk(sbx.get_info())
    assert route.call_count == 1 and sleeps == []


def test_bad_values_are_refused_and_unknown_keys_still_are():
    with pytest.raises(InvalidArgumentException, match="http_version"):
        ConnectionConfig.from_opts({"http_version": "3"})
    with pytest.raises(InvalidArgumentException, match="retries"):
        ConnectionConfig.from_opts({"retries": -1})
    with pytest.raises(InvalidArgumentException, match="headers"):
        ConnectionConfig.from_opts({"headers": {"X": 1}})
    with pytest.raises(InvalidArgumentException, match="proxy"):
        ConnectionConfig.from_opts({"proxy": 8080})
    with pytest.raises(InvalidArgumentException, match="unknown connection option"):
        ConnectionConfig.from_opts({"api_kye": "x"})


def test_api_url_is_taken_as_the_domain_and_retries_sets_the_attempts():
    config = ConnectionConfig.from_opts({"api_url": "http://127.0.0.1:9999", "retries": 5})
    assert config.base_url == "http://127.0.0.1:9999" and config.retry.max_attempts == 6
    assert ConnectionConfig.from_opts({"domain": "h:1", "api_url": "http://x:2"}).domain == "h:1"


def test_a_proxy_is_mounted_on_the_generated_client():
    from hutch._core.pool import Pool

    config = ConnectionConfig.from_opts({"proxy": "http://127.0.0.1:3128", "domain": "127.0.0.1:7420"})
    client = Pool(httpx.HTTPTransport()).client(config).get_httpx_client()
    mounted = [t for t in client._mounts.values() if t is not None]
    assert mounted and all(isinstance(t, httpx.HTTPTransport) for t in mounted)
    plain = Pool(httpx.HTTPTransport()).client(ConnectionConfig.from_opts({})).get_httpx_client()
    assert not [t for t in plain._mounts.values() if t is not None]
