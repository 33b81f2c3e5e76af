"""Issue 11, defect 0: streams abandoned mid-way inside reference cycles never hang the SDK.

The work runs in a child process (abandon_streams.py) under a hard timeout: before the fix the
sync SDK stopped for good within a few dozen rounds, the garbage collector closing an abandoned
output stream inside httpx's pool lock while a later request held it. On timeout the child is
sent SIGABRT, so that faulthandler prints where every thread was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("abandon_streams.py")
ROUNDS = 300
HARD_TIMEOUT = 240.0


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_streams_abandoned_in_cycles_while_the_collector_fires_anywhere_never_hang(flavor, hutch_env):
    env = {**os.environ, **hutch_env}
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", str(CHILD), flavor, "1", str(ROUNDS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = proc.communicate(timeout=HARD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, _ = proc.communicate(timeout=30)
        rounds = [line for line in out.splitlines() if line.isdigit()]
        pytest.fail(f"hung after {len(rounds)} of {ROUNDS} rounds; the child's threads:\n{out[-6000:]}")
    assert proc.returncode == 0, out[-6000:]
    assert out.rstrip().endswith("done")
