"""E2B's and hopx's lifecycle names (issue 12): metrics snapshot, token refresh, snapshots by name,
pause options, E2B's lifecycle dicts, instance connect and fork; sync and async against respx."""

from __future__ import annotations

import datetime

import pytest
from sdk_fakes import detail

from hutch import SandboxNotFoundException

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
