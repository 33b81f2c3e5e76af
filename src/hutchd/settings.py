"""Everything `hutch serve` can be told, with its defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 7420


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/hutch")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hutch"


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    pool_size: int = 2  # warm sandboxes per pooled template; 0 disables the pool
    pool_templates: tuple[str, ...] = ("base",)
    pool_memory_mb: int = 512  # memory the warm pools may hold in all; recent demand grows them up to it
    # registries template builds may pull images from (`fromImage`); others are refused, so that a
    # build cannot make the server reach a service of its host or its network
    image_registries: tuple[str, ...] = ("docker.io", "ghcr.io", "quay.io", "public.ecr.aws", "mcr.microsoft.com")
    build_ca_bundle: Path | None = None  # CA certificates template build steps trust (see template_builds.py)
    sample_interval: float = 5.0  # seconds between metrics samples
    metrics_retention: float = 24 * 3600.0
    snapshot_interval: float = 0.0  # seconds between periodic snapshots; 0 = off
    periodic_keep: int = 3  # periodic snapshots kept per sandbox
    reap_interval: float = 0.5
    max_sandboxes: int = 500  # live sandboxes across tenants; more answer 429
    disk_overcommit: float = 4.0  # live sandboxes' disks may promise this many times the space (disk_budget.py)
    disk_reserve_mb: int = 1024  # free space on the data dir's filesystem never promised to a sandbox
    default_timeout: int = 300
    log_level: str = "warning"
    database: str | None = None  # None: SQLite in the data dir; postgresql://...: shared with other replicas
    # which replica's runtime holds the sandboxes, volumes and builds this server makes (store/replica.py);
    # None: this data dir's own ID. Replicas that reach each other's sandboxes (a cluster) give one name.
    owner: str | None = None
    # seconds between this process's heartbeats in the database; one silent for replica.DEAD_AFTER of them
    # is dead, and another replica cleans up the creates, warm sandboxes and builds it left
    replica_heartbeat: float = 5.0
