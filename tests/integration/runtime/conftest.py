"""Real sandboxes for the runtime tests: root, the Debian tools, and a cached base template.

The data dir is fixed, so the slow base template build (about a minute) happens once per machine;
templates are immutable, so reusing them across runs is safe. Everything else in the data dir
is cleaned by `recover` at session start. Commands run through a stub agent (stub_agent/).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hutchd.runtime import Runtime, SandboxSpec, detect_host_features

DATA_DIR = Path(os.environ.get("HUTCH_TEST_RUNTIME_DIR", "/var/tmp/hutch-test-runtime"))
STUB_AGENT = Path(__file__).parent / "stub_agent" / "hutch_agent"


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "the runtime tests need root"
    missing = [m for m in detect_host_features().missing() if not m.startswith("debootstrap")]
    return "this host cannot run sandboxes: " + "; ".join(missing) if missing else None


@dataclass
class Result:
    exit_code: int | None
    stdout: str
    stderr: str


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("sandbox", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


class Sandboxes:
    """Starts sandboxes for one test (or the session) and destroys them afterwards."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ids: list[str] = []

    def start(self, **kwargs: object) -> str:
        sid = str(kwargs.pop("sandbox_id", f"t-{uuid.uuid4().hex[:10]}"))
        self.rt.start(SandboxSpec(sandbox_id=sid, **kwargs))  # type: ignore[arg-type]
        self.ids.append(sid)
        return sid

    def run(self, sid: str, script: str, *, user: str = "root", timeout: float = 30, stdin: str = "") -> Result:
        conn = _UnixConnection(self.rt.agent_socket(sid), timeout + 10)
        body = json.dumps({"cmd": ["sh", "-c", script], "user": user, "timeout": timeout, "stdin": stdin})
        conn.request("POST", "/exec", body, {"Content-Type": "application/json"})
        data = json.loads(conn.getresponse().read())
        conn.close()
        return Result(data["exit_code"], data["stdout"], data["stderr"])

    def close(self) -> None:
        for sid in self.ids:
            self.rt.destroy(sid)


@pytest.fixture(scope="session")
def rt() -> Runtime:
    if reason := _why_not():
        pytest.skip(reason)
    runtime = Runtime(DATA_DIR, agent_src=STUB_AGENT)
    runtime.recover(set())  # leftovers of an earlier, interrupted run
    runtime.templates.ensure("base")
    return runtime


@pytest.fixture(scope="session")
def session_boxes(rt: Runtime) -> Iterator[Sandboxes]:
    boxes = Sandboxes(rt)
    yield boxes
    boxes.close()


@pytest.fixture
def boxes(rt: Runtime) -> Iterator[Sandboxes]:
    boxes = Sandboxes(rt)
    yield boxes
    boxes.close()


@pytest.fixture(scope="session")
def offline(session_boxes: Sandboxes) -> str:
    """A shared sandbox without internet, for tests that only look."""
    return session_boxes.start(allow_internet=False)


@pytest.fixture(scope="session")
def online(session_boxes: Sandboxes) -> str:
    return session_boxes.start(allow_internet=True)


@pytest.fixture
def marker() -> Iterator[Callable[[str], Path]]:
    """Host files that must stay invisible inside sandboxes."""
    made: list[Path] = []

    def make(directory: str) -> Path:
        path = Path(directory) / f"hutch-marker-{uuid.uuid4().hex}"
        path.write_text("host secret\n")
        made.append(path)
        return path

    yield make
    for p in made:
        p.unlink(missing_ok=True)
