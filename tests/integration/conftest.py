"""A real `hutch serve` for integration tests (session-scoped), with two tenants.

The server runs as a subprocess on a free port. Its data dir is a fresh directory of this run under
/var/tmp/hutch-test-server/runs/, whose `templates` is a link to /var/tmp/hutch-test-server/templates:
the Debian `base` template is built once per machine (the first run takes a minute or two longer)
and shared, while test runs that overlap (two sessions, CI next to a developer) never touch each
other's sandboxes. At the end every sandbox and snapshot of the run is removed and the server
stopped, leaving no processes, mounts or cgroups behind; run dirs of crashed runs are swept at start.

Tests get a `HutchServer` with `.base_url`, `.domain`, `.api_key` (tenant A), `.api_key_b`
(tenant B), `.data_dir`, and `.restart()` / `.kill9()` / `.start()` to exercise crash recovery.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from balancer import Balancer

ROOT = Path(os.environ.get("HUTCH_TEST_DATA_DIR", "/var/tmp/hutch-test-server"))
SHARED_TEMPLATES = ROOT / "templates"
RUNS = ROOT / "runs"
TEMPLATE_READY_TIMEOUT = 900.0  # the first run on a machine builds the base template with debootstrap
# A `debootstrap --make-tarball` of the base packages, if this machine has one, saves the download.
DEBOOTSTRAP_TARBALL = Path("/var/tmp/hutch-cache/bookworm-base.tgz")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hutch_argv() -> list[str]:
    exe = Path(sys.executable).with_name("hutch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hutchd"]


class HutchServer:
    """One `hutch serve` process; `start`/`stop`/`kill9`/`restart` keep the same port and data dir."""

    def __init__(self, data_dir: Path, *, pool_size: int = 2, extra_args: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.domain}"
        self.api_key = "test-a-" + secrets.token_hex(12)
        self.api_key_b = "test-b-" + secrets.token_hex(12)
        self.pool_size = pool_size
        self.extra_args = list(extra_args or [])
        self.postgres: Any = None  # the tests/postgres_cluster.py cluster its database is on, if it has one
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        # /etc/hosts format; the server's resolver answers its names to sandboxes (network tests add theirs)
        self.hosts_file = data_dir.parent / f"{data_dir.name}.hosts"
        # CAs the decrypting egress proxy trusts besides the system's (the proxy tests' own CA)
        self.upstream_ca = data_dir.parent / f"{data_dir.name}.upstream-ca.pem"
        # --backend kubernetes: the cluster it places sandboxes on (tests/integration/kube)
        self.kubeconfig: str | None = None
        self.kube_namespace: str | None = None

    # ---------------------------------------------------------------- process control

    def start(self, timeout: float = 60.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        env = dict(os.environ)
        env.pop("HUTCH_API_KEY", None)
        if DEBOOTSTRAP_TARBALL.is_file():
            env.setdefault("HUTCH_DEBOOTSTRAP_TARBALL", str(DEBOOTSTRAP_TARBALL))
        self.hosts_file.touch(exist_ok=True)
        argv = [
            *_hutch_argv(), "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir),
            "--api-key", self.api_key, "--api-key", self.api_key_b,
            "--pool-size", str(self.pool_size), "--log-level", "info", "--hosts-file", str(self.hosts_file),
            "--proxy-upstream-ca", str(self.upstream_ca), *self.extra_args,
        ]  # fmt: skip
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hutch serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"hutch serve did not answer /health within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful stop (SIGTERM): sandboxes keep running, the warm pool is emptied."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill9(self) -> None:
        """Crash the server (SIGKILL): no cleanup of any kind runs."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def restart(self, *, crash: bool = True) -> None:
        if crash:
            self.kill9()
        else:
            self.stop()
        self.start()

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"

    # ---------------------------------------------------------------- helpers for tests

    def client(self, key: str | None = None):  # -> hutch_api.AuthenticatedClient
        from hutch_api import AuthenticatedClient

        return AuthenticatedClient(
            base_url=self.base_url,
            token=key or self.api_key,
            prefix="",
            auth_header_name="X-API-Key",
            timeout=httpx.Timeout(120.0),
            raise_on_unexpected_status=True,
        )

    def http(self, key: str | None = None, timeout: float = 120.0) -> httpx.Client:
        """A plain httpx client with tenant A's key (or `key`), for raw requests."""
        return httpx.Client(base_url=self.base_url, headers={"X-API-Key": key or self.api_key}, timeout=timeout)

    def wait_template(self, template_id: str = "base", timeout: float = TEMPLATE_READY_TIMEOUT) -> None:
        """Wait until the template is built (the warm pool builds `base` in the background)."""
        deadline = time.monotonic() + timeout
        with self.http() as c:
            while time.monotonic() < deadline:
                r = c.get(f"/templates/{template_id}")
                if r.status_code == 200 and r.json()["ready"]:
                    return
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"hutch serve died while building {template_id}:\n{self.log_tail()}")
                time.sleep(1.0)
        raise RuntimeError(f"template {template_id} not ready after {timeout}s:\n{self.log_tail()}")

    def build_template(self, template_id: str) -> None:
        """Build a recipe template here and now (once per machine: the templates are shared, and their
        lock keeps builders apart), so that no test's create waits for apt-get within its request timeout."""
        from hutchd.runtime.layout import Layout
        from hutchd.runtime.templates import TemplateStore

        TemplateStore(Layout(self.data_dir)).ensure(template_id)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of the server's database, read-only (`?` placeholders): its SQLite file or its PostgreSQL."""
        if "--database" not in self.extra_args:
            db = sqlite3.connect(f"file:{self.data_dir / 'hutch.db'}?mode=ro", uri=True)
            try:
                return db.execute(sql, args).fetchall()
            finally:
                db.close()
        import psycopg

        url = self.extra_args[len(self.extra_args) - self.extra_args[::-1].index("--database")]  # the last: it wins
        with psycopg.connect(url) as conn:
            return conn.execute(sql.replace("?", "%s"), args).fetchall()  # type: ignore[arg-type]

    def stored(self) -> bytes:
        """Everything the server's database holds, to check that a secret is not in it: its SQLite file
        and WAL, or the text of every row of every table of its PostgreSQL database."""
        if "--database" not in self.extra_args:
            return b"".join(path.read_bytes() for path in sorted(self.data_dir.glob("hutch.db*")))
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        tables = [name for (name,) in self.query(sql)]
        return b"".join(str(row).encode() for table in tables for row in self.query(f'SELECT * FROM "{table}"'))

    def delete_snapshots(self) -> None:
        for key in (self.api_key, self.api_key_b):
            with self.http(key) as c:
                for snap in c.get("/snapshots").json():
                    c.delete(f"/snapshots/{snap['snapshotID']}")

    def delete_templates(self) -> None:
        """Delete both tenants' built templates, which also removes their cached layers from the
        shared templates dir."""
        for key in (self.api_key, self.api_key_b):
            with self.http(key) as c:
                for t in c.get("/templates").json():
                    if t["kind"] == "build":
                        c.delete(f"/templates/{t['templateID']}")

    def kill_all(self) -> None:
        """Kill every live sandbox of both tenants."""
        for key in (self.api_key, self.api_key_b):
            with self.http(key) as c:
                r = c.get("/sandboxes", params={"state": ["running", "paused", "starting"], "limit": 1000})
                if r.status_code != 200:
                    continue
                for s in r.json()["sandboxes"]:
                    c.delete(f"/sandboxes/{s['sandboxID']}")


