"""Pause and metrics of a pod, through its agent's host-internal routes (no cgroup of the pod is the
server's to freeze or read): `POST /freeze` stops every process of the pod but the agent with
SIGSTOP, `POST /thaw` continues them, `GET /freeze` says whether it is frozen (a restarted server
adopting a paused sandbox asks), `GET /usage` measures it (src/hutch_agent/freezer.py, usage.py).
A replica starting asks every pod it adopts whether it is frozen: an agent that does not answer at once
(its pod's IP not routable yet, the agent busy) is asked again for a few seconds (ASK_BUDGET).

The answers come from inside the sandbox, where code running as the pod's root could answer in the
agent's place: each is read up to agentconn.MAX_ANSWER bytes and checked field by field.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from hutchd.agentconn import AgentClients, AgentError
from hutchd.runtime import SandboxUsage

log = logging.getLogger("hutchd")

ASK_BUDGET = 5.0  # seconds in all for a question asked again (`is_frozen`)
ASK_ATTEMPT = 2.0  # one attempt's wait: a stopped agent accepts the connection and never answers
FIRST_RETRY = 0.2  # then twice as long each time
USAGE_TIMEOUT = 3.0  # a sample is skipped for a pod that does not answer in time (then `alive` is asked)
USAGE_CONCURRENCY = 32
_MAX_BYTES = 1 << 62
_USAGE_INTS = ("cpu_usage_usec", "mem_used_bytes", "mem_limit_bytes", "disk_used_bytes", "disk_limit_bytes",
               "mem_cache_bytes")  # fmt: skip


class PodAgent:
    def __init__(self, agents: AgentClients) -> None:
        self._agents = agents

    async def _call(self, sandbox_id: str, method: str, path: str) -> dict[str, Any]:
        return await self._agents.get(sandbox_id).ask(method, path)

    async def freeze(self, sandbox_id: str) -> None:
        await self._call(sandbox_id, "POST", "/freeze")

    async def thaw(self, sandbox_id: str) -> None:
        await self._call(sandbox_id, "POST", "/thaw")

    async def _asked_again(self, sandbox_id: str, path: str) -> dict[str, Any]:
        """`GET path`, asked again with a growing pause while the agent does not answer (a connection
        refused or timed out, no answer within ASK_ATTEMPT, an error status), for ASK_BUDGET seconds in
        all; AgentError once they are spent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ASK_BUDGET
        pause = FIRST_RETRY
        while True:
            try:
                async with asyncio.timeout(min(ASK_ATTEMPT, max(deadline - loop.time(), 0.1))):
                    return await self._call(sandbox_id, "GET", path)
            except (AgentError, TimeoutError) as e:
                why = f"the agent of {sandbox_id} did not answer GET {path} ({str(e) or 'not in time'})"
                if loop.time() + pause >= deadline:
                    raise AgentError(f"{why}; asked for {ASK_BUDGET:.0f}s") from e
                log.warning("%s; asking again in %.1fs", why, pause)
                await asyncio.sleep(pause)
                pause *= 2

    async def is_frozen(self, sandbox_id: str) -> bool:
        frozen = (await self._asked_again(sandbox_id, "/freeze")).get("frozen")
        if not isinstance(frozen, bool):
            raise AgentError(f"the agent of {sandbox_id} did not say whether it is frozen")
        return frozen

    async def usage(self, ids: list[str]) -> dict[str, SandboxUsage]:
        """Usage of each pod of `ids` whose agent answers in time, asked concurrently."""
        limit = asyncio.Semaphore(USAGE_CONCURRENCY)

        async def one(sandbox_id: str) -> SandboxUsage | None:
            async with limit:
                try:
                    async with asyncio.timeout(USAGE_TIMEOUT):
                        return parse_usage(await self._call(sandbox_id, "GET", "/usage"))
                except Exception:
                    return None  # no sample, as on the local backend: a pod gone is for `alive` to find

        found = await asyncio.gather(*(one(sid) for sid in ids))
        return {sid: u for sid, u in zip(ids, found, strict=True) if u is not None}


def parse_usage(answer: dict[str, Any]) -> SandboxUsage:
    """A SandboxUsage from an agent's `GET /usage`; ValueError for anything but sane numbers."""
    values: dict[str, Any] = {}
    for name in _USAGE_INTS:
        value = answer.get(name)
        if type(value) is not int or not 0 <= value < _MAX_BYTES:
            raise ValueError(f"usage field {name} is not a count: {str(value)[:40]!r}")
        values[name] = value
    cpus = answer.get("cpu_count")
    if isinstance(cpus, bool) or not isinstance(cpus, int | float) or not (math.isfinite(cpus) and 0 < cpus <= 1024):
        raise ValueError(f"usage field cpu_count is not a cpu count: {str(cpus)[:40]!r}")
    return SandboxUsage(cpu_count=float(cpus), **values)
