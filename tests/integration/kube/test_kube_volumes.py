"""Volumes on the kubernetes backend, against `hutch serve --backend kubernetes` on the emulated cluster
(a real one too when KUBECONFIG is set): a volume is a PersistentVolumeClaim that sandbox pods mount,
its files API without a sandbox goes through a volume pod, and its data outlives every pod. The volume
API's own behaviour (the same on every backend) is tests/integration/server/test_volumes.py's, which
runs here too."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulated_api import NAMESPACE, EmulatedApi
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.rest import ApiException
from test_kubernetes_backend import _replica

from hutchd.backends.kubernetes import KubernetesBackend, PodSettings, manifests
from hutchd.backends.kubernetes.volumes import IDLE, LAST_USED

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql", "kubernetes")]

OCTET = {"content-type": "application/octet-stream"}


@pytest.fixture
async def core(hutch_server) -> AsyncIterator[client.CoreV1Api]:
    cfg = client.Configuration()
    await config.load_kube_config(config_file=hutch_server.kubeconfig, client_configuration=cfg)
    async with client.ApiClient(cfg) as api:
        yield client.CoreV1Api(api)


@pytest.fixture(scope="module")
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


def _volume(http: httpx.Client, size_mb: int = 64) -> str:
    r = http.post("/volumes", json={"name": f"kv-{secrets.token_hex(4)}", "sizeMB": size_mb})
    assert r.status_code == 201, r.text
    return str(r.json()["volumeID"])


def _sandbox(http: httpx.Client, mounts: dict[str, str]) -> str:
    body = {"timeout": 300, "volumeMounts": [{"name": v, "path": p} for p, v in mounts.items()]}
    r = http.post("/sandboxes", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["sandboxID"])


async def _read(read: Any, name: str, namespace: str) -> Any:
    try:
        return await read(name, namespace)
    except ApiException as e:
        assert e.status == 404, e
        return None


async def _wait_gone(read: Any, name: str, namespace: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while await _read(read, name, namespace) is not None:
        assert time.monotonic() < deadline, f"{name} is still there"
        await asyncio.sleep(0.2)


def _emulated_storage(request: pytest.FixtureRequest, hutch_server: Any, volume_id: str) -> Path | None:
    """Where the emulated provisioner keeps the volume's storage, in the cluster's data dir beside its
    kubeconfig (None on a real cluster)."""
    if not request.node.callspec.params["hutch_server"].startswith("kubernetes-emulated"):
        return None
    return Path(hutch_server.kubeconfig).parent / "volumes" / f"hutch-{volume_id}"


def _cpus(quantity: str) -> float:
    """A CPU quantity as the API server may write it ("1", "1000m", "100m")."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


async def test_a_volume_is_a_claim_that_sandbox_pods_and_its_volume_pod_mount(
    request, hutch_server, http, core
) -> None:
    ns = hutch_server.kube_namespace
    vid = _volume(http, size_mb=80)
    claim = await core.read_namespaced_persistent_volume_claim(f"hutch-{vid}", ns)
    assert claim.metadata.labels["hutch.dev/volume-id"] == vid and claim.metadata.labels["hutch.dev/tenant"]
    assert claim.metadata.labels["app.kubernetes.io/managed-by"] == "hutch"
    assert claim.spec.resources.requests == {"storage": "80Mi"} and claim.spec.access_modes == ["ReadWriteMany"]
    assert claim.status.phase == "Bound"  # its volume pod, made by the create, uses it
    # The volume pod: the claim at /volume, no egress, a token of its own, not counted as a sandbox.
    pod = await core.read_namespaced_pod(f"hutch-{vid}", ns)
    assert pod.metadata.labels["hutch.dev/volume-id"] == vid
    claims = {v.name: v.persistent_volume_claim.claim_name for v in pod.spec.volumes if v.persistent_volume_claim}
    mounts = {m.mount_path: claims[m.name] for m in pod.spec.containers[0].volume_mounts if m.name in claims}
    assert mounts == {"/volume": f"hutch-{vid}"}
    resources = pod.spec.containers[0].resources  # idle most of its life: it reserves a tenth of a CPU
    assert (_cpus(resources.requests["cpu"]), _cpus(resources.limits["cpu"])) == (0.1, 1)
    policy = await client.NetworkingV1Api(core.api_client).read_namespaced_network_policy(f"hutch-{vid}", ns)
    assert policy.spec.egress in (None, [])
    assert vid not in {s["sandboxID"] for s in http.get("/sandboxes").json()["sandboxes"]}

    sid = _sandbox(http, {"/data": vid})
    try:
        pod = await core.read_namespaced_pod(f"hutch-{sid}", ns)
        claims = {v.name: v.persistent_volume_claim.claim_name for v in pod.spec.volumes if v.persistent_volume_claim}
        mounts = {m.mount_path: claims[m.name] for m in pod.spec.containers[0].volume_mounts if m.name in claims}
        assert mounts == {"/data": f"hutch-{vid}"}
        r = http.delete(f"/volumes/{vid}")
        assert r.status_code == 409 and sid in r.json()["message"]  # mounted: refused, the claim stays
        assert await _read(core.read_namespaced_persistent_volume_claim, f"hutch-{vid}", ns) is not None
    finally:
        assert http.delete(f"/sandboxes/{sid}").status_code == 204
    storage = _emulated_storage(request, hutch_server, vid)
    assert storage is None or storage.is_dir()
    assert http.delete(f"/volumes/{vid}").status_code == 204
    await _wait_gone(core.read_namespaced_persistent_volume_claim, f"hutch-{vid}", ns)
    await _wait_gone(core.read_namespaced_pod, f"hutch-{vid}", ns)
    if storage is not None:  # the emulated provisioner's reclaim policy is Delete
        deadline = time.monotonic() + 30
        while storage.exists():
            assert time.monotonic() < deadline, f"{storage} is still there"
            await asyncio.sleep(0.2)


