"""The in-process emulated API server (emulated_api.py) for tests of the kubernetes backend's calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import kmock
import pytest
from emulated_api import NAMESPACE, EmulatedApi
from kubernetes_asyncio import client


@pytest.fixture
async def emulated_api(tmp_path: Path) -> AsyncIterator[EmulatedApi]:
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator, port=0) as server:
        for resource in ("v1/pods", "v1/secrets", "networking.k8s.io/v1/networkpolicies", "v1/persistentvolumeclaims"):
            emulator.resources[resource] = {}
        url = str(server.url).rstrip("/")
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "e",
            "clusters": [{"name": "e", "cluster": {"server": url}}], "users": [{"name": "e", "user": {}}],
            "contexts": [{"name": "e", "context": {"cluster": "e", "user": "e", "namespace": NAMESPACE}}],
        }))  # fmt: skip
        async with client.ApiClient(client.Configuration(host=url)) as api:
            yield EmulatedApi(emulator, client.CoreV1Api(api), client.NetworkingV1Api(api), kubeconfig)
