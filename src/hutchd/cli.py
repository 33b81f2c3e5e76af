"""What `hutch serve` and `hutch cleanup` do (their command line is `hutch.cli.server`)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hutchd import __version__, auth, logs
from hutchd.settings import DEFAULT_PORT, Settings, default_data_dir

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
    database: str | None = None


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


def serve(args: ServeOptions) -> int:
    import uvicorn

    from hutchd.backend import Backend
    from hutchd.http.app import build_app
    from hutchd.http.protocol import ErrorShapeProtocol
    from hutchd.services.hub import Hub
    from hutchd.store.db import DatabaseUnavailable

    logs.setup(args.log_level)
    try:
        from hutchd.runtime import Runtime, RuntimeUnavailable, detect_host_features
    except ImportError as e:
        print(f"hutch: the sandbox runtime cannot be loaded: {e}", file=sys.stderr)
        return 2
    features = detect_host_features()
    missing = features.missing()
    # Internet access and its filter are optional: sandboxes without them still work.
    fatal = [m for m in missing if not m.startswith(("slirp4netns", "nftables", "debootstrap"))]
    if fatal:
        print("hutch: this host cannot run sandboxes yet:", file=sys.stderr)
        for m in missing:
            print(f"  - {m}", file=sys.stderr)
        return 2
    for m in missing:
        print(f"hutch: warning: {m}", file=sys.stderr)

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
    )
    try:
        runtime = Runtime(data_dir)
    except RuntimeUnavailable as e:
        print(f"hutch: {e}", file=sys.stderr)
        return 2
    if args.hosts_file is not None:
        runtime.egress.hosts_file = args.hosts_file.resolve()
    if args.proxy_upstream_ca is not None:
        runtime.egress.proxy.upstream_ca = args.proxy_upstream_ca.resolve()
    backend = Backend(runtime)
    try:
        hub = Hub(settings, keyring, backend, features)
    except (DatabaseUnavailable, ValueError, ImportError) as e:  # unreachable, not a database URL, no psycopg
        backend.shutdown()  # the runtime's mounts with it
        extra = " (PostgreSQL needs hutch[postgresql])" if isinstance(e, ImportError) else ""
        print(f"hutch: the database cannot be opened: {e}{extra}", file=sys.stderr)
        return 2
    print(f"hutch {__version__}: serving on http://{args.host}:{args.port} (data in {data_dir})", file=sys.stderr)
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


def cleanup(data_dir: Path | None) -> int:
    """Destroy every sandbox and volume of a data dir, and forget sandboxes and snapshots (templates stay)."""
    from hutchd.runtime import Runtime

    data_dir = (data_dir or default_data_dir()).resolve()
    if not data_dir.exists():
        return 0
    rt = Runtime(data_dir)
    report = rt.recover(set())
    for volume_id in rt.volumes.ids():  # their records go with the database
        rt.volumes.delete(volume_id)
    rt.close()
    print(f"hutch: cleaned {report}", file=sys.stderr)
    for name in ("hutch.db", "hutch.db-wal", "hutch.db-shm"):
        (data_dir / name).unlink(missing_ok=True)
    # Snapshots and the templates made from them belonged to the forgotten records (a templates dir
    # that is a link is shared with other data dirs: its templates are not ours alone to remove).
    stale = list((data_dir / "snapshots").glob("*"))
    if not (data_dir / "templates").is_symlink():
        stale += (data_dir / "templates").glob("tpl-*")
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
    return 0
