"""Files throughput layer by layer: where a 100 MB ``files.write`` / ``files.read`` spends its time.

    .venv/bin/python bench/bench_files.py [-n 5] [--mb 100]

Each layer adds one hop to the one before, so the difference between two rows is that hop's cost:

- ``socketpair``: the floor, one copy through a Unix socketpair (as bench_table's floor);
- ``agent``: HTTP straight to a sandbox's agent socket (http.client, no gateway, no SDK);
- ``gateway``: HTTP to ``hutch serve`` (http.client: the gateway and the agent, no SDK);
- ``sdk``: the public ``Sandbox.files.write`` / ``files.read(format="bytes")``.

Besides the throughput, the CPU time each process spent per transfer (user + system, from /proc):
the client (this process), ``hutch serve`` and the sandbox's agent. Their sum against the time a
transfer at the goal's speed may take says whether a goal is reachable on two CPUs at all.

Starts its own ``hutch serve`` as bench_table does (data dir ``$HUTCH_BENCH_TABLE_DIR``, default
/var/tmp/hutch-bench-table). Needs root. Medians and p95 in MB/s, and each as a share of the floor.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from bench_table import DATA_DIR, MB, HutchServer, pct, socketpair_mbps

PATH = "/tmp/bench-files"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("agent")
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def put(conn: http.client.HTTPConnection, target: str, blob: bytes, headers: dict[str, str]) -> None:
    conn.request("PUT", target, body=blob, headers={"Content-Type": "application/octet-stream", **headers})
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise SystemExit(f"PUT {target}: {reply.status} {body[:200]!r}")


def get(conn: http.client.HTTPConnection, target: str, size: int, headers: dict[str, str]) -> None:
    conn.request("GET", target, headers=headers)
    reply = conn.getresponse()
    if reply.status != 200:
        raise SystemExit(f"GET {target}: {reply.status} {reply.read()[:200]!r}")
    buf = bytearray(MB)
    got = 0
    while n := reply.readinto(buf):
        got += n
    if got != size:
        raise SystemExit(f"GET {target}: {got} bytes, expected {size}")


def mbps(size: int, fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return size / MB / (time.perf_counter() - t)


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included), in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def sandbox_cpu(sandbox_id: str) -> Callable[[], float]:
    """The CPU time (ms) of everything in a sandbox (its cgroup2 ``cpu.stat``): here, its agent."""
    stat = next(Path("/sys/fs/cgroup").glob(f"**/{sandbox_id}/cpu.stat"))
    return lambda: int(stat.read_text().split("usage_usec", 1)[1].split()[0]) / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5, help="samples per figure")
    ap.add_argument("--mb", type=int, default=100, help="file size in MB")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    size = args.mb * MB
    blob = os.urandom(size)
    rows: dict[str, list[float]] = {"socketpair": [socketpair_mbps(args.mb) for _ in range(args.n)]}
    cpu: dict[tuple[str, str], list[float]] = {}
    from hutch import Sandbox

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with HutchServer() as server, Sandbox.create() as sbx:
        query = "?" + urlencode({"path": PATH, "user": "user"})
        agent = UnixHTTPConnection(str(DATA_DIR / "run" / sbx.sandbox_id / "agent.sock"))
        gateway = http.client.HTTPConnection("127.0.0.1", server.port)
        key = {"X-API-Key": server.key}
        via_gateway = f"/sandboxes/{sbx.sandbox_id}/files{query}"
        steps: dict[str, Callable[[], object]] = {
            "write agent": lambda: put(agent, "/files" + query, blob, {}),
            "read agent": lambda: get(agent, "/files" + query, size, {}),
            "write gateway": lambda: put(gateway, via_gateway, blob, key),
            "read gateway": lambda: get(gateway, via_gateway, size, key),
            "write sdk": lambda: sbx.files.write(PATH, blob),
            "read sdk": lambda: sbx.files.read(PATH, format="bytes"),
        }
        serve_pid = server.proc.pid if server.proc else 0
        clocks = {
            "client": functools.partial(cpu_ms, os.getpid()),
            "server": functools.partial(cpu_ms, serve_pid),
            "agent": sandbox_cpu(sbx.sandbox_id),
        }
        for _ in range(args.n):  # interleaved, so that a busy moment of the machine weighs on every layer
            for name, step in steps.items():
                before = {who: clock() for who, clock in clocks.items()}
                rows.setdefault(name, []).append(mbps(size, step))
                for who, clock in clocks.items():
                    cpu.setdefault((name, who), []).append(clock() - before[who])
        sbx.files.remove(PATH)
    floor = statistics.median(rows["socketpair"])
    loads = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{args.mb} MB files, {args.n} samples ({os.cpu_count()} CPUs, load average {loads})")
    print(f"{'layer':16s} {'MB/s p50':>9s} {'p5':>7s} {'of floor':>9s}   CPU ms p50: {'client':>7s} {'server':>7s} "
          f"{'agent':>7s} {'sum':>7s}")  # fmt: skip
    for name in ("socketpair", "write agent", "write gateway", "write sdk", "read agent", "read gateway", "read sdk"):
        values = rows[name]
        median = statistics.median(values)
        line = f"{name:16s} {median:9.0f} {pct(values, 5):7.0f} {median / floor:9.1%}"
        if name != "socketpair":
            spent = [statistics.median(cpu[(name, who)]) for who in ("client", "server", "agent")]
            line += "             " + " ".join(f"{ms:7.0f}" for ms in [*spent, sum(spent)])
        print(line)
    goal = args.mb / (floor / 2) * 1000
    print(f"at half the floor a transfer takes {goal:.0f} ms: with two CPUs, at most {2 * goal:.0f} CPU ms in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
