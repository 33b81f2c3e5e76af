"""The host's one call to the agent: GET /health over its Unix socket (readiness and liveness)."""

from __future__ import annotations

import socket
from pathlib import Path


def health(sock_path: Path, timeout: float) -> bool:
    """True if the agent answers 200. A connect succeeds as soon as the host-made socket listens,
    so the reply (not the connect) is what proves the agent is up."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            s.sendall(b"GET /health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            head = b""
            while b"\r\n" not in head and len(head) < 1024:
                chunk = s.recv(1024)
                if not chunk:
                    break
                head += chunk
    except OSError:
        return False
    parts = head.split(b" ", 2)
    return len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") and parts[1] == b"200"
