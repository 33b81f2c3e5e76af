"""Volumes: what creating one costs, a sandbox create that mounts one (always cold: pooled sandboxes have
none) next to one from the warm pool, the files API's throughput, and writes in a sandbox to a volume
next to its own disk.

    HUTCH_API_KEY=... HUTCH_DOMAIN=127.0.0.1:PORT python bench/bench_volumes.py [-n 5] [--mb 64]

Needs a running `hutch serve` with a warm pool (scripts/bench.sh starts one). Prints medians, p95 and
the ratios, in one run.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable

from hutch import Sandbox, Volume


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float], unit: str = "ms") -> None:
    print(f"{name:<48} {statistics.median(values):9.1f} {_pct(values, 95):9.1f} {unit:>5} {len(values):4d}")


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5, help="samples per figure")
    parser.add_argument("--mb", type=int, default=64, help="MiB moved per throughput sample")
    args = parser.parse_args()
    made: list[Volume] = []
    try:
        creates: dict[int, list[float]] = {64: [], 1024: []}
        for size, samples in creates.items():
            for _ in range(args.n):
                began = time.perf_counter()
                made.append(Volume.create(f"bench-{secrets.token_hex(4)}", size_mb=size))
                samples.append((time.perf_counter() - began) * 1000)
        vol = made[-1]
        pooled, mounted = [], []
        for _ in range(args.n):
            time.sleep(1.0)  # the pool refills
            began = time.perf_counter()
            Sandbox.create(timeout=60).kill()
            pooled.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            Sandbox.create(timeout=60, volume_mounts={"/data": vol}).kill()
            mounted.append((time.perf_counter() - began) * 1000)
        payload = secrets.token_bytes(args.mb << 20)
        writes = [args.mb / timed(lambda: vol.write_file("/blob", payload)) * 1000 for _ in range(args.n)]
        reads = [args.mb / timed(lambda: vol.read_file("/blob", format="bytes")) * 1000 for _ in range(args.n)]
        to_volume, to_disk = [], []
        with Sandbox.create(timeout=300, volume_mounts={"/data": vol}) as sbx:
            dd = f"dd if=/dev/zero bs=1M count={args.mb} conv=fsync status=none of="
            for _ in range(args.n):
                to_volume.append(args.mb / timed(lambda: sbx.commands.run(dd + "/data/dd")) * 1000)
                to_disk.append(args.mb / timed(lambda: sbx.commands.run(dd + "/home/user/dd")) * 1000)
        print(f"{'':<48} {'median':>9} {'p95':>9} {'unit':>5} {'n':>4}")
        row("Volume.create, 64 MiB", creates[64])
        row("Volume.create, 1024 MiB", creates[1024])
        row("Sandbox.create from the warm pool, no volume", pooled)
        row("Sandbox.create with a volume (cold)", mounted)
        row(f"files API write, {args.mb} MiB streamed", writes, "MiB/s")
        row(f"files API read, {args.mb} MiB", reads, "MiB/s")
        row(f"dd {args.mb} MiB + fsync in a sandbox, to the volume", to_volume, "MiB/s")
        row(f"dd {args.mb} MiB + fsync in a sandbox, to its disk", to_disk, "MiB/s")
        med = statistics.median
        print(f"create with a volume / from the pool: {med(mounted) / med(pooled):.2f}x")
        print(f"dd to the volume / to the sandbox disk: {med(to_volume) / med(to_disk):.2f}x")
    finally:
        for v in made:
            v.delete(force=True)


if __name__ == "__main__":
    main()
