"""Incremental NDJSON decoding (sans-I/O, shared by sync and async)."""

from __future__ import annotations

import json
from typing import Any

from hutch.exceptions import SandboxException

MAX_LINE = 64 * 1024 * 1024


class NdjsonDecoder:
    """Feed it bytes as they arrive; it returns every complete JSON object seen so far."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._buf += chunk
        end = self._buf.rfind(b"\n")
        if end < 0:
            if len(self._buf) > MAX_LINE:
                raise SandboxException(f"The server sent an event line longer than {MAX_LINE} bytes")
            return []
        complete, self._buf = bytes(self._buf[: end + 1]), self._buf[end + 1 :]
        return [decode_line(line) for line in complete.split(b"\n") if line.strip()]

    def close(self) -> list[dict[str, Any]]:
        """The last object if the stream ended without a final newline."""
        rest, self._buf = bytes(self._buf), bytearray()
        return [decode_line(rest)] if rest.strip() else []


def decode_line(line: bytes) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise SandboxException(f"The server sent a stream line that is not a JSON object: {line[:200]!r}")
    return event
