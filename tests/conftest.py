"""Settings every test run shares."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from postgres_cluster import PostgresCluster

# Each integration suite has its own data dir; they share one build of each template (hard links),
# so a fresh machine runs debootstrap once per recipe, not once per suite.
os.environ.setdefault("HUTCH_TEMPLATE_CACHE", "/var/tmp/hutch-template-cache")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this test session (tests/postgres_cluster.py); `.new_database()` gives each
    user a database of its own."""
    cluster = PostgresCluster()
    try:
        cluster.start()
    except subprocess.CalledProcessError as e:
        cluster.stop()
        raise RuntimeError(f"the test PostgreSQL did not start: {e.stderr}") from e
    yield cluster
    cluster.stop()
