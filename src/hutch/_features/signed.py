"""Signed file URLs (spec tag ``signed``): ``download_url`` / ``upload_url`` and E2B's ``get_signature``.

The URLs name the server's ``downloadSignedFile`` / ``uploadSignedFile`` routes and carry a signature
made with the sandbox's access token instead of the API key, so they can be handed to a browser, curl
or another program. Building one sends no request.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Literal, TypedDict
from urllib.parse import quote, urlencode

from hutch.exceptions import InvalidArgumentException

__all__ = ["Signature", "file_url", "get_signature"]

Operation = Literal["read", "write"]


class Signature(TypedDict):
    signature: str
    expiration: int | None


def get_signature(
    path: str,
    operation: Operation,
    user: str | None,
    envd_access_token: str | None,
    expiration_in_seconds: int | None = None,
) -> Signature:
    """E2B's v1 signature of a file URL: ``"v1_" + base64(sha256("path:operation:user:token[:expiration]"))``
    (standard alphabet, unpadded); ``expiration`` is absolute Unix seconds, or None for no expiry."""
    if not envd_access_token:
        raise ValueError("Access token is not set and signature cannot be generated!")
    expiration = int(time.time()) + expiration_in_seconds if expiration_in_seconds is not None else None
    raw = f"{path}:{operation}:{user or ''}:{envd_access_token}"
    if expiration is not None:
        raw += f":{expiration}"
    digest = hashlib.sha256(raw.encode("utf-8")).digest()
    return Signature(signature="v1_" + base64.b64encode(digest).rstrip(b"=").decode("ascii"), expiration=expiration)


def file_url(
    base_url: str,
    sandbox_id: str,
    token: str | None,
    path: str,
    operation: Operation,
    user: str | None,
    use_signature_expiration: int | None,
) -> str:
    """The signed URL of ``path`` for ``operation``. A sandbox without a token (``secure=False``) has
    none: E2B then hands out an unsigned URL to its open envd, but hutch's file routes all need a
    credential, so that is refused too (with E2B's message when an expiration was asked for)."""
    if not token:
        if use_signature_expiration is not None:
            raise InvalidArgumentException("Signature expiration can be used only when sandbox is created as secured.")
        raise InvalidArgumentException(
            "File URLs can be made only when the sandbox is created as secured (secure=True, the default): "
            "this one has no access token to sign them with"
        )
    if use_signature_expiration is not None and (
        isinstance(use_signature_expiration, bool) or not isinstance(use_signature_expiration, int)
    ):
        wrong = use_signature_expiration
        raise InvalidArgumentException(f"use_signature_expiration must be an int (seconds), not {wrong!r}")
    signed = get_signature(path, operation, user, token, use_signature_expiration)
    query: dict[str, str] = {"path": path}
    if user:
        query["username"] = user
    query["signature"] = signed["signature"]
    if signed["expiration"] is not None:
        query["signature_expiration"] = str(signed["expiration"])
    return f"{base_url.rstrip('/')}/sandboxes/{quote(sandbox_id, safe='')}/files/signed?" + urlencode(
        query, quote_via=quote
    )
