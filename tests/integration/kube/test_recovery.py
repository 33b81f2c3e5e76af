"""A kubernetes replica's start on the emulated cluster (tests/integration/kube/cluster.py): it asks the
agents of the pods it adopts at once, not one after another, and it leaves the pods of another live
replica's own work (build steps: no record names them) alone whatever their age (a dead one's are
removed by the replica that cleans up after it: test_replica_work.py boots one with this module's
`boot_work_pod`)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from kubernetes_asyncio.client.rest import ApiException
from test_kubernetes_backend import _create, _pod_agent, _read, _replica, _stall, _until
from test_kubernetes_backend import kube as kube  # the fixture, shared

from hutchd.backend import Boot
from hutchd.backends.kubernetes import manifests
from hutchd.backends.kubernetes.backend import ORPHAN_GRACE, KubernetesBackend
from hutchd.backends.kubernetes.manifests import PodSettings

pytestmark = [pytest.mark.integration, pytest.mark.backends("kubernetes-emulated+postgresql")]

SILENT = 3


@pytest.fixture(scope="module")
def http(hutch_server) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


async def test_a_replica_starting_asks_all_silent_agents_at_once(hutch_server, http: httpx.Client, kube) -> None:
    """Pods whose agents answer nothing during the whole start (Running and Ready: adopted as recorded,
    unchecked) are each asked for the backend's whole ask budget. Asked at once, every one is asked again
    before any is given up on; one after another, the second would be asked only once the first was given
    up on, a whole budget later, and the replica would serve after SILENT budgets instead of about one."""
    sids = [_create(http) for _ in range(SILENT)]
    try:
        for sid in sids:
            async with _pod_agent(kube, sid) as agent:
                await _stall(kube, sid, True)
                await _until(agent, answering=False)
        with _replica(hutch_server, name="adopting") as replica, replica.http() as other:
            log = _read(replica.log_path)
            assert not any(f"sandbox {sid} could not be made" in log for sid in sids), log[-3000:]
            given_up = [log.find(f"sandbox {sid} adopted running as recorded, unchecked") for sid in sids]
            asked_again = [log.find(f"the agent of {sid} did not answer GET /freeze") for sid in sids]
            assert -1 not in given_up and -1 not in asked_again, log[-3000:]
            assert max(asked_again) < min(given_up), log[-3000:]
            assert [other.get(f"/sandboxes/{sid}").json()["state"] for sid in sids] == ["running"] * SILENT
    finally:
        for sid in sids:
            with contextlib.suppress(Exception):
                await _stall(kube, sid, False)
            http.delete(f"/sandboxes/{sid}")


def _backend(server: Any) -> KubernetesBackend:
    """A backend on the server's data dir (its agent key) and cluster, as another replica's."""
    args = server.extra_args
    pods = PodSettings(namespace=server.kube_namespace, images={"base": args[args.index("--kube-image") + 1]})
    return KubernetesBackend(server.data_dir, pods, kubeconfig=server.kubeconfig)


async def boot_work_pod(server: Any, replica: str) -> str:
    """A pod of a server process's own work, booted as a build's step pod is (labelled with `replica`);
    its ID."""
    backend, pod_id = _backend(server), f"bld-{secrets.token_hex(8)}"
    try:
        await backend.start(pod_id, Boot("base", 0.5, 256, 1024, allow_internet=False, replica=replica))
    finally:
        await backend.close()
    return pod_id


async def remove_pods(server: Any, pod_ids: list[str]) -> None:
    backend = _backend(server)
    try:
        for pod_id in pod_ids:
            await backend.destroy(pod_id)
    finally:
        await backend.close()


async def test_a_replica_starting_spares_a_live_replicas_old_build_pod_and_removes_a_dead_ones(
    hutch_server, http: httpx.Client, kube
) -> None:
    """Build-step pods (no record names them) older than ORPHAN_GRACE: the one of the live session server
    stays through another replica's start, the one of a replica not registered (dead long ago) is
    removed. The emulated API server keeps the creation time a client sets (a real one does not): that
    is how the pods are made old here."""
    core, _, ns = kube
    sid = _create(http)
    ((live,),) = hutch_server.query("SELECT replica FROM sandboxes WHERE id = ?", sid)
    http.delete(f"/sandboxes/{sid}")
    old = (datetime.now(UTC) - timedelta(seconds=2 * ORPHAN_GRACE)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pods: list[str] = []
    try:
        for replica in (live, "p-" + secrets.token_hex(6)):
            pods.append(pod_id := await boot_work_pod(hutch_server, replica))
            name = manifests.pod_name(pod_id)
            await core.patch_namespaced_pod(name, ns, {"metadata": {"creationTimestamp": old}})
            pod = await core.read_namespaced_pod(name, ns)
            assert pod.metadata.labels[manifests.LABEL_REPLICA] == replica
            assert pod.metadata.creation_timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") == old
        with _replica(hutch_server, name="restarting"):
            pass
        kept, removed = pods
        assert (await core.read_namespaced_pod(manifests.pod_name(kept), ns)).status.phase == "Running"
        with pytest.raises(ApiException) as gone:
            await core.read_namespaced_pod(manifests.pod_name(removed), ns)
        assert gone.value.status == 404
    finally:
        await remove_pods(hutch_server, pods)
