"""Soak benchmark: N workers hammer a `hutch serve` for a bounded time through the public SDK, then the
leftovers are counted (issue 11).

    sudo .venv/bin/python bench/soak.py [--workers 20] [--duration 600]

Each worker loops: create a sandbox (the warm pool's shape or, every third round, a cold one), run
commands, write and read files back, pause and resume, take a snapshot, sometimes restore it, kill
everything and delete its snapshots. Errors are counted by operation and exception kind. At the end
every sandbox is gone from the API, and the bench counts what is left of them on the host while the
server still runs (processes in their cgroups or naming them, mounts, loop devices, cgroup dirs of
sandboxes the server does not know as live), and the server's file descriptors, threads and RSS
against their values after start-up. Starts its own server like bench_server.py (data dir
/var/tmp/hutch-soak; the base template is copied from the test server's when there is one).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("HUTCH_BENCH_DATA_DIR", "/var/tmp/hutch-soak")
sys.path.insert(0, str(Path(__file__).parent))

from bench_server import DATA_DIR, Server, _pct

from hutch import Sandbox
from hutchd.runtime.layout import Layout

SANDBOX_ID = re.compile(r"sbx-[0-9a-f]{16}")
LIVE = ("pooled", "starting", "running", "paused")


class Tally:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ok: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}
        self.ms: dict[str, list[float]] = collections.defaultdict(list)

    def time(self, op: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as e:
            kind = f"{op}: {type(e).__name__}"
            with self._lock:
                self.errors[kind] += 1
                self.examples.setdefault(kind, str(e)[:200])
            raise
        with self._lock:
            self.ok[op] += 1
            self.ms[op].append((time.perf_counter() - t0) * 1000)
        return result


def _cleanup(tally: Tally, sandboxes: list[Sandbox], snapshots: list[str]) -> None:
    for sbx in sandboxes:
        with contextlib.suppress(Exception):  # counted by the tally
            tally.time("kill", sbx.kill)
        sbx.close()
    for snap in snapshots:
        with contextlib.suppress(Exception):
            tally.time("delete_snapshot", Sandbox.delete_snapshot, snap)


def one_round(tally: Tally, rng: random.Random) -> None:
    cold = rng.random() < 1 / 3
    opts = {"resources": {"disk_mb": 1024}} if cold else {}
    sbx = tally.time("create_cold" if cold else "create", Sandbox.create, timeout=300, **opts)
    sandboxes, snapshots = [sbx], []
    try:
        r = tally.time("command", sbx.commands.run, "echo soak $(hostname); head -c 200000 /dev/urandom | wc -c")
        if r.exit_code != 0 or "200000" not in r.stdout:
            raise AssertionError(f"command gave {r.exit_code} {r.stdout!r}")
        data = os.urandom(rng.randint(1, 1 << 20))
        tally.time("write", sbx.files.write, "/home/user/blob.bin", data)
        if tally.time("read", sbx.files.read, "/home/user/blob.bin", format="bytes") != data:
            raise AssertionError("read back different bytes")
        tally.time("pause", sbx.pause)
        tally.time("resume", sbx.resume)
        tally.time("command", sbx.commands.run, "sync; ls /home/user")
        snap = tally.time("snapshot", sbx.snapshot)
        if rng.random() < 0.3:
            restored = tally.time("restore", Sandbox.restore, sbx.sandbox_id, snap.snapshot_id, timeout=300)
            sandboxes.append(restored)
            if tally.time("read", restored.files.read, "/home/user/blob.bin", format="bytes") != data:
                raise AssertionError("the restored sandbox has different bytes")
        snapshots = [s.snapshot_id for s in tally.time("list_snapshots", sbx.list_snapshots)]
    finally:
        _cleanup(tally, sandboxes, snapshots)


def worker(tally: Tally, seed: int, deadline: float) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            one_round(tally, rng)
        except Exception:
            tally.errors["rounds failed"] += 1


# ---------------------------------------------------------------- what the host holds


def _proc_status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def live_ids() -> set[str]:
    with sqlite3.connect(f"file:{DATA_DIR / 'hutch.db'}?mode=ro", uri=True) as db:
        return {r[0] for r in db.execute(f"SELECT id FROM sandboxes WHERE state IN {LIVE}")}


def host_state(server_pid: int) -> dict[str, object]:
    """Per kind, the sandbox ids the host still holds something of; and the server's own figures."""
    data = str(DATA_DIR)
    mounts = {m for line in Path("/proc/self/mounts").read_text().splitlines() if data in line
              for m in SANDBOX_ID.findall(line)}  # fmt: skip
    loops = set()
    for f in Path("/sys/block").glob("loop*/loop/backing_file"):
        backing = f.read_text(errors="replace")
        if data in backing:
            loops.update(SANDBOX_ID.findall(backing))
    cgroups, procs = set(), set()
    marker = f"/hutch/{Layout(DATA_DIR).instance}/"
    for top, dirs, files in os.walk("/sys/fs/cgroup"):
        if marker in top + "/" and (m := SANDBOX_ID.search(top.rsplit("/", 1)[-1])):
            cgroups.add(m.group())
            if "cgroup.procs" in files and Path(top, "cgroup.procs").read_text().strip():
                procs.add(m.group())
            dirs[:] = []
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    procs.update(m for line in ps.splitlines() if data in line for m in SANDBOX_ID.findall(line))
    status = _proc_status(server_pid)
    return {
        "processes": procs, "mounts": mounts, "loop devices": loops, "cgroups": cgroups,
        "fds": len(os.listdir(f"/proc/{server_pid}/fd")), "threads": int(status["Threads"]),
        "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: hutch serve needs it")
    server = Server()
    server.start()
    assert server.proc is not None
    os.environ["HUTCH_API_KEY"], os.environ["HUTCH_DOMAIN"] = server.key, f"127.0.0.1:{server.port}"
    try:
        time.sleep(3)  # the pool fills
        before = host_state(server.proc.pid)
        tally = Tally()
        deadline = time.monotonic() + args.duration
        threads = [threading.Thread(target=worker, args=(tally, i, deadline)) for i in range(args.workers)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        for sbx in Sandbox.list(limit=1000):  # what a failed round could not kill
            Sandbox.connect(sbx.sandbox_id).kill()
        time.sleep(5)  # the pool refills, killed sandboxes finish going
        after = host_state(server.proc.pid)
        live = live_ids()
        report(args, wall, tally, before, after, live)
    finally:
        server.stop()
    return 0


def report(args, wall, tally, before, after, live) -> None:  # type: ignore[no-untyped-def]
    rounds = tally.ok["create"] + tally.ok["create_cold"]
    print(f"soak: {args.workers} workers for {wall:.0f} s: {rounds} sandboxes created and killed")
    print(f"{'operation':18} {'ok':>7} {'p50 ms':>9} {'p95 ms':>9}")
    for op in sorted(tally.ms):
        ms = tally.ms[op]
        print(f"{op:18} {tally.ok[op]:7d} {statistics.median(ms):9.1f} {_pct(ms, 95):9.1f}")
    print("errors by kind:" + ("" if tally.errors else " none"))
    for kind, n in tally.errors.most_common():
        print(f"  {n:6d}  {kind}" + (f"  (e.g. {tally.examples[kind]})" if kind in tally.examples else ""))
    print(f"held on the host at the end, by sandbox ({len(live)} live: the warm pool):")
    for kind in ("processes", "mounts", "loop devices", "cgroups"):
        leaked = sorted(after[kind] - live)
        print(
            f"  {kind:13} {len(after[kind]):4d} sandboxes, {len(leaked):4d} of them not live (leaked)"
            + (f": {', '.join(leaked[:5])}" if leaked else "")
        )
    for key, unit in (("fds", ""), ("threads", ""), ("rss_mb", " MB")):
        b, a = before[key], after[key]
        print(f"server {key:8} {b:8.1f}{unit} after start-up, {a:8.1f}{unit} at the end ({a - b:+.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
