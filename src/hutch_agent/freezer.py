"""Pause without a cgroup freezer (a Kubernetes pod's agent): every process of the sandbox but the
agent and its ancestors is stopped with SIGSTOP, and on thaw exactly those get SIGCONT.

The /proc sweep is repeated until one finds nothing new to stop: a process forked while a sweep runs
is caught by the next, and a stopped process forks no more, so a spawning loop ends stopped too. A
process that was already stopped (by its user, or traced) is left out, so it stays stopped after the
thaw. Each stopped pid is kept with its start time, so a pid the kernel reused meanwhile gets no
SIGCONT. The agent itself keeps running while frozen: what it starts then (the server's snapshot of a
paused sandbox: find and tar) runs, and nothing it does thaws a process; only `thaw` sends SIGCONT.
The sandbox's clock stands still while frozen (deadlines.py): a command's timeout does not run out.

Only where the agent has a pid namespace of its own (a container's, a sandbox's): in the host's, a
sweep would stop the host.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from . import deadlines
from .errors import HttpError

INIT_PID_NS_INODE = 0xEFFFFFFC  # the kernel's PROC_PID_INIT_INO: /proc/self/ns/pid of the host's pid namespace
MAX_SWEEPS = 1000  # a sweep that finds something new each time this often is a bug, not a race
SETTLE_S = 2.0  # how long freeze waits for the processes it stopped to show as stopped
_NOT_RUNNING = frozenset("TtZXx")  # stopped, traced, zombie, dead: nothing to stop


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()  # the command name may hold spaces and parentheses
    return fields[0].decode(), int(fields[1]), int(fields[19])


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _spared() -> set[int]:
    """The agent and its ancestors (in a pod's pid namespace: up to pid 1)."""
    spared, pid = set(), os.getpid()
    while pid > 0 and pid not in spared:
        spared.add(pid)
        stat = _stat(pid)
        pid = stat[1] if stat is not None else 0
    return spared


def own_pid_namespace() -> bool:
    try:
        return os.stat("/proc/self/ns/pid").st_ino != INIT_PID_NS_INODE
    except OSError:
        return False


class Freezer:
    """The sandbox's frozen state: None when running, else the pids it stopped (pid -> start time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped: dict[int, int] | None = None

    @property
    def frozen(self) -> bool:
        return self._stopped is not None

    def state(self) -> dict[str, object]:
        stopped = self._stopped
        return {"frozen": stopped is not None, "stopped": len(stopped or ())}

    def freeze(self) -> None:
        """Stop every process but the agent and its ancestors; idempotent."""
        if not own_pid_namespace():
            raise HttpError(409, "the agent runs in the host's pid namespace: freezing would stop the host")
        with self._lock:
            if self._stopped is not None:
                return
            spared, stopped = _spared(), dict[int, int]()
            for _ in range(MAX_SWEEPS):
                found = False
                for pid in _pids():
                    if pid in spared or pid in stopped:
                        continue
                    stat = _stat(pid)
                    if stat is None or stat[0] in _NOT_RUNNING:
                        continue
                    try:
                        os.kill(pid, signal.SIGSTOP)
                    except ProcessLookupError:
                        continue
                    except PermissionError:  # an agent that is not the pod's root: no half-frozen pod
                        _cont(stopped)
                        raise HttpError(409, f"the agent may not stop process {pid}: it cannot freeze") from None
                    stopped[pid] = stat[2]
                    found = True
                if not found:
                    break
            self._stopped = stopped
            deadlines.stop()
        _settle(stopped)

    def thaw(self) -> None:
        """SIGCONT to the processes `freeze` stopped that still are what they were; idempotent."""
        with self._lock:
            stopped, self._stopped = self._stopped or {}, None
            deadlines.start()
            _cont(stopped)


def _cont(stopped: dict[int, int]) -> None:
    for pid, started in stopped.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _settle(stopped: dict[int, int]) -> None:
    """Wait (a little) until the stopped processes show as stopped: a SIGSTOP takes effect when the
    process next runs, and one in an uninterruptible sleep stops when the sleep ends."""
    deadline = time.monotonic() + SETTLE_S
    pending = set(stopped)
    while pending and time.monotonic() < deadline:
        pending = {pid for pid in pending if (stat := _stat(pid)) is not None and stat[0] not in _NOT_RUNNING}
        if pending:
            time.sleep(0.005)
