"""Waiting for a deadline a caller chose (a command's or a cell's `timeout`), on the sandbox's clock.

The sandbox's clock is `time.monotonic()` less the time the sandbox spent paused. A pod's pause stops
the user's processes but not the agent (freezer.py), so on the monotonic clock a command's `timeout`
would run out while it cannot run, and kill it at the resume: while paused the clock stands still, and
on thaw every deadline has the time it had left.

Whatever the float: a `timeout` of 1e308 s is valid input. poll(2) takes at most 2**31 - 1 ms and
queue/lock waits overflow `time_t` long before 1e308 s, and either raises OverflowError in the waiting
thread. So a wait is cut into slices of at most MAX_WAIT_S, and the waiter looks at the clock again
after each; while the clock stands still, every PAUSED_WAIT_S (a deadline resumes at most that late).
"""

from __future__ import annotations

import threading
import time

MAX_WAIT_S = 3600.0
PAUSED_WAIT_S = 0.25


class _SandboxClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped_at: float | None = None  # the monotonic time of the pause, while paused
        self._paused = 0.0  # seconds spent paused before

    @property
    def stopped(self) -> bool:
        return self._stopped_at is not None

    def now(self) -> float:
        with self._lock:
            return (time.monotonic() if self._stopped_at is None else self._stopped_at) - self._paused

    def stop(self) -> None:
        with self._lock:
            if self._stopped_at is None:
                self._stopped_at = time.monotonic()

    def start(self) -> None:
        with self._lock:
            if self._stopped_at is not None:
                self._paused += time.monotonic() - self._stopped_at
                self._stopped_at = None


_clock = _SandboxClock()
now = _clock.now
"""The sandbox's clock: a deadline is `now() + timeout`."""
stop = _clock.stop
"""The sandbox is paused: its clock stands still until `start`."""
start = _clock.start


def running() -> bool:
    return not _clock.stopped


def seconds_until(deadline: float | None) -> float | None:
    """How long to wait now for `deadline` (a `now()` value; None: none), at most MAX_WAIT_S."""
    if deadline is None:
        return None
    if _clock.stopped:
        return PAUSED_WAIT_S
    return min(MAX_WAIT_S, max(0.0, deadline - now()))


def passed(deadline: float | None) -> bool:
    return deadline is not None and now() >= deadline
