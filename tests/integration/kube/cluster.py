"""An emulated Kubernetes cluster for the kubernetes backend's tests: kmock's API server emulator,
and a kubelet played by this process that runs each Pod's hutch agent in a real local sandbox.

    python cluster.py --data-dir DIR --namespace NS --image IMAGE=TEMPLATE...

prints `ready KUBECONFIG` once the API answers, and serves until SIGTERM, when it stops every pod's
sandbox. The test fixture (tests/integration/conftest.py) starts it and points `hutch serve --backend
kubernetes` at the kubeconfig.

EMULATED (what differs from a real cluster):
- the API server is kmock's KubernetesEmulator: objects are stored as JSON and merge-patched, with no
  scheduler, admission, garbage collection or field validation; it ignores label selectors, does
  not implement PUT (replace), and streams a watch only for `watch=true`, which the official client
  does not send (it sends `True`), so this kubelet polls the pod list every 0.1 s instead;
- the kubelet is this process. It does not run the container's command or init containers: it maps
  the pod's image to a local template (`--image`), or pulls it from its registry into one with skopeo
  and umoci and the credentials of the pod's imagePullSecrets (kubelet_images.py: pull failures and an
  image without python3 are reported in the pod's status as a kubelet does), and the local runtime
  starts the same hutch agent in a sandbox of that template, with the pod's env (HUTCH_SANDBOX_ID,
  HUTCH_ENVS_JSON), cpu and memory limits, the token of the pod's Secret, and the values of its
  downward API variables (`resourceFieldRef`: the container's limits, as a kubelet computes them). A
  pulled image's ENV reaches the agent in HUTCH_ENVS_JSON (under the pod's), not as its process
  environment;
- cgroups: a real pod's container on a cgroup v2 node sees its own cgroup at /sys/fs/cgroup; a
  local sandbox has no /sys/fs/cgroup (the runtime mounts none, and this host's memory controller
  is cgroup v1 anyway), so its agent measures usage (`GET /usage`) the way it does on a node without
  one: from /proc, with the limits of the downward API variables (the cgroup v2 reading is
  unit-tested on files: tests/unit/agent/test_usage.py);
- the pod network: each pod's IP is a loopback address of this host (a random one of 127.0.0.0/8) where the
  sandbox's agent listens on the pod's port;
- NetworkPolicies are stored, not enforced: a sandbox whose policy allows no egress gets no network
  at all, any other the local runtime's default filter (no private, loopback or host addresses);
- the volume provisioner and the kubelet's volume mounts: the first pod that uses a claim has it
  provisioned (an ext4 image of the claim's requested size through the local runtime's VolumeStore,
  so the size is really enforced; its root owned by the sandbox user, as a local volume's) and the
  claim marked Bound; every pod that uses it gets it bind-mounted at its mount paths (one node: any
  access mode fits). There is no PersistentVolume object and no storage class (one kind of storage
  for all); a pod whose claim does not exist fails (a real one waits, Pending); once the claim is
  deleted and no pod uses it the storage is deleted (reclaim policy Delete). The images live in this
  kubelet's data dir, so they go with it.
- an agent unreachable for a while (a pod whose IP is not routable yet, an agent too busy to answer):
  while a pod has the annotation `emulated.hutch.dev/agent-stalled: "true"`, this kubelet keeps its
  sandbox frozen (the local runtime's cgroup freeze, the agent with it): connections to the agent are
  accepted and never answered. The pod stays Running and Ready, as a readiness probe takes a few
  failures to say otherwise.
REAL: pause (the agent's SIGSTOP sweep, in the sandbox's own pid namespace as in a pod's), the
agent in a real sandbox (bubblewrap, user namespaces, cgroups, seccomp: never host root),
its TCP listener and token check, and every API call the backend makes, through the official client.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import json
import math
import random
import signal
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kmock
from kubelet_images import ContainerTrouble, Images
from kubernetes_asyncio import client

from hutchd.runtime import Runtime, SandboxSpec

POLL = 0.1
KEEP_REQUESTS = 16
BOOT_THREADS = 32
RECLAIM_EVERY = 10  # polls: deleted claims' storage is looked for once a second
STALL_AGENT = "emulated.hutch.dev/agent-stalled"
RESOURCES = ("v1/pods", "v1/secrets", "networking.k8s.io/v1/networkpolicies", "v1/persistentvolumeclaims")


def _cpu(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _mib(quantity: str) -> int:
    assert quantity.endswith("Mi"), quantity
    return int(quantity[:-2])


def _resource_field(ref: Any, limits: dict[str, str]) -> str:
    """A downward API `resourceFieldRef` variable's value, as the kubelet gives it: the container's
    limit (`limits.cpu`, `limits.memory`, `limits.ephemeral-storage`) over the divisor, rounded up."""
    kind, _, name = ref.resource.partition(".")
    assert kind == "limits", ref.resource  # the backend asks for nothing else
    divisor = ref.divisor or "1"
    if name == "cpu":
        return str(math.ceil(_cpu(limits[name]) / _cpu(divisor)))
    return str(math.ceil((_mib(limits[name]) << 20) / int(divisor)))


class Kubelet:
    """Runs the pods of one namespace as local sandboxes and reports their status to the API."""

    def __init__(self, core: client.CoreV1Api, runtime: Runtime, namespace: str, images: Images) -> None:
        self.core = core
        self.runtime = runtime
        self.namespace = namespace
        self.images = images
        # A pod's name comes back (a volume's pod is made again), so each pod made is an incarnation of its
        # name; one start or stop of a name at a time (the local sandbox's id is the name's).
        self.pods: dict[str, object] = {}  # pod name -> the incarnation of it that exists
        self.sandboxes: dict[object, str] = {}  # incarnation -> its sandbox id, once started
        self.ips: dict[object, str] = {}  # incarnation -> its loopback IP
        self.claims: dict[str, set[object]] = {}  # claim name (its storage's volume id) -> the pods that mount it
        self.stalled: set[object] = set()  # incarnations whose agent is kept from answering (STALL_AGENT)
        self._names: dict[str, asyncio.Lock] = {}
        self._provisioning = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()
        # A node boots many pods at once (asyncio's default executor has cpu count + 4 threads).
        self.boots = ThreadPoolExecutor(BOOT_THREADS, thread_name_prefix="kubelet-boot")

    async def run(self) -> None:
        polls = 0
        while True:
            await asyncio.sleep(POLL)
            try:  # raw JSON: the client's models cost a core at a hundred pods ten times a second
                response = await self.core.list_namespaced_pod(self.namespace, _preload_content=False)
                listed = json.loads(await response.read())["items"]
            except Exception:
                traceback.print_exc()
                continue
            names = set()
            for pod in listed:
                name = pod["metadata"]["name"]
                names.add(name)
                if name not in self.pods and not (pod.get("status") or {}).get("phase"):
                    self.pods[name] = incarnation = object()
                    self._spawn(self._start_named(name, incarnation))
                incarnation = self.pods.get(name)
                stall = (pod["metadata"].get("annotations") or {}).get(STALL_AGENT) == "true"
                if incarnation in self.sandboxes and stall != (incarnation in self.stalled):
                    (self.stalled.add if stall else self.stalled.discard)(incarnation)
                    self._spawn(self._stall(name, incarnation, stall))
            for name in set(self.pods) - names:
                self._spawn(self._stop(name, self.pods.pop(name)))
            polls += 1
            if self.claims and polls % RECLAIM_EVERY == 0:
                try:
                    await self._reclaim()
                except Exception:
                    traceback.print_exc()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _ip(self, incarnation: object) -> str:
        """A random loopback address: other emulated clusters of this machine (other test runs) pick theirs
        too, and the agents all listen on the same port."""
        used = set(self.ips.values())
        while (ip := f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}") in used:
            pass
        self.ips[incarnation] = ip
        return ip

    async def _start_named(self, name: str, incarnation: object) -> None:
        try:
            pod = await self.core.read_namespaced_pod(name, self.namespace)
        except Exception:
            traceback.print_exc()
            if self.pods.get(name) is incarnation:
                del self.pods[name]  # the next list tries again
            return
        async with self._names.setdefault(name, asyncio.Lock()):
            if self.pods.get(name) is incarnation:  # not deleted before its turn
                await self._start(pod, incarnation)

    async def _start(self, pod: Any, incarnation: object) -> None:
        name = pod.metadata.name
        try:
            container = pod.spec.containers[0]
            env = {e.name: e for e in container.env}
            ref = env["HUTCH_AGENT_TOKEN"].value_from.secret_key_ref
            secret = await self.core.read_namespaced_secret(ref.name, self.namespace)
            token = base64.b64decode(secret.data[ref.key]).decode()
            port = container.ports[0].container_port
            policy = await client.NetworkingV1Api(self.core.api_client).read_namespaced_network_policy(
                name, self.namespace
            )
            limits = container.resources.limits
            await self._status(name, {"phase": "Pending"})
            try:
                template_id, image_env = await self.images.template(pod)
            except ContainerTrouble as trouble:
                status = {"name": container.name, "image": container.image, "imageID": "", "ready": False,
                          "restartCount": 0, "state": trouble.state}  # fmt: skip
                await self._status(name, {"phase": trouble.phase, "containerStatuses": [status]})
                return
            volumes = await self._mount_claims(pod, incarnation)
            ip = self._ip(incarnation)
            spec = SandboxSpec(
                sandbox_id=env["HUTCH_SANDBOX_ID"].value,
                template_id=template_id,
                cpu=_cpu(limits["cpu"]),
                memory_mb=_mib(limits["memory"]),
                disk_mb=_mib(limits["ephemeral-storage"]),
                allow_internet=bool(policy.spec.egress),
                envs={**image_env, **json.loads(env["HUTCH_ENVS_JSON"].value)},
                agent_tcp=f"{ip}:{port}",
                agent_token=token,
                agent_env={
                    e.name: _resource_field(e.value_from.resource_field_ref, limits)
                    for e in container.env
                    if e.value_from is not None and e.value_from.resource_field_ref is not None
                },
                volumes=volumes,
            )
            await asyncio.get_running_loop().run_in_executor(
                self.boots, functools.partial(self.runtime.start, spec, ready_timeout=60.0)
            )
            self.sandboxes[incarnation] = spec.sandbox_id
            if self.pods.get(name) is not incarnation:
                return  # deleted while it started: its _stop, waiting for this, destroys the sandbox
            now = datetime.now(UTC).isoformat()
            ready = [{"type": "Ready", "status": "True", "lastTransitionTime": now}]
            await self._status(name, {"phase": "Running", "podIP": ip, "startTime": now, "conditions": ready})
        except Exception as e:
            traceback.print_exc()
            with contextlib.suppress(Exception):
                await self._status(name, {"phase": "Failed", "message": f"emulated kubelet: {e}"})

    async def _stall(self, name: str, incarnation: object, stall: bool) -> None:
        """Freeze or thaw the pod's whole sandbox, its agent with it (STALL_AGENT)."""
        async with self._names.setdefault(name, asyncio.Lock()):
            sandbox_id = self.sandboxes.get(incarnation)
            if sandbox_id is not None:
                act = self.runtime.freeze if stall else self.runtime.thaw
                await asyncio.get_running_loop().run_in_executor(self.boots, act, sandbox_id)

    async def _mount_claims(self, pod: Any, incarnation: object) -> dict[str, str]:
        """The pod's claims, provisioned on first use, as the local runtime's mounts (path -> volume id)."""
        container = pod.spec.containers[0]
        claims = {
            v.name: v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim
        }
        mounts = {}
        for mount in container.volume_mounts or []:
            if mount.name in claims:
                claim = claims[mount.name]
                await self._provision(claim)
                self.claims[claim].add(incarnation)
                mounts[mount.mount_path] = claim
        return mounts

    async def _provision(self, claim_name: str) -> None:
        async with self._provisioning:
            if claim_name in self.claims:
                return
            claim = await self.core.read_namespaced_persistent_volume_claim(claim_name, self.namespace)
            size = claim.spec.resources.requests["storage"]
            await asyncio.to_thread(self.runtime.volumes.create, claim_name, _mib(size))
            self.claims[claim_name] = set()
            status = {"phase": "Bound", "capacity": {"storage": size}, "accessModes": claim.spec.access_modes}
            await self.core.patch_namespaced_persistent_volume_claim_status(
                claim_name, self.namespace, {"status": status}
            )

    async def _reclaim(self) -> None:
        """Delete the storage of deleted claims that no pod uses any more."""
        async with self._provisioning:
            listed = await self.core.list_namespaced_persistent_volume_claim(self.namespace)
            present = {c.metadata.name for c in listed.items}
            for claim_name in [c for c, users in self.claims.items() if c not in present and not users]:
                del self.claims[claim_name]
                await asyncio.to_thread(self.runtime.volumes.delete, claim_name)

    async def _status(self, name: str, status: dict[str, Any]) -> None:
        await self.core.patch_namespaced_pod_status(name, self.namespace, {"status": status})

    async def _stop(self, name: str, incarnation: object) -> None:
        async with self._names.setdefault(name, asyncio.Lock()):
            self.ips.pop(incarnation, None)
            self.stalled.discard(incarnation)
            sandbox_id = self.sandboxes.pop(incarnation, "")
            if sandbox_id:
                await asyncio.get_running_loop().run_in_executor(self.boots, self.runtime.destroy, sandbox_id)
            for users in self.claims.values():
                users.discard(incarnation)

    async def stop_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for name in list(self.pods):
            await self._stop(name, self.pods.pop(name))
        for claim_name in list(self.claims):
            await asyncio.to_thread(self.runtime.volumes.delete, claim_name)
        await asyncio.to_thread(self.images.remove_all)


