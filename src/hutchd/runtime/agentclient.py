"""The host's one call to the agent: GET /health over its Unix socket, or its TCP address (readiness
and liveness)."""

from __future__ import annotations

import enum
import socket
from pathlib import Path


class Agent(enum.Enum):
    OK = "ok"  # answered 200
    BUSY = "busy"  # has a listener that took the connection, but no answer in time
    GONE = "gone"  # nothing listens (the agent process is dead), or a wrong answer


def probe(address: Path | tuple[str, int], timeout: float) -> Agent:
    """A connect succeeds as soon as anything listens (the kernel queues it), so only the reply proves
    the agent works; a listener that does not reply in time is a busy agent (its sandbox may be at
    its CPU quota), not a dead one."""
    family = socket.AF_INET if isinstance(address, tuple) else socket.AF_UNIX
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(address if isinstance(address, tuple) else str(address))
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


def health(address: Path | tuple[str, int], timeout: float) -> bool:
    return probe(address, timeout) is Agent.OK
