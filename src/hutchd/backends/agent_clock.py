"""A sandbox's clock around a freeze of its whole cgroup, agent included (the local backend's pause).

The agent measures commands' and code cells' `timeout`s on the sandbox's clock (hutch_agent/deadlines.py).
A cgroup freeze stops the agent too, but not time: at the thaw every deadline that fell meanwhile would
kill its command at once. So the clock is stopped (`POST /clock/stop`) before the freeze, and started
(`POST /clock/start`) after the thaw: the agent, running again, first sees a clock still stopped and
kills nothing, then the clock goes on without the paused time. Each call carries its time, so that a
stop the agent reads late (after the thaw's start) is not applied.

A freeze never waits on the clock for long and never fails for it: an agent that does not answer in
STOP_TIMEOUT is logged and the sandbox frozen anyway (its commands' timeouts then run on while paused).
A start is tried START_ATTEMPTS times, and a clock left stopped is logged as an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hutchd.agentconn import AgentError, AgentPool
from hutchd.backend import AgentAddress

log = logging.getLogger("hutchd")

STOP_TIMEOUT = 2.0  # a pause waits this long at most for an agent that does not answer
START_TIMEOUT = 2.0  # one attempt's wait
START_ATTEMPTS = 4
FIRST_RETRY = 0.2  # then twice as long each time


class AgentClock:
    def __init__(self, address: Callable[[str], AgentAddress]) -> None:
        self._address = address

    async def _post(self, sandbox_id: str, path: str, timeout: float, running: bool) -> None:
        """One call on a connection of its own (nothing kept per sandbox; a frozen one's is not reused),
        stamped with its time (a late stop is not applied after a later start, hutch_agent/clock_routes.py);
        AgentError unless the clock is then `running` or not."""
        pool = AgentPool(self._address(sandbox_id))
        try:
            async with asyncio.timeout(timeout):
                answer = await pool.ask("POST", f"{path}?issued={time.time_ns()}")
        finally:
            pool.close()
        if answer.get("running") is not running:
            raise AgentError(f"the clock is {'not ' * running}running after POST {path}: {str(answer)[:200]}")

    async def stop(self, sandbox_id: str) -> None:
        """Before a freeze. Never raises but for a cancellation: the freeze happens anyway."""
        try:
            await self._post(sandbox_id, "/clock/stop", STOP_TIMEOUT, running=False)
        except Exception as e:
            log.warning("sandbox %s: its clock was not stopped for the pause, its commands' timeouts run on "
                        "while paused: %s", sandbox_id, str(e) or type(e).__name__)  # fmt: skip

    async def start(self, sandbox_id: str) -> None:
        """After a thaw, tried again with a growing pause. Never raises but for a cancellation: the
        sandbox runs again, whether its clock does or not (then its commands never time out; logged)."""
        pause = FIRST_RETRY
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await self._post(sandbox_id, "/clock/start", START_TIMEOUT, running=True)
                return
            except Exception as e:
                why = str(e) or type(e).__name__
            if attempt == START_ATTEMPTS:
                log.error("sandbox %s: its clock is still stopped after the resume (%d attempts), its commands "
                          "will not time out: %s", sandbox_id, attempt, why)  # fmt: skip
                return
            log.warning(
                "sandbox %s: its clock did not start at the resume (%s); again in %.1fs", sandbox_id, why, pause
            )
            await asyncio.sleep(pause)
            pause *= 2
