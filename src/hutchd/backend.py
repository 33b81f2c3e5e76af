"""What the server needs from a place that runs sandboxes: the backend seam.

`Backend` is the one interface the services, the gateway and the hub call; its implementations are
`backends/local.py` (this host's runtime: bubblewrap, overlayfs, cgroups) and
`backends/kubernetes/` (a Pod per sandbox). A backend that cannot give a feature raises
`BackendUnsupported`, which the API answers 409 naming the backend; `features()` says beforehand
what it gives (`GET /health`).
"""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hutchd.http.errors import ApiError
from hutchd.runtime import RecoveryReport, TemplateStore, images
from hutchd.runtime.layout import Layout
from hutchd.runtime.mitm import Secret
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.runtime.volumes import VolumeStore
from hutchd.volume_files import VolumeFiles

T = TypeVar("T")
log = logging.getLogger("hutchd.volumes")

DEFAULT_CPU = 2.0
DEFAULT_MEMORY_MB = 1024
DEFAULT_DISK_MB = 2048
DEFAULT_PIDS = 4096

# Each feature a backend may lack, as GET /health names it.
FEATURES = (
    "pause",  # freeze a sandbox's processes in place and thaw them
    "snapshots",  # file-system snapshots and restore
    "snapshotTemplates",  # a snapshot made into a template
    "templateBuilds",  # templates built by the server (Template.build, Dockerfiles)
    "volumes",  # persistent volumes mounted into sandboxes
    "liveResize",  # cpu/memory of a running sandbox changed in place (the warm pool's fitting)
    "domainEgressRules",  # egress rules by domain name (a filtering resolver and SNI proxy)
    "proxySecrets",  # secrets, PII and transformation policies at a decrypting proxy
    "auditLog",  # the egress proxy's record of connections
    "metrics",  # cpu, memory and disk usage samples
)


class BackendUnsupported(ApiError):
    """The backend cannot do this at all (not now, never): a 409 naming the backend."""

    def __init__(self, backend: str, what: str, why: str) -> None:
        super().__init__(409, f"the {backend} backend cannot {what}: {why}")


@dataclass(frozen=True)
class Boot:
    """What a sandbox boots with, whichever backend boots it."""

    template_id: str
    cpu: float
    memory_mb: int
    disk_mb: int
    allow_internet: bool
    envs: dict[str, str] = field(default_factory=dict)
    from_snapshot: str | None = None
    volumes: dict[str, str] = field(default_factory=dict)
    proxy: bool = False  # its web traffic goes through the egress proxy from the start
    proxy_state_from: str | None = None  # a snapshot whose proxy state (secrets, policy, CA) it keeps
    tenant: str = ""  # a label, where the backend can put one
    replica: str = ""  # the server process whose own work it is (a build step: no record names it), a label too


@dataclass(frozen=True)
class AgentAddress:
    """Where a sandbox's agent answers: a Unix socket of this host (`path`), or a TCP address on the
    pod network behind the sandbox's agent token, whose host `lookup` finds when the connection is
    made (a pod's IP is known once it runs, and to every replica of the server through the API)."""

    path: str | None = None
    port: int = 0
    token: str = ""
    lookup: Callable[[], Awaitable[str]] | None = field(default=None, compare=False)


