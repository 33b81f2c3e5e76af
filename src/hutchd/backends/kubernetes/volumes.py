"""Volumes on Kubernetes: each is a PersistentVolumeClaim of the namespace (manifests.claim), mounted
by the pods of the sandboxes that mount it (manifests.pod).

The files API on a volume without a sandbox cannot mount a claim on the server's host, so it goes to
a volume pod: the base template's image (POD_TEMPLATE), the claim mounted at VOLUME_ROOT, no egress, its agent token
in a Secret (a sandbox's pod in all but its labels; its id is the volume's). Its agent does the
operations with hutch_agent/volumefiles.py, the code the local backend runs on its host, so the
answers are the same. The pod is made on first use (and at the volume's create, which gives the
volume's root to the sandbox user, as a local volume's), reused, and deleted once no replica used it
for IDLE seconds (each use stamps the pod's LAST_USED annotation, at most every IDLE/4; every replica
reaps), at the volume's delete, at this server's stop, and by `hutch cleanup`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kubernetes_asyncio.client.rest import ApiException

from hutchd.agentconn import AgentError, AgentResponse
from hutchd.backend import Boot
from hutchd.backends.kubernetes import manifests
from hutchd.runtime import SandboxNotFound
from hutchd.runtime.templates import SANDBOX_UID
from hutchd.volume_files import VolumeFiles

if TYPE_CHECKING:
    from hutchd.backends.kubernetes.backend import KubernetesBackend

VOLUME_ROOT = "/volume"  # where a volume pod mounts its volume
IDLE = 120.0
LAST_USED = "hutch.dev/last-used"  # a volume pod's annotation: when a replica last used it (epoch seconds)
ORPHAN_GRACE = 600.0  # a claim without a record younger than this may be another replica's create in flight
POD_TEMPLATE = "base"  # its image; without one, the first template's (every template image runs the agent)
# The files API's throughput is the agent's CPU (bench/bench_volumes.py on the emulated cluster: a 32 MiB
# write at 58 MiB/s with 0.25 CPU, 138 MiB/s with 1): it may use one when busy, but mostly it waits for
# requests (up to IDLE seconds after the last), so it reserves only POD_CPU_REQUEST of a node.
POD_CPU, POD_CPU_REQUEST, POD_MEMORY_MB, POD_DISK_MB = 1.0, 0.1, 256, 256
# What VolumeStore.create does to a local volume's root: a provisioner's is root's, often with lost+found.
_PREPARE = (
    f"rmdir {VOLUME_ROOT}/lost+found 2>/dev/null; "
    f"chown {SANDBOX_UID}:{SANDBOX_UID} {VOLUME_ROOT} && chmod 755 {VOLUME_ROOT}"
)


def _missing(e: ApiException) -> bool:
    return e.status == 404


def _query(params: dict[str, object]) -> str:
    """A query string the agent decodes back to the same text (non-UTF-8 bytes as surrogate escapes)."""
    return "&".join(f"{k}={quote(str(v), safe='', errors='surrogateescape')}" for k, v in params.items())


def _failure(status: int, data: bytes) -> Exception:
    """A volume route's refusal as the exception volumefiles raised in the pod (volume_routes.py)."""
    try:
        body = json.loads(data)
    except ValueError:
        body = {}
    if isinstance(body, dict) and isinstance(body.get("errno"), int):
        return OSError(body["errno"], str(body.get("strerror", "")))
    if isinstance(body, dict) and isinstance(body.get("invalid"), str):
        return ValueError(body["invalid"])
    return AgentError(f"the volume pod answered HTTP {status}: {data[:300].decode(errors='replace')}")


