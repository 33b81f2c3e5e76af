"""An in-process emulated API server for tests of the kubernetes backend's calls (no kubelet: pods are
objects whose status a test sets); its fixture is in conftest.py. kmock's emulator records every
request it serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from hutchd.backends.kubernetes import manifests
from hutchd.store.db import Database, dumps, now

NAMESPACE = "hutch-test"


@dataclass
class EmulatedApi:
    emulator: Any  # kmock.KubernetesEmulator: len(emulator) is the number of requests served
    core: client.CoreV1Api
    net: client.NetworkingV1Api
    kubeconfig: Path

    async def pod(
        self,
        sid: str,
        labels: dict[str, str],
        phase: str = "Running",
        namespace: str = NAMESPACE,
        annotations: dict[str, str] | None = None,
    ) -> None:
        name = manifests.pod_name(sid)
        meta = {"name": name, "labels": labels, "annotations": annotations or {}}
        body = {"metadata": meta, "spec": {"containers": [{"name": "a", "image": "i"}]}}
        await self.core.create_namespaced_pod(namespace, body)
        await self.core.patch_namespaced_pod_status(name, namespace, {"status": {"phase": phase}})


def add_running_row(db: Database, sid: str, owner: str) -> None:
    """A running sandbox's row, as a server records it."""
    db.run(
        "INSERT INTO sandboxes (id, tenant, template_id, state, cpu, memory_mb, disk_mb, allow_internet,"
        " timeout_s, started_at, end_at, seq, metadata, owner) VALUES (?, 't', 'base', 'running', 1, 512, 1024,"
        " 1, 60, ?, ?, ?, ?, ?)",
        sid, now(), now() + 600, db.next_seq(), dumps({}), owner,
    )  # fmt: skip
