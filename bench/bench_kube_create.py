"""Creates on the kubernetes backend: from a warm pod (the pool's limits) next to a cold one (other
limits: a pod's cannot change, so it boots a pod), on the emulated cluster of the tests
(tests/integration/kube/cluster.py: kmock's API server, and a kubelet that boots each pod's agent in a
local sandbox; a real cluster's cold create adds scheduling and a container start on top).

Run as root:  .venv/bin/python bench/bench_kube_create.py [--samples 10] [--pool-size 2]

Prints medians, p95 and their ratio, in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "integration"), str(ROOT / "tests")]

import conftest as fixtures  # noqa: E402  (the tests' server and emulated cluster)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wait(ready: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the warm pool did not fill")
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--pool-size", type=int, default=2)
    args = ap.parse_args()

    cluster = fixtures.EmulatedCluster(fixtures.new_run_dir())
    kube = ["--kubeconfig", cluster.kubeconfig, "--kube-namespace", fixtures.KUBE_NAMESPACE]
    kube += ["--kube-image", fixtures.EMULATED_IMAGES["base"]]
    server = fixtures.HutchServer(
        fixtures.new_run_dir(), pool_size=args.pool_size, extra_args=["--backend", "kubernetes", *kube]
    )
    server.start()
    os.environ["HUTCH_API_KEY"], os.environ["HUTCH_DOMAIN"] = server.api_key, server.domain
    from hutch import Sandbox, Template

    try:
        warm: list[float] = []
        cold: list[float] = []
        for _ in range(args.samples):
            _wait(lambda: Template.get("base").warm_sandboxes >= args.pool_size)
            began = time.perf_counter()
            Sandbox.create(timeout=60).kill()
            warm.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            Sandbox.create(timeout=60, resources={"cpu": 1.5}).kill()
            cold.append((time.perf_counter() - began) * 1000)
    finally:
        fixtures._shutdown(server)
        cluster.stop()
    print(f"{'create + kill on the emulated cluster':<44} {'median':>9} {'p95':>9} {'n':>4}")
    for name, values in (("from a warm pod", warm), ("cold (other limits: a new pod)", cold)):
        print(f"{name:<44} {statistics.median(values):7.1f}ms {_pct(values, 0.95):7.1f}ms {len(values):4d}")
    print(f"cold / warm: {statistics.median(cold) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    main()
