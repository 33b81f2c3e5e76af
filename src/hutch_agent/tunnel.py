"""`GET /tunnel/{port}` with `Upgrade: tcp`: answer 101, then relay raw bytes between the agent's
connection and 127.0.0.1:{port} inside the sandbox.

The server uses it to reach servers listening inside the sandbox (exposed ports, HTTP and
WebSocket alike) without binding a host port per sandbox. Host-internal: the gateway never forwards
client requests here; it opens tunnels itself, after its own access checks.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from .errors import HttpError
from .server import Request, Response

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

CHUNK = 256 * 1024
CONNECT_TIMEOUT = 5.0
LINGER_AFTER_CLIENT_EOF = 60.0  # a server that ignores the client's half-close is cut after this


def connect_local(port: int) -> socket.socket:
    """A connection to whatever listens on `port` on the sandbox's loopback (IPv4, then IPv6)."""
    errors = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(CONNECT_TIMEOUT)
        try:
            s.connect((host, port))
        except OSError as exc:
            s.close()
            errors.append(exc.strerror or str(exc))
            continue
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    raise HttpError(502, f"nothing accepts connections on port {port} inside the sandbox ({errors[0].lower()})")


def tunnel(request: Request, response: Response, port: int) -> None:
    if not 1 <= port <= 65535:
        raise HttpError(400, f"port must be 1 to 65535, got {port}")
    if request.headers.get("upgrade", "").lower() != "tcp":
        raise HttpError(400, "this endpoint needs `Connection: Upgrade` and `Upgrade: tcp`")
    target = connect_local(port)
    conn: socket.socket = response._conn
    rfile: Any = request.body._rfile  # may already hold bytes the client sent after the request
    response.started = True
    response.keep_alive = False
    try:
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
        relay(rfile, conn, target)
    except OSError:
        pass
    finally:
        response.finished = True  # nothing more may be written on this connection
        target.close()


def relay(rfile: Any, conn: socket.socket, target: socket.socket) -> None:
    """Copy both ways until both sides are done; half-closes are passed on."""
    done = threading.Event()

    def upstream() -> None:
        try:
            while data := rfile.read1(CHUNK):
                target.sendall(data)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        if not done.wait(LINGER_AFTER_CLIENT_EOF):
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_RDWR)  # ends the loop below

    up = threading.Thread(target=upstream, name="tunnel-up", daemon=True)
    up.start()
    try:
        while data := target.recv(CHUNK):
            conn.sendall(data)
    except OSError:
        pass
    finally:
        done.set()
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        up.join(LINGER_AFTER_CLIENT_EOF)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)  # unblocks the reader if the client never closes
        up.join(5.0)
