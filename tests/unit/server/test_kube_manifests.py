"""The kubernetes backend's objects (src/hutchd/backends/kubernetes/manifests.py), built without a
cluster: what a pod gets, and how an egress policy becomes NetworkPolicy rules."""

from __future__ import annotations

import base64
import json

import pytest

from hutchd.backends.kubernetes import manifests
from hutchd.backends.kubernetes.manifests import AGENT_PORT, DomainRulesUnsupported, PodSettings
from hutchd.runtime.netpolicy import NetworkPolicy

SETTINGS = PodSettings(namespace="ns", images={"base": "registry.example/hutch-base:1"})


def _cidrs(rules: list[dict]) -> dict[str, list[str]]:
    return {
        peer["ipBlock"]["cidr"]: peer["ipBlock"].get("except", [])
        for r in rules
        for peer in r["to"]
        if "ipBlock" in peer
    }


def test_the_default_policy_is_everything_but_the_always_blocked_ranges_plus_dns() -> None:
    rules = manifests.egress_rules(NetworkPolicy(), True, SETTINGS)
    blocks = _cidrs(rules)
    assert set(blocks) == {"0.0.0.0/0", "::/0"}
    assert {"10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"} <= set(
        blocks["0.0.0.0/0"]
    )
    assert {"fc00::/7", "fe80::/10", "::1/128"} <= set(blocks["::/0"])
    dns = rules[-1]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}


def test_no_internet_or_deny_everything_is_no_egress_at_all() -> None:
    assert manifests.egress_rules(NetworkPolicy(), False, SETTINGS) == []
    assert manifests.egress_rules(NetworkPolicy.build([], ["0.0.0.0/0", "::/0"]), True, SETTINGS) == []


def test_an_allow_list_is_only_its_addresses_and_denies_are_cut_out() -> None:
    policy = NetworkPolicy.build(["198.51.100.0/24"], ["198.51.100.7", "0.0.0.0/0", "::/0"])
    assert _cidrs(manifests.egress_rules(policy, True, SETTINGS)) == {"198.51.100.0/24": ["198.51.100.7/32"]}
    deny = NetworkPolicy.build([], ["203.0.113.0/24"])
    assert "203.0.113.0/24" in _cidrs(manifests.egress_rules(deny, True, SETTINGS))["0.0.0.0/0"]


@pytest.mark.parametrize("allow, deny", [(["pypi.org"], []), ([], ["*.example.com"]), (["1.1.1.1"], ["evil.test"])])
def test_rules_by_name_cannot_be_a_network_policy(allow: list[str], deny: list[str]) -> None:
    with pytest.raises(DomainRulesUnsupported):
        manifests.egress_rules(NetworkPolicy.build(allow, deny), True, SETTINGS)


def test_the_pod_runs_the_agent_with_the_limits_labels_and_token_of_its_sandbox() -> None:
    labels = manifests.labels("sbx-0123456789abcdef", "tenant with spaces/é", "base")
    assert labels["hutch.dev/tenant"] == "tenant_with_spaces" and len(labels) == 4
    pod = manifests.pod(
        SETTINGS,
        "sbx-0123456789abcdef",
        "img",
        cpu=0.5,
        memory_mb=256,
        disk_mb=1024,
        envs={"A": "1"},
        sandbox_labels=labels,
    )
    spec = pod["spec"]
    assert isinstance(spec, dict) and "runtimeClassName" not in spec and spec["initContainers"] == []
    assert spec["automountServiceAccountToken"] is False and spec["enableServiceLinks"] is False
    (container,) = spec["containers"]
    assert container["command"] == ["python3", "-m", "hutch_agent", "--listen-tcp", f"0.0.0.0:{AGENT_PORT}"]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "1024Mi"}
    assert container["resources"]["requests"] == container["resources"]["limits"]  # its CPUs are its own
    env = {e["name"]: e for e in container["env"]}
    assert env["HUTCH_ENVS_JSON"]["value"] == '{"A":"1"}'
    assert env["HUTCH_AGENT_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "hutch-sbx-0123456789abcdef-agent",
        "key": "token",
    }
    assert "value" not in env["HUTCH_AGENT_TOKEN"]  # the token is in the Secret only
    limits = {name: e["valueFrom"]["resourceFieldRef"] for name, e in env.items() if "resourceFieldRef" in str(e)}
    assert limits == {  # the downward API, for the agent's GET /usage where no cgroup shows them
        "HUTCH_LIMIT_CPU_MILLIS": {"resource": "limits.cpu", "divisor": "1m"},
        "HUTCH_LIMIT_MEMORY": {"resource": "limits.memory", "divisor": "1"},
        "HUTCH_LIMIT_DISK": {"resource": "limits.ephemeral-storage", "divisor": "1"},
    }


