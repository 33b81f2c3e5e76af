"""run_code latency: the first cell of a sandbox fresh from the warm pool, and the per-cell cost of
`run_code("1")` next to `commands.run("true")` on one warm sandbox, through the SDK.

    HUTCH_API_KEY=... HUTCH_DOMAIN=127.0.0.1:PORT python bench/bench_code.py [--first 8] [-n 50]

Needs a running `hutch serve` with a warm pool (scripts/bench.sh starts one). The first-cell samples
wait `--gap` seconds between sandboxes so the pool refills before the next one is taken (the first
cell includes starting the default python context). Last, what starting a python context costs with
IPython and with the plain runner. Prints medians, p95 and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from hutch import Sandbox


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> None:
    print(f"{name:<44} {statistics.median(values):8.1f} {_pct(values, 95):8.1f} {min(values):8.1f} {len(values):5d}")


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def first_cells(samples: int, gap: float) -> tuple[list[float], list[float], list[float]]:
    """Per fresh sandbox: create, then its first run_code("1"), then a first commands.run("true")."""
    create, first_code, first_command = [], [], []
    for _ in range(samples):
        time.sleep(gap)
        began = time.perf_counter()
        sbx = Sandbox.create(timeout=120)
        create.append((time.perf_counter() - began) * 1000)
        try:
            first_code.append(timed(lambda sbx=sbx: sbx.run_code("1")))
            first_command.append(timed(lambda sbx=sbx: sbx.commands.run("true")))
        finally:
            sbx.kill()
    return create, first_code, first_command


def per_cell(n: int) -> tuple[list[float], list[float]]:
    code, command = [], []
    with Sandbox.create(timeout=300) as sbx:
        for _ in range(5):  # warm both paths (connections, the bash context is not involved)
            sbx.run_code("1")
            sbx.commands.run("true")
        for _ in range(n):
            code.append(timed(lambda: sbx.run_code("1")))
            command.append(timed(lambda: sbx.commands.run("true")))
    return code, command


def context_starts(samples: int) -> tuple[list[float], list[float]]:
    """A new python context's start (it answers once its interpreter is ready): IPython, then plain."""
    ipython, plain = [], []
    with Sandbox.create(timeout=300) as sbx:
        for _ in range(samples):
            for times, envs in ((ipython, {}), (plain, {"HUTCH_KERNEL": "plain"})):
                began = time.perf_counter()
                context = sbx.create_code_context("python", envs=envs)
                times.append((time.perf_counter() - began) * 1000)
                sbx.remove_code_context(context)
    return ipython, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=8, help="fresh sandboxes for the first-cell figures")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between them (the pool refills)")
    parser.add_argument("-n", type=int, default=50, help="cells for the per-cell figures")
    parser.add_argument("--contexts", type=int, default=5, help="new contexts of each kind (start-up cost)")
    args = parser.parse_args()
    print(f"{'ms':<44} {'median':>8} {'p95':>8} {'min':>8} {'n':>5}")
    create, first_code, first_command = first_cells(args.first, args.gap)
    row("create (from the warm pool)", create)
    row('first run_code("1") of a fresh sandbox', first_code)
    row('then its first commands.run("true")', first_command)
    code, command = per_cell(args.n)
    row('run_code("1"), warm context', code)
    row('commands.run("true")', command)
    print(f"run_code / commands.run (medians): {statistics.median(code) / statistics.median(command):.2f}")
    ipython, plain = context_starts(args.contexts)
    row("create_code_context: IPython shell", ipython)
    row('create_code_context: HUTCH_KERNEL="plain"', plain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
