"""Real sandboxes for the runtime tests: root, the Debian tools, and a cached base template.

Each run gets its own data dir (runs/<pid>), because `recover` assumes one server per data dir and
runs overlap on a shared machine. Their `templates` is a symlink to one shared, immutable store, so
the slow base template build (minutes) happens once per machine. Dirs of dead runs are recovered
(everything killed and unmounted) and removed at session start. Commands run through the real agent
(src/hutch_agent), or through the stub in stub_agent/ with HUTCH_TEST_AGENT=stub.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hutchd.runtime import Runtime, SandboxSpec, detect_host_features

ROOT = Path(os.environ.get("HUTCH_TEST_RUNTIME_DIR", "/var/tmp/hutch-test-runtime"))
DATA_DIR = ROOT / "runs" / str(os.getpid())
STUB_AGENT = Path(__file__).parent / "stub_agent" / "hutch_agent"
REAL_AGENT = Path(__file__).resolve().parents[3] / "src" / "hutch_agent"
# The real agent once it runs (HUTCH_TEST_AGENT=stub forces the stub, e.g. while the agent is broken).
USE_REAL = (REAL_AGENT / "__main__.py").exists() and os.environ.get("HUTCH_TEST_AGENT", "real") == "real"
AGENT = REAL_AGENT if USE_REAL else STUB_AGENT


def _fresh_data_dir() -> None:
    runs = ROOT / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (ROOT / "templates").mkdir(mode=0o700, exist_ok=True)
    for old in runs.iterdir():
        if old.name.isdigit() and not Path(f"/proc/{old.name}").exists():
            leftover = Runtime(old, agent_src=AGENT)
            leftover.recover(set())
            leftover.close()
            shutil.rmtree(old)
    DATA_DIR.mkdir()
    (DATA_DIR / "templates").symlink_to(ROOT / "templates")


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
        sid = str(kwargs.pop("sandbox_id", f"t{os.getpid()}-{uuid.uuid4().hex[:8]}"))
        self.rt.start(SandboxSpec(sandbox_id=sid, **kwargs))  # type: ignore[arg-type]
        self.ids.append(sid)
        return sid

    def run(self, sid: str, script: str, *, user: str = "root", timeout: float = 30) -> Result:
        """Run a shell script in the sandbox through its agent and wait for it to end."""
        conn = _UnixConnection(self.rt.agent_socket(sid), timeout + 10)
        try:
            return (
                self._run_real(conn, script, user, timeout) if USE_REAL else self._run_stub(conn, script, user, timeout)
            )
        finally:
            conn.close()

    @staticmethod
    def _run_real(conn: _UnixConnection, script: str, user: str, timeout: float) -> Result:
        body = json.dumps({"cmd": script, "user": user, "timeout": timeout})
        conn.request("POST", "/commands", body, {"Content-Type": "application/json"})
        reply = conn.getresponse()
        info = json.loads(reply.read())
        assert reply.status == 201, info
        conn.request("GET", f"/commands/{info['pid']}/output")
        out, err, code = [], [], None
        for line in conn.getresponse():
            event = json.loads(line)
            if event["type"] == "stdout":
                out.append(event["data"])
            elif event["type"] == "stderr":
                err.append(event["data"])
            elif event["type"] == "exit":
                code = event["exitCode"]
        return Result(code, "".join(out), "".join(err))

    @staticmethod
    def _run_stub(conn: _UnixConnection, script: str, user: str, timeout: float) -> Result:
        body = json.dumps({"cmd": ["sh", "-c", script], "user": user, "timeout": timeout})
        conn.request("POST", "/exec", body, {"Content-Type": "application/json"})
        data = json.loads(conn.getresponse().read())
        return Result(data["exit_code"], data["stdout"], data["stderr"])

    def close(self) -> None:
        for sid in self.ids:
            self.rt.destroy(sid)


@pytest.fixture(scope="session")
def rt() -> Iterator[Runtime]:
    if reason := _why_not():
        pytest.skip(reason)
    _fresh_data_dir()
    runtime = Runtime(DATA_DIR, agent_src=AGENT)
    runtime.templates.ensure("base")
    yield runtime
    runtime.recover(set())
    runtime.close()
    shutil.rmtree(DATA_DIR)


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
