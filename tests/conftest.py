"""Settings every test run shares."""

from __future__ import annotations

import os
import subprocess

import pytest
from postgres_cluster import PostgresCluster

# Each integration suite has its own data dir; they share one build of each template (hard links),
# so a fresh machine runs debootstrap once per recipe, not once per suite.
os.environ.setdefault("HUTCH_TEMPLATE_CACHE", "/var/tmp/hutch-template-cache")


def shared_postgres(config: pytest.Config) -> PostgresCluster:
    """The session's PostgreSQL cluster (tests/postgres_cluster.py), made on first use. It lives on the
    pytest config and stops at its cleanup, after the servers that use it (registered later, stopped first)."""
    cluster: PostgresCluster | None = getattr(config, "_hutch_postgres", None)
    if cluster is not None:
        return cluster
    cluster = PostgresCluster()
    try:
        cluster.start()
    except subprocess.CalledProcessError as e:
        cluster.stop()
        raise RuntimeError(f"the test PostgreSQL did not start: {e.stderr}\n{cluster.log_tail()}") from e
    config._hutch_postgres = cluster  # type: ignore[attr-defined]
    config.add_cleanup(cluster.stop)
    return cluster


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> PostgresCluster:
    """A PostgreSQL cluster for this test session; `.new_database()` gives each user a database of its own."""
    return shared_postgres(request.config)
