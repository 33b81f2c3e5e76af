"""HTTP clients for the sandbox agents, one per sandbox, over each agent's Unix socket."""

from __future__ import annotations

import httpx

from hutchd.backend import Backend

AGENT_BASE = "http://agent"
# Agent calls may stream for hours (output, watch) and uploads may be slow: only connecting is bounded.
TIMEOUT = httpx.Timeout(connect=10.0, read=None, write=None, pool=None)
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=20)


class AgentClients:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._clients: dict[str, httpx.AsyncClient] = {}

    def get(self, sandbox_id: str) -> httpx.AsyncClient:
        client = self._clients.get(sandbox_id)
        if client is None:
            path = self._backend.agent_socket(sandbox_id)
            transport = httpx.AsyncHTTPTransport(uds=str(path), limits=LIMITS, retries=0)
            client = httpx.AsyncClient(transport=transport, base_url=AGENT_BASE, timeout=TIMEOUT)
            self._clients[sandbox_id] = client
        return client

    async def drop(self, sandbox_id: str) -> None:
        client = self._clients.pop(sandbox_id, None)
        if client is not None:
            await client.aclose()

    async def close(self) -> None:
        for sid in list(self._clients):
            await self.drop(sid)

    async def set_envs(self, sandbox_id: str, envs: dict[str, str]) -> None:
        """Replace the agent's sandbox-wide environment (what every later command sees)."""
        resp = await self.get(sandbox_id).put("/env", json=envs, timeout=10.0)
        if resp.status_code >= 300:
            raise RuntimeError(f"agent refused the environment: HTTP {resp.status_code} {resp.text[:200]}")
