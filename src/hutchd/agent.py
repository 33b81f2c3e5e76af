"""Connections to the sandbox agents, one small pool per sandbox, over each agent's Unix socket."""

from __future__ import annotations

import json

from hutchd.agentconn import AgentPool, StaleConnection
from hutchd.backend import Backend


class AgentClients:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._pools: dict[str, AgentPool] = {}

    def get(self, sandbox_id: str) -> AgentPool:
        """The sandbox's pool; raises the runtime's SandboxNotFound when it has no agent socket."""
        pool = self._pools.get(sandbox_id)
        if pool is None:
            pool = AgentPool(str(self._backend.agent_socket(sandbox_id)))
            self._pools[sandbox_id] = pool
        return pool

    async def drop(self, sandbox_id: str) -> None:
        pool = self._pools.pop(sandbox_id, None)
        if pool is not None:
            pool.close()

    async def close(self) -> None:
        for sid in list(self._pools):
            await self.drop(sid)

    async def set_envs(self, sandbox_id: str, envs: dict[str, str]) -> None:
        """Replace the agent's sandbox-wide environment (what every later command sees)."""
        body = json.dumps(envs).encode()
        headers = [("content-type", "application/json")]
        try:
            resp = await self.get(sandbox_id).request("PUT", "/env", headers, body)
        except StaleConnection:
            resp = await self.get(sandbox_id).request("PUT", "/env", headers, body)
        text = await resp.read()
        if resp.status_code >= 300:
            raise RuntimeError(f"agent refused the environment: HTTP {resp.status_code} {text[:200]!r}")
