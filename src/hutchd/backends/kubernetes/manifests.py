"""The Kubernetes objects of one sandbox, as plain dicts: its Pod, the Secret holding its agent token,
and the NetworkPolicy of its egress rules; and of a volume, its PersistentVolumeClaim. Pure functions,
so they are tested without a cluster."""

from __future__ import annotations

import base64
import ipaddress
import json
from dataclasses import dataclass

from hutch_agent.usage import DOWNWARD_LIMITS
from hutchd.runtime.netpolicy import ALL_V4, ALL_V6, ALWAYS_BLOCKED, IPNetwork, NetworkPolicy

AGENT_PORT = 49983
MANAGED_BY = "hutch"
LABEL_MANAGED = "app.kubernetes.io/managed-by"
LABEL_SANDBOX = "hutch.dev/sandbox-id"
LABEL_TENANT = "hutch.dev/tenant"
LABEL_TEMPLATE = "hutch.dev/template"
LABEL_VOLUME = "hutch.dev/volume-id"  # a volume's claim, and the pod that serves its files without a sandbox
LABEL_REPLICA = "hutch.dev/replica"  # a pod of a server process's own work (a build step, a probe): no record names it
# The server's pods (deploy/kubernetes): the only ones a sandbox's agent port accepts connections from.
SERVER_SELECTOR = {"app.kubernetes.io/name": "hutch-server"}
SELECTOR = f"{LABEL_MANAGED}={MANAGED_BY}"
# Where the hutch agent is put by the init container (when an agent image is given) and imported from.
AGENT_MOUNT = "/opt/hutch"


class DomainRulesUnsupported(ValueError):
    """A NetworkPolicy holds addresses only; an egress rule by name cannot be one."""


@dataclass(frozen=True)
class PodSettings:
    """`hutch serve --kube-*`: what every sandbox pod gets."""

    namespace: str
    images: dict[str, str]  # template id -> OCI image with python3 (and the agent, without agent_image)
    runtime_class: str | None = None
    agent_image: str | None = None  # an image holding the agent in AGENT_MOUNT, copied in by an init container
    dns_selector: tuple[str, str] = ("kube-system", "kube-dns")  # namespace, k8s-app label of the DNS pods
    volume_storage_class: str | None = None  # the volumes' claims' (None: the cluster's default class)
    volume_access_mode: str = "ReadWriteMany"  # so that sandboxes on several nodes mount one volume


def pod_name(sandbox_id: str) -> str:
    return f"hutch-{sandbox_id}"


def secret_name(sandbox_id: str) -> str:
    return f"hutch-{sandbox_id}-agent"


def claim_name(volume_id: str) -> str:
    return f"hutch-{volume_id}"


def _label_value(text: str) -> str:
    """A label value (63 characters of [A-Za-z0-9._-], alphanumeric at both ends)."""
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in text)[:63].strip("._-")
    return cleaned or "none"


def labels(sandbox_id: str, tenant: str, template_id: str) -> dict[str, str]:
    return {
        LABEL_MANAGED: MANAGED_BY,
        LABEL_SANDBOX: sandbox_id,
        LABEL_TENANT: _label_value(tenant),
        LABEL_TEMPLATE: _label_value(template_id),
    }


def claim(settings: PodSettings, volume_id: str, tenant: str, size_mb: int) -> dict[str, object]:
    """A volume: a claim of `size_mb` (the volume's size, its limit) that the cluster's provisioner
    binds to storage of its class, deleted with the claim when its reclaim policy is Delete."""
    spec: dict[str, object] = {
        "accessModes": [settings.volume_access_mode],
        "resources": {"requests": {"storage": f"{size_mb}Mi"}},
    }
    if settings.volume_storage_class is not None:
        spec["storageClassName"] = settings.volume_storage_class
    claim_labels = {LABEL_MANAGED: MANAGED_BY, LABEL_VOLUME: volume_id, LABEL_TENANT: _label_value(tenant)}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim_name(volume_id), "labels": claim_labels},
        "spec": spec,
    }


def secret(sandbox_id: str, token: str, sandbox_labels: dict[str, str]) -> dict[str, object]:
    """The agent token, out of the Pod's spec: who may read pods need not read secrets."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(sandbox_id), "labels": sandbox_labels},
        "type": "Opaque",
        "data": {"token": base64.b64encode(token.encode()).decode()},
    }


def pull_secret_name(template_id: str) -> str:
    return f"hutch-pull-{template_id}"


def pull_secret(template_id: str, registry: str, username: str, password: str) -> dict[str, object]:
    """The login of a template's image registry as the pods' imagePullSecret (the kubelet pulls)."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    config = {"auths": {registry: {"username": username, "password": password, "auth": auth}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": pull_secret_name(template_id),
            "labels": {LABEL_MANAGED: MANAGED_BY, LABEL_TEMPLATE: _label_value(template_id)},
        },
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def _millicpu(cpu: float) -> str:
    return f"{int(cpu * 1000)}m"


