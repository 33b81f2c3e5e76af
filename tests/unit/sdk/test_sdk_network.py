"""Network policy and exposed ports in the SDK (sync and async): what is sent, what is read back."""

from __future__ import annotations

import pytest
import respx
from sdk_fakes import detail, sent_json

from hutch import ALL_TRAFFIC, AsyncSandbox, InvalidArgumentException, Sandbox, SandboxNetworkOpts

POLICY = {"allowOut": ["pypi.org"], "denyOut": ["0.0.0.0/0"], "allowPublicTraffic": False}


async def test_create_sends_the_policy(sdk, api, created):
    await sdk.create(
        network=SandboxNetworkOpts(allow_out=["pypi.org", "198.18.0.0/15"], deny_out=[ALL_TRAFFIC]),
        allow_internet_access=False,
    )
    body = sent_json(created)
    assert body["network"] == {"allowOut": ["pypi.org", "198.18.0.0/15"], "denyOut": ["0.0.0.0/0"]}


async def test_create_accepts_camel_case_and_public_traffic(sdk, api, created):
    await sdk.create(network={"allowOut": ["a.example"], "allowPublicTraffic": False})
    assert sent_json(created)["network"] == {"allowOut": ["a.example"], "allowPublicTraffic": False}


async def test_without_network_nothing_is_sent(sdk, api, created):
    await sdk.create()
    assert "network" not in sent_json(created)


@pytest.mark.parametrize(
    ("network", "says"),
    [
        ({"allow": ["x"]}, "no setting 'allow'"),
        ({"allow_out": "pypi.org"}, "network.allow_out must be a list"),
        ({"deny_out": [1]}, r"network.deny_out\[0\] must be a string"),
        ({"allow_public_traffic": "no"}, "must be True or False"),
        (["pypi.org"], "must be a SandboxNetworkOpts"),
    ],
)
async def test_bad_policies_are_refused_before_sending(sdk, api, created, network, says):
    with pytest.raises(InvalidArgumentException, match=says):
        await sdk.create(network=network)
    assert not created.called


async def test_info_reports_the_policy_and_token(sdk, api):
    api.post("/sandboxes").respond(201, json=detail(network=POLICY, trafficAccessToken="tok"))
    api.get("/sandboxes/sb1").respond(200, json=detail(network=POLICY, trafficAccessToken="tok"))
    sbx = await sdk.create()
    info = await sdk(sbx.get_info())
    assert info.network == {"allow_out": ["pypi.org"], "deny_out": ["0.0.0.0/0"], "allow_public_traffic": False}
    assert info.traffic_access_token == "tok"


async def test_info_from_an_older_server_has_no_policy(sdk, api, created):
    api.get("/sandboxes/sb1").respond(200, json=detail())
    sbx = await sdk.create()
    info = await sdk(sbx.get_info())
    assert info.network is None and info.traffic_access_token is None


async def test_update_network(sdk, api, created):
    route = api.put("/sandboxes/sb1/network").respond(200, json=detail(network=POLICY))
    sbx = await sdk.create()
    assert await sdk(sbx.update_network({"allow_out": ["pypi.org"], "deny_out": [ALL_TRAFFIC]})) is None
    assert sent_json(route) == {"allowOut": ["pypi.org"], "denyOut": ["0.0.0.0/0"]}
    await sdk(sbx.update_network(allow_internet_access=False))
    assert sent_json(route) == {"allowInternetAccess": False}
    await sdk(sbx.update_network(SandboxNetworkOpts(allow_public_traffic=True)))
    assert sent_json(route) == {"allowPublicTraffic": True}


async def test_update_network_on_the_class(sdk, api):
    route = api.put("/sandboxes/sb9/network").respond(200, json=detail(sandboxID="sb9"))
    await sdk(sdk.cls.update_network("sb9", {"deny_out": ["evil.example"]}))
    assert sent_json(route) == {"denyOut": ["evil.example"]}


async def test_update_network_of_a_missing_sandbox(sdk, api, created):
    from hutch import SandboxNotFoundException

    api.put("/sandboxes/sb1/network").respond(404, json={"code": 404, "message": "sandbox sb1 not found"})
    sbx = await sdk.create()
    with pytest.raises(SandboxNotFoundException):
        await sdk(sbx.update_network({"allow_out": []}))


async def test_get_host(sdk, api, created):
    sbx = await sdk.create()
    host = sbx.get_host(8000)  # not a coroutine on AsyncSandbox either (as in E2B)
    assert host == "localhost:7420/sandboxes/sb1/ports/8000"
    assert f"http://{host}/path" == "http://localhost:7420/sandboxes/sb1/ports/8000/path"
    with pytest.raises(InvalidArgumentException, match="port"):
        sbx.get_host(70000)


@pytest.mark.parametrize(
    ("domain", "host"),
    [
        ("example.test:9000", "example.test:9000/sandboxes/sb1/ports/80"),
        ("https://hutch.example/base/", "hutch.example/base/sandboxes/sb1/ports/80"),
    ],
)
async def test_get_host_follows_the_domain(domain, host):
    base = "http://example.test:9000" if "://" not in domain else "https://hutch.example/base"
    with respx.mock(base_url=base, assert_all_called=False) as router:
        router.post("/sandboxes").respond(201, json=detail())
        sbx = Sandbox.create(domain=domain)
        assert sbx.get_host(80) == host
        asbx = await AsyncSandbox.create(domain=domain)
        assert asbx.get_host(80) == host


async def test_e2b_selector_functions_and_mask_request_host(sdk, api, created):
    seen = []

    def allow(ctx):
        seen.append(ctx)
        return ["pypi.org"]

    await sdk.create(
        network={"allow_out": allow, "deny_out": lambda ctx: [ctx.all_traffic], "mask_request_host": "${PORT}-app.test"}
    )
    assert sent_json(created)["network"] == {
        "allowOut": ["pypi.org"],
        "denyOut": ["0.0.0.0/0"],
        "maskRequestHost": "${PORT}-app.test",
    }
    assert seen[0].all_traffic == ALL_TRAFFIC and dict(seen[0].rules) == {}


@pytest.mark.parametrize("key", ["rules", "egress_proxy", "dns_servers", "https_ports", "dnsServers"])
async def test_e2b_options_this_server_cannot_honour_are_refused(sdk, api, created, key):
    with pytest.raises(InvalidArgumentException, match=f"network.{key} is not supported: "):
        await sdk.create(network={"allow_out": ["pypi.org"], key: ["x"]})
    assert not created.called


async def test_a_selector_returning_a_bad_value_is_refused(sdk, api, created):
    with pytest.raises(InvalidArgumentException, match="or a function returning one"):
        await sdk.create(network={"deny_out": lambda ctx: ctx.all_traffic})
    assert not created.called


async def test_update_takes_e2b_inline_allow_internet_access_and_the_mask(sdk, api, created):
    route = api.put("/sandboxes/sb1/network").respond(200, json=detail(network={**POLICY, "maskRequestHost": "h"}))
    sbx = await sdk.create()
    await sdk(sbx.update_network({"allow_internet_access": False, "mask_request_host": None}))
    assert sent_json(route) == {"allowInternetAccess": False, "maskRequestHost": None}
    assert sbx._last_info.network["mask_request_host"] == "h"
    with pytest.raises(InvalidArgumentException, match="given twice"):
        await sdk(sbx.update_network({"allow_internet_access": False}, allow_internet_access=True))
