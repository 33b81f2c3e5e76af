"""Runtime figures: cold start (start() until the agent answers GET /health), destroy, a command
round trip through the agent (POST /commands `true`, then its output stream until the exit event), and
a pause and resume as the local backend makes them (the agent's clock stopped and the cgroup frozen;
thawed and the clock started: backends/agent_clock.py) beside the cgroup freezer alone.

Run as root:  .venv/bin/python bench/bench_runtime.py [--runs 50] [--internet] [--data-dir DIR]
Uses the real hutch_agent if it is runnable, else the tests' stub agent (say which with --agent).
Compare with RUNTIME.md §3.2: 48-60 ms median, p95 66-78 ms sequential (prototype agent).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import socket
import statistics
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path

from hutchd.backends.local import LocalBackend
from hutchd.runtime import Runtime, SandboxSpec

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "tests" / "integration" / "runtime" / "stub_agent" / "hutch_agent"


def _real_agent() -> Path | None:
    spec = importlib.util.find_spec("hutch_agent")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)))
    return path if (path / "__main__.py").exists() else None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _round_trip(sock: Path) -> float:
    """One `true` through the real agent's command API, in ms."""
    conn = http.client.HTTPConnection("sandbox")
    conn.sock = socket.socket(socket.AF_UNIX)
    conn.sock.connect(str(sock))
    t0 = time.perf_counter()
    conn.request("POST", "/commands", json.dumps({"cmd": "true", "user": "root"}), {"Content-Type": "application/json"})
    pid = json.loads(conn.getresponse().read())["pid"]
    conn.request("GET", f"/commands/{pid}/output")
    events = [json.loads(line) for line in conn.getresponse()]
    elapsed = (time.perf_counter() - t0) * 1000
    conn.close()
    assert events[-1]["type"] == "exit", events
    return elapsed


def _pauses(rt: Runtime, sid: str, runs: int) -> dict[str, list[float]]:
    """Freeze and thaw times in ms, by the cgroup alone and by the local backend (its clock calls too),
    alternated so that both see the same load."""
    backend = LocalBackend(rt)
    times: dict[str, list[float]] = {"cgroup freeze": [], "cgroup thaw": [], "pause (clock+freeze)": [],
                                     "resume (thaw+clock)": []}  # fmt: skip

    async def timed(name: str, step: Awaitable[None], i: int) -> None:
        t0 = time.perf_counter()
        await step
        if i:
            times[name].append((time.perf_counter() - t0) * 1000)

    async def cycles() -> None:
        for i in range(runs + 1):  # the first run warms caches and is not counted
            await timed("cgroup freeze", asyncio.to_thread(rt.freeze, sid), i)
            await timed("cgroup thaw", asyncio.to_thread(rt.thaw, sid), i)
            await timed("pause (clock+freeze)", backend.freeze(sid), i)
            await timed("resume (thaw+clock)", backend.thaw(sid), i)

    asyncio.run(cycles())
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--internet", action="store_true", help="also start slirp4netns + the egress filter")
    ap.add_argument("--data-dir", type=Path, default=Path("/var/tmp/hutch-test-runtime"))
    ap.add_argument("--agent", choices=["auto", "real", "stub"], default="auto")
    args = ap.parse_args()

    real = _real_agent()
    if args.agent == "real" and real is None:
        raise SystemExit("the real hutch_agent has no __main__.py yet; use --agent stub")
    agent = real if args.agent in ("auto", "real") and real is not None else STUB
    rt = Runtime(args.data_dir, agent_src=agent)
    rt.templates.ensure("base")

    starts: list[float] = []
    destroys: list[float] = []
    for i in range(args.runs + 1):  # the first run warms caches and is not counted
        sid = f"bench-{uuid.uuid4().hex[:8]}"
        t0 = time.perf_counter()
        rt.start(SandboxSpec(sandbox_id=sid, allow_internet=args.internet))
        t1 = time.perf_counter()
        rt.destroy(sid)
        t2 = time.perf_counter()
        if i:
            starts.append((t1 - t0) * 1000)
            destroys.append((t2 - t1) * 1000)

    trips: list[float] = []
    pauses: dict[str, list[float]] = {}
    if agent == real:
        sid = f"bench-{uuid.uuid4().hex[:8]}"
        rt.start(SandboxSpec(sandbox_id=sid, allow_internet=args.internet))
        try:
            trips = [_round_trip(rt.agent_socket(sid)) for _ in range(args.runs + 1)][1:]
            pauses = _pauses(rt, sid, args.runs)
        finally:
            rt.destroy(sid)

    which = "real agent" if agent == real else "stub agent"
    net = "slirp4netns + nft" if args.internet else "no internet"
    print(f"hutch runtime, {args.runs} sequential runs, {which}, {net}")
    print(f"{'phase':<28}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}")
    rows = [("cold start (until /health)", starts), ("destroy", destroys)]
    if trips:
        rows.append(("command round trip (true)", trips))
    rows += list(pauses.items())
    for name, values in rows:
        row = (statistics.median(values), _pct(values, 0.95), max(values))
        print(f"{name:<28}" + "".join(f"{v:>10.1f}" for v in row))


if __name__ == "__main__":
    main()