def cleanup_data_dir(data_dir: Path) -> None:
    """Destroy whatever a server left in `data_dir` (sandboxes, snapshots, its database)."""
    if not data_dir.exists():
        return
    subprocess.run([*_hutch_argv(), "cleanup", "--data-dir", str(data_dir)], check=False, capture_output=True)


def _mounted_under(path: Path) -> bool:
    return any(f" {path}/" in line for line in Path("/proc/self/mounts").read_text().splitlines())


def _remove_run_dir(run_dir: Path) -> None:
    cleanup_data_dir(run_dir)
    if not _mounted_under(run_dir):
        if (run_dir / "templates").is_symlink():
            (run_dir / "templates").unlink()  # the link only, never the shared templates
        shutil.rmtree(run_dir, ignore_errors=True)
        for sibling in run_dir.parent.glob(f"{run_dir.name}.*"):  # the server's log, its hosts file
            sibling.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_run_dir() -> Path:
    """A data dir for this run, sharing the machine's templates; stale ones of dead runs go first."""
    SHARED_TEMPLATES.mkdir(parents=True, exist_ok=True)
    RUNS.mkdir(parents=True, exist_ok=True)
    for old in RUNS.iterdir():
        owner = old.name.split("-", 1)[0].split(".", 1)[0]
        if owner.isdigit() and not _pid_alive(int(owner)):
            if old.is_dir() and not old.is_symlink():
                _remove_run_dir(old)
            else:
                old.unlink(missing_ok=True)  # its log and hosts files
    run_dir = RUNS / f"{os.getpid()}-{secrets.token_hex(3)}"
    run_dir.mkdir(mode=0o700)
    (run_dir / "templates").symlink_to(SHARED_TEMPLATES)
    return run_dir


