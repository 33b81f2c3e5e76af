"""`hutch cleanup --backend kubernetes`: a real `hutch cleanup` process against kmock's emulated API
server (conftest.py, in this process) and a real PostgreSQL. It deletes the pods, Secrets and
NetworkPolicies hutch made in its namespace (by their labels: the emulator ignores label selectors),
leaves everything else, and records the sandboxes it killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from emulated_api import NAMESPACE, EmulatedApi, add_running_row
from kubernetes_asyncio.client.rest import ApiException

from hutchd.backends.kubernetes import PodSettings, manifests
from hutchd.store.db import open_database

pytestmark = pytest.mark.integration


def _hutch() -> list[str]:
    exe = Path(sys.executable).with_name("hutch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hutch"]


async def _objects(api: EmulatedApi, namespace: str) -> set[str]:
    found = set()
    for kind, listed in (
        ("pod", await api.core.list_namespaced_pod(namespace)),
        ("secret", await api.core.list_namespaced_secret(namespace)),
        ("policy", await api.net.list_namespaced_network_policy(namespace)),
        ("claim", await api.core.list_namespaced_persistent_volume_claim(namespace)),
    ):
        found |= {f"{kind}/{item.metadata.name}" for item in listed.items}
    return found


async def test_cleanup_deletes_hutchs_objects_of_the_namespace_and_records_the_kills(
    emulated_api: EmulatedApi, postgres, tmp_path: Path
) -> None:
    url = postgres.new_database("cleanup")
    db = open_database(url, tmp_path)
    for sid in ("sbx-a", "sbx-b", "sbx-elsewhere"):
        add_running_row(db, sid, "kube")
    for sid in ("sbx-a", "sbx-b", "sbx-norow"):
        labels = manifests.labels(sid, "t", "base")
        await emulated_api.pod(sid, labels)
        secret = {"metadata": {"name": manifests.secret_name(sid), "labels": labels}, "stringData": {"token": "x"}}
        await emulated_api.core.create_namespaced_secret(NAMESPACE, secret)
        policy = {"metadata": {"name": manifests.pod_name(sid), "labels": labels}, "spec": {"podSelector": {}}}
        await emulated_api.net.create_namespaced_network_policy(NAMESPACE, policy)
    claim = manifests.claim(PodSettings(namespace=NAMESPACE, images={}), "vol-a", "t", 64)
    await emulated_api.core.create_namespaced_persistent_volume_claim(NAMESPACE, claim)
    await emulated_api.pod("vol-a", {**manifests.labels("vol-a", "t", "base"), manifests.LABEL_VOLUME: "vol-a"})
    # Not hutch's, or not in its namespace: they stay.
    await emulated_api.pod("sbx-other", {"app.kubernetes.io/managed-by": "someone-else"})
    await emulated_api.core.create_namespaced_secret(NAMESPACE, {"metadata": {"name": "unlabelled"}})
    await emulated_api.core.create_namespaced_persistent_volume_claim(NAMESPACE, {"metadata": {"name": "data"}})
    await emulated_api.pod("sbx-elsewhere", manifests.labels("sbx-elsewhere", "t", "base"), namespace="elsewhere")
    left_alone = {"pod/hutch-sbx-other", "secret/unlabelled", "claim/data"}

    argv = [*_hutch(), "cleanup", "--backend", "kubernetes", "--kubeconfig", str(emulated_api.kubeconfig)]
    argv += ["--kube-namespace", NAMESPACE, "--database", url, "--data-dir", str(tmp_path / "data")]
    proc = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()  # the emulator serves it meanwhile, on this event loop
    assert proc.returncode == 0, err.decode()
    assert "deleted the objects of 3 sandboxes" in err.decode()

    assert await _objects(emulated_api, NAMESPACE) == left_alone
    assert await _objects(emulated_api, "elsewhere") == {"pod/hutch-sbx-elsewhere"}
    with pytest.raises(ApiException):
        await emulated_api.core.read_namespaced_pod(manifests.pod_name("sbx-a"), NAMESPACE)
    rows = {r["id"]: r for r in db.all("SELECT id, state, killed_at FROM sandboxes")}
    assert {sid: r["state"] for sid, r in rows.items()} == {
        "sbx-a": "killed", "sbx-b": "killed", "sbx-elsewhere": "running"
    }  # fmt: skip
    assert rows["sbx-a"]["killed_at"] is not None
    db.close()
