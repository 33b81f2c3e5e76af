"""The sandbox's clock stands still while it is paused (a pod's pause leaves the agent running): a
command's timeout does not run out while it cannot run, and runs on after the thaw with what was left."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from hutch_agent import deadlines
from hutch_agent.pump import Pump


@pytest.fixture
def clock() -> Iterator[None]:
    yield
    deadlines.start()  # the clock is the agent process's: never leave it stopped for the next test


def test_the_clock_stands_still_while_stopped_and_loses_the_pause(clock: None) -> None:
    deadlines.stop()
    stopped_at, real_stop = deadlines.now(), time.monotonic()
    time.sleep(0.05)
    assert deadlines.now() == stopped_at
    deadlines.stop()  # idempotent: the pause began at the first stop
    assert deadlines.now() == stopped_at
    deadlines.start()
    deadlines.start()
    assert stopped_at <= deadlines.now() <= stopped_at + (time.monotonic() - real_stop) - 0.05  # 0.05 s lost


def test_a_deadline_does_not_pass_while_stopped(clock: None) -> None:
    deadline = deadlines.now() + 0.05
    deadlines.stop()
    time.sleep(0.1)
    assert not deadlines.passed(deadline)
    assert deadlines.seconds_until(deadline) == deadlines.PAUSED_WAIT_S  # a waiter looks again soon
    assert deadlines.seconds_until(None) is None
    deadlines.start()
    while not deadlines.passed(deadline):
        time.sleep(0.01)


def test_a_command_timeout_is_suspended_while_paused_and_fires_after(clock: None) -> None:
    pump = Pump()
    child = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
    assert child.stdout is not None
    ended: list[tuple[str | None, bool]] = []
    done = threading.Event()

    def on_end(error: str | None, timed_out: bool) -> None:
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
        ended.append((error, timed_out))
        done.set()

    try:
        deadlines.stop()  # paused before the watch: the whole timeout is left
        pump.watch(child.pid, {child.stdout.fileno(): lambda data: None}, 0.2, child.kill, on_end)
        assert not done.wait(1.0)  # five times its timeout, paused: not killed
        assert child.poll() is None
        deadlines.start()
        assert done.wait(30)
        assert ended == [("timed out after 0.2 s", True)] and child.returncode == -signal.SIGKILL
    finally:
        deadlines.start()
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
