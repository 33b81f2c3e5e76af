"""The audit log of a sandbox's egress proxy, the server's side: whether a create asks for it
(`security.audit`) and its pages (`getAuditLog`). The proxy (runtime/proxy.py) writes it, one JSON
object a line, in the sandbox's host directory; there are never bodies in it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hutchd.http.errors import ApiError, unprocessable

MAX_SCAN = 8 << 20  # bytes one page may read past filtered-out lines (the next page goes on from there)


def requested(
    security: dict[str, Any] | None,
    *,
    secure: bool,
    internet: bool,
    refusal: Callable[[str], ApiError] = unprocessable,
) -> bool:
    """Whether a policy's `audit` turns the log on (it needs the egress proxy: `refusal` makes the
    error without one, 422 for a create that asks for both, 409 for a live sandbox made without)."""
    audit = (security or {}).get("audit")
    wanted = audit is not None and audit.get("enabled", True)
    if wanted and not (secure and internet):
        raise refusal("security.audit needs secure=true and internet access: the egress proxy writes it")
    return bool(wanted)


def policy(audit_on: bool) -> dict[str, Any]:
    """The policy in force, as `SecurityPolicy`."""
    return {"audit": {"enabled": audit_on}}


def page(path: Path, *, cursor: int, limit: int, host: str | None, decision: str | None) -> dict[str, Any]:
    """Entries from byte offset `cursor` on that match the filters, at most `limit` of them."""
    entries: list[dict[str, Any]] = []
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return {"entries": [], "nextCursor": None}
    with f:
        size = os.fstat(f.fileno()).st_size
        pos = min(cursor, size)
        f.seek(pos)
        scanned = 0
        while len(entries) < limit and scanned < MAX_SCAN:
            line = f.readline()
            if not line.endswith(b"\n"):
                break  # the end, or a line being written
            pos += len(line)
            scanned += len(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a cursor that pointed into a line
            if (host is None or entry.get("host") == host.lower().rstrip(".")) and (
                decision is None or entry.get("decision") == decision
            ):
                entries.append(entry)
    return {"entries": entries, "nextCursor": str(pos) if pos < size else None}
