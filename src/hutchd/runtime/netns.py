"""Sockets this (host) process makes inside a sandbox's network namespace: a thread joins the
namespace with setns(2), makes the socket, and the socket stays in that namespace for good while
the host serves it. The resolver (egress.py) and the egress proxy (proxy.py) are made this way."""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def enter(netns_fd: int) -> None:
    """Move the calling thread into the network namespace `netns_fd`."""
    if _libc.setns(netns_fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns into the sandbox network namespace: {os.strerror(err)}")


def run_in(netns_fd: int, fn: Callable[[], T]) -> T:
    """Run `fn` on a fresh thread that has joined the network namespace `netns_fd`."""
    result: list[T | BaseException] = []

    def run() -> None:
        try:
            enter(netns_fd)
            result.append(fn())
        except BaseException as e:
            result.append(e)

    t = threading.Thread(target=run, name="hutch-netns", daemon=True)
    t.start()
    t.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def allow_ping() -> None:
    """Unprivileged ICMP echo sockets for every group of the calling thread's network namespace: the
    sandbox has no CAP_NET_RAW, and /proc/sys is read-only inside it (the opener's namespace counts)."""
    with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
        f.write("0 2147483647")


def bound(kind: socket.SocketKind, address: str, port: int, backlog: int = 0) -> socket.socket:
    """A non-blocking IPv4 socket bound to `address`:`port` (listening, for a stream socket)."""
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((address, port))
        if kind == socket.SOCK_STREAM:
            s.listen(backlog)
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s