def shared_server(config: pytest.Config, postgres: Any = None) -> HutchServer:
    """The session's one server, made on first use and stopped when pytest ends. It lives on the
    pytest config so that tests/contract (which loads this module by path) shares it. With `postgres`
    (a tests/postgres_cluster.py cluster), the session's server whose state is in a database of it."""
    attr = "_hutch_server" if postgres is None else "_hutch_server_postgresql"
    server: HutchServer | None = getattr(config, attr, None)
    if server is not None:
        return server
    if os.geteuid() != 0:
        pytest.skip("integration tests need root (hutch serve mounts, maps user ids and writes cgroups)")
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed: apt-get install -y bubblewrap")
    extra = ["--sample-interval", "1", "--image-registry", "127.0.0.1"]  # the template tests' loopback registry
    if HOST_CA_BUNDLE.is_file():  # this host's trust (an egress proxy's CA too) for template builds' pip and npm
        extra += ["--build-ca-bundle", str(HOST_CA_BUNDLE)]
    if postgres is not None:
        extra += ["--database", postgres.new_database("server")]
    server = HutchServer(new_run_dir(), extra_args=extra)
    server.postgres = postgres
    setattr(config, attr, server)
    config.add_cleanup(lambda: _shutdown(server))
    server.start()
    server.wait_template("base")
    for recipe in ("code-interpreter", "nodejs", "go"):  # hopx's example templates (tests/integration/code, sdk)
        server.build_template(recipe)
    return server


def _shutdown(server: HutchServer) -> None:
    if server.proc is not None and server.proc.poll() is None:
        with contextlib.suppress(Exception):
            server.kill_all()
        with contextlib.suppress(Exception):
            server.delete_snapshots()  # also removes the templates made from them, in the shared dir
        with contextlib.suppress(Exception):
            server.delete_templates()
    server.stop()
    _remove_run_dir(server.data_dir)


# ---------------------------------------------------------------- the kubernetes backend

KUBE_NAMESPACE = "hutch-test"
# The emulated kubelet runs these images as these local templates (tests/integration/kube/cluster.py).
EMULATED_IMAGES = {
    template: f"hutch.test/{template}:emulated" for template in ("base", "code-interpreter", "nodejs", "go")
}
BACKENDS = {
    "local": "this host's runtime, state in SQLite",
    "local+postgresql": "this host's runtime, state in PostgreSQL (hutch serve --database postgresql://...)",
    "kubernetes-emulated": "the kubernetes backend on kmock's emulated API server and an emulated kubelet",
    "kubernetes-emulated+postgresql": "the same, state in PostgreSQL",
    "kubernetes-emulated+postgresql+replicas": "the same, two replicas sharing the database and data dir behind "
    "one address (a round-robin balancer per connection, as a Service is)",
    "kubernetes": "the kubernetes backend on the real cluster of $KUBECONFIG",
}