class PodVolumes(VolumeFiles):
    """The claims of the backend's namespace, and the files API through their volume pods."""

    def __init__(self, backend: KubernetesBackend) -> None:
        self._backend = backend
        self._locks: dict[str, asyncio.Lock] = {}
        self._stamped: dict[str, float] = {}  # volume pods this replica knows running -> when it last stamped
        self._reaper: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- claims

    async def create(self, volume_id: str, size_mb: int, tenant: str) -> None:
        """The claim, then its volume pod, which gives the volume's root to the sandbox user (the claim
        goes again when that fails)."""
        core = await self._backend._core()
        # the client sends dicts as they are (manifests.py)
        body: Any = manifests.claim(self._backend.pods, volume_id, tenant, size_mb)
        await core.create_namespaced_persistent_volume_claim(self._backend.pods.namespace, body)
        try:
            await self._ensure(volume_id)
            output: list[str] = []
            code = await self._backend._agents.run_command(volume_id, _PREPARE, user="root", on_output=output.append)
            if code != 0:  # a root-squashing NFS export, say: its storage class cannot hold hutch's volumes
                why = "".join(output)[-300:]
                raise AgentError(f"giving the root of volume {volume_id} to the sandbox user failed ({code}): {why}")
        except BaseException:
            with contextlib.suppress(Exception):
                await self.delete(volume_id)
            raise

    async def delete(self, volume_id: str) -> None:
        """The volume pod, then the claim (its storage goes with it when its reclaim policy is Delete)."""
        await self._drop_pod(volume_id)
        self._locks.pop(volume_id, None)
        core = await self._backend._core()
        try:
            await core.delete_namespaced_persistent_volume_claim(
                manifests.claim_name(volume_id), self._backend.pods.namespace
            )
        except ApiException as e:
            if not _missing(e):
                raise

    async def recover(self, known: set[str]) -> None:
        """At the server's start: the reaping of idle volume pods begins (a crashed server's too), and
        the claims of volumes without a record go once older than ORPHAN_GRACE (a create the server
        died in; a younger one may be another replica's create)."""
        self._reap_in_background()
        core = await self._backend._core()
        claims = await core.list_namespaced_persistent_volume_claim(
            self._backend.pods.namespace, label_selector=manifests.SELECTOR
        )
        now = datetime.now(UTC)
        for item in claims.items:
            volume_id = (item.metadata.labels or {}).get(manifests.LABEL_VOLUME)
            created = item.metadata.creation_timestamp
            if volume_id and volume_id not in known and created and (now - created).total_seconds() > ORPHAN_GRACE:
                await self.delete(volume_id)

    # ---------------------------------------------------------------- volume pods

    async def _ensure(self, volume_id: str) -> None:
        """The volume's pod running and ready (made when missing), stamped as used."""
        if volume_id not in self._stamped:
            async with self._locks.setdefault(volume_id, asyncio.Lock()):
                if volume_id not in self._stamped:
                    await self._start_pod(volume_id)
        self._reap_in_background()
        if time.time() - self._stamped[volume_id] > IDLE / 4:
            await self._stamp(volume_id)

    async def _start_pod(self, volume_id: str) -> None:
        core = await self._backend._core()
        ns = self._backend.pods.namespace
        try:
            claim = await core.read_namespaced_persistent_volume_claim(manifests.claim_name(volume_id), ns)
        except ApiException as e:
            if _missing(e):
                raise FileNotFoundError(2, f"volume {volume_id} has no claim", "/") from None
            raise
        pod = await self._backend._pod(volume_id)
        if pod is not None and not await self._backend.is_alive(volume_id):
            await self._backend.destroy(volume_id)  # ended, or ending
            pod = None
        if pod is None:
            tenant = (claim.metadata.labels or {}).get(manifests.LABEL_TENANT, "")
            images = self._backend.pods.images
            template = POD_TEMPLATE if POD_TEMPLATE in images or not images else min(images)
            boot = Boot(
                template_id=template, cpu=POD_CPU, memory_mb=POD_MEMORY_MB, disk_mb=POD_DISK_MB,
                allow_internet=False, volumes={VOLUME_ROOT: volume_id}, tenant=tenant,
            )  # fmt: skip
            await self._backend.start(
                volume_id, boot, extra_labels={manifests.LABEL_VOLUME: volume_id}, cpu_request=POD_CPU_REQUEST
            )
        else:
            await self._backend._wait_ready(volume_id)  # another replica's, maybe still starting
        self._stamped[volume_id] = 0.0

    async def _stamp(self, volume_id: str) -> None:
        core = await self._backend._core()
        now = time.time()
        patch = {"metadata": {"annotations": {LAST_USED: str(int(now))}}}
        await core.patch_namespaced_pod(manifests.pod_name(volume_id), self._backend.pods.namespace, patch)
        self._stamped[volume_id] = now

    async def _drop_pod(self, volume_id: str) -> None:
        self._stamped.pop(volume_id, None)
        await self._backend.destroy(volume_id)

    def _reap_in_background(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap_loop(), name="volume-pods")

    async def _reap_loop(self) -> None:
        while True:
            await asyncio.sleep(IDLE / 2)
            with contextlib.suppress(Exception):  # the API down a while: the next round
                await self.reap()

    async def reap(self, idle: float = IDLE) -> list[str]:
        """Delete the volume pods no replica used for `idle` seconds (or, not stamped yet, made that
        long ago: a start takes less than the backend's READY_TIMEOUT); their volume ids."""
        now = time.time()
        reaped = []
        for sid, pod in await self._backend._hutch_pods():
            volume_id = (pod.metadata.labels or {}).get(manifests.LABEL_VOLUME)
            if volume_id != sid:
                continue
            stamp = (pod.metadata.annotations or {}).get(LAST_USED, "")
            created = pod.metadata.creation_timestamp
            if stamp.isdigit():
                used = float(stamp)
            elif created is not None:  # not stamped yet: starting (its starter stamps it once ready), or orphaned
                used = created.timestamp()
            else:
                continue  # no time at all (an API server that sets none): never before its first stamp
            if now - used > idle:
                await self._drop_pod(volume_id)
                reaped.append(volume_id)
        return reaped

    async def close(self) -> None:
        """At the server's stop: the volume pods this replica knows go (another replica that uses one
        makes it again)."""
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reaper
        for volume_id in list(self._stamped):
            with contextlib.suppress(Exception):
                await self._drop_pod(volume_id)

    # ---------------------------------------------------------------- the files API

    async def _request(
        self,
        volume_id: str,
        method: str,
        route: str,
        params: dict[str, object],
        body: AsyncIterator[bytes] | None = None,
    ) -> AgentResponse:
        """A volume route of the volume pod's agent; a pod that went away meanwhile (reaped by another
        replica) is made again and the request sent once more, when it has no streamed body."""
        target = f"/volume/{route}?{_query({'root': VOLUME_ROOT, **params})}"
        headers = [("content-type", "application/octet-stream")] if body is not None else []
        await self._ensure(volume_id)
        try:
            resp = await self._backend._agents.get(volume_id).request(method, target, headers, body)
        except (AgentError, SandboxNotFound):
            if body is not None:
                raise
            await self._drop_pod(volume_id)
            await self._ensure(volume_id)
            resp = await self._backend._agents.get(volume_id).request(method, target, headers, body)
        if resp.status_code >= 300:
            raise _failure(resp.status_code, await resp.read())
        return resp

    async def _json(self, volume_id: str, route: str, params: dict[str, object]) -> Any:
        return json.loads(await (await self._request(volume_id, "GET", route, params)).read())

    async def stat(self, volume_id: str, path: str) -> dict[str, Any]:
        entry: dict[str, Any] = await self._json(volume_id, "stat", {"path": path})
        return entry

    async def list_dir(self, volume_id: str, path: str, depth: int) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await self._json(volume_id, "list", {"path": path, "depth": depth})
        return entries

    async def remove(self, volume_id: str, path: str) -> None:
        await (await self._request(volume_id, "DELETE", "file", {"path": path})).read()

    async def make_dir(self, volume_id: str, path: str, uid: int, gid: int, mode: int) -> tuple[bool, dict[str, Any]]:
        resp = await self._request(volume_id, "POST", "dir", {"path": path, "uid": uid, "gid": gid, "mode": mode})
        entry: dict[str, Any] = json.loads(await resp.read())
        return resp.status_code == 201, entry

    async def read(self, volume_id: str, path: str) -> AsyncIterator[bytes]:
        return (await self._request(volume_id, "GET", "file", {"path": path})).iter_body()

    async def write(
        self, volume_id: str, path: str, body: AsyncIterator[bytes], uid: int, gid: int, mode: int
    ) -> dict[str, Any]:
        params = {"path": path, "uid": uid, "gid": gid, "mode": mode}
        resp = await self._request(volume_id, "PUT", "file", params, body)
        entry: dict[str, Any] = json.loads(await resp.read())
        return entry
