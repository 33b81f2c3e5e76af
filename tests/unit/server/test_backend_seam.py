"""The backend seam (src/hutchd/backend.py) and the kubernetes backend's parts that need no cluster:
the features `GET /health` lists, the refusals naming the backend, the agent tokens replicas agree on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio import client

from hutchd.backend import FEATURES, BackendUnsupported
from hutchd.backends.kubernetes import KubernetesBackend, PodSettings
from hutchd.backends.kubernetes.backend import _container_trouble

SPEC = Path(__file__).resolve().parents[3] / "openapi.yaml"
PODS = PodSettings(namespace="ns", images={"base": "img:1"})


def test_the_features_are_the_specs() -> None:
    schema = yaml.safe_load(SPEC.read_text())["components"]["schemas"]["BackendFeatures"]
    assert list(FEATURES) == schema["required"] == list(schema["properties"])


def test_the_kubernetes_backend_says_what_it_lacks_and_refuses_it_by_name(tmp_path: Path) -> None:
    backend = KubernetesBackend(tmp_path, PODS)
    try:
        features = backend.features()
        assert [f for f in FEATURES if features[f]] == [
            "pause",
            "snapshots",
            "snapshotTemplates",
            "templateBuilds",
            "volumes",
            "metrics",
        ]
        with pytest.raises(BackendUnsupported) as refused:
            backend.require("auditLog", "keep an audit log")
        assert refused.value.status == 409
        assert refused.value.message.startswith("the kubernetes backend cannot keep an audit log: it has no egress")
        backend.require("snapshots", "snapshot a sandbox")  # given: no error
        assert backend.template_exists("base") and not backend.template_exists("code-interpreter")
        assert not backend.template_exists("../etc")
    finally:
        backend.shutdown()


def test_replicas_on_one_data_dir_derive_the_same_agent_tokens(tmp_path: Path) -> None:
    one, two = KubernetesBackend(tmp_path, PODS), KubernetesBackend(tmp_path, PODS)
    other = KubernetesBackend(tmp_path / "elsewhere", PODS)
    try:
        a, b = one.agent_address("sbx-1"), two.agent_address("sbx-1")
        assert a.token == b.token and len(a.token) == 64 and a.port == b.port == 49983
        assert one.agent_address("sbx-2").token != a.token
        assert other.agent_address("sbx-1").token != a.token
        assert (tmp_path / "kube-agent.key").stat().st_mode & 0o777 == 0o600
        given = KubernetesBackend(tmp_path / "given", PODS, agent_key=b"k" * 32)
        assert given.agent_address("sbx-1").token != a.token
        given.shutdown()
    finally:
        for backend in (one, two, other):
            backend.shutdown()


def _pod(phase: str, state: client.V1ContainerState) -> client.V1Pod:
    status = client.V1ContainerStatus(name="sandbox", image="reg/app:1", image_id="", ready=False, restart_count=0,
                                      state=state)  # fmt: skip
    return client.V1Pod(status=client.V1PodStatus(phase=phase, container_statuses=[status]))


def test_why_a_pods_container_will_not_run_is_said_in_words() -> None:
    waiting = client.V1ContainerStateWaiting
    pulled = _pod("Pending", client.V1ContainerState(waiting=waiting(reason="ErrImagePull", message="unauthorized")))
    assert _container_trouble(pulled) == "pulling reg/app:1 failed (ErrImagePull): unauthorized"
    no_python = 'exec: "python3": executable file not found in $PATH'
    ended = client.V1ContainerStateTerminated(reason="StartError", exit_code=128, message=no_python)
    started = _pod("Failed", client.V1ContainerState(terminated=ended))
    assert (_container_trouble(started) or "").startswith("image reg/app:1 has no python3 for the hutch agent")
    assert (
        _container_trouble(_pod("Pending", client.V1ContainerState(waiting=waiting(reason="ContainerCreating"))))
        is None
    )
