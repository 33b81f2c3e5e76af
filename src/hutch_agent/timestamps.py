"""RFC 3339 timestamps in UTC, as the contract's `date-time` fields carry them."""

from __future__ import annotations

import time


def rfc3339(seconds: float) -> str:
    """E.g. `2026-11-22T02:05:00.123456Z`."""
    whole = int(seconds // 1)
    micros = round((seconds - whole) * 1_000_000)
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"
