"""Waiting for a deadline a caller chose, whatever the float: a `timeout` of 1e308 s is valid input.

poll(2) takes at most 2**31 - 1 ms and queue/lock waits overflow `time_t` long before 1e308 s, and
either raises OverflowError in the waiting thread. So a wait is cut into slices of at most
MAX_WAIT_S, and the waiter looks at the clock again after each.
"""

from __future__ import annotations

import time

MAX_WAIT_S = 3600.0


def seconds_until(deadline: float | None) -> float | None:
    """How long to wait now for `deadline` (a `time.monotonic()` value; None: none), at most MAX_WAIT_S."""
    if deadline is None:
        return None
    return min(MAX_WAIT_S, max(0.0, deadline - time.monotonic()))


def passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline
