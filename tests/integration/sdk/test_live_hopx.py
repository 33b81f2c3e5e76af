"""hopx's names (seed 002) against a real `hutch serve`, sync and async: create's keywords,
``public_host``/``status``, run_code's keywords, processes as dicts, stop/start, sbx.cache and
``list(status=)``."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration


async def test_hopx_names_on_a_real_sandbox(sdk, hutch_server):
    sbx = await sdk.create(
        template_id="base",
        timeout_seconds=600,
        internet_access=False,
        env_vars={"HOPX_VAR": "set"},
        region="anywhere",
        base_url=f"http://{hutch_server.domain}",
    )
    try:
        info = await sdk(sbx.get_info())
        assert (info.status, info.allow_internet_access) == ("running", False)
        assert info.public_host == f"http://{hutch_server.domain}/sandboxes/{sbx.sandbox_id}"
        assert (await sdk(sbx.commands.run("echo $HOPX_VAR"))).stdout == "set\n"

        result = await sdk(
            sbx.run_code("import os; print(os.getcwd(), os.environ['K'])", env={"K": "v"}, working_dir="/tmp")
        )
        assert result.stdout == "/tmp v\n"
        result = await sdk(sbx.run_code("import time; time.sleep(30)", timeout_seconds=1))
        assert result.error is not None

        handle = await sdk(sbx.commands.run("sleep 60", background=True))
        await sdk(sbx.commands.run("exit 3", background=True))
        procs = {p["pid"]: p for p in await sdk(sbx.list_processes())}
        assert procs[handle.pid]["status"] == "running" and procs[handle.pid]["name"] == "sleep 60"
        killed = await sdk(sbx.kill_process(procs[handle.pid]["process_id"]))
        assert killed == {"process_id": str(handle.pid), "success": True, "message": "Process killed successfully"}
        # kill sends SIGKILL and answers; the record says "killed" once the agent has reaped the process
        for _ in range(200):
            status = {p["pid"]: p["status"] for p in await sdk(sbx.list_processes())}[handle.pid]
            if status != "running":
                break
            await asyncio.sleep(0.05)
        assert status == "killed"
        assert (await sdk(sbx.kill_process(handle.pid)))["success"] is False

        await sdk(sbx.commands.run("mkdir -p ~/.cache/pip && head -c 2097152 /dev/zero > ~/.cache/pip/blob"))
        stats = await sdk(sbx.cache.stats())
        assert stats["path"] == "/home/user/.cache" and stats["count"] == 1 and stats["size"] >= 2.0
        cleared = await sdk(sbx.cache.clear())
        assert cleared["success"] and cleared["removed"] == 1
        assert (await sdk(sbx.cache.stats()))["count"] == 0

        await sdk(sbx.commands.run("echo kept > /tmp/state"))
        await sdk(sbx.stop())
        assert (await sdk(sbx.get_info())).status == "paused"
        assert sbx.sandbox_id not in [b.sandbox_id for b in await sdk(sdk.cls.list(status="running"))]
        paused = await sdk(sdk.cls.list(status="paused"))
        assert sbx.sandbox_id in [b.sandbox_id for b in paused]
        for b in paused:
            await sdk(b.close())
        await sdk(sbx.start())
        assert (await sdk(sbx.get_info())).status == "running"
        assert (await sdk(sbx.commands.run("cat /tmp/state"))).stdout == "kept\n"
        running = await sdk(sdk.cls.list(status="running"))
        mine = [b for b in running if b.sandbox_id == sbx.sandbox_id]
        assert len(mine) == 1 and (await sdk(mine[0].get_info())).status == "running"
        for b in running:
            await sdk(b.close())
    finally:
        await sdk(sbx.kill())
        await sdk(sbx.close())
