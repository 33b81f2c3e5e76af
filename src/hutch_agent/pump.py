"""Reading the children's output until they are done, for all commands and terminals on one thread.

The thread is started with the agent and polls every child's output fds and a pidfd (readable when
the child exits), so output, exit and timeout are all seen without a thread per child or per pipe:
starting a process needs no new thread, which a sandbox at its process limit could not give.
Output may outlive the child: a background job can hold the pipe open for ever. So once the child
has exited, its output is drained until `DRAIN_GRACE` seconds of silence, or `DRAIN_MAX` seconds after
the exit (the child's own last output fits in the pipe buffer, so anything later is some other
process's).
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from collections.abc import Callable

from . import deadlines
from .fdio import Waker
from .server import log

READ_SIZE = 64 * 1024
DRAIN_GRACE = 0.2
DRAIN_MAX = 1.0

Sink = Callable[[bytes], None]


class _Job:
    """One child: its fds, its timers, and what to call when it times out or ends."""

    def __init__(
        self,
        pid: int,
        outputs: dict[int, Sink],
        timeout: float,
        kill: Callable[[], None],
        on_end: Callable[[str | None, bool], None],
    ):
        self.pidfd = os.pidfd_open(pid)
        self.pid = pid
        self.outputs = outputs
        self.open = set(outputs)
        self.timeout = timeout
        self.deadline = deadlines.now() + timeout if timeout > 0 else None  # on the sandbox's clock
        self.kill = kill
        self.on_end = on_end
        self.error: str | None = None
        self.timed_out = False
        self.drain_until: float | None = None  # set when the child exits
        self.quiet_until = 0.0

    def wait(self, now: float) -> float | None:
        """How long until this job next needs looking at without any fd being ready (None: never)."""
        if self.drain_until is not None:
            return max(0.0, min(self.drain_until, self.quiet_until) - now)
        return deadlines.seconds_until(self.deadline)

    def fail(self, what: str) -> None:
        """Something went wrong reading it: say so, log why, and kill it (its exit ends the job)."""
        import traceback

        log(f"reading the output of process {self.pid} failed:\n{traceback.format_exc()}")
        self.error = self.error or f"the agent lost the process's output: {what}"
        self.kill()


class Pump:
    """The thread that feeds every child's output chunks to its sinks and tells when it is done."""

    def __init__(self) -> None:
        self._poller = select.poll()
        self._jobs: dict[int, _Job] = {}  # by fd: each output fd and the pidfd
        self._new: list[_Job] = []
        self._lock = threading.Lock()
        self._waker = Waker()
        self._poller.register(self._waker, select.POLLIN)
        threading.Thread(target=self._run, daemon=True, name="pump").start()

    def watch(
        self,
        pid: int,
        outputs: dict[int, Sink],
        timeout: float,
        kill: Callable[[], None],
        on_end: Callable[[str | None, bool], None],
    ) -> None:
        """Feed what `outputs` read to their sinks until `pid` exited and its output went quiet, then
        call `on_end` with why it ended abnormally, if it did, and whether it was killed for running
        past `timeout` (on the pump's thread: keep it short).

        `kill` is called if `pid` still runs `timeout` seconds from now (0 = never). `on_end` reaps
        `pid` and closes the fds.
        """
        job = _Job(pid, outputs, timeout, kill, on_end)
        with self._lock:
            self._new.append(job)
        self._waker.wake()

    def _run(self) -> None:
        while True:
            try:
                self._step()
            except Exception:  # never let one bad turn stop every process's output
                import traceback

                log(f"the output pump failed:\n{traceback.format_exc()}")
                time.sleep(0.1)

    def _step(self) -> None:
        jobs = set(self._jobs.values())
        start = time.monotonic()
        waits = [wait for job in jobs if (wait := job.wait(start)) is not None]
        ready = self._poller.poll(min(waits) * 1000 if waits else None)
        now = time.monotonic()
        for fd, _ in ready:
            if fd == self._waker.fileno():
                self._add_new()
                continue
            job = self._jobs.get(fd)
            if job is None:
                continue
            if fd == job.pidfd:
                job.drain_until = now + DRAIN_MAX
                job.quiet_until = now + DRAIN_GRACE
                self._forget(fd)
                continue
            try:
                data = _read(fd)
                if data:
                    job.outputs[fd](data)
                    job.quiet_until = now + DRAIN_GRACE
                    continue
            except Exception as exc:
                job.fail(str(exc))
            self._forget(fd)
            job.open.discard(fd)
        for job in set(self._jobs.values()) | jobs:
            if job.drain_until is None:
                if deadlines.passed(job.deadline):
                    job.deadline = None
                    job.error = f"timed out after {job.timeout:g} s"
                    job.timed_out = True
                    job.kill()
            elif not job.open or now >= job.drain_until or now >= job.quiet_until:
                self._end(job)

    def _add_new(self) -> None:
        self._waker.drain()
        with self._lock:
            new, self._new = self._new, []
        for job in new:
            for fd in (job.pidfd, *job.outputs):
                self._jobs[fd] = job
                self._poller.register(fd, select.POLLIN)

    def _forget(self, fd: int) -> None:
        if self._jobs.pop(fd, None) is not None:
            self._poller.unregister(fd)

    def _end(self, job: _Job) -> None:
        for fd in (job.pidfd, *job.outputs):
            self._forget(fd)
        os.close(job.pidfd)
        job.drain_until = None
        job.deadline = None
        try:
            job.on_end(job.error, job.timed_out)
        except Exception:
            import traceback

            log(f"ending process {job.pid} failed:\n{traceback.format_exc()}")


def _read(fd: int) -> bytes:
    """A chunk, or b"" at end of file (a pty master reports that as EIO)."""
    try:
        return os.read(fd, READ_SIZE)
    except OSError as exc:
        if exc.errno == errno.EIO:
            return b""
        raise
