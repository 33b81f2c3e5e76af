"""Helpers for the network tests: sandboxes made through the API, commands and probes run in them."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ECHO_SERVER = Path(__file__).with_name("echo_server.py")

PROBE = r"""
import socket, sys
s = socket.socket(); s.settimeout(4)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print("CONNECTED")
except OSError as e:
    print("FAILED", e.errno)
"""


class Sandboxes:
    """Makes sandboxes through the API (killed after the test) and runs commands in them."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.ids: list[str] = []

    def create(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        r = self.http.post("/sandboxes", json={"timeout": 600, **body})
        assert r.status_code == expect, r.text
        if r.status_code == 201:
            self.ids.append(r.json()["sandboxID"])
        return dict(r.json())

    def update(self, sandbox_id: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        r = self.http.put(f"/sandboxes/{sandbox_id}/network", json=body)
        assert r.status_code == expect, r.text
        return dict(r.json())

    def run(self, sandbox_id: str, cmd: str, timeout: float = 60.0) -> tuple[int | None, str, str]:
        r = self.http.post(f"/sandboxes/{sandbox_id}/commands", json={"cmd": cmd, "user": "root"})
        assert r.status_code == 201, r.text
        pid = r.json()["pid"]
        out = {"stdout": "", "stderr": ""}
        code = None
        deadline = time.monotonic() + timeout
        with self.http.stream("GET", f"/sandboxes/{sandbox_id}/commands/{pid}/output") as s:
            for line in s.iter_lines():
                if not line:
                    continue
                ev = json.loads(line)
                if ev["type"] in out:
                    out[ev["type"]] += ev["data"]
                elif ev["type"] == "exit":
                    code = ev["exitCode"]
                assert time.monotonic() < deadline, f"{cmd!r} did not end in time"
        return code, out["stdout"], out["stderr"]

    def background(self, sandbox_id: str, cmd: str) -> int:
        r = self.http.post(f"/sandboxes/{sandbox_id}/commands", json={"cmd": cmd, "user": "root", "timeout": 0})
        assert r.status_code == 201, r.text
        return int(r.json()["pid"])

    def probe(self, sandbox_id: str, host: str, port: int) -> str:
        """CONNECTED, or FAILED <errno> (13/113: refused by the egress filter; 111: the host said no)."""
        return self.run(sandbox_id, f"python3 -c '{PROBE}' {host} {port}")[1].strip()

    def fetch(self, sandbox_id: str, url: str) -> str:
        """The body of a GET from inside the sandbox, or `ERR <curl exit code>` (6: no such name,
        7: could not connect)."""
        code, out, _ = self.run(sandbox_id, f"curl -sS -m 6 {url}")
        return out if code == 0 else f"ERR {code}"

    def resolves(self, sandbox_id: str, name: str) -> bool:
        return self.run(sandbox_id, f"getent hosts {name}")[0] == 0

    def write(self, sandbox_id: str, path: str, data: bytes) -> None:
        r = self.http.put(f"/sandboxes/{sandbox_id}/files", params={"path": path}, content=data)
        assert r.status_code in (200, 201), r.text

    def serve(self, sandbox_id: str, cmd: str, port: int, timeout: float = 20.0) -> int:
        """Start a server in the background and wait until it accepts connections on `port`."""
        pid = self.background(sandbox_id, cmd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.probe(sandbox_id, "127.0.0.1", port) == "CONNECTED":
                return pid
            time.sleep(0.2)
        raise AssertionError(f"nothing listened on port {port} in {sandbox_id} after {timeout}s")

    def kill_all(self) -> None:
        for sid in self.ids:
            with contextlib.suppress(httpx.HTTPError):
                self.http.delete(f"/sandboxes/{sid}")


REFUSED_BY_FILTER = ("FAILED 13", "FAILED 113")  # EACCES / EHOSTUNREACH: our nft reject


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
