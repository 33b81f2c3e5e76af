"""Benchmark of where `hutch serve` keeps its state: SQLite (the default) against PostgreSQL, in one run.
Create latency (warm pool, cold boot), a listing, and the gateway's round trip (GET /commands of a
sandbox), with the PostgreSQL transactions each gateway call costs (the row cache should make it 0).

    sudo .venv/bin/python bench/bench_state.py [--samples 20]

Starts a throwaway PostgreSQL cluster (tests/postgres_cluster.py) and one server per database in turn
(bench_server.py's), and removes everything at the end. Prints a table of medians side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from bench_server import Server, _summary, create_latency, simple_round_trip

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from postgres_cluster import PostgresCluster  # the tests' helper, found above


def _transactions(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
        assert row is not None
        return int(row[0])


def measure(samples: int, database: str | None) -> dict[str, Any]:
    server = Server(["--database", database] if database else [])
    server.start()
    out: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": server.key}, timeout=300) as c:
            create_latency(c, 2, warm=False)  # warm-up
            out["create, warm pool (ms)"] = create_latency(c, samples, warm=True)
            out["create, cold boot (ms)"] = create_latency(c, samples, warm=False)
            out["list sandboxes (ms)"] = simple_round_trip(c, "/sandboxes", samples * 5)
            sid = c.post("/sandboxes", json={"timeout": 600}).json()["sandboxID"]
            simple_round_trip(c, f"/sandboxes/{sid}/commands", 5)
            calls = samples * 10
            if database:
                time.sleep(1.5)  # the background loops' statements are counted too: measure them alone first
                idle_before = _transactions(database)
                time.sleep(2.0)
                idle = _transactions(database) - idle_before
            before = _transactions(database) if database else 0
            t0 = time.monotonic()
            out["GET /commands via gateway (ms)"] = simple_round_trip(c, f"/sandboxes/{sid}/commands", calls)
            elapsed = time.monotonic() - t0
            if database:
                busy = _transactions(database) - before - 1  # less this count's own statement
                background = idle * elapsed / 2.0
                out["db transactions per gateway call"] = max(0.0, busy - background) / calls
            c.delete(f"/sandboxes/{sid}")
    finally:
        server.stop()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: hutch serve needs it")
    cluster = PostgresCluster()
    cluster.start()
    try:
        sqlite = measure(args.samples, None)
        postgres = measure(args.samples, cluster.new_database("bench"))
    finally:
        cluster.stop()
    print()
    print(f"state store benchmark ({os.cpu_count()} CPUs): median, p95, min, n")
    print(f"{'':36s} {'SQLite':>36s}   {'PostgreSQL':>36s}   ratio")
    for name, values in sqlite.items():
        pg = postgres[name]
        ratio = statistics.median(pg) / statistics.median(values)
        print(f"{name:36s} {_summary(values):>36s}   {_summary(pg):>36s}   {ratio:.2f}")
    per_call = postgres["db transactions per gateway call"]
    print(f"{'db transactions per gateway call':36s} {'-':>36s}   {per_call:>36.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