def test_a_pod_idle_most_of_its_life_requests_less_cpu_than_it_may_use() -> None:
    pod = manifests.pod(
        SETTINGS, "vol-1", "img", cpu=1, memory_mb=256, disk_mb=256, envs={}, sandbox_labels={}, cpu_request=0.1
    )
    spec = pod["spec"]
    assert isinstance(spec, dict)
    resources = spec["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "100m", "memory": "256Mi", "ephemeral-storage": "256Mi"}
    assert resources["limits"]["cpu"] == "1000m"


def test_runtime_class_and_agent_image() -> None:
    settings = PodSettings(namespace="ns", images={}, runtime_class="gvisor", agent_image="hutch-agent:1")
    pod = manifests.pod(settings, "sbx-1", "img", cpu=1, memory_mb=64, disk_mb=64, envs={}, sandbox_labels={})
    spec = pod["spec"]
    assert isinstance(spec, dict) and spec["runtimeClassName"] == "gvisor"
    (init,) = spec["initContainers"]
    assert init["image"] == "hutch-agent:1" and init["command"] == ["cp", "-R", "/opt/hutch/.", "/agent/"]
    assert {"name": "agent", "mountPath": "/opt/hutch", "readOnly": True} in spec["containers"][0]["volumeMounts"]


def test_a_registry_login_is_the_pods_image_pull_secret_and_they_pull_always() -> None:
    secret = manifests.pull_secret("tpl-img-1", "registry.example:5000", "me", "pw:with:colons")
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"] == {
        "name": "hutch-pull-tpl-img-1",
        "labels": {"app.kubernetes.io/managed-by": "hutch", "hutch.dev/template": "tpl-img-1"},
    }
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))  # type: ignore[index]
    entry = config["auths"]["registry.example:5000"]
    assert (entry["username"], entry["password"]) == ("me", "pw:with:colons")
    assert base64.b64decode(entry["auth"]) == b"me:pw:with:colons"
    pod = manifests.pod(SETTINGS, "sbx-1", "registry.example:5000/app:1", cpu=1, memory_mb=64, disk_mb=64, envs={},
                        sandbox_labels={}, image_pull_secret="hutch-pull-tpl-img-1")  # fmt: skip
    spec = pod["spec"]
    assert isinstance(spec, dict) and spec["imagePullSecrets"] == [{"name": "hutch-pull-tpl-img-1"}]
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    plain = manifests.pod(SETTINGS, "sbx-1", "img", cpu=1, memory_mb=64, disk_mb=64, envs={}, sandbox_labels={})
    assert "imagePullSecrets" not in plain["spec"] and "imagePullPolicy" not in plain["spec"]["containers"][0]  # type: ignore[index]


def test_only_the_server_reaches_the_agent_port() -> None:
    policy = manifests.network_policy("sbx-1", {}, [])
    ingress = policy["spec"]["ingress"]  # type: ignore[index]
    assert ingress == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "hutch-server"}}}],
            "ports": [{"protocol": "TCP", "port": AGENT_PORT}],
        }
    ]


def test_a_volume_is_a_claim_of_its_size_with_hutchs_labels() -> None:
    claim = manifests.claim(SETTINGS, "vol-0123456789abcdef", "tenant/é", 64)
    assert claim["kind"] == "PersistentVolumeClaim"
    assert claim["metadata"] == {
        "name": "hutch-vol-0123456789abcdef",
        "labels": {
            "app.kubernetes.io/managed-by": "hutch",
            "hutch.dev/volume-id": "vol-0123456789abcdef",
            "hutch.dev/tenant": "tenant",
        },
    }
    # ReadWriteMany by default (sandboxes on several nodes mount it); no class: the cluster's default
    assert claim["spec"] == {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "64Mi"}}}
    settings = PodSettings(
        namespace="ns", images={}, volume_storage_class="fast-rwx", volume_access_mode="ReadWriteOnce"
    )
    spec = manifests.claim(settings, "vol-1", "t", 1024)["spec"]
    assert spec == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1024Mi"}},
        "storageClassName": "fast-rwx",
    }


def test_a_pod_mounts_the_claims_of_its_volumes_at_their_paths() -> None:
    mounts = {"/data": "vol-a", "/home/user/work": "vol-b"}
    pod = manifests.pod(
        SETTINGS, "sbx-1", "img", cpu=1, memory_mb=64, disk_mb=64, envs={}, sandbox_labels={}, volume_mounts=mounts
    )
    spec = pod["spec"]
    assert isinstance(spec, dict)
    claims = {v["name"]: v["persistentVolumeClaim"] for v in spec["volumes"] if "persistentVolumeClaim" in v}
    mounted = {m["mountPath"]: claims[m["name"]] for m in spec["containers"][0]["volumeMounts"] if m["name"] in claims}
    assert mounted == {"/data": {"claimName": "hutch-vol-a"}, "/home/user/work": {"claimName": "hutch-vol-b"}}
    names = [v["name"] for v in spec["volumes"]]
    assert len(names) == len(set(names)) == 3  # /tmp and the two claims
    no_volumes = manifests.pod(SETTINGS, "sbx-1", "img", cpu=1, memory_mb=64, disk_mb=64, envs={}, sandbox_labels={})
    assert not any("persistentVolumeClaim" in v for v in no_volumes["spec"]["volumes"])  # type: ignore[index]
