"""Sandbox access tokens (`secure` sandboxes) and the E2B v1 signatures of file URLs made with them.

A token is never stored: it is an HMAC of the sandbox ID under a server secret kept in the data dir
(0600, made on first start), so the database holds nothing that admits a sandbox, and the token can be
handed out again by `connectSandbox`. Tokens and signatures are compared in constant time and never
logged. The signature is E2B's formula, so the SDK's `get_signature` is interchangeable with E2B's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "access-secret"
TOKEN_PREFIX = "hutch_at_"


def file_signature(path: str, operation: str, user: str | None, token: str, expiration: int | None) -> str:
    """`"v1_" + base64(sha256("path:operation:user:token[:expiration]"))`, standard alphabet, unpadded."""
    raw = f"{path}:{operation}:{user or ''}:{token}" + ("" if expiration is None else f":{expiration}")
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).digest()
    return "v1_" + base64.b64encode(digest).rstrip(b"=").decode("ascii")


class AccessTokens:
    def __init__(self, data_dir: Path) -> None:
        self._secret = _load_or_make_secret(data_dir / SECRET_FILE)

    def token(self, sandbox_id: str) -> str:
        mac = hmac.new(self._secret, b"envd-access:" + sandbox_id.encode(), hashlib.sha256).digest()
        return TOKEN_PREFIX + base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def admits(self, sandbox_id: str, presented: str) -> bool:
        return hmac.compare_digest(self.token(sandbox_id).encode(), presented.encode("utf-8", "surrogatepass"))

    def signature_matches(
        self, sandbox_id: str, path: str, operation: str, user: str | None, expiration: int | None, presented: str
    ) -> bool:
        expected = file_signature(path, operation, user, self.token(sandbox_id), expiration)
        return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogatepass"))


def _load_or_make_secret(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
