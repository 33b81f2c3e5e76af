"""A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries (initdb, pg_ctl), a data
dir under /var/tmp, a free loopback port, trust authentication for loopback only; removed at the end.

As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root); otherwise as the
user running the tests. `new_database()` makes an empty database and returns its URL.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ROOT = Path("/var/tmp")


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (make apt)")
        self.bindir = bindir
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.dir = Path(tempfile.mkdtemp(prefix="hutch-pg-", dir=ROOT))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.host = "127.0.0.1"
        if os.geteuid() == 0:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *argv], check=True, capture_output=True, text=True, cwd=self.dir)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"
        )
        options = f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories={self.dir}"
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def new_database(self, prefix: str = "hutch") -> str:
        import psycopg

        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return (self.dir / "log").read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"
