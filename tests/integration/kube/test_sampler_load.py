"""The sampler's load on the API server: two pod lists per interval at most, however many sandboxes
run (one for the IPs of pods the replica has not met, whose agents it asks for usage; one for the
liveness of those that gave no sample).
The kubernetes backend against kmock's emulated API server (conftest.py: in this process, no kubelet),
the sampler on a real SQLite database; the emulator records every request it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from emulated_api import NAMESPACE, EmulatedApi, add_running_row

from hutchd.backends.kubernetes import manifests
from hutchd.backends.kubernetes.backend import KubernetesBackend
from hutchd.backends.kubernetes.manifests import PodSettings
from hutchd.services.sampler import Sampler
from hutchd.store.db import open_database

pytestmark = pytest.mark.integration

OWNER = "r-sampler"


@pytest.fixture
async def backend(emulated_api: EmulatedApi, tmp_path: Path) -> AsyncIterator[KubernetesBackend]:
    backend = KubernetesBackend(tmp_path / "data", PodSettings(NAMESPACE, {}), kubeconfig=str(emulated_api.kubeconfig))
    yield backend
    await backend.close()


async def test_two_pod_lists_per_interval_however_many_sandboxes(
    emulated_api: EmulatedApi, backend: KubernetesBackend, tmp_path: Path
) -> None:
    emulator, core = emulated_api.emulator, emulated_api.core
    db = open_database(None, tmp_path)
    gone: list[str] = []

    async def on_gone(sid: str) -> None:
        gone.append(sid)
        db.run("UPDATE sandboxes SET state = 'killed' WHERE id = ?", sid)

    # an interval of 0: each pass is the next interval's, whose sample of every sandbox it claims
    sampler = Sampler(db, backend, 0.0, 60.0, on_gone, owner=OWNER, shared_owner=True)
    requests_per_pass = []
    made = 0
    for count in (1, 4, 16):
        while made < count:
            sid = f"sbx-{made:04d}"
            add_running_row(db, sid, OWNER)
            await emulated_api.pod(sid, manifests.labels(sid, "t", "base"))
            made += 1
        before = len(emulator)
        await sampler.sample_once()
        requests_per_pass.append(len(emulator) - before)
    assert requests_per_pass == [2, 2, 2] and gone == []  # these pods have no IP: no agent answers

    # Gone: a deleted pod, an ending one, a failed one, and one whose pod is another manager's (the
    # emulator ignores label selectors: the backend looks at the labels itself).
    await core.delete_namespaced_pod(manifests.pod_name("sbx-0000"), NAMESPACE)
    await core.patch_namespaced_pod(
        manifests.pod_name("sbx-0001"), NAMESPACE, {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}}
    )
    await core.patch_namespaced_pod_status(manifests.pod_name("sbx-0002"), NAMESPACE, {"status": {"phase": "Failed"}})
    add_running_row(db, "sbx-foreign", OWNER)
    await emulated_api.pod(
        "sbx-foreign", {**manifests.labels("sbx-foreign", "t", "base"), manifests.LABEL_MANAGED: "other"}
    )
    await emulated_api.pod("sbx-pending", manifests.labels("sbx-pending", "t", "base"), phase="Pending")
    add_running_row(db, "sbx-pending", OWNER)
    before = len(emulator)
    await sampler.sample_once()
    assert len(emulator) - before == 2
    assert sorted(gone) == ["sbx-0000", "sbx-0001", "sbx-0002", "sbx-foreign"]
    db.close()
