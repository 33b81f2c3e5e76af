"""What `hutch serve` and `hutch cleanup` do (their command line is `hutch.cli.server`)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hutchd import __version__, auth, logs
from hutchd.settings import DEFAULT_PORT, Settings, default_data_dir

if TYPE_CHECKING:
    from hutchd.backend import Backend
    from hutchd.runtime import HostFeatures

log = logging.getLogger("hutchd")


@dataclass
class ServeOptions:
    """``hutch serve``'s options (the command line is ``hutch.cli.server``)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path | None = None
    api_key: list[str] = field(default_factory=list)
    keys_file: Path | None = None
    pool_size: int = 2
    pool_memory_mb: int = 512
    sample_interval: float = 5.0
    snapshot_interval: float = 0.0
    max_sandboxes: int = 500
    disk_overcommit: float = Settings.disk_overcommit
    disk_reserve_mb: int = Settings.disk_reserve_mb
    hosts_file: Path | None = None
    proxy_upstream_ca: Path | None = None
    log_level: str = "warning"
    image_registry: list[str] = field(default_factory=list)
    build_ca_bundle: Path | None = None
    pool_template: list[str] = field(default_factory=list)
    replica_heartbeat: float = Settings.replica_heartbeat
    database: str | None = None
    backend: str = "local"
    kubeconfig: Path | None = None
    kube_namespace: str | None = None
    kube_runtime_class: str | None = None
    kube_image: str | None = None
    kube_template_image: list[str] = field(default_factory=list)
    kube_agent_image: str | None = None
    kube_volume_storage_class: str | None = None
    kube_volume_access_mode: str = "ReadWriteMany"
    kube_agent_key_file: Path | None = None


def _keys(args: ServeOptions, data_dir: Path) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = [("", k) for k in args.api_key]
    env = os.environ.get("HUTCH_API_KEY")
    if env:
        keys.append(("env", env))
    if args.keys_file:
        keys += auth.parse_keys_file(args.keys_file)
    if keys:
        return keys
    generated, fresh = auth.load_or_generate(data_dir)
    key = generated[0][1]
    where = data_dir / auth.GENERATED_KEY_FILE
    if fresh:
        print(f"hutch: generated an API key (stored in {where}); use it with:", file=sys.stderr)
    else:
        print(f"hutch: using the API key stored in {where}:", file=sys.stderr)
    print(f"  export HUTCH_API_KEY={key}", file=sys.stderr)
    return generated


def _kubernetes_backend(args: ServeOptions, data_dir: Path) -> Backend:
    """`--backend kubernetes`: pods in a cluster (raises ValueError for options that do not fit)."""
    from hutchd.backends.kubernetes import KubernetesBackend, PodSettings

    images = {"base": args.kube_image} if args.kube_image else {}
    for pair in args.kube_template_image:
        template_id, sep, image = pair.partition("=")
        if not sep or not template_id or not image:
            raise ValueError(f"--kube-template-image takes TEMPLATE=IMAGE, not {pair!r}")
        images[template_id] = image
    if not images:
        raise ValueError("the kubernetes backend needs an image: --kube-image IMAGE (the base template's)")
    namespace = args.kube_namespace or _incluster_namespace() or "default"
    pods = PodSettings(
        namespace=namespace,
        images=images,
        runtime_class=args.kube_runtime_class,
        agent_image=args.kube_agent_image,
        volume_storage_class=args.kube_volume_storage_class,
        volume_access_mode=args.kube_volume_access_mode,
    )
    key = args.kube_agent_key_file.read_bytes().strip() if args.kube_agent_key_file else None
    kubeconfig = str(args.kubeconfig) if args.kubeconfig else None
    return KubernetesBackend(data_dir, pods, kubeconfig=kubeconfig, agent_key=key)


def _incluster_namespace() -> str | None:
    try:
        return Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip() or None
    except OSError:
        return None


def _host_features() -> HostFeatures | None:
    """This host's isolation features for the local backend; None (and a message) when it cannot run sandboxes."""
    from hutchd.runtime import detect_host_features

    features = detect_host_features()
    missing = features.missing()
    # Internet access and its filter are optional: sandboxes without them still work.
    fatal = [m for m in missing if not m.startswith(("slirp4netns", "nftables", "debootstrap"))]
    if fatal:
        print("hutch: this host cannot run sandboxes yet:", file=sys.stderr)
        for m in missing:
            print(f"  - {m}", file=sys.stderr)
        return None
    for m in missing:
        print(f"hutch: warning: {m}", file=sys.stderr)
    return features


