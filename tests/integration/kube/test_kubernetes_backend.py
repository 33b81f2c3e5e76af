"""What only the kubernetes backend does, against `hutch serve --backend kubernetes` on the emulated
cluster (tests/integration/kube/cluster.py; on a real one too when KUBECONFIG is set): a sandbox's
Kubernetes objects, its agent's token on the pod network, kill and the reaper deleting them, and the
refusals that name the backend. The SDK tests that also run on this backend are the ones marked
`backends(...)` in tests/integration/sdk."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.rest import ApiException

pytestmark = [
    pytest.mark.integration,
    pytest.mark.backends("kubernetes-emulated", "kubernetes-emulated+postgresql", "kubernetes"),
]

AGENT_PORT = 49983


@pytest.fixture
async def kube(hutch_server) -> AsyncIterator[tuple[client.CoreV1Api, client.NetworkingV1Api, str]]:
    cfg = client.Configuration()
    await config.load_kube_config(config_file=hutch_server.kubeconfig, client_configuration=cfg)
    async with client.ApiClient(cfg) as api:
        yield client.CoreV1Api(api), client.NetworkingV1Api(api), hutch_server.kube_namespace


@pytest.fixture
def http(hutch_server) -> httpx.Client:
    with hutch_server.http() as c:
        yield c


def _create(http: httpx.Client, **body: Any) -> str:
    r = http.post("/sandboxes", json={"templateID": "base", "timeout": 300, **body})
    assert r.status_code == 201, r.text
    return str(r.json()["sandboxID"])


async def _gone(read: Any, name: str, namespace: str) -> bool:
    try:
        await read(name, namespace)
    except ApiException as e:
        return e.status == 404
    return False


async def _wait_gone(read: Any, name: str, namespace: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await _gone(read, name, namespace):
        assert time.monotonic() < deadline, f"{name} is still there"
        await asyncio.sleep(0.2)


def test_health_names_the_backend_and_its_features(http: httpx.Client) -> None:
    backend = http.get("/health").json()["backend"]
    assert backend["name"] == "kubernetes"
    assert backend["features"]["snapshots"] and backend["features"]["snapshotTemplates"]
    assert backend["features"]["pause"] and backend["features"]["metrics"] and backend["features"]["volumes"]
    assert backend["features"]["templateBuilds"]


async def test_a_sandbox_is_a_pod_with_a_secret_and_a_network_policy(http: httpx.Client, kube) -> None:
    core, net, ns = kube
    sid = _create(http, resources={"cpu": 1, "memoryMB": 512}, allowInternetAccess=False)
    name = f"hutch-{sid}"
    pod = await core.read_namespaced_pod(name, ns)
    labels = pod.metadata.labels
    assert labels["hutch.dev/sandbox-id"] == sid and labels["hutch.dev/template"] == "base"
    assert labels["app.kubernetes.io/managed-by"] == "hutch" and labels["hutch.dev/tenant"]
    container = pod.spec.containers[0]
    assert container.resources.limits == {"cpu": "1000m", "memory": "512Mi", "ephemeral-storage": "2048Mi"}
    assert container.command[-2:] == ["--listen-tcp", f"0.0.0.0:{AGENT_PORT}"]
    token_ref = next(e for e in container.env if e.name == "HUTCH_AGENT_TOKEN").value_from.secret_key_ref
    assert token_ref.name == f"{name}-agent" and pod.spec.automount_service_account_token is False
    policy = await net.read_namespaced_network_policy(name, ns)
    assert policy.spec.egress == [] and policy.spec.pod_selector.match_labels == {"hutch.dev/sandbox-id": sid}
    assert [p.port for rule in policy.spec.ingress for p in rule.ports] == [AGENT_PORT]
    await core.read_namespaced_secret(token_ref.name, ns)

    assert http.delete(f"/sandboxes/{sid}").status_code == 204
    await _wait_gone(core.read_namespaced_pod, name, ns)
    await _wait_gone(core.read_namespaced_secret, token_ref.name, ns)
    await _wait_gone(net.read_namespaced_network_policy, name, ns)


async def test_the_agent_on_the_pod_network_needs_the_sandboxs_token(http: httpx.Client, kube) -> None:
    core, _, ns = kube
    sid = _create(http)
    try:
        ip = (await core.read_namespaced_pod(f"hutch-{sid}", ns)).status.pod_ip
        with httpx.Client(base_url=f"http://{ip}:{AGENT_PORT}", timeout=30) as agent:
            assert agent.get("/health").status_code == 200  # the readiness probe's
            for headers in ({}, {"X-Hutch-Agent-Token": "0" * 64}, {"X-Hutch-Agent-Token": ""}):
                r = agent.post("/commands", json={"cmd": "id"}, headers=headers)
                assert r.status_code == 401 and "X-Hutch-Agent-Token" in r.json()["message"]
        assert http.post(f"/sandboxes/{sid}/commands", json={"cmd": "true"}).status_code == 201
    finally:
        http.delete(f"/sandboxes/{sid}")


async def test_the_reaper_deletes_the_pod_of_a_sandbox_past_its_timeout(http: httpx.Client, kube) -> None:
    core, _, ns = kube
    sid = _create(http, timeout=1)
    deadline = time.monotonic() + 60
    while http.get(f"/sandboxes/{sid}").status_code != 404:  # killed: recorded once the pod is deleted
        assert time.monotonic() < deadline, "the reaper did not kill the sandbox"
        await asyncio.sleep(0.2)
    assert await _gone(core.read_namespaced_pod, f"hutch-{sid}", ns)


async def test_egress_rules_are_the_network_policy(http: httpx.Client, kube) -> None:
    _, net, ns = kube
    sid = _create(http, network={"denyOut": ["203.0.113.0/24"]})
    try:
        egress = (await net.read_namespaced_network_policy(f"hutch-{sid}", ns)).spec.egress
        v4 = next(
            peer.ip_block
            for rule in egress
            for peer in rule.to or []
            if peer.ip_block and peer.ip_block.cidr == "0.0.0.0/0"
        )
        assert "203.0.113.0/24" in v4._except and "10.0.0.0/8" in v4._except and "169.254.0.0/16" in v4._except
        r = http.put(f"/sandboxes/{sid}/network", json={"allowOut": ["198.51.100.7/32"]})
        assert r.status_code == 200, r.text
        egress = (await net.read_namespaced_network_policy(f"hutch-{sid}", ns)).spec.egress
        cidrs = [peer.ip_block.cidr for rule in egress for peer in rule.to or [] if peer.ip_block]
        assert cidrs == ["198.51.100.7/32"]
        r = http.put(f"/sandboxes/{sid}/network", json={"denyOut": ["example.com"]})
        assert r.status_code == 409 and "kubernetes backend cannot filter egress by domain name" in r.json()["message"]
    finally:
        http.delete(f"/sandboxes/{sid}")


def test_what_a_pod_cannot_do_is_refused_naming_the_backend(http: httpx.Client) -> None:
    before = {s["sandboxID"] for s in http.get("/sandboxes").json()["sandboxes"]}
    refused = [
        {"network": {"allowOut": ["pypi.org"]}},
        {"secure": True, "secrets": {"TOKEN": {"value": "v", "hosts": ["api.example.com"]}}},
        {"secure": True, "security": {"audit": {"enabled": True}}},
    ]
    for body in refused:
        r = http.post("/sandboxes", json={"templateID": "base", **body})
        assert r.status_code == 409 and "the kubernetes backend cannot" in r.json()["message"], (body, r.text)
    assert {s["sandboxID"] for s in http.get("/sandboxes").json()["sandboxes"]} == before  # nothing left behind


@contextlib.contextmanager
def _replica(hutch_server: Any, *args: str, name: str = "replica") -> Iterator[Any]:
    """Another `hutch serve` on the same data dir and cluster (its database, agent key and access-token
    secret are the data dir's), as a second replica behind one address would be; `args` added (`name`:
    its log's, for several at once)."""
    replica = type(hutch_server)(hutch_server.data_dir, pool_size=0, extra_args=[*hutch_server.extra_args, *args])
    replica.api_key, replica.api_key_b = hutch_server.api_key, hutch_server.api_key_b
    replica.log_path = hutch_server.log_path.with_suffix(f".{name}.log")
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()
        replica.log_path.unlink(missing_ok=True)


@pytest.fixture
def second_replica(hutch_server) -> Iterator[Any]:
    with _replica(hutch_server) as replica:
        yield replica


def test_a_second_replica_adopts_and_drives_the_sandboxes_of_the_first(http: httpx.Client, second_replica) -> None:
    sid = _create(http, envs={"MARK": "from-a"})
    try:
        with second_replica.http() as other:  # started after the create: its recovery adopted the pod
            r = other.post(f"/sandboxes/{sid}/commands", json={"cmd": "echo $MARK"})
            assert r.status_code == 201, r.text
            pid = r.json()["pid"]
            with other.stream("GET", f"/sandboxes/{sid}/commands/{pid}/output") as out:
                data = "".join(json.loads(line).get("data", "") for line in out.iter_lines() if line)
            assert data == "from-a\n"
            assert other.delete(f"/sandboxes/{sid}").status_code == 204
        assert http.get(f"/sandboxes/{sid}").status_code == 404
    finally:
        http.delete(f"/sandboxes/{sid}")


@pytest.mark.backends("kubernetes-emulated+postgresql")
def test_concurrent_calls_through_two_replicas_end_consistent(http: httpx.Client, second_replica) -> None:
    """Both replicas act on every pod: the sandbox's PostgreSQL advisory lock lets one at a time change it.
    A snapshot under way on one replica (a file that takes a while to archive), then two kills and two
    timeouts at once through both: one kill succeeds, the rest answer what one server answers for a
    sandbox killed just before (or the snapshot completes first), and the row ends killed."""
    import psycopg

    url = _database_url(second_replica)
    with second_replica.http() as other, ThreadPoolExecutor(5) as pool:
        for _ in range(2):
            sid = _create(http)
            r = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "head -c 40000000 /dev/urandom > /tmp/big"})
            assert r.status_code == 201, r.text
            with http.stream("GET", f"/sandboxes/{sid}/commands/{r.json()['pid']}/output") as out:
                for _line in out.iter_lines():
                    pass
            snapshot = pool.submit(other.post, f"/sandboxes/{sid}/snapshots", json={})
            time.sleep(0.3)  # the snapshot is usually under way by now (the answers hold either way)
            calls = [
                (http, "DELETE", f"/sandboxes/{sid}", None),
                (other, "DELETE", f"/sandboxes/{sid}", None),
                (http, "POST", f"/sandboxes/{sid}/timeout", {"timeout": 600}),
                (other, "POST", f"/sandboxes/{sid}/timeout", {"timeout": 600}),
            ]
            barrier = threading.Barrier(len(calls))

            futures = [pool.submit(_at_once, barrier, *c) for c in calls]
            codes = [f.result().status_code for f in futures]
            snapped = snapshot.result()
            assert sorted(codes[:2]) == [204, 404], codes
            assert codes[2] in (204, 404) and codes[3] in (204, 404), codes
            assert snapped.status_code in (201, 404), snapped.text
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT state, killed_at FROM sandboxes WHERE id = %s", (sid,)).fetchone()
                snaps = conn.execute("SELECT COUNT(*) FROM snapshots WHERE sandbox_id = %s", (sid,)).fetchone()[0]
            assert row is not None and row[0] == "killed" and row[1] is not None
            assert snaps == (1 if snapped.status_code == 201 else 0)
            for client in (http, other):  # both replicas now answer as one server does for a killed sandbox
                assert client.post(f"/sandboxes/{sid}/timeout", json={"timeout": 60}).status_code == 404
                assert client.delete(f"/sandboxes/{sid}").status_code == 404


