"""API keys: where they come from, and which tenant a request's `X-API-Key` belongs to.

A tenant is identified by a hash of its key, so renaming a key in the keys file keeps its sandboxes,
and the database never holds a key. Keys are compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

GENERATED_KEY_FILE = "api-key"
KEY_PREFIX = "hutch_"


@dataclass(frozen=True)
class Tenant:
    id: str  # stable: derived from the key
    name: str  # for logs only

    def __str__(self) -> str:
        return self.name


def tenant_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class KeyRing:
    def __init__(self, keys: Iterable[tuple[str, str]]) -> None:
        """`keys` holds (name, key) pairs; a name may be empty."""
        self._entries: list[tuple[bytes, Tenant]] = []
        for i, (name, key) in enumerate(keys, start=1):
            tid = tenant_id(key)
            self._entries.append((key.encode(), Tenant(tid, name or f"key{i}")))
        if not self._entries:
            raise ValueError("no API key configured")

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, presented: str | None) -> Tenant | None:
        """The tenant of `presented`, comparing against every key so timing says nothing."""
        if not presented:
            return None
        given = presented.encode()
        found: Tenant | None = None
        for key, tenant in self._entries:
            if hmac.compare_digest(key, given):
                found = tenant
        return found


def parse_keys_file(path: Path) -> list[tuple[str, str]]:
    """One key per line, optionally `name:key`; blank lines and `#` comments are skipped."""
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, key = line.partition(":")
        out.append((name.strip(), key.strip()) if sep else ("", line))
    return out


def load_or_generate(data_dir: Path) -> tuple[list[tuple[str, str]], bool]:
    """The key stored in the data dir, made (0600) on first start; True when it was just made."""
    path = data_dir / GENERATED_KEY_FILE
    if path.exists():
        return parse_keys_file(path), False
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"default:{key}\n")
    return [("default", key)], True