def serve(args: ServeOptions) -> int:
    import uvicorn

    from hutchd.http.app import build_app
    from hutchd.http.protocol import ErrorShapeProtocol
    from hutchd.services.hub import Hub
    from hutchd.store.db import DatabaseUnavailable

    logs.setup(args.log_level)
    try:
        from hutchd.runtime import Runtime, RuntimeUnavailable
    except ImportError as e:
        print(f"hutch: the sandbox runtime cannot be loaded: {e}", file=sys.stderr)
        return 2
    kubernetes = args.backend == "kubernetes"
    features = None if kubernetes else _host_features()
    if features is None and not kubernetes:
        return 2

    if args.disk_overcommit <= 0 or args.disk_reserve_mb < 0:
        print("hutch: --disk-overcommit must be above 0 and --disk-reserve-mb at least 0", file=sys.stderr)
        return 2
    data_dir = (args.data_dir or default_data_dir()).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    try:
        keyring = auth.KeyRing(_keys(args, data_dir))
    except (OSError, ValueError) as e:
        print(f"hutch: no usable API key: {e}", file=sys.stderr)
        return 2
    settings = Settings(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        pool_size=max(0, args.pool_size),
        pool_memory_mb=max(0, args.pool_memory_mb),
        sample_interval=max(0.2, args.sample_interval),
        snapshot_interval=max(0.0, args.snapshot_interval),
        max_sandboxes=args.max_sandboxes,
        disk_overcommit=args.disk_overcommit,
        disk_reserve_mb=args.disk_reserve_mb,
        log_level=args.log_level,
        image_registries=(*Settings.image_registries, *args.image_registry),
        build_ca_bundle=args.build_ca_bundle.resolve() if args.build_ca_bundle else None,
        pool_templates=tuple(dict.fromkeys((*Settings.pool_templates, *args.pool_template))),
        database=args.database,
        replica_heartbeat=max(0.1, args.replica_heartbeat),
    )
    backend: Backend
    if kubernetes:
        try:
            backend = _kubernetes_backend(args, data_dir)
        except (OSError, ValueError) as e:
            print(f"hutch: {e}", file=sys.stderr)
            return 2
    else:
        from hutchd.backends.local import LocalBackend

        try:
            runtime = Runtime(data_dir)
        except RuntimeUnavailable as e:
            print(f"hutch: {e}", file=sys.stderr)
            return 2
        if args.hosts_file is not None:
            runtime.egress.hosts_file = args.hosts_file.resolve()
        if args.proxy_upstream_ca is not None:
            runtime.egress.proxy.upstream_ca = args.proxy_upstream_ca.resolve()
        backend = LocalBackend(runtime)
    try:
        hub = Hub(settings, keyring, backend, features)
    except (DatabaseUnavailable, ValueError, ImportError) as e:  # unreachable, not a database URL, no psycopg
        backend.shutdown()  # the runtime's mounts with it
        extra = " (PostgreSQL needs hutch[postgresql])" if isinstance(e, ImportError) else ""
        print(f"hutch: the database cannot be opened: {e}{extra}", file=sys.stderr)
        return 2
    print(
        f"hutch {__version__}: serving on http://{args.host}:{args.port} with the {backend.name} backend"
        f" (data in {data_dir})",
        file=sys.stderr,
    )
    uvicorn.run(
        build_app(hub),
        host=args.host,
        port=args.port,
        http=ErrorShapeProtocol,
        log_level="warning" if args.log_level != "debug" else "info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


@dataclass
class CleanupOptions:
    """``hutch cleanup``'s options."""

    data_dir: Path | None = None
    database: str | None = None
    backend: str = "local"
    kubeconfig: Path | None = None
    kube_namespace: str | None = None


def cleanup(args: CleanupOptions) -> int:
    """Destroy every sandbox and volume of a data dir (the kubernetes backend: every pod, Secret and
    NetworkPolicy hutch made in the namespace). A SQLite database goes, with the snapshots; in a
    PostgreSQL one, shared with other replicas, the records stay and the sandboxes are recorded killed."""
    data_dir = (args.data_dir or default_data_dir()).resolve()
    shared = args.database is not None and args.database.startswith(("postgresql://", "postgres://"))
    if args.backend == "kubernetes":
        killed = asyncio.run(_cleanup_kubernetes(args, data_dir))
        print(f"hutch: deleted the objects of {len(killed)} sandboxes", file=sys.stderr)
    elif data_dir.exists():
        killed = _cleanup_local(data_dir)
    else:
        return 0
    if shared:
        _record_killed(args.database or "", data_dir, killed)
    elif data_dir.exists():
        _forget(data_dir)
    return 0


async def _cleanup_kubernetes(args: CleanupOptions, data_dir: Path) -> list[str]:
    from hutchd.backends.kubernetes import KubernetesBackend, PodSettings

    namespace = args.kube_namespace or _incluster_namespace() or "default"
    kubeconfig = str(args.kubeconfig) if args.kubeconfig else None
    backend = KubernetesBackend(data_dir, PodSettings(namespace=namespace, images={}), kubeconfig=kubeconfig)
    try:
        return await backend.remove_all()
    finally:
        await backend.close()


def _cleanup_local(data_dir: Path) -> list[str]:
    from hutchd.runtime import Runtime

    rt = Runtime(data_dir)
    report = rt.recover(set())
    for volume_id in rt.volumes.ids():  # their records go with the database
        rt.volumes.delete(volume_id)
    rt.close()
    print(f"hutch: cleaned {report}", file=sys.stderr)
    return report.cleaned


def _record_killed(url: str, data_dir: Path, killed: list[str]) -> None:
    from hutchd.store.db import now, open_database

    db = open_database(url, data_dir)
    try:
        kill = "UPDATE sandboxes SET state = 'killed', killed_at = ? WHERE id = ? AND state != 'killed'"
        with db.tx():
            for sid in killed:
                db.run(kill, now(), sid)
    finally:
        db.close()


def _forget(data_dir: Path) -> None:
    """The SQLite database's files, and the snapshots and the templates made from them (they belonged
    to its records; a templates dir that is a link is shared with other data dirs: its templates are
    not ours alone to remove)."""
    for name in ("hutch.db", "hutch.db-wal", "hutch.db-shm"):
        (data_dir / name).unlink(missing_ok=True)
    stale = list((data_dir / "snapshots").glob("*"))
    if not (data_dir / "templates").is_symlink():
        stale += (data_dir / "templates").glob("tpl-*")
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
