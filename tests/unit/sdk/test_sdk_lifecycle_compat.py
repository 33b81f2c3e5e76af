"""E2B's and hopx's lifecycle names (issue 12): metrics snapshot, token refresh, snapshots by name,
pause options, E2B's lifecycle dicts, instance connect and fork; sync and async against respx."""

from __future__ import annotations

import datetime

import pytest
from sdk_fakes import detail, sent_json, snapshot

from hutch import InvalidArgumentException, NotEnoughSpaceException, SandboxNotFoundException

SAMPLE = {
    "timestamp": "2025-01-01T00:00:01Z",
    "cpuUsedPct": 12.5,
    "cpuCount": 2,
    "memUsedMB": 100,
    "memTotalMB": 1024,
    "diskUsedMB": 3,
    "diskTotalMB": 2048,
}


async def test_get_metrics_snapshot_is_a_dict_of_one_sample(sdk, api, created):
    now = api.get("/sandboxes/sb1/metrics/current").respond(200, json=SAMPLE)
    sbx = await sdk.create()
    snap = await sdk(sbx.get_metrics_snapshot())
    assert now.called and isinstance(snap, dict)
    assert snap["cpu_used_pct"] == 12.5 and snap["mem_total_mb"] == 1024 and snap["cpu_count"] == 2
    assert snap["timestamp"] == datetime.datetime(2025, 1, 1, 0, 0, 1, tzinfo=datetime.UTC)
    await sdk(sbx.close())


async def test_get_metrics_snapshot_of_a_gone_sandbox(sdk, api):
    api.get("/sandboxes/gone/metrics/current").respond(404, json={"code": 404, "message": "sandbox gone not found"})
    with pytest.raises(SandboxNotFoundException):
        await sdk(sdk.cls.get_metrics_snapshot("gone"))


async def test_refresh_token_replaces_the_traffic_token(sdk, api, created):
    refresh = api.post("/sandboxes/sb1/traffic-token").respond(200, json=detail(trafficAccessToken="new-token"))
    sbx = await sdk.create()
    assert await sdk(sbx.refresh_token()) is None  # hopx's return shape
    assert refresh.called and sbx._last_info.traffic_access_token == "new-token"
    await sdk(sbx.close())


async def test_metrics_in_e2b_names_and_bytes(sdk, api, created):
    mib = 1 << 20
    fresh = SAMPLE | {"memUsed": 100 * mib + 7, "memTotal": 1024 * mib, "memCache": 5 * mib}
    fresh |= {"diskUsed": 3 * mib, "diskTotal": 2048 * mib}
    api.get("/sandboxes/sb1/metrics").respond(200, json=[fresh, SAMPLE])  # the 2nd: a server without bytes
    sbx = await sdk.create()
    new, old = await sdk(sbx.get_metrics())
    assert (new.mem_used, new.mem_total, new.mem_cache, new.disk_used, new.disk_total) == (
        100 * mib + 7, 1024 * mib, 5 * mib, 3 * mib, 2048 * mib,
    )  # fmt: skip
    assert new.mem_used_mb == 100 and new.cpu_used_pct == 12.5 and new.cpu_count == 2
    assert (old.mem_used, old.mem_total, old.mem_cache, old.disk_total) == (100 * mib, 1024 * mib, 0, 2048 * mib)
    await sdk(sbx.close())


async def test_create_snapshot_by_name_boots_as_template(sdk, api, created):
    take = api.post("/sandboxes/sb1/snapshots").respond(
        201, json=snapshot(kind="template", templateID="tpl-1", names=["nightly"])
    )
    sbx = await sdk.create()
    info = await sdk(sbx.create_snapshot(name="nightly"))
    assert sent_json(take) == {"asTemplate": True, "name": "nightly"}
    assert (info.snapshot_id, info.template_id, info.names) == ("snap1", "tpl-1", ["nightly"])
    with pytest.raises(InvalidArgumentException, match="CRIU"):
        await sdk(sbx.create_snapshot(mode="full"))
    other = await sdk.create(template=info.snapshot_id)  # E2B's Sandbox.create(snapshot_id)
    assert sent_json(created)["templateID"] == "snap1"
    await sdk(other.close())
    await sdk(sbx.close())


async def test_list_snapshots_class_level_and_instance(sdk, api, created):
    everything = api.get("/snapshots").respond(200, json=[snapshot(), snapshot(snapshotID="snap2", sandboxID="sb2")])
    own = api.get("/sandboxes/sb1/snapshots").respond(200, json=[snapshot()])
    mine = await sdk(sdk.cls.list_snapshots())
    assert [s.snapshot_id for s in mine] == ["snap1", "snap2"] and "sandboxID" not in everything.calls[
        0
    ].request.url.params
    one = await sdk(sdk.cls.list_snapshots(sandbox_id="sb1"))
    assert everything.calls[1].request.url.params["sandboxID"] == "sb1" and len(one) == 2
    sbx = await sdk.create()
    assert [s.snapshot_id for s in await sdk(sbx.list_snapshots())] == ["snap1"] and own.called
    await sdk(sbx.close())


