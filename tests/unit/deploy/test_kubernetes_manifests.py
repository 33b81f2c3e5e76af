"""deploy/kubernetes: the kustomization's files parse, the server's RBAC is namespaced and exactly
what the kubernetes backend calls, and the labels the sandboxes' NetworkPolicies trust are the
server pods' labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hutchd.backends.kubernetes import manifests

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy" / "kubernetes"
BACKEND = ROOT / "src" / "hutchd" / "backends" / "kubernetes"
# the client's method verbs -> RBAC verbs; its resource names -> (API group, resource)
VERBS = {"create": "create", "read": "get", "list": "list", "delete": "delete", "patch": "patch", "replace": "update"}
RESOURCES = {
    "pod": ("", "pods"),
    "secret": ("", "secrets"),
    "network_policy": ("networking.k8s.io", "networkpolicies"),
    "persistent_volume_claim": ("", "persistentvolumeclaims"),
}


def _objects() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    out = {}
    for name in kustomization["resources"]:
        (obj,) = list(yaml.safe_load_all((DEPLOY / name).read_text()))
        out[obj["kind"]] = obj
    return out


def test_every_resource_of_the_kustomization_parses() -> None:
    kinds = set(_objects())
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
    }
    assert not list(DEPLOY.glob("*cluster*")), "no cluster-wide objects"


def test_rbac_is_namespaced_and_exactly_what_the_backend_calls() -> None:
    objects = _objects()
    assert "ClusterRole" not in objects and "ClusterRoleBinding" not in objects
    granted = {
        (group, resource, verb)
        for rule in objects["Role"]["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    code = "".join(module.read_text() for module in sorted(BACKEND.glob("*.py")))
    called = {
        (*RESOURCES[resource], VERBS[verb])
        for verb, resource in re.findall(
            r"\.(create|read|list|delete|patch|replace)_namespaced_(pod|secret|network_policy|persistent_volume_claim)\(",
            code,
        )
    }
    assert granted == called
    assert not any("*" in item or "/" in item[1] for item in granted)  # no wildcard, no subresource (pods/exec)
    binding = objects["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": objects["Role"]["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": objects["ServiceAccount"]["metadata"]["name"]}]


def test_the_server_pods_are_what_sandbox_policies_trust_and_the_service_selects() -> None:
    objects = _objects()
    deployment = objects["Deployment"]
    pod = deployment["spec"]["template"]
    assert manifests.SERVER_SELECTOR.items() <= pod["metadata"]["labels"].items()
    assert objects["Service"]["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert pod["spec"]["serviceAccountName"] == objects["ServiceAccount"]["metadata"]["name"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (server,) = pod["spec"]["containers"]
    assert "--backend=kubernetes" in server["args"] and server["securityContext"]["allowPrivilegeEscalation"] is False
