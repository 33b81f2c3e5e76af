"""The local backend: this host's runtime (bubblewrap, overlayfs, user namespaces, cgroups), each
blocking runtime call in a worker thread.

This is the only module that knows the runtime's method names, so a runtime change lands here.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hutchd.backend import DEFAULT_PIDS, AgentAddress, Backend, Boot
from hutchd.backends.agent_clock import AgentClock
from hutchd.runtime import RecoveryReport, Runtime, SandboxNotFound, SandboxSpec, images
from hutchd.runtime.mitm import Secret
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.volume_files import HostVolumeFiles


class LocalBackend(Backend):
    name = "local"

    def __init__(self, runtime: Runtime, workers: int = 16) -> None:
        super().__init__(workers)
        self.rt = runtime
        self.layout = runtime.layout
        self.templates = runtime.templates
        self.volumes = runtime.volumes
        self.volume_files = HostVolumeFiles(self)
        self.clock = AgentClock(self.agent_address)

    def shutdown(self) -> None:
        super().shutdown()
        self.rt.close()

    # ---------------------------------------------------------------- sandboxes

    async def start(self, sandbox_id: str, boot: Boot) -> None:
        spec = SandboxSpec(
            sandbox_id=sandbox_id,
            template_id=boot.template_id,
            cpu=boot.cpu,
            memory_mb=boot.memory_mb,
            disk_mb=boot.disk_mb,
            pids=DEFAULT_PIDS,
            allow_internet=boot.allow_internet,
            envs=boot.envs,
            from_snapshot=boot.from_snapshot,
            volumes=boot.volumes,
            proxy=boot.proxy,
            proxy_state_from=boot.proxy_state_from,
        )
        await self.call(self.rt.start, spec)

    async def destroy(self, sandbox_id: str) -> None:
        await self.call(self.rt.destroy, sandbox_id)

    def halt(self, sandbox_id: str) -> None:
        """Every process of the sandbox is SIGKILLed now, on the caller's thread (no queueing behind boots
        in the worker pool); `destroy` removes the rest later."""
        self.rt.halt(sandbox_id)

    async def freeze(self, sandbox_id: str) -> None:
        """The cgroup freezes the agent too: its clock is stopped first (agent_clock.py), unless the
        sandbox is frozen already (its agent would not answer)."""
        if not await self.is_frozen(sandbox_id):
            await self.clock.stop(sandbox_id)
        await self.call(self.rt.freeze, sandbox_id)

    async def thaw(self, sandbox_id: str) -> None:
        await self.call(self.rt.thaw, sandbox_id)
        await self.clock.start(sandbox_id)

    async def is_frozen(self, sandbox_id: str) -> bool:
        return bool(await self.call(self.rt.is_frozen, sandbox_id))

    async def is_alive(self, sandbox_id: str) -> bool:
        return bool(await self.call(self.rt.is_alive, sandbox_id))

    def agent_address(self, sandbox_id: str) -> AgentAddress:
        return AgentAddress(path=str(self.rt.agent_socket(sandbox_id)))

    async def set_limits(self, sandbox_id: str, *, cpu: float, memory_mb: int) -> bool:
        """Rewrite a running sandbox's cgroup limits; False when the runtime cannot."""
        fn = getattr(self.rt, "set_limits", None)
        if fn is None:
            return False
        await self.call(fn, sandbox_id, cpu=cpu, memory_mb=memory_mb, pids=DEFAULT_PIDS)
        return True

    async def set_network(self, sandbox_id: str, policy: NetworkPolicy, *, proxy: bool | None = None) -> None:
        """Apply an egress policy to a running sandbox (it keeps running); `proxy`: its egress proxy on
        or off (None: as it is)."""
        await self.call(self.rt.set_network, sandbox_id, policy, proxy=proxy)

    def proxied(self, sandbox_id: str) -> bool:
        return bool(self.rt.proxied(sandbox_id))

    async def set_proxy(self, sandbox_id: str, on: bool) -> None:
        await self.call(self.rt.set_proxy, sandbox_id, on)

    async def add_masked(self, sandbox_id: str, values: dict[str, str]) -> None:
        await self.call(self.rt.add_masked, sandbox_id, values)

    async def set_secrets(
        self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]
    ) -> bytes | None:
        """A secure sandbox's secrets and body-reading policy to its egress proxy; its CA certificate
        (None without either)."""
        return await self.call(self.rt.set_secrets, sandbox_id, secrets, inspect)

    def inspect_policy(self, sandbox_id: str) -> dict[str, Any]:
        return dict(self.rt.inspect_policy(sandbox_id))

    async def set_audit(self, sandbox_id: str, on: bool) -> None:
        """Make the egress proxy record the sandbox's connections, or stop."""
        await self.call(self.rt.set_audit, sandbox_id, on)

    def audit_on(self, sandbox_id: str) -> bool:
        return bool(self.rt.audit_on(sandbox_id))

    def audit_log(self, sandbox_id: str) -> Path:
        return Path(self.rt.audit_log(sandbox_id))

    async def metrics(self, ids: list[str]) -> dict[str, Any]:
        """Usage of each sandbox in `ids` that answers; one worker hop for the whole batch."""

        def batch() -> dict[str, Any]:
            out = {}
            for sid in ids:
                try:
                    out[sid] = self.rt.metrics(sid)
                except Exception:
                    continue
            return out

        return await self.call(batch)

    async def recover(self, known: set[str], live_replicas: set[str]) -> RecoveryReport:
        """The runtime's recovery (its data dir is this process's alone: `live_replicas` run no work in it),
        then the clock of every adopted sandbox that is not frozen is started: a server that died between
        a clock stop and its freeze, or a thaw and its clock start, left it stopped (a start is
        idempotent; one that should be paused is frozen again after this)."""
        report = await self.call(self.rt.recover, known)
        frozen = await self.call(lambda: {sid for sid in report.adopted if self._frozen_or_gone(sid)})
        await asyncio.gather(*(self.clock.start(sid) for sid in report.adopted if sid not in frozen))
        return report

    def _frozen_or_gone(self, sandbox_id: str) -> bool:
        try:
            return bool(self.rt.is_frozen(sandbox_id))
        except SandboxNotFound:
            return True

    async def remove_work(self, replica_id: str) -> None:
        """Nothing: its data dir is one process's at a time, whose start (`recover`) removes the build
        sandboxes a dead one left."""

    async def preserve_upper(self, sandbox_id: str, snapshot_id: str) -> int:
        return int(await self.call(self.rt.preserve_upper, sandbox_id, snapshot_id))

    # ---------------------------------------------------------------- snapshots and templates

    async def snapshot(self, sandbox_id: str, snapshot_id: str) -> int:
        """The runtime freezes a running sandbox for the copy: its clock stands still meanwhile."""
        running = not await self.call(self._frozen_or_gone, sandbox_id)  # gone: only its files were kept
        if running:
            await self.clock.stop(sandbox_id)
        try:
            return int(await self.call(self.rt.snapshot, sandbox_id, snapshot_id))
        finally:
            if running:
                await self.clock.start(sandbox_id)

    async def delete_snapshot(self, snapshot_id: str) -> None:
        await self.call(self.rt.delete_snapshot, snapshot_id)

    async def snapshot_ids(self) -> set[str]:
        return set(await self.call(self.rt.snapshot_ids))

    async def promote(self, snapshot_id: str, template_id: str) -> None:
        await self.call(self.rt.promote_snapshot_to_template, snapshot_id, template_id)

    async def commit_layer(self, sandbox_id: str, template_id: str, extra: dict[str, object]) -> None:
        await self.call(self.rt.commit_layer, sandbox_id, template_id, extra)

    async def add_image(
        self,
        template_id: str,
        ref: str,
        login: images.Login | None,
        extra: dict[str, object],
        progress: Callable[[str], None],
        replica: str,
    ) -> None:
        """Pulled with skopeo and unpacked with umoci into a scratch dir of the data dir, the image's
        root filesystem becomes the template's (its ENV recorded for the build's steps)."""
        work = images.scratch_dir(self.layout.root / "template-pulls")
        try:
            rootfs = await self.call(images.pull, ref, work, progress, login)
            meta = {"image": ref, "env": images.image_env(work), **extra}
            await self.call(self.templates.add_rootfs, template_id, rootfs, meta)
        finally:
            await self.call(shutil.rmtree, work, True)

    async def point_template(
        self, template_id: str, parent: str, extra: dict[str, object], envs: dict[str, str]
    ) -> None:
        await self.call(self.templates.point, template_id, parent, extra, envs)

    async def delete_template(self, template_id: str) -> None:
        await self.call(self.templates.delete, template_id)

    async def ensure_template(self, template_id: str, progress: Callable[[str], None] | None = None) -> None:
        await self.call(self.templates.ensure, template_id, progress)

    def template_exists(self, template_id: str) -> bool:
        try:
            return bool(self.templates.exists(template_id))
        except ValueError:
            return False

    def buildable_templates(self) -> list[str]:
        from hutchd.runtime.templates import RECIPES

        return sorted(RECIPES)

    def template_meta(self, template_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.templates.meta(template_id))
        except Exception:
            return None
