"""The agent's table of started processes (commands and terminals) and what they have in common.

Each process runs in its own session and process group, so signals reach everything it started.
Its log keeps the first and last MiBs of its events (see eventlog.py). Finished processes stay listed
for replay until the retention limits push the oldest out, so a busy sandbox cannot make the agent
run out of memory. Processes the agent starts are the ones the OOM killer takes first (`expendable`),
and a start refused for want of processes is a 503 that says so (`spawn_error`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal as signals
import threading
import time
from collections.abc import Callable, Iterable

from .errors import HttpError, from_os_error
from .eventlog import HEAD, TAIL, EventLog, ndjson_line
from .fdio import write_all
from .pump import Pump, Sink
from .timestamps import rfc3339

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

MAX_FINISHED = 1000
MAX_FINISHED_BYTES = 64 * 1024 * 1024
# What the processes the agent starts get (they and theirs inherit it): the OOM killer takes them
# first, so memory a command grabs ends that command, not the agent and with it the sandbox.
CHILD_OOM_SCORE_ADJ = 500
OUT_OF_PROCESSES = (
    "the sandbox's process limit is reached (fork: {error}): cannot start {what}; "
    "kill some of its processes (commands.kill) and try again"
)


def spawn_error(exc: OSError | RuntimeError, what: str) -> HttpError:
    """The answer for a failed start of `what`: 503 when the sandbox is out of processes or threads."""
    if isinstance(exc, RuntimeError):
        return HttpError(503, OUT_OF_PROCESSES.format(error=exc, what=what))
    if exc.errno == errno.EAGAIN:
        return HttpError(503, OUT_OF_PROCESSES.format(error=exc.strerror, what=what))
    return from_os_error(exc, what)


def expendable(pid: int) -> None:
    """Make `pid` (just started, as anyone) a process the OOM killer takes before the agent."""
    # OSError: it is gone already, or /proc is not ours, so there is nothing to protect
    with contextlib.suppress(OSError), open(f"/proc/{pid}/oom_score_adj", "w") as f:
        f.write(str(CHILD_OOM_SCORE_ADJ))


class Process:
    """One command or terminal: its settings, its input, its event log and how it ended."""

    def __init__(
        self,
        pid: int,
        cmd: str,
        envs: dict[str, str],
        user: str,
        cwd: str,
        tag: str | None,
        pty: bool,
        head: int = HEAD,
        tail: int = TAIL,
    ):
        self.pid = pid
        self.cmd = cmd
        self.envs = envs
        self.user = user
        self.cwd = cwd
        self.tag = tag
        self.pty = pty
        self.started_at = time.time()
        self.events = EventLog(head, tail)
        self.exit_code: int | None = None
        self.signal: int | None = None
        self._status_lock = threading.Lock()  # exit status vs signals: never signal a reaped (reusable) pid
        self._input_fd: int | None = None
        self._input_lock = threading.Lock()
        self.ended = threading.Event()
        """Set once the process is reaped and its `exit` event recorded."""

    @property
    def running(self) -> bool:
        return self.exit_code is None

    def info(self) -> dict[str, Any]:
        """As the contract's `ProcessInfo`."""
        return {
            "pid": self.pid,
            "cmd": self.cmd,
            "envs": self.envs,
            "user": self.user,
            "cwd": self.cwd,
            "tag": self.tag,
            "pty": self.pty,
            "startedAt": rfc3339(self.started_at),
            "running": self.running,
            "exitCode": self.exit_code,
            "signal": self.signal,
        }

    def send_signal(self, number: int) -> None:
        """Signal the whole process group; 404 if it no longer runs."""
        with self._status_lock:
            if not self.running:
                raise HttpError(404, f"process {self.pid} is not running (it exited with {self.exit_code})")
            try:
                os.killpg(self.pid, number)
            except ProcessLookupError:
                pass  # the leader exited and its group is empty; the pump is about to report it
            except ValueError:
                raise HttpError(422, f"not a valid signal: {number}") from None

    def kill(self) -> None:
        self.send_signal(signals.SIGKILL)

    def record(self, event: dict[str, Any], weight: int = 0) -> None:
        """Log `event`, which carries `weight` bytes of the process's output."""
        self.events.append(ndjson_line(event), weight)

    def set_input(self, fd: int | None) -> None:
        self._input_fd = fd

    def write_input(self, chunks: Iterable[bytes]) -> None:
        """Write the chunks to the process's input, in order, not interleaved with other writers."""
        with self._input_lock:
            if self._input_fd is None:
                what = "has ended" if not self.running else "has no open stdin (not started with stdin=true, or closed)"
                raise HttpError(409, f"process {self.pid} {what}")
            for chunk in chunks:
                try:
                    write_all(self._input_fd, chunk)
                except OSError as exc:  # EPIPE from a pipe, EIO from a pty whose shell is gone
                    raise HttpError(409, f"process {self.pid} closed its input ({exc.strerror})") from None

    def close_input(self) -> None:
        with self._input_lock:
            if self._input_fd is not None:
                os.close(self._input_fd)
                self._input_fd = None

    def supervise(
        self, pump: Pump, outputs: dict[int, Sink], timeout: float, on_end: Callable[[str | None, bool], None]
    ) -> None:
        """Have `pump` read the output until the process is done; `on_end` gets why it ended abnormally."""
        pump.watch(self.pid, outputs, timeout, self.kill, on_end)

    def finish(self, reap: Callable[[], int], **extra: Any) -> None:
        """Reap the process, record how it ended and end its log.

        `reap` waits for the process and answers its exit code (< 0: killed by signal -code). It runs
        under the status lock so no signal can be sent to its pid once the kernel may reuse it.
        """
        with self._status_lock:
            code = reap()
            self.signal = -code if code < 0 else None
            self.exit_code = 128 - code if code < 0 else code
        self.record({"type": "exit", "exitCode": self.exit_code, "signal": self.signal, **extra})
        self.events.close()
        self.close_input()
        self.ended.set()


class ProcessTable:
    """Processes by pid, oldest first."""

    def __init__(self) -> None:
        self._processes: dict[int, Process] = {}
        self._lock = threading.Lock()
        self.pump = Pump()  # now, while the sandbox surely has a thread to give

    def add(self, process: Process) -> None:
        with self._lock:
            self._processes.pop(process.pid, None)  # a finished one whose pid the kernel reused
            self._processes[process.pid] = process

    def get(self, pid: int, pty: bool | None = None) -> Process:
        """The process with `pid`; 404 if unknown, 409 if it is not the kind (`pty`) the route serves."""
        process = self._processes.get(pid)
        if process is None:
            raise HttpError(404, f"no process with pid {pid}")
        if pty is not None and process.pty != pty:
            kind = "a terminal (use /pty)" if process.pty else "a command (use /commands)"
            raise HttpError(409, f"process {pid} is {kind}")
        return process

    def all(self) -> list[Process]:
        with self._lock:
            return list(self._processes.values())

    def forget_old(self) -> None:
        """Drop the oldest finished processes beyond the retention limits, keeping the newest one."""
        with self._lock:
            finished = [p for p in self._processes.values() if not p.running]
            total = sum(p.events.size for p in finished)
            for process in finished[:-1]:
                if len(finished) <= MAX_FINISHED and total <= MAX_FINISHED_BYTES:
                    break
                del self._processes[process.pid]
                finished.remove(process)
                total -= process.events.size
