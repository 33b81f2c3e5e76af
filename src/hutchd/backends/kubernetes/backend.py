"""`hutch serve --backend kubernetes`: each sandbox is a Pod of the template's OCI image with the
hutch agent as its entrypoint on a TCP port, reached by the gateway at the pod's IP with the
sandbox's agent token (an HMAC of the sandbox id under the server's agent key, so every replica of
the server computes it and none stores it). Its egress rules are a NetworkPolicy; its token is in a
Secret of its own; optional RuntimeClass (gVisor, Kata). Everything goes through the official async
client (kubernetes_asyncio) with the usual kubeconfig or in-cluster configuration.

A template is an OCI image here, or one plus an archive of files unpacked at boot (archives.py): a
snapshot's, or a built layer's. A template build runs each step in a pod of the layer below and
archives its changes; `fromImage` is the pods' image itself, its login an imagePullSecret.

Pause and metrics go through the pod's agent (podagent.py: SIGSTOP instead of a freezer, usage
measured inside the pod). A volume is a PersistentVolumeClaim that sandbox pods mount; its files API
without a sandbox goes through a volume pod (volumes.py). What a pod cannot give is refused with
BackendUnsupported naming this backend: egress rules by domain name, the decrypting proxy's secrets
and policies, the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.rest import ApiException

from hutchd.agentconn import AgentClients, AgentError
from hutchd.backend import AgentAddress, Backend, Boot
from hutchd.backends.kubernetes import manifests
from hutchd.backends.kubernetes.archives import Archives
from hutchd.backends.kubernetes.manifests import AGENT_PORT, PodSettings
from hutchd.backends.kubernetes.podagent import PodAgent
from hutchd.backends.kubernetes.volumes import PodVolumes
from hutchd.runtime import (
    RecoveryReport,
    RuntimeUnavailable,
    SandboxNotFound,
    SandboxStartError,
    SandboxUnreachable,
    TemplateBuildError,
    TemplateNotFound,
    images,
)
from hutchd.runtime.layout import Layout
from hutchd.runtime.mitm import Secret
from hutchd.runtime.netpolicy import NetworkPolicy
from hutchd.runtime.templates import TemplateStore
from hutchd.runtime.volumes import VolumeStore

log = logging.getLogger("hutchd")

READY_TIMEOUT = 120.0  # scheduling, an image pull and the agent's start
ORPHAN_GRACE = 600.0  # an unknown pod younger than this may be a create of another replica in flight
AGENT_KEY_FILE = "kube-agent.key"
WHY_NOT = {
    "liveResize": "a pod's resources are fixed when it is made",
    "domainEgressRules": "a NetworkPolicy holds addresses only",
    "proxySecrets": "it has no decrypting egress proxy",
    "auditLog": "it has no egress proxy to record connections",
}


def _missing(e: ApiException) -> bool:
    return e.status == 404


def _running(pod: Any) -> bool:
    """Whether a pod (None: none) is there and not ending."""
    if pod is None or pod.metadata.deletion_timestamp is not None:
        return False
    return pod.status is not None and pod.status.phase in ("Pending", "Running")


def _ready(pod: Any) -> bool:
    conditions = (pod.status.conditions or []) if pod.status is not None else []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")


def _container_trouble(pod: Any) -> str | None:
    """Why the pod's container will not run, in words (its image cannot be pulled, or has no python3
    for the agent); None while nothing says so."""
    for container in (pod.status.container_statuses or []) if pod.status is not None else []:
        image = container.image
        waiting = container.state.waiting if container.state is not None else None
        if waiting is not None and waiting.reason in PULL_FAILURES:
            return f"pulling {image} failed ({waiting.reason}): {waiting.message or ''}"
        ended = container.state.terminated if container.state is not None else None
        if ended is not None:
            message = ended.message or ""
            if "python3" in message and "not found" in message:
                return f"image {image} has no python3 for the hutch agent, which is a Python program ({message})"
            return f"its container ended ({ended.reason}, exit code {ended.exit_code}): {message}"
    return None


def _body(manifest: dict[str, object]) -> Any:
    """A manifest as the client's body: it sends dicts as they are (the manifests are dicts so that
    they are tested without a cluster, see manifests.py)."""
    return manifest


class KubernetesBackend(Backend):
    name = "kubernetes"
    disks_here = False  # a pod's disk is its node's ephemeral storage, the scheduler's to place
    data_dir_shared = True  # replicas share it (a ReadWriteMany volume)
    resizes = False  # a pod's resources are fixed (in-place resize is not generally available)

    def __init__(
        self,
        data_dir: Path,
        pods: PodSettings,
        *,
        kubeconfig: str | None = None,
        agent_key: bytes | None = None,
        workers: int = 4,
    ) -> None:
        super().__init__(workers)
        self.layout = Layout(data_dir)
        self.layout.create()
        self.templates = TemplateStore(self.layout)
        self.volumes = VolumeStore(self.layout)
        self.pods = pods
        self._kubeconfig = kubeconfig
        self._key = agent_key or _load_or_make_key(data_dir / AGENT_KEY_FILE)
        self._api: client.ApiClient | None = None
        self._api_lock = asyncio.Lock()
        self._ips: dict[str, str] = {}
        self._agents = AgentClients(self)
        self._archives = Archives(self.layout, self._agents)
        self.volume_files: PodVolumes = PodVolumes(self)
        self._pod_agent = PodAgent(self._agents)

    def why_not(self, feature: str) -> str | None:
        return WHY_NOT.get(feature)

    # ---------------------------------------------------------------- the API server

    async def _client(self) -> client.ApiClient:
        async with self._api_lock:
            if self._api is None:
                cfg = client.Configuration()
                if self._kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
                    config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
                else:
                    await config.load_kube_config(config_file=self._kubeconfig, client_configuration=cfg)
                self._api = client.ApiClient(cfg)
            return self._api

    async def _core(self) -> client.CoreV1Api:
        return client.CoreV1Api(await self._client())

    async def _net(self) -> client.NetworkingV1Api:
        return client.NetworkingV1Api(await self._client())

    def shutdown(self) -> None:
        super().shutdown()
        api, self._api = self._api, None
        if api is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().create_task(api.close())

    async def close(self) -> None:
        """Close the API client (a command that used the backend once, where `shutdown` is for the server)."""
        api, self._api = self._api, None
        if api is not None:
            await api.close()
        super().shutdown()

    # ---------------------------------------------------------------- sandboxes

    def _token(self, sandbox_id: str) -> str:
        return hmac.new(self._key, sandbox_id.encode(), hashlib.sha256).hexdigest()

    def _image(self, template_id: str) -> str:
        image = self.pods.images.get(template_id)
        if image is None:
            meta = self._archives.template_meta(template_id)
            if meta is None:
                raise TemplateNotFound(
                    f"template {template_id} has no image on the kubernetes backend"
                    f" (hutch serve --kube-template-image {template_id}=IMAGE)"
                )
            image = str(meta["image"])
        return image

    def _boot_files(self, template_id: str, from_snapshot: str | None) -> tuple[str, Path | None]:
        """The template to boot and the archive to unpack into it (a snapshot's holds every change
        since the image, a template made from a snapshot or built has its own, an image none)."""
        if from_snapshot is not None:
            return self._archives.template_of(from_snapshot), self._archives.archive(from_snapshot)
        if template_id in self.pods.images:
            return template_id, None
        return template_id, self._archives.template_archive(template_id)

    def _template_settings(self, template_id: str) -> tuple[dict[str, str], str | None]:
        """A built template's envs and its image's pull secret (none for an image given to the server)."""
        meta = {} if template_id in self.pods.images else (self._archives.template_meta(template_id) or {})
        envs = meta.get("envs")
        secret = meta.get("pullSecret")
        return (dict(envs) if isinstance(envs, dict) else {}), (str(secret) if secret else None)

    async def start(
        self,
        sandbox_id: str,
        boot: Boot,
        extra_labels: dict[str, str] | None = None,
        cpu_request: float | None = None,
    ) -> None:
        """For a pod that is not a sandbox's (a volume pod, volumes.py): `extra_labels` say what it is,
        and it may request less CPU than its limit (`cpu_request`, manifests.pod)."""
        template_id, archive = self._boot_files(boot.template_id, boot.from_snapshot)
        image = self._image(template_id)
        template_envs, pull_secret = self._template_settings(template_id)
        labels = {**manifests.labels(sandbox_id, boot.tenant, template_id), **(extra_labels or {})}
        if boot.replica:
            labels[manifests.LABEL_REPLICA] = boot.replica
        ns = self.pods.namespace
        core, net = await self._core(), await self._net()
        egress = manifests.egress_rules(NetworkPolicy(), boot.allow_internet, self.pods)
        try:
            # The policy first: the pod never runs without it.
            await net.create_namespaced_network_policy(ns, _body(manifests.network_policy(sandbox_id, labels, egress)))
            await core.create_namespaced_secret(
                ns, _body(manifests.secret(sandbox_id, self._token(sandbox_id), labels))
            )
            body = manifests.pod(
                self.pods, sandbox_id, image, cpu=boot.cpu, memory_mb=boot.memory_mb, disk_mb=boot.disk_mb,
                envs={**template_envs, **boot.envs}, sandbox_labels=labels, volume_mounts=boot.volumes,
                image_pull_secret=pull_secret, cpu_request=cpu_request,
            )  # fmt: skip
            await core.create_namespaced_pod(ns, _body(body))
            await self._wait_ready(sandbox_id)
            await self._archives.mark_boot(sandbox_id)
            if archive is not None:
                await self._archives.unpack(sandbox_id, archive)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.destroy(sandbox_id)
            raise

    async def _wait_ready(self, sandbox_id: str) -> None:
        """Until the pod is Ready (its readiness probe: the agent's /health) and has an IP."""
        core = await self._core()
        name = manifests.pod_name(sandbox_id)
        deadline = time.monotonic() + READY_TIMEOUT
        delay = 0.05
        while True:
            pod = await core.read_namespaced_pod(name, self.pods.namespace)
            status = pod.status
            phase = status.phase if status is not None else None
            if phase in ("Failed", "Succeeded"):
                why = _container_trouble(pod) or status.message or ""
                raise SandboxStartError(f"pod {name} ended ({phase}) before it was ready: {why}")
            if (trouble := _container_trouble(pod)) is not None:
                raise SandboxStartError(f"pod {name} cannot start: {trouble}")
            if _ready(pod) and status.pod_ip:
                self._ips[sandbox_id] = status.pod_ip
                return
            if time.monotonic() > deadline:
                raise RuntimeUnavailable(f"pod {name} was not ready within {READY_TIMEOUT:.0f}s (phase {phase})")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    async def destroy(self, sandbox_id: str) -> None:
        self._ips.pop(sandbox_id, None)
        await self._agents.drop(sandbox_id)
        core, net = await self._core(), await self._net()
        name, ns = manifests.pod_name(sandbox_id), self.pods.namespace
        deletions = (
            core.delete_namespaced_pod(name, ns, grace_period_seconds=0),
            core.delete_namespaced_secret(manifests.secret_name(sandbox_id), ns),
            net.delete_namespaced_network_policy(name, ns),
        )
        for deletion in deletions:
            try:
                await deletion
            except ApiException as e:
                if not _missing(e):
                    raise

    def halt(self, sandbox_id: str) -> None:
        """Nothing to do on the caller's thread: `destroy` deletes the pod (grace period 0) right after."""

    async def freeze(self, sandbox_id: str) -> None:
        await self._pod_agent.freeze(sandbox_id)

    async def thaw(self, sandbox_id: str) -> None:
        await self._pod_agent.thaw(sandbox_id)

    async def is_frozen(self, sandbox_id: str) -> bool:
        """Asked by a replica adopting the pod: an agent that does not answer in a few seconds
        (podagent.py) while its pod is Running and Ready is SandboxUnreachable, not a dead sandbox."""
        try:
            return await self._pod_agent.is_frozen(sandbox_id)
        except AgentError as e:
            pod = await self._pod(sandbox_id)
            if _running(pod) and _ready(pod):
                raise SandboxUnreachable(f"{e}; its pod is Running and Ready") from e
            raise

    async def _pod(self, sandbox_id: str) -> Any:
        """The sandbox's pod, or None when it is gone."""
        core = await self._core()
        try:
            return await core.read_namespaced_pod(manifests.pod_name(sandbox_id), self.pods.namespace)
        except ApiException as e:
            if _missing(e):
                return None
            raise

    async def is_alive(self, sandbox_id: str) -> bool:
        return _running(await self._pod(sandbox_id))

    async def alive(self, ids: list[str]) -> set[str]:
        """One list of hutch's pods, however many sandboxes are asked about."""
        wanted = set(ids)
        return {sid for sid, pod in await self._hutch_pods() if sid in wanted and _running(pod)}

    async def _hutch_pods(self) -> list[tuple[str, Any]]:
        """The namespace's pods that hutch made, with their sandbox ids."""
        core = await self._core()
        pods = await core.list_namespaced_pod(self.pods.namespace, label_selector=manifests.SELECTOR)
        found = []
        for pod in pods.items:
            labels = pod.metadata.labels or {}
            sid = labels.get(manifests.LABEL_SANDBOX)
            if labels.get(manifests.LABEL_MANAGED) == manifests.MANAGED_BY and sid:
                found.append((sid, pod))  # a list that ignores its selector (the emulator does) shows others' too
        return found

    async def pod_ip(self, sandbox_id: str) -> str:
        """The pod's IP, from this replica's memory or the API (a sandbox another replica made)."""
        ip = self._ips.get(sandbox_id)
        if ip is None:
            pod = await self._pod(sandbox_id)
            if pod is None or pod.status is None or not pod.status.pod_ip:
                raise SandboxNotFound(f"sandbox {sandbox_id!r} has no running pod")
            ip = self._ips[sandbox_id] = str(pod.status.pod_ip)
        return ip

    def agent_address(self, sandbox_id: str) -> AgentAddress:
        async def lookup() -> str:
            return await self.pod_ip(sandbox_id)

        return AgentAddress(port=AGENT_PORT, token=self._token(sandbox_id), lookup=lookup)

    async def set_limits(self, sandbox_id: str, *, cpu: float, memory_mb: int) -> bool:
        return False

    async def set_network(self, sandbox_id: str, policy: NetworkPolicy, *, proxy: bool | None = None) -> None:
        """The policy's addresses as the sandbox's NetworkPolicy (`proxy` has no pod-side part: the
        SNI proxy is the local backend's)."""
        try:
            egress = manifests.egress_rules(policy, True, self.pods)
        except manifests.DomainRulesUnsupported as e:
            why = f"{WHY_NOT['domainEgressRules']} (entries {e})"
            raise self.unsupported("filter egress by domain name", why) from None
        net = await self._net()
        patch = {"spec": {"egress": egress}}
        await net.patch_namespaced_network_policy(manifests.pod_name(sandbox_id), self.pods.namespace, patch)

    def proxied(self, sandbox_id: str) -> bool:
        return False  # no egress proxy: `secure` is the access token only (README)

    async def set_proxy(self, sandbox_id: str, on: bool) -> None:
        """Nothing to turn on or off: the NetworkPolicy is the whole egress filter."""

    async def add_masked(self, sandbox_id: str, values: dict[str, str]) -> None:
        if values:
            self.require("proxySecrets", "mask values at the egress proxy")

    async def set_secrets(
        self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]
    ) -> bytes | None:
        if secrets or inspect:
            self.require("proxySecrets", "hold secrets or inspect traffic")
        return None

    def inspect_policy(self, sandbox_id: str) -> dict[str, Any]:
        return {}

    async def set_audit(self, sandbox_id: str, on: bool) -> None:
        if on:
            self.require("auditLog", "keep an audit log")

    def audit_on(self, sandbox_id: str) -> bool:
        return False

    def audit_log(self, sandbox_id: str) -> Path:
        """A log that is never written (turning the audit on is refused): an empty page."""
        return self.layout.sandbox_dir(sandbox_id) / "audit.log"

    async def metrics(self, ids: list[str]) -> dict[str, Any]:
        """Usage from the agents of `ids` whose pods have an IP; one list of hutch's pods finds the IPs
        this replica has not met yet (not one GET per sandbox)."""
        if any(sid not in self._ips for sid in ids):
            for sid, pod in await self._hutch_pods():
                if _running(pod) and pod.status.pod_ip:
                    self._ips.setdefault(sid, str(pod.status.pod_ip))
        return dict(await self._pod_agent.usage([sid for sid in ids if sid in self._ips]))

    async def recover(self, known: set[str], live_replicas: set[str]) -> RecoveryReport:
        """Adopt the live pods of `known` sandboxes; delete the other pods hutch made in the namespace,
        but those of a live replica's own work (a build step runs as long as it takes) and those younger
        than ORPHAN_GRACE (another replica's create, or the work of one not known alive yet)."""
        report = RecoveryReport()
        now = datetime.now(UTC)
        for sid, pod in await self._hutch_pods():
            labels = pod.metadata.labels or {}
            if manifests.LABEL_VOLUME in labels:
                continue  # a volume pod: its idle reaping is volumes.py's
            if sid in known and _running(pod):
                report.adopted.append(sid)
                continue
            created = pod.metadata.creation_timestamp
            young = created is not None and (now - created).total_seconds() < ORPHAN_GRACE
            if sid not in known and (young or labels.get(manifests.LABEL_REPLICA) in live_replicas):
                continue
            await self.destroy(sid)
            report.cleaned.append(sid)
        return report

    async def remove_work(self, replica_id: str) -> None:
        """The pods labelled with a dead replica process's ID (its build steps go with its builds)."""
        for sid, pod in await self._hutch_pods():
            if (pod.metadata.labels or {}).get(manifests.LABEL_REPLICA) == replica_id:
                await self.destroy(sid)

    async def remove_all(self) -> list[str]:
        """`hutch cleanup`: delete every pod, Secret, NetworkPolicy and volume claim hutch made in the
        namespace (by their labels, whichever replica made them); the ids of the sandboxes they were of."""
        core, net = await self._core(), await self._net()
        ns, selector = self.pods.namespace, manifests.SELECTOR
        kinds = (
            (core.list_namespaced_pod, functools.partial(core.delete_namespaced_pod, grace_period_seconds=0)),
            (core.list_namespaced_secret, core.delete_namespaced_secret),
            (net.list_namespaced_network_policy, net.delete_namespaced_network_policy),
            (core.list_namespaced_persistent_volume_claim, core.delete_namespaced_persistent_volume_claim),
        )
        removed = set()
        for list_kind, delete in kinds:
            for item in (await list_kind(ns, label_selector=selector)).items:
                labels = item.metadata.labels or {}
                if labels.get(manifests.LABEL_MANAGED) != manifests.MANAGED_BY:
                    continue  # a list that ignores its selector (the emulator does) shows others' too
                try:
                    await delete(item.metadata.name, ns)
                except ApiException as e:
                    if not _missing(e):
                        raise
                if (sid := labels.get(manifests.LABEL_SANDBOX)) and manifests.LABEL_VOLUME not in labels:
                    removed.add(sid)
        self._ips.clear()
        return sorted(removed)

    # ---------------------------------------------------------------- volumes

    async def create_volume(self, volume_id: str, size_mb: int, tenant: str) -> None:
        await self.volume_files.create(volume_id, size_mb, tenant)

    async def delete_volume(self, volume_id: str) -> None:
        await self.volume_files.delete(volume_id)

    async def recover_volumes(self, known: set[str]) -> None:
        await self.volume_files.recover(known)

    async def preserve_upper(self, sandbox_id: str, snapshot_id: str) -> int:
        raise self.unsupported("keep the files of a dead sandbox", "its pod's file system went with the pod")

    # ---------------------------------------------------------------- snapshots and templates

    async def snapshot(self, sandbox_id: str, snapshot_id: str) -> int:
        pod = await self._pod(sandbox_id)
        if pod is None:
            raise SandboxNotFound(f"sandbox {sandbox_id!r} has no running pod")
        template_id = (pod.metadata.labels or {}).get(manifests.LABEL_TEMPLATE, "")
        return await self._archives.take(sandbox_id, snapshot_id, template_id)

    async def delete_snapshot(self, snapshot_id: str) -> None:
        await self.call(self._archives.delete, snapshot_id)

    async def snapshot_ids(self) -> set[str]:
        return set(await self.call(self._archives.ids))

    async def promote(self, snapshot_id: str, template_id: str) -> None:
        meta = self._layer_meta(self._archives.template_of(snapshot_id))
        await self.call(self._archives.promote, snapshot_id, template_id, meta)

    async def commit_layer(self, sandbox_id: str, template_id: str, extra: dict[str, object]) -> None:
        """A built layer: the image of the layer below, and its archive with the step's changes appended."""
        below = await self._pod_template(sandbox_id)
        meta = {**self._layer_meta(below), **extra}
        archive = self._archives.template_archive(below) if below not in self.pods.images else None
        await self._archives.take_layer(sandbox_id, template_id, meta, archive)

    async def point_template(
        self, template_id: str, parent: str, extra: dict[str, object], envs: dict[str, str]
    ) -> None:
        """A built template: its top layer's image and archive (a hard link), and its envs, which its pods
        start with."""
        meta = {**self._layer_meta(parent), **extra, "envs": envs}
        await self.call(self._archives.add_template, template_id, meta, parent)

    def _layer_meta(self, below: str) -> dict[str, object]:
        """What a template on top of template `below` boots: its image, behind its pull secret; `parent`
        names `below` when it is a template of the data dir (a layer a later delete must keep)."""
        image = self._image(below)
        meta = self._archives.template_meta(below) if below not in self.pods.images else None
        secret = (meta or {}).get("pullSecret")
        return {"image": image, "parent": below if meta is not None else None, "pullSecret": secret}

    async def _pod_template(self, sandbox_id: str) -> str:
        pod = await self._pod(sandbox_id)
        if pod is None:
            raise SandboxNotFound(f"sandbox {sandbox_id!r} has no running pod")
        return str((pod.metadata.labels or {}).get(manifests.LABEL_TEMPLATE, ""))

    async def add_image(
        self,
        template_id: str,
        ref: str,
        login: images.Login | None,
        extra: dict[str, object],
        progress: Callable[[str], None],
        replica: str,
    ) -> None:
        """A template of the pods' image `ref` (a login becomes its imagePullSecret); a pod of it is
        booted once, so that the cluster's pull and the agent's start are checked now, not at a create."""
        secret = None
        if login is not None:
            secret = manifests.pull_secret_name(template_id)
            body = manifests.pull_secret(template_id, images.registry_of(ref), login.username, login.password)
            await (await self._core()).create_namespaced_secret(self.pods.namespace, _body(body))
        try:
            meta = {"image": ref, "parent": None, "pullSecret": secret, **extra}
            await self.call(self._archives.add_template, template_id, meta)
            progress(f"pulling {ref} in the cluster (the image of the template's pods)")
            probe = "bld-" + secrets.token_hex(8)
            try:
                await self.start(probe, Boot(template_id, 0.5, 256, 1024, allow_internet=False, replica=replica))
            finally:
                await self.destroy(probe)
        except BaseException as e:
            with contextlib.suppress(Exception):
                await self.delete_template(template_id)
            if isinstance(e, SandboxStartError):
                raise TemplateBuildError(str(e)) from None
            raise

    async def delete_template(self, template_id: str) -> None:
        """The template's files, and the pull secret of its image when it made one."""
        meta = self._archives.template_meta(template_id) or {}
        if meta.get("pullSecret") == manifests.pull_secret_name(template_id):
            try:
                await (await self._core()).delete_namespaced_secret(str(meta["pullSecret"]), self.pods.namespace)
            except ApiException as e:
                if not _missing(e):
                    raise
        await self.call(self._archives.delete_template, template_id)

    async def ensure_template(self, template_id: str, progress: Callable[[str], None] | None = None) -> None:
        self._image(template_id)

    def template_exists(self, template_id: str) -> bool:
        try:
            return template_id in self.pods.images or self._archives.template_meta(template_id) is not None
        except ValueError:  # not an id at all
            return False

    def buildable_templates(self) -> list[str]:
        return sorted(self.pods.images)

    def template_meta(self, template_id: str) -> dict[str, Any] | None:
        image = self.pods.images.get(template_id)
        return {"image": image} if image is not None else self._archives.template_meta(template_id)


def _load_or_make_key(path: Path) -> bytes:
    """The agent key of this data dir (replicas that share none are given one: --kube-agent-key-file)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # the first replica's key wins; the others read it
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()
