"""`hutch serve` (and `python -m hutchd serve`): start the server; `hutch cleanup`: remove every sandbox."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from pathlib import Path

from hutchd import __version__, auth, logs
from hutchd.settings import DEFAULT_PORT, Settings, default_data_dir

log = logging.getLogger("hutchd")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hutch", description="hutch: disposable, isolated Linux sandboxes.")
    p.add_argument("--version", action="version", version=f"hutch {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    s.add_argument("--data-dir", type=Path, default=None, help=f"state directory (default {default_data_dir()})")
    s.add_argument("--api-key", action="append", default=[], metavar="KEY", help="an API key (repeatable)")
    s.add_argument("--keys-file", type=Path, help="a file of API keys, one per line, optionally `name:key`")
    s.add_argument(
        "--pool-size", type=int, default=2, help="warm sandboxes per template at least (0 disables; default 2)"
    )
    s.add_argument(
        "--pool-memory-mb",
        type=int,
        default=512,
        help="memory the warm pools may hold together; recent creates grow a pool up to it (default 512)",
    )
    s.add_argument("--sample-interval", type=float, default=5.0, help="seconds between metrics samples")
    s.add_argument("--snapshot-interval", type=float, default=0.0, help="seconds between periodic snapshots (0 = off)")
    s.add_argument("--max-sandboxes", type=int, default=500, help="live sandboxes before create answers 429")
    s.add_argument(
        "--disk-overcommit", type=float,
        default=os.environ.get("HUTCH_DISK_OVERCOMMIT") or str(Settings.disk_overcommit),
        help="live sandboxes' disks may together promise this many times the data dir's free space (default 4; "
        "1 = never more than the host holds; env HUTCH_DISK_OVERCOMMIT)",
    )  # fmt: skip
    s.add_argument(
        "--disk-reserve-mb", type=int, default=os.environ.get("HUTCH_DISK_RESERVE_MB") or str(Settings.disk_reserve_mb),
        help="MB of the data dir's filesystem never promised to sandboxes (default 1024; env HUTCH_DISK_RESERVE_MB)",
    )  # fmt: skip
    s.add_argument(
        "--hosts-file", type=Path, default=os.environ.get("HUTCH_HOSTS_FILE") or None,
        help="an /etc/hosts-format file whose names sandboxes resolve first (re-read when it changes; "
        "env HUTCH_HOSTS_FILE)",
    )  # fmt: skip
    s.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"],
        help="`info` logs one line per request (default warning)",
    )  # fmt: skip

    c = sub.add_parser("cleanup", help="destroy every sandbox of a data dir and forget them (server stopped)")
    c.add_argument("--data-dir", type=Path, default=None)
    return p


def _keys(args: argparse.Namespace, data_dir: Path) -> list[tuple[str, str]]:
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


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hutchd.backend import Backend
    from hutchd.http.app import build_app
    from hutchd.http.protocol import ErrorShapeH11Protocol
    from hutchd.services.hub import Hub

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
    )
    try:
        runtime = Runtime(data_dir)
    except RuntimeUnavailable as e:
        print(f"hutch: {e}", file=sys.stderr)
        return 2
    if args.hosts_file is not None:
        runtime.egress.hosts_file = args.hosts_file.resolve()
    hub = Hub(settings, keyring, Backend(runtime), features)
    print(f"hutch {__version__}: serving on http://{args.host}:{args.port} (data in {data_dir})", file=sys.stderr)
    uvicorn.run(
        build_app(hub),
        host=args.host,
        port=args.port,
        http=ErrorShapeH11Protocol,
        log_level="warning" if args.log_level != "debug" else "info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def cleanup(args: argparse.Namespace) -> int:
    """Destroy every sandbox and volume of a data dir, and forget sandboxes and snapshots (templates stay)."""
    from hutchd.runtime import Runtime

    data_dir = (args.data_dir or default_data_dir()).resolve()
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "cleanup":
        return cleanup(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
