"""A command's timeout stands still while its sandbox is paused, as a paused E2B VM's clock does, on
every backend: on the local one the cgroup freezes the agent too and the server stops the agent's
clock first (hutchd/backends/agent_clock.py); on kubernetes the agent stops it itself (freezer.py).
Run in the default pass (local) and in the SDK pass on kubernetes (make test-sdk-kubernetes)."""

from __future__ import annotations

import asyncio

import pytest

from hutch import CommandTimeoutException

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sdk", ["sync"], indirect=True)  # the server's doing: one flavour is enough
async def test_a_paused_commands_timeout_waits_for_the_resume(sdk, sbx):
    handle = await sdk(sbx.commands.run("sleep 600", background=True, timeout=4))
    await sdk(sbx.pause())
    await asyncio.sleep(5)  # paused past the whole timeout
    await sdk(sbx.resume())
    running = {p.pid for p in await sdk(sbx.commands.list()) if p.running}
    assert handle.pid in running, "the command was killed for its timeout while paused"
    with pytest.raises(CommandTimeoutException) as ended:
        await sdk(handle.wait())  # then it has the time it had left, and is killed for it
    assert ended.value.error == "timed out after 4 s"