class Emulator(kmock.KubernetesEmulator):  # type: ignore[misc]
    """kmock's emulator without its memory of requests. kmock records every request it serves, for
    assertions this cluster never makes, and finds each new one's reaction by walking that record once
    per reaction (dsl.View.__contains__): a cost that grows with every request served, which had thirty
    concurrent creates take a minute and a half. The record is cut to the newest few as each request
    comes in (it is looked up at once, with no wait in between)."""

    async def _handle(self, request: Any) -> Any:
        del self._requests[:-KEEP_REQUESTS]
        for payload in self._payloads:
            del payload._requests[:-KEEP_REQUESTS]
        return await super()._handle(request)


def kubeconfig(url: str, namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulated", "cluster": {"server": url}}],
            "users": [{"name": "emulated", "user": {}}],
            "contexts": [
                {"name": "emulated", "context": {"cluster": "emulated", "user": "emulated", "namespace": namespace}}
            ],
            "current-context": "emulated",
        }
    )


async def main(args: argparse.Namespace) -> None:
    given = dict(pair.split("=", 1) for pair in args.image)
    runtime = Runtime(args.data_dir)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    async with Emulator() as emulator, kmock.Server(emulator, port=0) as server:
        for resource in RESOURCES:  # what the backend and the kubelet use (kmock serves only declared ones)
            emulator.resources[resource] = {}
        url = str(server.url).rstrip("/")
        config_path = args.data_dir / "kubeconfig"
        config_path.write_text(kubeconfig(url, args.namespace))
        async with client.ApiClient(client.Configuration(host=url)) as api:
            core = client.CoreV1Api(api)
            images = Images(core, runtime.templates, args.namespace, given, args.data_dir / "image-pulls")
            kubelet = Kubelet(core, runtime, args.namespace, images)
            task = asyncio.create_task(kubelet.run())
            print(f"ready {config_path}", flush=True)
            await stopping.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await kubelet.stop_all()
    runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--image", action="append", default=[], metavar="IMAGE=TEMPLATE")
    asyncio.run(main(parser.parse_args(sys.argv[1:])))
