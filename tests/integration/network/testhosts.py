"""Test hosts for the network tests: network namespaces on this machine, reached over veth pairs.

Each host is a process started with `unshare --net` (it holds the namespace; no `ip netns` bind
mount that something else could unmount), given 198.18.N.2/24 on its end of a veth pair whose host
end is 198.18.N.1/24. 198.18.0.0/15 is the benchmarking range (RFC 2544): neither private nor
anyone's public address. The process serves HTTP on port 80 and answers `hello from <name>`.
slirp4netns dials from the host's network namespace, so sandbox traffic to 198.18.N.2 really
reaches the test host and nothing else. Killing the process removes the namespace and both veth
ends.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER = r"""
import http.server, sys
name = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open (a test cuts one with a policy update)
    def do_GET(self):
        body = f"hello from {name}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 80), H).serve_forever()
"""


def _ip(*args: str, netns_pid: int | None = None) -> None:
    argv = ["ip", *args] if netns_pid is None else ["nsenter", f"--net=/proc/{netns_pid}/ns/net", "ip", *args]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")


def _free_subnets(count: int) -> list[int]:
    used = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True).stdout
    candidates = [n for n in range(10, 250) if f"198.18.{n}.0/24" not in used]
    random.shuffle(candidates)
    return sorted(candidates[:count])


@dataclass
class TestHost:
    name: str
    subnet: int  # 198.18.<subnet>.0/24
    link: str  # the host end of the veth
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    argv: list[str] = field(default_factory=list)
    """The server to run in the namespace (it must listen on port 80); default: the hello server."""

    @property
    def address(self) -> str:
        return f"198.18.{self.subnet}.2"

    @property
    def host_side(self) -> str:
        """The host's own address on this link (sandboxes must not reach the host through it)."""
        return f"198.18.{self.subnet}.1"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--", *(self.argv or [sys.executable, "-c", SERVER, self.name])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{self.proc.pid}/ns/net") == mine:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"test host {self.name} did not enter its network namespace")
            time.sleep(0.01)
        pid = self.proc.pid
        _ip("link", "add", self.link, "type", "veth", "peer", "name", "eth0", "netns", str(pid))
        _ip("addr", "add", f"{self.host_side}/24", "dev", self.link)
        _ip("link", "set", self.link, "up")
        _ip("link", "set", "lo", "up", netns_pid=pid)
        _ip("addr", "add", f"{self.address}/24", "dev", "eth0", netns_pid=pid)
        _ip("link", "set", "eth0", "up", netns_pid=pid)
        _ip("route", "add", "default", "via", self.host_side, netns_pid=pid)
        self._wait_serving()

    def _wait_serving(self, timeout: float = 15.0) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.address, 80), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError(f"test host {self.name} ({self.address}) does not answer on port 80")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(RuntimeError):
            _ip("link", "del", self.link)  # normally gone with the namespace already


def start_hosts(names: list[str], argv: list[str] | None = None, tag: str = "hxt") -> list[TestHost]:
    """One test host per name, each running ``argv`` (default: the hello server)."""
    tag = f"{tag}{os.getpid() % 100000}"
    subnets = _free_subnets(len(names))
    hosts = [
        TestHost(n, s, f"{tag}{i}", argv=list(argv or [])) for i, (n, s) in enumerate(zip(names, subnets, strict=True))
    ]
    started: list[TestHost] = []
    try:
        for h in hosts:
            started.append(h)
            h.start()
    except BaseException:
        for h in started:
            h.stop()
        raise
    return hosts


def links_left(hosts: list[TestHost]) -> list[str]:
    return [h.link for h in hosts if Path(f"/sys/class/net/{h.link}").exists()]