class EmulatedCluster:
    """tests/integration/kube/cluster.py as a subprocess: kmock's API server and a kubelet that runs
    each pod's agent in a real local sandbox. What is emulated is listed in that file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        images = [f"--image={image}={template}" for template, image in EMULATED_IMAGES.items()]
        script = Path(__file__).parent / "kube" / "cluster.py"
        argv = [sys.executable, str(script), "--data-dir", str(data_dir), "--namespace", KUBE_NAMESPACE, *images]
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        log.close()
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"the emulated cluster did not start:\n{self.log_path.read_text()[-4000:]}")
        self.kubeconfig = line.split(" ", 1)[1].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        _remove_run_dir(self.data_dir)


class ReplicatedServer(HutchServer):
    """Replicas of `hutch serve` sharing one data dir and one PostgreSQL database behind one address
    (tests/balancer.py, as a Kubernetes Service is): what `deploy/kubernetes` runs. Process
    control acts on every replica; `.replicas` are the servers themselves."""

    def __init__(self, data_dir: Path, *, pool_size: int, extra_args: list[str], count: int = 2) -> None:
        self.replicas: list[HutchServer] = []
        super().__init__(data_dir, pool_size=pool_size, extra_args=extra_args)
        for i in range(count):
            replica = HutchServer(data_dir, pool_size=pool_size, extra_args=extra_args)
            replica.api_key, replica.api_key_b = self.api_key, self.api_key_b
            replica.log_path = data_dir.parent / f"{data_dir.name}.replica{i}.log"
            replica.hosts_file, replica.upstream_ca = self.hosts_file, self.upstream_ca
            self.replicas.append(replica)
        self.balancer = Balancer(self.port, lambda: [r.port for r in self.replicas])

    @property  # type: ignore[override]
    def proc(self) -> subprocess.Popen[bytes] | None:
        """The first replica's process (the one whose death a waiting test checks for)."""
        return self.replicas[0].proc if self.replicas else None

    @proc.setter
    def proc(self, value: subprocess.Popen[bytes] | None) -> None:
        """Set by HutchServer's constructor only: the replicas hold the processes."""

    def start(self, timeout: float = 60.0) -> None:
        for replica in self.replicas:
            replica.start(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        for replica in self.replicas:
            replica.stop(timeout)

    def kill9(self) -> None:
        for replica in self.replicas:
            replica.kill9()

    def log_tail(self, n: int = 4000) -> str:
        return "\n".join(f"--- replica {i}:\n{r.log_tail(n // 2)}" for i, r in enumerate(self.replicas))

    def close(self) -> None:
        self.balancer.close()


def kubernetes_server(
    config: pytest.Config, *, real: bool, postgres: Any = None, replicas: bool = False
) -> HutchServer:
    """The session's `hutch serve --backend kubernetes`: on the emulated cluster, or (`real`) on the
    cluster of $KUBECONFIG, whose pods' IPs this host must reach; the base template's image is
    $HUTCH_TEST_KUBE_IMAGE (with the agent, or $HUTCH_TEST_KUBE_AGENT_IMAGE's). With `postgres`, its
    state is in a database of that cluster; with `replicas`, two replicas of it behind one address."""
    attr = ("_hutch_kube_real_server" if real else "_hutch_kube_server") + ("_postgresql" if postgres else "")
    attr += "_replicas" if replicas else ""
    server: HutchServer | None = getattr(config, attr, None)
    if server is not None:
        return server
    if real:
        kubeconfig, image = os.environ.get("KUBECONFIG"), os.environ.get("HUTCH_TEST_KUBE_IMAGE")
        if not kubeconfig or not image:
            pytest.skip("a real cluster needs KUBECONFIG and HUTCH_TEST_KUBE_IMAGE (see the README)")
        namespace = os.environ.get("HUTCH_TEST_KUBE_NAMESPACE", KUBE_NAMESPACE)
        args = ["--kubeconfig", kubeconfig, "--kube-namespace", namespace, "--kube-image", image]
        if agent := os.environ.get("HUTCH_TEST_KUBE_AGENT_IMAGE"):
            args += ["--kube-agent-image", agent]
        # the other templates' images, as TEMPLATE=IMAGE,... (code-interpreter, nodejs, go for the SDK suite)
        for pair in filter(None, os.environ.get("HUTCH_TEST_KUBE_TEMPLATE_IMAGES", "").split(",")):
            args.append(f"--kube-template-image={pair.strip()}")
    else:
        if os.geteuid() != 0 or shutil.which("bwrap") is None:
            pytest.skip("the emulated kubelet runs pods as local sandboxes: it needs root and bubblewrap")
        cluster_dir = new_run_dir()
        for template in EMULATED_IMAGES:  # at once if this machine has them (the local pass built them)
            HutchServer(cluster_dir).build_template(template)
        cluster = EmulatedCluster(cluster_dir)
        config.add_cleanup(cluster.stop)  # after the server's shutdown (cleanups run last first)
        images = [f"--kube-template-image={t}={image}" for t, image in EMULATED_IMAGES.items() if t != "base"]
        args = ["--kubeconfig", cluster.kubeconfig, "--kube-namespace", KUBE_NAMESPACE]
        args += ["--kube-image", EMULATED_IMAGES["base"], *images]
        args += ["--image-registry", "127.0.0.1"]  # the template tests' loopback registry, which this kubelet reaches
        if HOST_CA_BUNDLE.is_file():  # this host's trust (an egress proxy's CA too) for template builds' pip and npm
            args += ["--build-ca-bundle", str(HOST_CA_BUNDLE)]
    extra = ["--sample-interval", "1", "--backend", "kubernetes", *args]
    if postgres is not None:
        extra += ["--database", postgres.new_database("kubernetes")]
    data_dir = new_run_dir()
    (data_dir / "templates").unlink()  # its own: its templates are images and archives, not the local ones
    (data_dir / "templates").mkdir()
    if replicas:
        assert postgres is not None, "replicas share their state in PostgreSQL"
        server = ReplicatedServer(data_dir, pool_size=0, extra_args=extra)
        config.add_cleanup(server.close)  # after the replicas' shutdown
    else:
        server = HutchServer(data_dir, pool_size=0, extra_args=extra)
    server.kubeconfig, server.kube_namespace = args[1], args[3]
    server.postgres = postgres
    setattr(config, attr, server)
    config.add_cleanup(lambda: _shutdown(server))
    server.start()
    return server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test once on each of these servers (`hutch_server` is parametrized): "
        + "; ".join(f"{name}: {what}" for name, what in BACKENDS.items()),
    )


