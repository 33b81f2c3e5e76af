"""E2B's and hopx's lifecycle names end to end against a real `hutch serve`, sync and async."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_get_metrics_snapshot(sdk, sbx):
    snap = await sdk(sbx.get_metrics_snapshot())
    assert snap["mem_total_mb"] > 0 and snap["mem_used_mb"] > 0 and snap["cpu_count"] > 0


async def test_refresh_token(sdk):
    sbx = await sdk.create(timeout=300, network={"allow_public_traffic": False})
    try:
        old = (await sdk(sbx.get_info())).traffic_access_token
        assert await sdk(sbx.refresh_token()) is None
        new = (await sdk(sbx.get_info())).traffic_access_token
        assert old and new and new != old
    finally:
        await sdk(sbx.kill())
        await sdk(sbx.close())
