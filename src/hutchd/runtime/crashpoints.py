"""Named crash points, for the crash-recovery tests only.

With HUTCH_CRASH_AT=<name> in its environment the server kills itself with SIGKILL (as `kill -9`
would: nothing is cleaned up) when it reaches the point of that name, so a test can crash it at an
exact step of a create or a snapshot (tests/integration/server/test_crash_points.py lists the names). Unset, as it
is outside those tests, a point costs one string comparison.
"""

from __future__ import annotations

import os
import signal

ENV = "HUTCH_CRASH_AT"
_AT = os.environ.get(ENV)


def crash_point(name: str) -> None:
    if name == _AT:
        os.kill(os.getpid(), signal.SIGKILL)
