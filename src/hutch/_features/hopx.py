"""hopx's return shapes where they differ from hutch's own (sans-I/O): processes as dicts, and the
sandbox's on-disk cache (``sbx.cache``)."""

from __future__ import annotations

from typing import Any

from hutch.exceptions import InvalidArgumentException
from hutch.types import ProcessInfo


def process_status(p: ProcessInfo) -> str:
    """hopx's process status: ``running``, ``completed``, ``failed`` or ``killed``."""
    if p.running:
        return "running"
    if p.signal is not None:
        return "killed"
    return "completed" if p.exit_code == 0 else "failed"


def process(p: ProcessInfo) -> dict[str, Any]:
    """A command as hopx's ``list_processes`` gives it (``process_id`` is the pid as a string)."""
    return {
        "process_id": str(p.pid),
        "pid": p.pid,
        "name": p.cmd,
        "status": process_status(p),
        "start_time": p.started_at.isoformat(),
        "exit_code": p.exit_code,
        "user": p.user,
        "cwd": p.cwd,
    }


def pid_of(process_id: str | int) -> int:
    """The pid in a hopx ``process_id`` (the string ``list_processes`` gives, or the pid itself)."""
    if isinstance(process_id, str) and process_id.isdigit():
        return int(process_id)
    if isinstance(process_id, int) and not isinstance(process_id, bool):
        return process_id
    raise InvalidArgumentException(f"process_id must be a pid (as list_processes gives it), not {process_id!r}")


def killed(process_id: str | int, done: bool) -> dict[str, Any]:
    """hopx's ``kill_process`` answer."""
    message = "Process killed successfully" if done else "Process was not running"
    return {"process_id": str(process_id), "success": done, "message": message}


# ---------------------------------------------------------------- sbx.cache

CACHE_STATS = (
    'd="$HOME/.cache"; printf "%s\\n" "$d"; '
    'if [ -d "$d" ]; then du -sk "$d" | cut -f1; find "$d" -type f | wc -l; else echo 0; echo 0; fi'
)
"""Prints the cache directory, its size in KiB and its file count."""
CACHE_CLEAR = f'{CACHE_STATS}; if [ -d "$d" ]; then find "$d" -mindepth 1 -delete; fi'
"""The same, then empties the directory."""


def cache_stats(stdout: str) -> dict[str, Any]:
    """``{"path", "size" (MB), "count" (files)}`` from the output of :data:`CACHE_STATS`."""
    path, kib, count = stdout.split("\n")[:3]
    return {"path": path, "size": round(int(kib) / 1024, 3), "count": int(count)}


def cache_cleared(stdout: str) -> dict[str, Any]:
    """hopx's ``cache.clear`` answer, with what was freed."""
    before = cache_stats(stdout)
    return {"success": True, "message": "Cache cleared", "freed_mb": before["size"], "removed": before["count"]}
