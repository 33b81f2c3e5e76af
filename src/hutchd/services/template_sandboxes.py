"""What a template gives the sandboxes made from it: a built template's resources and envs under what
the create asks for, its start command and ready check, and for a built-in recipe not built yet, its
build in the background (a create answers 503 with Retry-After meanwhile: a first build takes
minutes, longer than any client waits for one request).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from hutchd.agentconn import AgentClients
from hutchd.auth import Tenant
from hutchd.backend import Backend
from hutchd.http.errors import ApiError, conflict
from hutchd.runtime.templates import RECIPES
from hutchd.store.db import Database, Row

log = logging.getLogger("hutchd.templates")

READY_INTERVAL = 0.2
DEFAULT_READY_TIMEOUT = 60
START_TAG = "template-start"
READY_TAG = "template-ready"
BUILDING_RETRY_AFTER_S = 15
"""What a create of a built-in being built asks the client to wait (the SDK retries such a create)."""


def config(row: Row) -> dict[str, Any]:
    """A built template's settings (envs, user, workdir, start and ready commands, resources)."""
    raw = row["config"]
    return dict(json.loads(raw)) if raw else {}


def own(db: Database, tenant: Tenant, ref: str) -> Row | None:
    """The tenant's template (built or from a snapshot) with ID or alias `ref`."""
    return db.one(
        "SELECT * FROM templates WHERE tenant = ? AND (id = ? OR alias = ?) ORDER BY id = ? DESC",
        tenant.id, ref, ref, ref,
    )  # fmt: skip


class TemplateSandboxes:
    def __init__(self, db: Database, backend: Backend, agents: AgentClients) -> None:
        self._db = db
        self._backend = backend
        self._agents = agents
        self._builds: dict[str, asyncio.Task[None]] = {}
        self._failed: dict[str, str] = {}

    def fit(self, tenant: Tenant, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The create body for a built template of the tenant (by ID or alias): its ID, and the
        template's envs and resources under what the request gives; and whether the template has a
        start command or ready check. Any other template's body is returned as it is."""
        ref = body.get("templateID", "base")
        row = own(self._db, tenant, ref)
        if row is None or row["kind"] != "build":
            return body, False
        if row["build_id"] is None:
            raise conflict(f"template {ref} has not finished its first build")
        cfg = config(row)
        resources = dict(body.get("resources", {}))
        if cfg.get("cpuCount") is not None:
            resources.setdefault("cpu", cfg["cpuCount"])
        if cfg.get("memoryMB") is not None:
            resources.setdefault("memoryMB", cfg["memoryMB"])
        fitted = {**body, "templateID": row["id"]}
        if body.get("envs"):  # the agent starts with the template's envs; these replace that set, so keep them
            fitted["envs"] = {**cfg.get("envs", {}), **body["envs"]}
        if resources:
            fitted["resources"] = resources
        return fitted, bool(cfg.get("startCmd") or cfg.get("readyCmd"))

    # ------------------------------------------------------------------ built-ins

    def require_built(self, template_id: str) -> None:
        """Nothing for a template that is on disk; for a built-in recipe that is not, its build starts
        in the background (once) and the create is answered 503 with Retry-After."""
        if template_id not in RECIPES or self._backend.template_exists(template_id):
            return
        if template_id not in self._builds:
            task = asyncio.create_task(self._build(template_id), name=f"recipe-{template_id}")
            self._builds[template_id] = task
        failed = self._failed.get(template_id)
        why = f" (the previous attempt failed: {failed})" if failed else ""
        raise ApiError(
            503,
            f"template {template_id} is being built on first use (a few minutes, once per server){why}; "
            "retry the create later",
            {"Retry-After": str(BUILDING_RETRY_AFTER_S)},
        )

    async def _build(self, template_id: str) -> None:
        try:
            await self._backend.ensure_template(template_id, lambda line: log.warning("%s", line))
            self._failed.pop(template_id, None)
        except Exception as e:
            log.error("building template %s failed: %s", template_id, e)
            self._failed[template_id] = str(e)[-500:]
        finally:
            del self._builds[template_id]

    async def stop(self) -> None:
        for task in list(self._builds.values()):
            task.cancel()
        await asyncio.gather(*self._builds.values(), return_exceptions=True)

    # ------------------------------------------------------------------ start commands

    async def start_in(self, sandbox_id: str, template_id: str) -> bool:
        """Start the template's start command in a new sandbox and wait for its ready check; False for a
        template without them (nothing to do)."""
        row = self._db.one("SELECT config FROM templates WHERE id = ? AND kind = 'build'", template_id)
        cfg = config(row) if row is not None else {}
        start, ready = cfg.get("startCmd"), cfg.get("readyCmd")
        user, cwd = str(cfg.get("user") or "user"), cfg.get("workdir")
        if start:
            await self._agents.run_command(sandbox_id, start, user=user, cwd=cwd, background=True, tag=START_TAG)
        if not ready:
            return bool(start)
        timeout = float(cfg.get("readyTimeout") or DEFAULT_READY_TIMEOUT)
        deadline = time.monotonic() + timeout
        while True:
            code = await self._agents.run_command(sandbox_id, ready, user=user, cwd=cwd, tag=READY_TAG)
            if code == 0:
                return True
            if time.monotonic() > deadline:
                raise ApiError(
                    503,
                    f"the ready check of template {template_id} ({ready}) still exited {code} after "
                    f"{timeout:g}s; the sandbox was removed",
                )
            await asyncio.sleep(READY_INTERVAL)