class Backend(abc.ABC):
    """The sandboxes' runtime as the async server sees it. Blocking work runs in `call`'s worker
    threads. Templates, volumes and the disk budget are files in the server's data dir (`layout`)."""

    name: str
    disks_here = True
    """Whether sandboxes' disks and volumes are files of this host (the data dir's filesystem): the disk
    budget promises them this host's space only then."""
    resizes = True
    """Whether a running sandbox's cpu and memory limits can change (`set_limits`): a warm sandbox serves
    a create of other limits only then."""
    data_dir_shared = False
    """Whether several servers may use the data dir at once (replicas of a cluster): a server starting
    cannot then take the data dir's other processes for its own dead predecessors (store/replica.py)."""
    layout: Layout
    templates: TemplateStore
    volumes: VolumeStore
    volume_files: VolumeFiles

    def __init__(self, workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hutch-rt")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def unsupported(self, what: str, why: str) -> BackendUnsupported:
        return BackendUnsupported(self.name, what, why)

    def why_not(self, feature: str) -> str | None:
        """Why this backend lacks `feature` (one of FEATURES); None when it gives it."""
        return None

    def features(self) -> dict[str, bool]:
        """Each of FEATURES: whether this backend gives it."""
        return {f: self.why_not(f) is None for f in FEATURES}

    def require(self, feature: str, what: str) -> None:
        """Raise BackendUnsupported (`what`: the refused action) when this backend lacks `feature`."""
        why = self.why_not(feature)
        if why is not None:
            raise self.unsupported(what, why)

    # ---------------------------------------------------------------- sandboxes

    @abc.abstractmethod
    async def start(self, sandbox_id: str, boot: Boot) -> None:
        """Boot the sandbox; returns once its agent answers."""

    @abc.abstractmethod
    async def destroy(self, sandbox_id: str) -> None:
        """Remove everything of the sandbox; idempotent."""

    @abc.abstractmethod
    def halt(self, sandbox_id: str) -> None:
        """Stop the sandbox's processes now, on the caller's thread, where the backend can (`destroy`
        removes the rest later)."""

    @abc.abstractmethod
    async def freeze(self, sandbox_id: str) -> None: ...

    @abc.abstractmethod
    async def thaw(self, sandbox_id: str) -> None: ...

    @abc.abstractmethod
    async def is_frozen(self, sandbox_id: str) -> bool: ...

    @abc.abstractmethod
    async def is_alive(self, sandbox_id: str) -> bool: ...

    async def alive(self, ids: list[str]) -> set[str]:
        """Those of `ids` that still run (the sampler's check of every sandbox that gave no sample)."""
        return {sid for sid in ids if await self.is_alive(sid)}

    @abc.abstractmethod
    def agent_address(self, sandbox_id: str) -> AgentAddress:
        """Raises the runtime's SandboxNotFound when the sandbox has no agent."""

    @abc.abstractmethod
    async def set_limits(self, sandbox_id: str, *, cpu: float, memory_mb: int) -> bool:
        """Change a running sandbox's limits; False when the backend cannot."""

    @abc.abstractmethod
    async def set_network(self, sandbox_id: str, policy: NetworkPolicy, *, proxy: bool | None = None) -> None:
        """Apply an egress policy to a running sandbox (it keeps running); `proxy`: its egress proxy on
        or off (None: as it is)."""

    @abc.abstractmethod
    def proxied(self, sandbox_id: str) -> bool:
        """Whether the sandbox's web traffic goes through the egress proxy."""

    @abc.abstractmethod
    async def set_proxy(self, sandbox_id: str, on: bool) -> None:
        """Turn the sandbox's egress proxy on or off, keeping its policy."""

    @abc.abstractmethod
    async def add_masked(self, sandbox_id: str, values: dict[str, str]) -> None:
        """Values of env_masking's variables (value -> name) for the decrypting proxy to take out."""

    @abc.abstractmethod
    async def set_secrets(
        self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]
    ) -> bytes | None:
        """A secure sandbox's secrets and body-reading policy to its egress proxy; its CA certificate
        (None without either)."""

    @abc.abstractmethod
    def inspect_policy(self, sandbox_id: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def set_audit(self, sandbox_id: str, on: bool) -> None: ...

    @abc.abstractmethod
    def audit_on(self, sandbox_id: str) -> bool: ...

    @abc.abstractmethod
    def audit_log(self, sandbox_id: str) -> Path: ...

    @abc.abstractmethod
    async def metrics(self, ids: list[str]) -> dict[str, Any]:
        """Usage of each sandbox in `ids` that answers (the runtime's SandboxUsage)."""

    @abc.abstractmethod
    async def recover(self, known: set[str], live_replicas: set[str]) -> RecoveryReport:
        """At server start: keep the sandboxes in `known` that still run, remove the others but the own
        work of the server processes in `live_replicas` (store/replica.py), where another process may run."""

    @abc.abstractmethod
    async def remove_work(self, replica_id: str) -> None:
        """The sandboxes a dead server process made for its own work (`Boot.replica`: build steps), which
        no record names."""

    @abc.abstractmethod
    async def preserve_upper(self, sandbox_id: str, snapshot_id: str) -> int:
        """The files of a sandbox that died with the server, kept as a snapshot; its size."""

    # ---------------------------------------------------------------- volumes

    async def create_volume(self, volume_id: str, size_mb: int, tenant: str) -> None:
        """A new empty volume of `size_mb` (its limit), owned by the tenant (a label, where the backend
        can put one); here a disk image of this host."""
        await self.call(self.volumes.create, volume_id, size_mb)

    async def delete_volume(self, volume_id: str) -> None:
        """Remove the volume and its files (idempotent); no live sandbox mounts it any more."""
        await self.call(self.volumes.delete, volume_id)

    async def recover_volumes(self, known: set[str]) -> None:
        """At server start: every volume of `known` mounted on the host again (a crashed server's mounts
        are usually still there), the others removed (a create the server died in)."""
        for volume_id in await self.call(self.volumes.ids):
            if volume_id not in known:
                await self.delete_volume(volume_id)
        for volume_id in sorted(known):
            try:
                await self.call(self.volumes.ensure_mounted, volume_id)
            except OSError as e:  # the files API and mounts will say so; the server still starts
                log.error("volume %s cannot be mounted: %s", volume_id, e)

    # ---------------------------------------------------------------- snapshots and templates

    @abc.abstractmethod
    async def snapshot(self, sandbox_id: str, snapshot_id: str) -> int:
        """Record the sandbox's files as a snapshot; its size in bytes."""

    @abc.abstractmethod
    async def delete_snapshot(self, snapshot_id: str) -> None: ...

    @abc.abstractmethod
    async def snapshot_ids(self) -> set[str]:
        """The snapshots whose files this replica holds (recovery removes those no record names)."""

    @abc.abstractmethod
    async def promote(self, snapshot_id: str, template_id: str) -> None: ...

    @abc.abstractmethod
    async def commit_layer(self, sandbox_id: str, template_id: str, extra: dict[str, object]) -> None: ...

    @abc.abstractmethod
    async def add_image(
        self,
        template_id: str,
        ref: str,
        login: images.Login | None,
        extra: dict[str, object],
        progress: Callable[[str], None],
        replica: str,
    ) -> None:
        """A template of the OCI image `ref`, pulled with `login` (never stored in the data dir);
        TemplateBuildError when it cannot be pulled or run. `replica`: the server process doing it
        (as `Boot.replica`, for a sandbox the backend boots to check the image)."""

    @abc.abstractmethod
    async def point_template(
        self, template_id: str, parent: str, extra: dict[str, object], envs: dict[str, str]
    ) -> None: ...

    @abc.abstractmethod
    async def delete_template(self, template_id: str) -> None: ...

    @abc.abstractmethod
    async def ensure_template(self, template_id: str, progress: Callable[[str], None] | None = None) -> None:
        """Make the template bootable (build a recipe); TemplateNotFound when it cannot be."""

    @abc.abstractmethod
    def template_exists(self, template_id: str) -> bool: ...

    @abc.abstractmethod
    def buildable_templates(self) -> list[str]: ...

    @abc.abstractmethod
    def template_meta(self, template_id: str) -> dict[str, Any] | None: ...
