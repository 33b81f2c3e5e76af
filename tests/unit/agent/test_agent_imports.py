"""What every sandbox's agent loads: each module is memory in every sandbox (idle memory) and import
time in every cold start, so heavy stdlib modules the agent does not need stay out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hutch_agent

SRC = Path(hutch_agent.__file__).parent.parent
# Everything the agent loads by the time it is warm (routes.py's _WARM_UP runs after the first request).
WARM = (
    "routes",
    "commands",
    "files",
    "pty_sessions",
    "multipart",
    "watch",
    "code",
    "code_routes",
    "env_routes",
    "tunnel",
)


def test_a_warm_agent_loads_neither_typing_nor_hashlib() -> None:
    script = (
        "import sys\n"
        f"for name in {WARM!r}: __import__('hutch_agent.' + name)\n"
        "print(sorted(m for m in ('typing', 'hashlib', 'secrets', 'ssl') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(SRC)}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[]\n"
