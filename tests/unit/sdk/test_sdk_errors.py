"""Configuration, error mapping and retries, sync and async."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from sdk_fakes import BASE, command_events, detail, ndjson, process

import hutch.config
from hutch import (
    AuthenticationException,
    ConflictException,
    InvalidArgumentException,
    NotEnoughSpaceException,
    NotFoundException,
    PermissionDeniedException,
    RateLimitException,
    RetryPolicy,
    SandboxError,
    SandboxException,
    SandboxNotFoundException,
    ServiceUnavailableException,
    TimeoutException,
)
from hutch.config import ConnectionConfig, base_url_for

ERROR = {"code": 0, "message": "the server's own words"}


async def test_missing_api_key_fails_before_any_request(sdk, api, monkeypatch):
    monkeypatch.delenv("HUTCH_API_KEY")
    route = api.post("/sandboxes").respond(201, json=detail())
    with pytest.raises(AuthenticationException, match="HUTCH_API_KEY"):
        await sdk.create()
    with pytest.raises(AuthenticationException):
        await sdk(sdk.cls.list())
    assert not route.called


@pytest.mark.parametrize(
    ("domain", "url"),
    [
        ("localhost:7420", "http://localhost:7420"),
        ("sandboxes.example.com:443", "https://sandboxes.example.com:443"),
        ("10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("sandboxes.example.com", "https://sandboxes.example.com"),
        ("https://h.example.com/api/", "https://h.example.com/api"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
    ],
)
def test_domain_to_base_url(domain, url):
    assert base_url_for(domain) == url


def test_settings_come_from_arguments_then_environment(monkeypatch):
    monkeypatch.setenv("HUTCH_DOMAIN", "example.org:8080")
    monkeypatch.setenv("HUTCH_REQUEST_TIMEOUT", "7.5")
    config = ConnectionConfig.resolve()
    assert (config.base_url, config.request_timeout, config.debug) == ("http://example.org:8080", 7.5, False)
    config = ConnectionConfig.resolve(api_key="k2", domain="x:1", request_timeout=0, debug=True)
    assert (config.api_key, config.domain, config.request_timeout, config.debug) == ("k2", "x:1", None, True)
    monkeypatch.setenv("HUTCH_REQUEST_TIMEOUT", "soon")
    with pytest.raises(InvalidArgumentException, match="HUTCH_REQUEST_TIMEOUT"):
        ConnectionConfig.resolve()
    with pytest.raises(InvalidArgumentException, match="domain"):
        ConnectionConfig.resolve(domain="ftp://x", request_timeout=1)


async def test_requests_go_to_the_configured_domain(sdk):
    with respx.mock(base_url="http://10.1.2.3:9000") as mock:
        route = mock.get("/sandboxes").respond(200, json={"sandboxes": []})
        await sdk(sdk.cls.list(domain="10.1.2.3:9000", api_key="abc"))
    assert route.calls[0].request.headers["X-API-Key"] == "abc"


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, InvalidArgumentException),
        (401, AuthenticationException),
        (403, PermissionDeniedException),
        (404, SandboxNotFoundException),
        (409, ConflictException),
        (413, InvalidArgumentException),
        (422, InvalidArgumentException),
        (429, RateLimitException),
        (500, SandboxException),
        (502, ServiceUnavailableException),
        (503, ServiceUnavailableException),
        (504, TimeoutException),
        (507, NotEnoughSpaceException),
        (599, SandboxException),
    ],
)
async def test_each_status_maps_to_its_exception_with_the_server_message(sdk, api, status, exc):
    api.get("/sandboxes/sb1").respond(status, json={**ERROR, "code": status})
    with pytest.raises(exc) as err:
        await sdk(sdk.cls.get_info("sb1"))
    assert err.value.message == "the server's own words" == str(err.value)
    assert err.value.status_code == status
    assert isinstance(err.value, SandboxError)


async def test_a_non_json_error_body_is_the_message(sdk, api):
    api.post("/sandboxes").respond(500, text="<html>upstream exploded</html>")
    with pytest.raises(SandboxException, match="upstream exploded"):
        await sdk.create()


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(201, text="not json"),
        httpx.Response(201, json={"sandboxID": "sb1"}),  # required keys missing
        httpx.Response(201, json=detail(startedAt="yesterday")),  # bad date
        httpx.Response(201, json=["a", "list"]),
    ],
)
async def test_a_malformed_reply_is_a_sandbox_exception(sdk, api, reply):
    api.post("/sandboxes").mock(return_value=reply)
    with pytest.raises(SandboxException, match="does not match the hutch API") as err:
        await sdk.create()
    assert type(err.value) is SandboxException


async def test_connection_refused_on_the_default_domain_says_how_to_start_a_server(sdk, api):
    api.get("/sandboxes").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(ServiceUnavailableException) as err:
        await sdk(sdk.cls.list())
    message = str(err.value)
    assert "no hutch server is running" in message and "hutch serve" in message and "localhost:7420" in message
    assert err.value.status_code is None


async def test_connection_failure_elsewhere_names_the_server(sdk):
    with respx.mock(base_url="http://10.9.9.9:1") as mock:
        mock.get("/sandboxes").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(ServiceUnavailableException, match=r"10\.9\.9\.9:1.*HUTCH_DOMAIN"):
            await sdk(sdk.cls.list(domain="10.9.9.9:1"))


async def test_a_read_timeout_is_a_timeout_exception_and_not_retried(sdk, api):
    route = api.get("/sandboxes/sb1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TimeoutException, match="request_timeout"):
        await sdk(sdk.cls.get_info("sb1"))
    assert route.call_count == 1


async def test_idempotent_calls_retry_on_transient_answers_then_succeed(sdk, api, sleeps):
    route = api.get("/sandboxes/sb1")
    route.side_effect = [
        httpx.Response(503, json=ERROR),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=detail()),
    ]
    info = await sdk(sdk.cls.get_info("sb1"))
    assert info.sandbox_id == "sb1"
    assert route.call_count == 3 and len(sleeps) == 2


async def test_retries_are_bounded(sdk, api, sleeps):
    route = api.get("/sandboxes/sb1").respond(502, json={**ERROR, "message": "agent down"})
    with pytest.raises(ServiceUnavailableException, match="agent down"):
        await sdk(sdk.cls.get_info("sb1"))
    assert route.call_count == hutch.config.DEFAULT_RETRY_POLICY.max_attempts == 3


async def test_create_reuses_its_idempotency_key_across_retries(sdk, api):
    route = api.post("/sandboxes")
    route.side_effect = [
        httpx.Response(503, json=ERROR),
        httpx.ReadError("connection reset"),
        httpx.Response(201, json=detail()),
    ]
    sbx = await sdk.create()
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert route.call_count == 3 and len(keys) == 1
    await sdk(sbx.close())
    route.side_effect = None
    route.return_value = httpx.Response(201, json=detail())
    sbx = await sdk.create()
    assert route.calls[-1].request.headers["Idempotency-Key"] not in keys
    await sdk(sbx.close())


async def test_rate_limits_honour_retry_after(sdk, api, sleeps):
    route = api.get("/sandboxes")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}, json=ERROR),
        httpx.Response(200, json={"sandboxes": []}),
    ]
    await sdk(sdk.cls.list())
    assert sleeps == [2.0]
    route.side_effect = None
    route.return_value = httpx.Response(429, headers={"Retry-After": "3"}, json={**ERROR, "message": "slow down"})
    with pytest.raises(RateLimitException, match="slow down") as err:
        await sdk(sdk.cls.list())
    assert err.value.retry_after == 3.0


async def test_a_retry_after_beyond_the_limit_raises_at_once(sdk, api, sleeps):
    route = api.get("/sandboxes").respond(429, headers={"Retry-After": "3600"}, json=ERROR)
    with pytest.raises(RateLimitException) as err:
        await sdk(sdk.cls.list())
    assert route.call_count == 1 and err.value.retry_after == 3600


async def test_non_idempotent_calls_are_not_retried_on_errors(sdk, api, created):
    route = api.post("/sandboxes/sb1/commands").respond(503, json=ERROR)
    sbx = await sdk.create()
    with pytest.raises(ServiceUnavailableException):
        await sdk(sbx.commands.run("true"))
    assert route.call_count == 1
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json=process(running=False))]
    api.get("/sandboxes/sb1/commands/7/output").respond(200, content=ndjson(*command_events()))
    assert (await sdk(sbx.commands.run("true"))).exit_code == 0  # never sent: safe to retry
    await sdk(sbx.close())


def test_backoff_grows_with_jitter_and_is_capped():
    from hutch._core.retry import backoff

    samples = [backoff(n, 0.5, 4.0) for n in range(6) for _ in range(20)]
    assert all(0.25 <= s <= 4.0 for s in samples)
    assert max(backoff(5, 0.5, 4.0) for _ in range(50)) <= 4.0
    assert min(backoff(0, 0.5, 4.0) for _ in range(50)) >= 0.25


async def test_real_backoff_delays_are_used(sdk, api, sleeps, monkeypatch):
    monkeypatch.setattr(hutch.config, "DEFAULT_RETRY_POLICY", RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=1))
    api.get("/sandboxes").respond(503, json=ERROR)
    with pytest.raises(ServiceUnavailableException):
        await sdk(sdk.cls.list())
    assert len(sleeps) == 3
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4 and 0.4 <= sleeps[2] <= 0.8


async def test_debug_logs_each_request_and_response(sdk, api, caplog, monkeypatch):
    monkeypatch.setenv("HUTCH_DEBUG", "1")
    api.get("/sandboxes").respond(200, json={"sandboxes": []})
    with caplog.at_level(logging.DEBUG, logger="hutch"):
        await sdk(sdk.cls.list())
    lines = [r.getMessage() for r in caplog.records if r.name == "hutch"]
    assert any(line.startswith("-> GET " + BASE + "/sandboxes") for line in lines)
    assert any(line.startswith("<- GET") and " 200 OK " in line for line in lines)


async def test_no_logging_without_debug(sdk, api, caplog):
    api.get("/sandboxes").respond(200, json={"sandboxes": []})
    with caplog.at_level(logging.DEBUG, logger="hutch"):
        await sdk(sdk.cls.list())
    assert not [r for r in caplog.records if r.name == "hutch"]


def test_not_found_hierarchy():
    assert issubclass(SandboxNotFoundException, NotFoundException)
    assert issubclass(NotFoundException, SandboxException)


async def test_create_retries_even_after_a_read_timeout_with_the_same_key(sdk, api):
    route = api.post("/sandboxes")
    route.side_effect = [httpx.ReadTimeout("slow boot"), httpx.Response(201, json=detail())]
    sbx = await sdk.create()
    assert route.call_count == 2
    assert len({call.request.headers["Idempotency-Key"] for call in route.calls}) == 1
    await sdk(sbx.close())