def _chosen_backend() -> str | None:
    """$HUTCH_TEST_BACKEND: the one backend of this pass (`make test-sdk-kubernetes`), or None."""
    return os.environ.get("HUTCH_TEST_BACKEND") or None


def _kind(name: str) -> str:
    return name.split("+", 1)[0]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `backends(...)` runs on each backend named; in a pass of one chosen backend, once
    on that backend (and not at all when it names none of its kind: see below)."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "hutch_server" in metafunc.fixturenames:
        chosen = _chosen_backend()
        names = [chosen] if chosen is not None else list(marker.args)
        metafunc.parametrize("hutch_server", names, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pass of one chosen backend, a test marked for backends of other kinds only is left out
    (deselected, as pytest reports it): it is about those backends."""
    chosen = _chosen_backend()
    if chosen is None:
        return
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        ok = marker is None or any(_kind(name) == _kind(chosen) for name in marker.args)
        (keep if ok else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def hutch_server(request: pytest.FixtureRequest) -> HutchServer:
    """The session's server; tests marked `backends(...)` run on each server named (BACKENDS), others on
    $HUTCH_TEST_BACKEND (local when unset: the whole suite on one backend). `+postgresql`: a server
    whose state is in the session's PostgreSQL; `+replicas`: two replicas of it behind one address."""
    name = getattr(request, "param", _chosen_backend() or "local")
    backend, *options = name.split("+")
    assert backend in ("local", "kubernetes-emulated", "kubernetes"), name
    assert set(options) <= {"postgresql", "replicas"} and (backend != "local" or "replicas" not in options), name
    postgres = request.getfixturevalue("postgres") if "postgresql" in options else None
    if backend == "local":
        return shared_server(request.config, postgres)
    real = backend == "kubernetes"
    return kubernetes_server(request.config, real=real, postgres=postgres, replicas="replicas" in options)
