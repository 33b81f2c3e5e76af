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


async def test_snapshot_fork_connect_pause(sdk, sbx):
    from hutch import InvalidArgumentException

    await sdk(sbx.files.write("/home/user/state", "kept"))
    info = await sdk(sbx.create_snapshot(name=f"lc-{sdk.name}"))
    assert info.names == [f"lc-{sdk.name}"]
    assert info.snapshot_id in [s.snapshot_id for s in await sdk(sdk.cls.list_snapshots())]
    assert info.snapshot_id in [s.snapshot_id for s in await sdk(sbx.list_snapshots())]
    booted = await sdk.create(template=info.snapshot_id, timeout=120)  # E2B's Sandbox.create(snapshot_id)
    try:
        assert await sdk(booted.files.read("/home/user/state")) == "kept"
    finally:
        await sdk(booted.kill())
        await sdk(booted.close())
    forks = await sdk(sbx.fork(count=2, timeout=120))
    try:
        assert len(forks) == 2 and not any(isinstance(f, Exception) for f in forks)
        for f in forks:
            assert await sdk(f.files.read("/home/user/state")) == "kept"
    finally:
        for f in forks:
            await sdk(f.kill())
            await sdk(f.close())
    with pytest.raises(InvalidArgumentException, match="memory cannot be kept"):
        await sdk(sbx.pause(keep_memory=True))
    await sdk(sbx.beta_pause())
    assert await sdk(sbx.status()) == "paused"
    again = await sdk(sbx.connect())  # resumes it
    assert again.sandbox_id == sbx.sandbox_id and await sdk(again.is_running())
    await sdk(again.close())
