"""A pod's pause and metrics through its agent (the kubernetes backend's; hutch_agent/freezer.py and
usage.py) beside the local backend's cgroup freezer, on one real sandbox whose agent listens on TCP
with a token as a pod's does: freeze and thaw with N busy-waiting processes, and GET /usage.

Run as root:  .venv/bin/python bench/bench_pod_pause.py [--runs 30] [--processes 10 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import socket
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from hutchd.runtime import Runtime, SandboxSpec

ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Agent:
    def __init__(self, address: str, token: str) -> None:
        host, port = address.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"X-Hutch-Agent-Token": token, "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> object:
        self.conn.request(method, path, None if body is None else json.dumps(body), self.headers)
        reply = self.conn.getresponse()
        data = reply.read()
        assert reply.status < 300, (reply.status, data)
        return json.loads(data) if data else None


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--processes", type=int, nargs="+", default=[10, 200])
    ap.add_argument("--data-dir", type=Path, default=Path("/var/tmp/hutch-bench-pod-pause"))
    args = ap.parse_args()

    rt = Runtime(args.data_dir, agent_src=ROOT / "src" / "hutch_agent")
    rt.templates.ensure("base")
    token = secrets.token_hex(32)
    with socket.socket() as s:
        ip = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        s.bind((ip, 0))
        address = f"{ip}:{s.getsockname()[1]}"
    sid = f"bench-{uuid.uuid4().hex[:8]}"
    rt.start(SandboxSpec(sandbox_id=sid, allow_internet=False, pids=4096, agent_tcp=address, agent_token=token))
    rows: list[tuple[str, list[float]]] = []
    try:
        agent = Agent(address, token)
        started = 0
        for count in sorted(args.processes):
            while started < count:
                agent.call("POST", "/commands", {"cmd": "exec sleep 3600", "user": "user"})
                started += 1
            pod = [(_timed(lambda: agent.call("POST", "/freeze")), _timed(lambda: agent.call("POST", "/thaw")))]
            pod += [(_timed(lambda: agent.call("POST", "/freeze")), _timed(lambda: agent.call("POST", "/thaw")))
                    for _ in range(args.runs)]  # fmt: skip
            local = [(_timed(lambda: rt.freeze(sid)), _timed(lambda: rt.thaw(sid))) for _ in range(args.runs + 1)]
            rows += [
                (f"pod freeze, {count} processes", [f for f, _ in pod[1:]]),
                (f"pod thaw, {count} processes", [t for _, t in pod[1:]]),
                (f"cgroup freeze, {count} processes", [f for f, _ in local[1:]]),
                (f"cgroup thaw, {count} processes", [t for _, t in local[1:]]),
            ]
        usage = [_timed(lambda: agent.call("GET", "/usage")) for _ in range(args.runs + 1)][1:]
        rows.append((f"pod GET /usage, {started} processes", usage))
    finally:
        rt.destroy(sid)
    print(f"a pod's pause and usage through its agent vs the cgroup freezer, {args.runs} sequential runs")
    print(f"{'phase':<36}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values in rows:
        row = (statistics.median(values), _pct(values, 0.95), max(values))
        print(f"{name:<36}" + "".join(f"{v:>10.1f}" for v in row))


if __name__ == "__main__":
    main()
