"""The host's one call to the agent: GET /health over its Unix socket (readiness and liveness)."""

from __future__ import annotations

import enum
import socket
from pathlib import Path


class Agent(enum.Enum):
    OK = "ok"  # answered 200
    BUSY = "busy"  # has a listener that took the connection, but no answer in time
    GONE = "gone"  # nothing listens (the agent process is dead), or a wrong answer


def probe(sock_path: Path, timeout: float) -> Agent:
    """A connect succeeds as soon as anything listens (the kernel queues it), so only the reply proves
    the agent works; a listener that does not reply in time is a busy agent (its sandbox may be at
    its CPU quota), not a dead one."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(sock_path))
        except OSError:
            return Agent.GONE
        try:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            head = b""
            while b"\r\n" not in head and len(head) < 1024:
                chunk = s.recv(1024)
                if not chunk:
                    break
                head += chunk
        except TimeoutError:
            return Agent.BUSY
        except OSError:
            return Agent.GONE
    parts = head.split(b" ", 2)
    ok = len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") and parts[1] == b"200"
    return Agent.OK if ok else Agent.GONE


def health(sock_path: Path, timeout: float) -> bool:
    return probe(sock_path, timeout) is Agent.OK
