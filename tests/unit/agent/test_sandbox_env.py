"""A pod's agent (`--listen-tcp`) starts its sandbox's environment from the image's ENV, which the
container runtime put in its process environment, under the template's and the create's envs; the
login's, the runtime's and its own variables stay out. A local sandbox's agent takes none of it."""

from __future__ import annotations

import json

import pytest

from hutch_agent.sandbox_env import SandboxEnv


def test_a_pods_agent_starts_from_the_images_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.environ", {
        "FROM_IMAGE": "yes", "SHARED": "image", "PATH": "/image/bin", "HOME": "/root", "PYTHONPATH": "/opt/hutch",
        "KUBERNETES_SERVICE_HOST": "10.0.0.1", "HUTCH_AGENT_TOKEN": "secret", "HOSTNAME": "pod",
        "HUTCH_ENVS_JSON": json.dumps({"SHARED": "create", "MINE": "1"}),
    })  # fmt: skip
    assert SandboxEnv.from_environ(container=True).get() == {"FROM_IMAGE": "yes", "SHARED": "create", "MINE": "1"}
    assert SandboxEnv.from_environ().get() == {"SHARED": "create", "MINE": "1"}