async def test_pause_options_and_beta_pause(sdk, api, created):
    pause = api.post("/sandboxes/sb1/pause").respond(200, json=detail(state="paused"))
    sbx = await sdk.create()
    await sdk(sbx.pause(keep_memory=False))
    await sdk(sbx.beta_pause(mode="filesystem", strict=True))
    assert pause.call_count == 2
    for bad in ({"keep_memory": True}, {"mode": "full"}):
        with pytest.raises(InvalidArgumentException, match="memory cannot be kept on this host"):
            await sdk(sbx.pause(**bad))
    with pytest.raises(InvalidArgumentException):
        await sdk(sbx.pause(mode="everything"))
    assert pause.call_count == 2  # refused before sending
    await sdk(sbx.close())


async def test_lifecycle_in_e2b_dict_form(sdk, api, created):
    sbx = await sdk.create(lifecycle={"on_timeout": {"action": "pause", "keep_memory": False}, "auto_resume": True})
    assert sent_json(created)["lifecycle"] == {"onTimeout": "pause", "autoResume": True}
    await sdk(sbx.close())
    sbx = await sdk.create(lifecycle={"on_timeout": {"action": "kill"}})
    assert sent_json(created)["lifecycle"] == {"onTimeout": "kill"}
    await sdk(sbx.close())
    with pytest.raises(InvalidArgumentException, match="memory cannot be kept"):
        await sdk.create(lifecycle={"on_timeout": {"action": "pause", "keep_memory": True}})
    with pytest.raises(InvalidArgumentException, match="on_timeout key"):
        await sdk.create(lifecycle={"on_timeout": {"action": "pause", "when": "later"}})
    assert created.call_count == 2


async def test_instance_connect(sdk, api, created):
    connect = api.post("/sandboxes/sb1/connect").respond(200, json=detail())
    sbx = await sdk.create()
    again = await sdk(sbx.connect(timeout=60))
    assert again is not sbx and again.sandbox_id == "sb1" and sent_json(connect) == {"timeout": 60}
    by_class = await sdk(sdk.cls.connect("sb1", on_resume="restore"))
    assert by_class.sandbox_id == "sb1" and connect.call_count == 2
    with pytest.raises(InvalidArgumentException, match=r"Sandbox\.restore"):
        await sdk(sdk.cls.connect("sb1", on_resume="reboot"))
    with pytest.raises(InvalidArgumentException, match="on_resume must be"):
        await sdk(sbx.connect(on_resume="warm"))
    assert connect.call_count == 2
    for s in (again, by_class, sbx):
        await sdk(s.close())


async def test_fork_one_result_per_fork(sdk, api, created):
    fork = api.post("/sandboxes/sb1/fork").respond(
        201,
        json=[
            {"sandbox": detail(sandboxID="sb2")},
            {"error": {"code": 507, "message": "the host is full"}},
        ],
    )
    sbx = await sdk.create()
    first, second = await sdk(sbx.fork(count=2, timeout=120))
    assert sent_json(fork) == {"count": 2, "timeout": 120}
    assert first.sandbox_id == "sb2" and isinstance(second, NotEnoughSpaceException)
    await sdk(first.close())
    for bad in (0, 21, "3", True, 2.5):
        with pytest.raises(InvalidArgumentException, match="count"):
            await sdk(sbx.fork(count=bad))
    assert fork.call_count == 1
    await sdk(sbx.close())


async def test_fork_of_a_gone_sandbox(sdk, api):
    api.post("/sandboxes/gone/fork").respond(404, json={"code": 404, "message": "sandbox gone not found"})
    with pytest.raises(SandboxNotFoundException):
        await sdk(sdk.cls.fork("gone", count=2))


async def test_e2b_sandbox_properties(sdk, api):
    api.post("/sandboxes").respond(201, json=detail(trafficAccessToken="tt"))
    sbx = await sdk.create()
    assert sbx.connection_config.base_url == "http://localhost:7420"
    assert sbx.sandbox_domain == "localhost:7420"
    assert sbx.envd_api_url == "http://localhost:7420/sandboxes/sb1"
    assert sbx.traffic_access_token == "tt"
    await sdk(sbx.close())


async def test_create_idempotency_key(sdk, api, created):
    await sdk.create(idempotency_key="job-42")
    assert created.calls[-1].request.headers["Idempotency-Key"] == "job-42"
    for bad in ("", "x" * 201, "a\nb", 7):
        with pytest.raises(InvalidArgumentException, match="idempotency_key"):
            await sdk.create(idempotency_key=bad)
    assert created.call_count == 1
