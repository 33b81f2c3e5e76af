"""The examples/ scripts run against the test server and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("quickstart.py", [], "hello from a file"),
        ("async_fanout.py", ["5"], "5 sandboxes in"),
        ("streaming.py", [], "replayed:"),
        ("files.py", [], "round trip intact: True"),
        ("snapshot_restore.py", [], "booted from the template snapshot: version 2"),
    ],
)
def test_example_runs(hutch_env, script, args, expect):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env={**os.environ, **hutch_env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert expect in proc.stdout
