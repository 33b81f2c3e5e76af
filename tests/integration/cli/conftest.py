"""Fixtures for the CLI's tests: the session's real `hutch serve`, the `hutch` command run as a person
would (a subprocess with HUTCH_DOMAIN / HUTCH_API_KEY and a private config file), and one sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HUTCH = str(Path(sys.executable).with_name("hutch"))


class Hutch:
    """Runs `hutch ARGS` against the test server."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(
        self, *args: str, input: bytes | str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run([HUTCH, *args], input=data, capture_output=True, env=self.env, timeout=timeout)
        out = subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
        )
        if check and out.returncode != 0:
            raise AssertionError(f"hutch {' '.join(args)} exited {out.returncode}: {out.stderr}")
        return out


@pytest.fixture(scope="session")
def cli_env(hutch_server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTCH_")}
    env.update(
        HUTCH_DOMAIN=hutch_server.domain,
        HUTCH_API_KEY=hutch_server.api_key,
        HUTCH_CONFIG=str(tmp_path_factory.mktemp("cli") / "config.toml"),
    )
    return env


@pytest.fixture(scope="session")
def hutch(cli_env: dict[str, str]) -> Hutch:
    return Hutch(cli_env)


@pytest.fixture(scope="module")
def sandbox_id(hutch: Hutch) -> Iterator[str]:
    """One sandbox for a module of the CLI's tests, made and killed by the CLI (module-scoped: a
    session-long sandbox would be counted by later tests, the disk admission ones among them)."""
    sid = hutch("create", "--timeout", "600", "-e", "GREETING=hello", "-m", "suite=cli").stdout.strip()
    yield sid
    hutch("kill", sid, check=False)
