"""The sampler's load on the API server: one pod list per interval, however many sandboxes run.
The kubernetes backend against kmock's emulated API server (in this process, no kubelet: pods are
objects whose status the test sets), the sampler on a real SQLite database; the emulator records
every request it serves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kmock
import pytest
from kubernetes_asyncio import client

from hutchd.backends.kubernetes import manifests
from hutchd.backends.kubernetes.backend import KubernetesBackend
from hutchd.backends.kubernetes.manifests import PodSettings
from hutchd.services.sampler import Sampler
from hutchd.store.db import Database, dumps, now, open_database

pytestmark = pytest.mark.integration

NAMESPACE = "hutch-test"
OWNER = "r-sampler"


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Any, client.CoreV1Api, KubernetesBackend]]:
    """The emulator, a client of it for the test, and the backend."""
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator, port=0) as server:
        emulator.resources["v1/pods"] = {}
        url = str(server.url).rstrip("/")
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "e",
            "clusters": [{"name": "e", "cluster": {"server": url}}], "users": [{"name": "e", "user": {}}],
            "contexts": [{"name": "e", "context": {"cluster": "e", "user": "e", "namespace": NAMESPACE}}],
        }))  # fmt: skip
        backend = KubernetesBackend(tmp_path / "data", PodSettings(NAMESPACE, {}), kubeconfig=str(kubeconfig))
        async with client.ApiClient(client.Configuration(host=url)) as api:
            yield emulator, client.CoreV1Api(api), backend
        backend.shutdown()


async def _pod(core: client.CoreV1Api, sid: str, labels: dict[str, str], phase: str = "Running") -> None:
    name = manifests.pod_name(sid)
    body = {"metadata": {"name": name, "labels": labels}, "spec": {"containers": [{"name": "a", "image": "i"}]}}
    await core.create_namespaced_pod(NAMESPACE, body)
    await core.patch_namespaced_pod_status(name, NAMESPACE, {"status": {"phase": phase}})


def _row(db: Database, sid: str) -> None:
    db.run(
        "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
        " timeout_s, started_at, end_at, seq, metadata, owner) VALUES (?, 't', 'base', 'running', 1, 512, 1024,"
        " 1, 60, ?, ?, ?, ?, ?)",
        sid, now(), now() + 600, db.next_seq(), dumps({}), OWNER,
    )  # fmt: skip


async def test_one_pod_list_per_interval_however_many_sandboxes(cluster, tmp_path: Path) -> None:
    emulator, core, backend = cluster
    db = open_database(None, tmp_path)
    gone: list[str] = []

    async def on_gone(sid: str) -> None:
        gone.append(sid)
        db.run("UPDATE sandboxes SET state = 'killed' WHERE id = ?", sid)

    sampler = Sampler(db, backend, 1.0, 60.0, on_gone, owner=OWNER)
    requests_per_pass = []
    made = 0
    for count in (1, 4, 16):
        while made < count:
            sid = f"sbx-{made:04d}"
            _row(db, sid)
            await _pod(core, sid, manifests.labels(sid, "t", "base"))
            made += 1
        before = len(list(emulator))
        await sampler.sample_once()
        requests_per_pass.append(len(list(emulator)) - before)
    assert requests_per_pass == [1, 1, 1] and gone == []

    # Gone: a deleted pod, an ending one, a failed one, and one whose pod is another manager's (the
    # emulator ignores label selectors: the backend looks at the labels itself).
    await core.delete_namespaced_pod(manifests.pod_name("sbx-0000"), NAMESPACE)
    await core.patch_namespaced_pod(
        manifests.pod_name("sbx-0001"), NAMESPACE, {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}}
    )
    await core.patch_namespaced_pod_status(manifests.pod_name("sbx-0002"), NAMESPACE, {"status": {"phase": "Failed"}})
    _row(db, "sbx-foreign")
    await _pod(core, "sbx-foreign", {**manifests.labels("sbx-foreign", "t", "base"), manifests.LABEL_MANAGED: "other"})
    await _pod(core, "sbx-pending", manifests.labels("sbx-pending", "t", "base"), phase="Pending")
    _row(db, "sbx-pending")
    before = len(list(emulator))
    await sampler.sample_once()
    assert len(list(emulator)) - before == 1
    assert sorted(gone) == ["sbx-0000", "sbx-0001", "sbx-0002", "sbx-foreign"]
    db.close()
