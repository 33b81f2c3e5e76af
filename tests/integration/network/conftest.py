"""Fixtures for the network tests: test hosts in network namespaces, named through the shared test
server's hosts file, and sandboxes made through the API with a network policy.

The real internet is not reachable from here, so every destination is a test host this session makes
(see testhosts.py); traffic never leaves this machine.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from nethelpers import Sandboxes
from testhosts import TestHost, links_left, start_hosts

pytestmark = pytest.mark.integration

HOST_NAMES = ["alpha", "beta", "gamma", "delta"]


@dataclass
class Hosts:
    """The session's test hosts by short name, with the names the sandbox resolver gives them."""

    by_name: dict[str, TestHost]

    def __getitem__(self, name: str) -> TestHost:
        return self.by_name[name]

    def hosts_lines(self) -> str:
        lines = [f"{h.address} {n}.test" for n, h in self.by_name.items()]
        lines += [f"{self['gamma'].address} api.wild.test", f"{self['delta'].address} no.wild.test"]
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def test_hosts(hutch_server: Any) -> Iterator[Hosts]:
    for tool in ("ip", "unshare", "nsenter"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is needed for the network test hosts (apt-get install -y iproute2 util-linux)")
    started = start_hosts(HOST_NAMES)
    hosts = Hosts(dict(zip(HOST_NAMES, started, strict=True)))
    hosts_file: Path = hutch_server.hosts_file
    before = hosts_file.read_text() if hosts_file.exists() else ""
    hosts_file.write_text(before + hosts.hosts_lines())
    try:
        yield hosts
    finally:
        hosts_file.write_text(before)
        for h in started:
            h.stop()
        assert links_left(started) == [], "the test hosts' veth links outlived them"


@pytest.fixture(scope="session")
def host_services() -> Iterator[dict[str, int]]:
    """HTTP servers on the host itself, one on 127.0.0.1 and one on every address: never reachable."""
    servers = {
        "loopback": ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler),
        "any": ThreadingHTTPServer(("0.0.0.0", 0), SimpleHTTPRequestHandler),
    }
    for s in servers.values():
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield {k: int(s.server_address[1]) for k, s in servers.items()}
    for s in servers.values():
        s.shutdown()
        s.server_close()


@pytest.fixture
def http(hutch_server: Any) -> Iterator[httpx.Client]:
    with hutch_server.http() as c:
        yield c


@pytest.fixture
def boxes(http: httpx.Client) -> Iterator[Sandboxes]:
    b = Sandboxes(http)
    yield b
    b.kill_all()