def pod(
    settings: PodSettings,
    sandbox_id: str,
    image: str,
    *,
    cpu: float,
    memory_mb: int,
    disk_mb: int,
    envs: dict[str, str],
    sandbox_labels: dict[str, str],
    volume_mounts: dict[str, str] | None = None,
    image_pull_secret: str | None = None,
    cpu_request: float | None = None,
) -> dict[str, object]:
    """The sandbox's Pod: the template's image with the agent as its entrypoint on AGENT_PORT, limits
    from the create, /tmp a memory-backed emptyDir (a tmpfs, as in a local sandbox), and each volume
    of `volume_mounts` (mount path -> volume id) its claim mounted at its path. An image behind a
    login (`image_pull_secret`) is pulled Always: a node that has it cached still asks the registry
    whether this login may have it. Requests are the limits (a sandbox's CPUs are its own), but for a pod
    idle most of its life, which may request `cpu_request` and use up to `cpu` when busy."""
    quantity = {"cpu": _millicpu(cpu), "memory": f"{memory_mb}Mi", "ephemeral-storage": f"{disk_mb}Mi"}
    requests = quantity if cpu_request is None else {**quantity, "cpu": _millicpu(cpu_request)}
    mounts: list[dict[str, object]] = [{"name": "tmp", "mountPath": "/tmp"}]
    volumes: list[dict[str, object]] = [
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": f"{memory_mb}Mi"}}
    ]
    for i, (path, volume_id) in enumerate(sorted((volume_mounts or {}).items())):
        mounts.append({"name": f"volume-{i}", "mountPath": path})
        volumes.append({"name": f"volume-{i}", "persistentVolumeClaim": {"claimName": claim_name(volume_id)}})
    init: list[dict[str, object]] = []
    if settings.agent_image is not None:
        mounts.append({"name": "agent", "mountPath": AGENT_MOUNT, "readOnly": True})
        volumes.append({"name": "agent", "emptyDir": {}})
        init.append(
            {
                "name": "agent",
                "image": settings.agent_image,
                "command": ["cp", "-R", f"{AGENT_MOUNT}/.", "/agent/"],
                "volumeMounts": [{"name": "agent", "mountPath": "/agent"}],
            }
        )
    container = {
        "name": "sandbox",
        "image": image,
        "command": ["python3", "-m", "hutch_agent", "--listen-tcp", f"0.0.0.0:{AGENT_PORT}"],
        "env": [
            {"name": "HUTCH_SANDBOX_ID", "value": sandbox_id},
            {"name": "HUTCH_ENVS_JSON", "value": json.dumps(envs, separators=(",", ":"))},
            {"name": "PYTHONPATH", "value": AGENT_MOUNT},
            {
                "name": "HUTCH_AGENT_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": secret_name(sandbox_id), "key": "token"}},
            },
            *(  # the limits, for the agent's usage where its cgroup does not show them
                {"name": name, "valueFrom": {"resourceFieldRef": {"resource": resource, "divisor": divisor}}}
                for name, (resource, divisor) in DOWNWARD_LIMITS.items()
            ),
        ],
        "ports": [{"name": "agent", "containerPort": AGENT_PORT, "protocol": "TCP"}],
        "resources": {"requests": requests, "limits": quantity},
        "readinessProbe": {"httpGet": {"path": "/health", "port": AGENT_PORT}, "periodSeconds": 1},
        "volumeMounts": mounts,
    }
    if image_pull_secret is not None:
        container["imagePullPolicy"] = "Always"
    spec: dict[str, object] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,  # sandboxed code gets no credentials for the API server
        "enableServiceLinks": False,  # nor the addresses of the namespace's services in its environment
        "terminationGracePeriodSeconds": 1,
        "initContainers": init,
        "containers": [container],
        "volumes": volumes,
    }
    if settings.runtime_class:
        spec["runtimeClassName"] = settings.runtime_class
    if image_pull_secret is not None:
        spec["imagePullSecrets"] = [{"name": image_pull_secret}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod_name(sandbox_id), "labels": sandbox_labels},
        "spec": spec,
    }


def _blocks(cidr: IPNetwork, excluded: list[IPNetwork]) -> dict[str, object]:
    inside = sorted({str(n) for n in excluded if n.version == cidr.version and n != cidr and n.subnet_of(cidr)})  # type: ignore[arg-type]
    block: dict[str, object] = {"cidr": str(cidr)}
    if inside:
        block["except"] = inside
    return {"ipBlock": block}


def egress_rules(policy: NetworkPolicy, allow_internet: bool, settings: PodSettings) -> list[dict[str, object]]:
    """The sandbox's egress as NetworkPolicy rules: addresses only (a name or wildcard entry raises
    DomainRulesUnsupported), the always-blocked ranges cut out of everything allowed, and DNS to the
    cluster's resolver when anything is allowed."""
    if not allow_internet or policy.denies_everything:
        return []
    if names := policy.named_entries():
        raise DomainRulesUnsupported(", ".join(names))
    blocked = [ipaddress.ip_network(n) for n, _ in ALWAYS_BLOCKED]
    rules: list[dict[str, object]] = []
    for version, everything in ((4, ALL_V4), (6, ALL_V6)):
        excluded = [*blocked, *policy.deny_nets(version)]
        allowed = policy.allow_nets(version) if policy.default_deny(version) else [everything]
        if allowed:
            rules.append({"to": [_blocks(net, excluded) for net in allowed]})
    namespace, app = settings.dns_selector
    rules.append(
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                    "podSelector": {"matchLabels": {"k8s-app": app}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
    )
    return rules


def network_policy(
    sandbox_id: str, sandbox_labels: dict[str, str], egress: list[dict[str, object]]
) -> dict[str, object]:
    """Ingress: only the hutch server's pods, only to the agent port (ports are exposed through the
    agent's tunnel). Egress: `egress` (empty: none at all)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": pod_name(sandbox_id), "labels": sandbox_labels},
        "spec": {
            "podSelector": {"matchLabels": {LABEL_SANDBOX: sandbox_id}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": dict(SERVER_SELECTOR)}}],
                    "ports": [{"protocol": "TCP", "port": AGENT_PORT}],
                }
            ],
            "egress": egress,
        },
    }
