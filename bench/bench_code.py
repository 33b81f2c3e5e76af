"""run_code latency: the first cell of a fresh sandbox of `base` and of `code-interpreter`, and the
per-cell cost of `run_code("1")` next to `commands.run("true")` on one warm sandbox, through the SDK.

    HUTCH_API_KEY=... HUTCH_DOMAIN=127.0.0.1:PORT python bench/bench_code.py [--first 8] [-n 50]

Needs a running `hutch serve` with a warm pool (scripts/bench.sh starts one). The first-cell samples
wait `--gap` seconds between sandboxes so the pool refills before the next one is taken, and
`--settle` seconds after the create, the state of a sandbox that waited in the pool: a `base`
sandbox's first cell starts the default python context (IPython), a `code-interpreter` sandbox's finds
it started at boot. Last, what starting a context costs: python with IPython and with the plain
runner, and code-interpreter's typescript, r and java. Prints medians, p95 and the ratio.
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
    print(f"{name:<54} {statistics.median(values):8.1f} {_pct(values, 95):8.1f} {min(values):8.1f} {len(values):5d}")


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def first_cells(template: str, samples: int, gap: float, settle: float) -> tuple[list[float], ...]:
    """Per fresh sandbox: create, then its first run_code("1"), then a first commands.run("true")."""
    create, first_code, first_command = [], [], []
    for _ in range(samples):
        time.sleep(gap)
        began = time.perf_counter()
        sbx = Sandbox.create(template, timeout=120)
        create.append((time.perf_counter() - began) * 1000)
        time.sleep(settle)
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


KINDS = {  # what a context start is measured for: (language, envs)
    "python: IPython shell": ("python", {}),
    'python: HUTCH_KERNEL="plain"': ("python", {"HUTCH_KERNEL": "plain"}),
    "typescript": ("typescript", {}),
    "r": ("r", {}),
    "java (JShell)": ("java", {}),
}


def context_starts(samples: int) -> dict[str, list[float]]:
    """A new context's start (it answers once its interpreter is ready), per kind, in code-interpreter."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with Sandbox.create("code-interpreter", timeout=300) as sbx:
        for _ in range(samples):
            for kind, (language, envs) in KINDS.items():
                began = time.perf_counter()
                context = sbx.create_code_context(language, envs=envs)
                times[kind].append((time.perf_counter() - began) * 1000)
                sbx.remove_code_context(context)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=8, help="fresh sandboxes for the first-cell figures")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between them (the pool refills)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds from a create to its first cell")
    parser.add_argument("-n", type=int, default=50, help="cells for the per-cell figures")
    parser.add_argument("--contexts", type=int, default=5, help="new contexts of each kind (start-up cost)")
    args = parser.parse_args()
    print(f"{'ms':<54} {'median':>8} {'p95':>8} {'min':>8} {'n':>5}")
    for template in ("base", "code-interpreter"):
        create, first_code, first_command = first_cells(template, args.first, args.gap, args.settle)
        row(f"{template}: create", create)
        row(f'{template}: first run_code("1")', first_code)
        row(f'{template}: then its first commands.run("true")', first_command)
    code, command = per_cell(args.n)
    row('run_code("1"), warm context', code)
    row('commands.run("true")', command)
    print(f"run_code / commands.run (medians): {statistics.median(code) / statistics.median(command):.2f}")
    for kind, values in context_starts(args.contexts).items():
        row(f"create_code_context: {kind}", values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
