"""Internet off means no route; internet on still never reaches the host's own services."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Sandboxes

from hutchd.runtime import Runtime

CONNECT_PY = """
import socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print("CONNECTED")
except OSError as e:
    print("FAILED", e.errno)
"""


def _connect(boxes: Sandboxes, sid: str, host: str, port: int) -> str:
    return boxes.run(sid, f"python3 -c '{CONNECT_PY}' {host} {port}").stdout.strip()


@pytest.fixture(scope="module")
def host_service() -> Iterator[int]:
    """An HTTP server on the host's 127.0.0.1 that no sandbox may reach."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_internet_off_has_no_route(session_boxes: Sandboxes, offline: str) -> None:
    assert session_boxes.run(offline, "ip route").stdout.strip() == ""
    assert [line.split(": ")[1] for line in session_boxes.run(offline, "ip -o link").stdout.splitlines()] == ["lo"]
    assert _connect(session_boxes, offline, "151.101.2.132", 80) == "FAILED 101"  # ENETUNREACH


def test_internet_on_reaches_the_registry(session_boxes: Sandboxes, online: str) -> None:
    r = session_boxes.run(
        online, "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://deb.debian.org/debian/dists/bookworm/Release"
    )
    assert r.stdout == "200", r


def test_internet_on_cannot_reach_host_loopback(session_boxes: Sandboxes, online: str, host_service: int) -> None:
    assert _connect(session_boxes, online, "127.0.0.1", host_service).startswith("FAILED")  # its own lo
    assert _connect(session_boxes, online, "10.0.2.2", host_service).startswith("FAILED")  # slirp's host alias


@pytest.mark.parametrize("target", ["10.0.2.2", "169.254.169.254", "192.168.1.1", "172.17.0.1", "100.64.0.1"])
def test_egress_filter_rejects_private_ranges(session_boxes: Sandboxes, online: str, target: str) -> None:
    # EACCES/EHOSTUNREACH from our nft reject (an unfiltered slirp would time out or connect instead)
    assert _connect(session_boxes, online, target, 80) in ("FAILED 13", "FAILED 113")


def test_slirp_keeps_host_loopback_disabled(rt: Runtime, online: str) -> None:
    pids = rt._require_state(online).cgroups.pids()
    argvs = [Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0") for p in pids]
    slirp = [a for a in argvs if a[0].endswith(b"slirp4netns")]
    assert slirp and b"--disable-host-loopback" in slirp[0]


def test_dns_points_at_the_sandbox_resolver(session_boxes: Sandboxes, online: str) -> None:
    # egress.py's resolver (host-owned sockets in the sandbox's netns), which enforces the name rules
    assert session_boxes.run(online, "cat /etc/resolv.conf").stdout == "nameserver 127.0.0.53\n"
    assert session_boxes.run(online, "getent hosts deb.debian.org").exit_code == 0


def test_unprivileged_ping_sockets_work_online(session_boxes: Sandboxes, online: str, offline: str) -> None:
    # the sandbox has no CAP_NET_RAW: ping needs ICMP datagram sockets, which the host allows in its netns
    icmp = "python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)'"
    assert session_boxes.run(online, icmp).exit_code == 0
    assert session_boxes.run(offline, icmp).exit_code != 0  # a new netns's default: no group may