async def test_volume_pods_no_replica_used_for_a_while_are_reaped(emulated_api: EmulatedApi, tmp_path: Path) -> None:
    """Every replica reaps by the LAST_USED stamp any replica puts on the pod: the stale one goes (its
    Secret and NetworkPolicy too); a freshly stamped one, one still starting (not stamped yet, and no
    creation time from this API server) and the sandboxes' pods stay."""
    now = int(time.time())
    for vid, stamp in (("vol-stale", now - 600), ("vol-fresh", now - 5), ("vol-starting", None)):
        labels = {**manifests.labels(vid, "t", "base"), manifests.LABEL_VOLUME: vid}
        await emulated_api.pod(vid, labels, annotations={LAST_USED: str(stamp)} if stamp else {})
        secret = {"metadata": {"name": manifests.secret_name(vid), "labels": labels}, "stringData": {"token": "x"}}
        await emulated_api.core.create_namespaced_secret(NAMESPACE, secret)
    await emulated_api.pod("sbx-old", manifests.labels("sbx-old", "t", "base"))
    backend = KubernetesBackend(
        tmp_path, PodSettings(namespace=NAMESPACE, images={}), kubeconfig=str(emulated_api.kubeconfig)
    )
    try:
        assert await backend.volume_files.reap(idle=IDLE) == ["vol-stale"]
    finally:
        await backend.close()
    pods = {p.metadata.name for p in (await emulated_api.core.list_namespaced_pod(NAMESPACE)).items}
    assert pods == {"hutch-vol-fresh", "hutch-vol-starting", "hutch-sbx-old"}
    secrets_left = {s.metadata.name for s in (await emulated_api.core.list_namespaced_secret(NAMESPACE)).items}
    assert secrets_left == {"hutch-vol-fresh-agent", "hutch-vol-starting-agent"}


@pytest.mark.backends("kubernetes-emulated+postgresql")
async def test_replicas_share_the_volume_pod_and_a_stop_deletes_the_ones_it_used(hutch_server, http, core) -> None:
    ns = hutch_server.kube_namespace
    vid = _volume(http)
    assert (
        http.put(f"/volumes/{vid}/files", params={"path": "a"}, content=b"from one", headers=OCTET).status_code == 200
    )
    first = await core.read_namespaced_pod(f"hutch-{vid}", ns)
    with _replica(hutch_server) as replica, replica.http() as other:
        assert other.get(f"/volumes/{vid}/files", params={"path": "a"}).content == b"from one"
        again = await core.read_namespaced_pod(f"hutch-{vid}", ns)
        assert again.status.pod_ip == first.status.pod_ip  # the same pod, not a second one
        assert (again.metadata.annotations or {}).get(LAST_USED)  # stamped by a use
        own = other.post("/volumes", json={"name": f"kv-{secrets.token_hex(4)}", "sizeMB": 64}).json()["volumeID"]
        assert await _read(core.read_namespaced_pod, f"hutch-{own}", ns) is not None
    # The replica stopped: the volume pods it used went, their claims (the volumes) stay.
    for volume_id in (vid, own):
        await _wait_gone(core.read_namespaced_pod, f"hutch-{volume_id}", ns)
        assert await _read(core.read_namespaced_persistent_volume_claim, f"hutch-{volume_id}", ns) is not None
    # The first server's next call finds its pod gone and makes it again.
    assert http.get(f"/volumes/{vid}/files", params={"path": "a"}).content == b"from one"
    assert http.get(f"/volumes/{own}/files/list", params={"path": "/"}).json() == []
    for volume_id in (vid, own):
        assert http.delete(f"/volumes/{volume_id}").status_code == 204
