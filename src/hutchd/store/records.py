"""Database rows as the API's JSON shapes (SandboxDetail, Volume, Snapshot, Template, SandboxMetric)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hutchd.services import network_settings
from hutchd.store.db import Row

# What the API calls each internal state; `pooled` rows are never shown.
_API_STATE = {"starting": "starting", "running": "running", "paused": "paused", "killed": "killed"}


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def sandbox_detail(row: Row) -> dict[str, Any]:
    return {
        "sandboxID": row["id"],
        "name": row["name"],
        "templateID": row["template_id"],
        "state": _API_STATE.get(row["state"], row["state"]),
        "metadata": json.loads(row["metadata"]),
        "envKeys": sorted(json.loads(row["envs"])),
        "startedAt": rfc3339(row["started_at"]),
        "endAt": rfc3339(row["killed_at"] if row["killed_at"] is not None else row["end_at"]),
        "cpuCount": row["cpu"],
        "memoryMB": row["memory_mb"],
        "diskMB": row["disk_mb"],
        "allowInternetAccess": bool(row["allow_internet"]),
        "lifecycle": {"onTimeout": row["on_timeout"], "autoResume": bool(row["auto_resume"])},
        "restoredFrom": row["restored_from"],
        "volumeMounts": [{"path": p, "volumeID": v} for p, v in sorted(json.loads(row["volume_mounts"]).items())],
        **network_settings.detail_fields(row),
    }


def volume(row: Row) -> dict[str, Any]:
    return {
        "volumeID": row["id"],
        "name": row["name"],
        "sizeMB": row["size_mb"],
        "createdAt": rfc3339(row["created_at"]),
    }


def snapshot(row: Row) -> dict[str, Any]:
    return {
        "snapshotID": row["id"],
        "sandboxID": row["sandbox_id"],
        "kind": row["kind"],
        "createdAt": rfc3339(row["created_at"]),
        "sizeBytes": int(row["size_bytes"]),
        "templateID": row["template_id"],
        "names": [row["name"]] if row["name"] else [],
    }


def template(
    template_id: str,
    *,
    kind: str,
    ready: bool,
    created_at: float,
    description: str | None = None,
    size_bytes: int | None = None,
    source_sandbox_id: str | None = None,
    aliases: list[str] | None = None,
    config: Mapping[str, Any] | None = None,
    build_id: str | None = None,
    warm_sandboxes: int = 0,
) -> dict[str, Any]:
    cfg = config or {}
    return {
        "templateID": template_id,
        "kind": kind,
        "description": description,
        "ready": ready,
        "createdAt": rfc3339(created_at),
        "sizeBytes": size_bytes,
        "sourceSandboxID": source_sandbox_id,
        "aliases": aliases or [],
        "cpuCount": cfg.get("cpuCount"),
        "memoryMB": cfg.get("memoryMB"),
        "startCmd": cfg.get("startCmd"),
        "readyCmd": cfg.get("readyCmd"),
        "buildID": build_id,
        "tags": list(cfg.get("tags") or []),
        "warmSandboxes": warm_sandboxes,
    }


def metric(row: Row) -> dict[str, Any]:
    mib = 1024 * 1024
    return {
        "timestamp": rfc3339(row["ts"]),
        "cpuUsedPct": round(row["cpu_pct"], 2),
        "cpuCount": row["cpu_count"],
        "memUsedMB": round(row["mem_used"] / mib, 2),
        "memTotalMB": round(row["mem_total"] / mib, 2),
        "diskUsedMB": round(row["disk_used"] / mib, 2),
        "diskTotalMB": round(row["disk_total"] / mib, 2),
        "memUsed": int(row["mem_used"]),
        "memTotal": int(row["mem_total"]),
        "memCache": int(row["mem_cache"]),
        "diskUsed": int(row["disk_used"]),
        "diskTotal": int(row["disk_total"]),
    }