def _at_once(barrier: threading.Barrier, client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    barrier.wait()
    return client.request(method, path, json=body)


def _database_url(server: Any) -> str:
    return str(server.extra_args[server.extra_args.index("--database") + 1])


@pytest.mark.backends("kubernetes-emulated")
def test_the_disk_budget_leaves_pods_disks_to_the_cluster(hutch_server) -> None:
    """A pod's disk is on its node: a replica whose host keeps (more than) all its space in reserve, where
    the local backend refuses every create with a 507, still makes sandboxes."""
    with _replica(hutch_server, "--disk-reserve-mb", "100000000") as replica, replica.http() as http:
        sid = _create(http, resources={"diskMB": 4096})
        try:
            assert http.get(f"/sandboxes/{sid}").json()["diskMB"] == 4096
        finally:
            assert http.delete(f"/sandboxes/{sid}").status_code == 204


@contextlib.asynccontextmanager
async def _pod_agent(kube: Any, sid: str) -> AsyncIterator[httpx.Client]:
    """The sandbox's agent at its pod's IP, with the token of its Secret (as the server calls it)."""
    core, _, ns = kube
    ip = (await core.read_namespaced_pod(f"hutch-{sid}", ns)).status.pod_ip
    secret = await core.read_namespaced_secret(f"hutch-{sid}-agent", ns)
    token = base64.b64decode(secret.data["token"]).decode()
    headers = {"X-Hutch-Agent-Token": token}
    with httpx.Client(base_url=f"http://{ip}:{AGENT_PORT}", headers=headers, timeout=30, trust_env=False) as agent:
        yield agent


def _states(agent: httpx.Client, pids: list[int]) -> list[str]:
    """The states of processes of the pod (/proc/PID/stat), read by a command the agent runs as root."""
    cmd = "; ".join(f"cut -d')' -f2 /proc/{pid}/stat | cut -d' ' -f2" for pid in pids)
    started = agent.post("/commands", json={"cmd": cmd, "user": "root"})
    assert started.status_code == 201, started.text
    with agent.stream("GET", f"/commands/{started.json()['pid']}/output") as out:
        return "".join(json.loads(line).get("data", "") for line in out.iter_lines() if line).split()


async def test_pause_stops_the_pods_processes_and_resume_continues_them(http: httpx.Client, kube) -> None:
    sid = _create(http)
    try:
        pids = [http.post(f"/sandboxes/{sid}/commands", json={"cmd": "exec sleep 600"}).json()["pid"] for _ in "ab"]
        async with _pod_agent(kube, sid) as agent:
            assert agent.get("/freeze").json() == {"frozen": False, "stopped": 0}
            assert http.post(f"/sandboxes/{sid}/pause").status_code == 200
            assert http.get(f"/sandboxes/{sid}").json()["state"] == "paused"
            frozen = agent.get("/freeze").json()
            assert frozen["frozen"] is True and frozen["stopped"] >= 2
            assert _states(agent, pids) == ["T", "T"]  # and a command of the agent runs, as pause's snapshot did
            assert http.post(f"/sandboxes/{sid}/snapshots", json={}).status_code == 201  # of a paused sandbox
            assert agent.get("/freeze").json() == frozen and _states(agent, pids) == ["T", "T"]  # still paused
            kinds = [s["kind"] for s in http.get("/snapshots", params={"sandboxID": sid}).json()]
            assert sorted(kinds) == ["manual", "pause"]
            assert http.post(f"/sandboxes/{sid}/resume").status_code == 200
            assert agent.get("/freeze").json() == {"frozen": False, "stopped": 0}
            assert _states(agent, pids) == ["S", "S"]
    finally:
        http.delete(f"/sandboxes/{sid}")


def test_metrics_are_the_pods_usage_within_its_limits(http: httpx.Client) -> None:
    sid = _create(http, resources={"cpu": 1, "memoryMB": 512})
    try:
        r = http.get(f"/sandboxes/{sid}/metrics/current")
        assert r.status_code == 200, r.text
        now = r.json()
        assert now["cpuCount"] == 1 and now["memTotal"] == 512 << 20 and now["diskTotalMB"] == 2048
        assert 0 < now["memUsed"] < now["memTotal"] and 0 <= now["diskUsed"] < now["diskTotal"]
        deadline = time.monotonic() + 60
        while not (samples := http.get(f"/sandboxes/{sid}/metrics").json()):  # the sampler's (every second here)
            assert time.monotonic() < deadline, "no metrics sample of the pod"
            time.sleep(0.2)
        assert samples[0]["memTotal"] == 512 << 20 and samples[0]["cpuCount"] == 1
    finally:
        http.delete(f"/sandboxes/{sid}")


def test_a_second_replica_adopts_a_paused_sandbox_paused(http: httpx.Client, hutch_server) -> None:
    sid = _create(http)
    try:
        assert http.post(f"/sandboxes/{sid}/pause").status_code == 200
        with _replica(hutch_server) as replica, replica.http() as other:  # its recovery asked the agent
            assert other.get(f"/sandboxes/{sid}").json()["state"] == "paused"
            r = other.post(f"/sandboxes/{sid}/commands", json={"cmd": "echo resumed"})
            assert r.status_code == 409 and "is paused" in r.json()["message"]
            assert other.post(f"/sandboxes/{sid}/resume").status_code == 200
            assert other.get(f"/sandboxes/{sid}").json()["state"] == "running"
    finally:
        http.delete(f"/sandboxes/{sid}")


STALL_AGENT = "emulated.hutch.dev/agent-stalled"  # the emulated kubelet keeps such a pod's agent from answering


async def _stall(kube: Any, sid: str, stalled: bool) -> None:
    core, _, ns = kube
    patch = {"metadata": {"annotations": {STALL_AGENT: "true" if stalled else "false"}}}
    await core.patch_namespaced_pod(f"hutch-{sid}", ns, patch)


def _answers(agent: httpx.Client) -> bool:
    try:
        agent.get("/freeze", timeout=0.5)
    except httpx.TimeoutException:
        return False
    return True


async def _until(agent: httpx.Client, answering: bool) -> None:
    deadline = time.monotonic() + 30
    while _answers(agent) != answering:
        assert time.monotonic() < deadline, f"the agent still {'does not answer' if answering else 'answers'}"
        await asyncio.sleep(0.1)


@pytest.mark.backends("kubernetes-emulated", "kubernetes-emulated+postgresql")
async def test_a_replica_starting_asks_a_stalled_agent_again_and_keeps_a_sandbox_whose_agent_is_silent(
    http: httpx.Client, hutch_server, kube
) -> None:
    """A replica adopting pods asks each agent whether it is frozen. `brief`'s agent does not answer its
    first question (the kubelet stalls it until the replica's log says it will ask again): asked again,
    it answers, and the replica makes it what its record says (running: it thaws the pod, which a server
    dying mid-pause left frozen). `silent`'s agent answers nothing during the whole start: its pod is
    Running and Ready, so it is adopted paused, as recorded, not destroyed; it resumes once it answers."""
    brief, silent = _create(http), _create(http)
    try:
        assert http.post(f"/sandboxes/{silent}/pause").status_code == 200
        async with _pod_agent(kube, brief) as brief_agent, _pod_agent(kube, silent) as silent_agent:
            assert brief_agent.post("/freeze").json()["frozen"] is True  # recorded running, frozen
            for sid, agent in ((brief, brief_agent), (silent, silent_agent)):
                await _stall(kube, sid, True)
                await _until(agent, answering=False)
            starting = _replica(hutch_server)
            with ThreadPoolExecutor(1) as pool:
                started = pool.submit(starting.__enter__)
                log_path = hutch_server.log_path.with_suffix(".replica.log")
                deadline = time.monotonic() + 60
                while f"the agent of {brief} did not answer GET /freeze" not in _read(log_path):
                    assert time.monotonic() < deadline and not started.done(), _read(log_path)[-3000:]
                    await asyncio.sleep(0.1)
                await _stall(kube, brief, False)
                replica = started.result()
            try:
                log = _read(log_path)
                assert f"sandbox {silent} adopted paused as recorded, unchecked" in log, log[-3000:]
                assert f"sandbox {brief} adopted" not in log and "destroying" not in log, log[-3000:]
                await _until(brief_agent, answering=True)
                assert brief_agent.get("/freeze").json()["frozen"] is False  # the replica thawed it
                with replica.http() as other:
                    assert other.get(f"/sandboxes/{brief}").json()["state"] == "running"
                    assert other.get(f"/sandboxes/{silent}").json()["state"] == "paused"
                    await _stall(kube, silent, False)
                    await _until(silent_agent, answering=True)
                    assert other.post(f"/sandboxes/{silent}/resume").status_code == 200
                    r = other.post(f"/sandboxes/{silent}/commands", json={"cmd": "true"})
                    assert r.status_code == 201, r.text
            finally:
                starting.__exit__(None, None, None)
    finally:
        for sid in (brief, silent):
            with contextlib.suppress(Exception):
                await _stall(kube, sid, False)
            http.delete(f"/sandboxes/{sid}")


def _read(path: Any) -> str:
    try:
        return str(path.read_text(errors="replace"))
    except FileNotFoundError:
        return ""


@pytest.mark.backends("kubernetes-emulated", "kubernetes")
def test_a_paused_commands_timeout_waits_for_the_resume(http: httpx.Client) -> None:
    """A pod's pause stops the user's processes, not the agent, whose clock stands still meanwhile: a
    command with a 4 s timeout, paused for longer than that, still runs at the resume, and is killed for
    its timeout later, with the time it had left (the pump's deadline was suspended, not passed)."""
    sid = _create(http)
    try:
        r = http.post(f"/sandboxes/{sid}/commands", json={"cmd": "sleep 600", "timeout": 4})
        assert r.status_code == 201, r.text
        pid = r.json()["pid"]
        exited: list[tuple[float, dict[str, Any]]] = []

        def read() -> None:
            with http.stream("GET", f"/sandboxes/{sid}/commands/{pid}/output") as out:
                for line in out.iter_lines():
                    if line and (event := json.loads(line)).get("type") == "exit":
                        exited.append((time.monotonic(), event))

        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(read)
            assert http.post(f"/sandboxes/{sid}/pause").status_code == 200
            time.sleep(5)  # paused past the whole timeout
            resuming = time.monotonic()
            assert http.post(f"/sandboxes/{sid}/resume").status_code == 200
            assert http.get(f"/sandboxes/{sid}/commands/{pid}").json()["running"] is True
            reading.result(timeout=60)
        [(at, event)] = exited
        assert at > resuming, "the command ended while paused"
        assert event["reason"] == "timeout" and event["error"] == "timed out after 4 s", event
    finally:
        http.delete(f"/sandboxes/{sid}")
