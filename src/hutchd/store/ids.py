"""Identifiers the server hands out: short, random, safe as path components and hostnames."""

from __future__ import annotations

import secrets


def sandbox_id() -> str:
    return "sbx-" + secrets.token_hex(8)


def snapshot_id() -> str:
    return "snap-" + secrets.token_hex(8)


def template_id() -> str:
    return "tpl-" + secrets.token_hex(8)


def volume_id() -> str:
    return "vol-" + secrets.token_hex(8)
