"""``hutch serve`` and ``hutch cleanup``: the server's commands. They need ``hutch[server]``, imported only when run."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from hutch.cli._app import CliError, example

SERVER_MODULES = ("starlette", "uvicorn", "websockets", "h11", "pyseccomp")
KUBERNETES_MODULES = ("kubernetes_asyncio",)
DEFAULT_PORT = 7420


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _server_installed() -> None:
    missing = [m for m in SERVER_MODULES if not _importable(m)]
    if missing:
        raise CliError(f"the server is not installed (missing {', '.join(missing)}): pip install 'hutch[server]'", 2)


# Options of both commands: where the state and the sandboxes of a server are.
WHERE_STATE = click.option(
    "--database",
    metavar="URL",
    envvar="HUTCH_DATABASE",
    help="Where state lives: postgresql://user@host/db (shared by replicas; needs hutch[postgresql]) "
    "or sqlite:PATH. Default: SQLite in the data dir.",
)
WHERE_SANDBOXES = click.option(
    "--backend",
    type=click.Choice(["local", "kubernetes"]),
    envvar="HUTCH_BACKEND",
    default="local",
    show_default=True,
    help="Where sandboxes run: this host, or pods of a Kubernetes cluster (needs hutch[kubernetes]).",
)
KUBECONFIG = click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KUBECONFIG",
    help="Kubernetes: the kubeconfig (default: in-cluster configuration, else ~/.kube/config).",
)
KUBE_NAMESPACE = click.option(
    "--kube-namespace", envvar="HUTCH_KUBE_NAMESPACE", help="Kubernetes: the sandboxes' namespace."
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="State directory.")
@click.option("--api-key", multiple=True, metavar="KEY", help="An API key (repeatable; also $HUTCH_API_KEY).")
@click.option("--keys-file", type=click.Path(dir_okay=False, path_type=Path), help="API keys, one a line, `name:key`.")
@click.option(
    "--pool-size", type=int, default=2, show_default=True, help="Warm sandboxes per template at least (0: none)."
)
@click.option(
    "--pool-memory-mb",
    type=int,
    default=512,
    show_default=True,
    help="Memory the warm pools may hold together; recent creates grow a pool up to it.",
)
@click.option("--sample-interval", type=float, default=5.0, show_default=True, help="Seconds between metrics samples.")
@click.option(
    "--snapshot-interval", type=float, default=0.0, show_default=True, help="Seconds between snapshots (0: off)."
)
@click.option("--max-sandboxes", type=int, default=500, show_default=True, help="Live sandboxes before 429.")
@click.option(
    "--disk-overcommit",
    type=float,
    envvar="HUTCH_DISK_OVERCOMMIT",
    default=4.0,
    show_default=True,
    help="Live sandboxes' disks may together promise this many times the data dir's free space (1: never more).",
)
@click.option(
    "--disk-reserve-mb",
    type=int,
    envvar="HUTCH_DISK_RESERVE_MB",
    default=1024,
    show_default=True,
    help="MB of the data dir's filesystem never promised to sandboxes.",
)
@click.option(
    "--hosts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUTCH_HOSTS_FILE",
    help="An /etc/hosts-format file whose names sandboxes resolve first (re-read when it changes).",
)
@click.option(
    "--image-registry",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Also pull template images from this registry (repeatable; a host alone: any port; a loopback one "
    "over plain HTTP). Always allowed: docker.io, ghcr.io, quay.io, public.ecr.aws, mcr.microsoft.com.",
)
@click.option(
    "--build-ca-bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUTCH_BUILD_CA_BUNDLE",
    help="CA certificates (PEM) that template build steps trust, for a host behind a TLS-inspecting proxy.",
)
@click.option("--pool-template", multiple=True, metavar="TEMPLATE", help="Keep warm sandboxes of it too (repeatable).")
@click.option(
    "--replica-heartbeat",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds between this server's heartbeats in the database; a replica silent for 4 is dead, and "
    "another cleans up the creates, warm sandboxes and builds it left.",
)
@click.option(
    "--proxy-upstream-ca",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUTCH_PROXY_UPSTREAM_CA",
    help="A PEM file of CAs the decrypting egress proxy trusts for servers besides the system's "
    "(read when a sandbox's proxy starts).",
)
@WHERE_STATE
@WHERE_SANDBOXES
@KUBECONFIG
@KUBE_NAMESPACE
@click.option(
    "--kube-runtime-class", envvar="HUTCH_KUBE_RUNTIME_CLASS", help="Kubernetes: the pods' RuntimeClass (gvisor, kata)."
)
@click.option(
    "--kube-image", envvar="HUTCH_KUBE_IMAGE", metavar="IMAGE", help="Kubernetes: the base template's OCI image."
)
@click.option(
    "--kube-template-image",
    multiple=True,
    metavar="TEMPLATE=IMAGE",
    help="Kubernetes: another template's OCI image (repeatable).",
)
@click.option(
    "--kube-agent-image",
    envvar="HUTCH_KUBE_AGENT_IMAGE",
    metavar="IMAGE",
    help="Kubernetes: an image with the hutch agent in /opt/hutch, copied into each pod (else the template "
    "images must have it).",
)
@click.option(
    "--kube-agent-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUTCH_KUBE_AGENT_KEY_FILE",
    help="Kubernetes: the key the pods' agent tokens are derived from; every replica needs the same one.",
)
@click.option(
    "--kube-volume-storage-class",
    envvar="HUTCH_KUBE_VOLUME_STORAGE_CLASS",
    metavar="CLASS",
    help="Kubernetes: the StorageClass of the volumes' PersistentVolumeClaims (default: the cluster's).",
)
@click.option(
    "--kube-volume-access-mode",
    type=click.Choice(["ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]),
    default="ReadWriteMany",
    show_default=True,
    envvar="HUTCH_KUBE_VOLUME_ACCESS_MODE",
    help="Kubernetes: the volumes' access mode; ReadWriteMany lets sandboxes on several nodes mount one "
    "volume (the storage class must support it).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="`info` logs one line per request (template builds are logged at any level).",
)
@click.pass_context
@example("  hutch serve --port 7420 --data-dir /var/lib/hutch     # prints the API key on its first start")
def serve(ctx: click.Context, /, **options: Any) -> None:
    """Run the hutch server: real sandboxes on this machine (Linux, as root; needs hutch[server])."""
    _server_installed()
    if options["backend"] == "kubernetes" and not all(_importable(m) for m in KUBERNETES_MODULES):
        raise CliError("the kubernetes backend is not installed: pip install 'hutch[server,kubernetes]'", 2)
    from hutchd.cli import ServeOptions
    from hutchd.cli import serve as run

    for name in ("api_key", "image_registry", "pool_template", "kube_template_image"):
        options[name] = list(options[name])
    ctx.exit(run(ServeOptions(**options)))


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="State directory.")
@WHERE_STATE
@WHERE_SANDBOXES
@KUBECONFIG
@KUBE_NAMESPACE
@click.pass_context
@example(
    "  hutch cleanup --data-dir /var/lib/hutch\n"
    "  hutch cleanup --backend kubernetes --kube-namespace sandboxes --database postgresql://hutch@db/hutch"
)
def cleanup(ctx: click.Context, /, **options: Any) -> None:
    """Destroy every sandbox and volume of a data dir and forget them and their snapshots (server stopped).
    Kubernetes: every pod, Secret, NetworkPolicy and volume claim hutch made in the namespace; PostgreSQL: the records
    stay (other replicas share them) and the sandboxes are recorded as killed."""
    _server_installed()
    if options["backend"] == "kubernetes" and not all(_importable(m) for m in KUBERNETES_MODULES):
        raise CliError("the kubernetes backend is not installed: pip install 'hutch[server,kubernetes]'", 2)
    from hutchd.cli import CleanupOptions
    from hutchd.cli import cleanup as run

    ctx.exit(run(CleanupOptions(**options)))


COMMANDS = [serve, cleanup]
