"""Benchmark of `hutch serve`: create latency (warm pool vs cold), 50-concurrent create throughput,
and the gateway's overhead on a command round trip versus talking to the agent's socket directly.

    sudo .venv/bin/python bench/bench_server.py [--samples 20] [--concurrency 50]

Starts its own server (data dir /var/tmp/hutch-bench; the base template is copied from the test
server's data dir when that has one, otherwise built once) and stops it at the end. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

DATA_DIR = Path(os.environ.get("HUTCH_BENCH_DATA_DIR", "/var/tmp/hutch-bench"))
TEMPLATE_SOURCES = [Path("/var/tmp/hutch-test-server/templates/base")]
POOL_SIZE = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} {_pct(values, 95):8.1f} {min(values):8.1f} {len(values):5d}"


class Server:
    def __init__(self, extra_args: list[str] | None = None) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.key = "bench-" + secrets.token_hex(8)
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra_args = list(extra_args or [])

    def start(self, *, clean: bool = True) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        base = DATA_DIR / "templates" / "base"
        for src in TEMPLATE_SOURCES:
            if not base.exists() and (src / "meta.json").exists():
                base.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["cp", "-a", "--reflink=auto", str(src), str(base)], check=True)
        hutch = Path(sys.executable).with_name("hutch")
        if clean:
            subprocess.run([str(hutch), "cleanup", "--data-dir", str(DATA_DIR)], check=False, capture_output=True)
        argv = [
            str(hutch), "serve", "--port", str(self.port), "--data-dir", str(DATA_DIR),
            "--api-key", self.key, "--pool-size", str(POOL_SIZE), "--log-level", "warning", *self.extra_args,
        ]  # fmt: skip
        log = open(DATA_DIR.parent / "hutch-bench.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 900
        with httpx.Client(base_url=self.base_url, headers={"X-API-Key": self.key}) as c:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    r = c.get("/templates/base")
                    if r.status_code == 200 and r.json()["ready"]:
                        return
                if self.proc.poll() is not None:
                    raise SystemExit("hutch serve exited; see /var/tmp/hutch-bench.log")
                time.sleep(0.5)
        raise SystemExit("the base template did not become ready")

    def stop(self, *, clean: bool = True) -> None:
        with (
            httpx.Client(base_url=self.base_url, headers={"X-API-Key": self.key}, timeout=60) as c,
            contextlib.suppress(httpx.HTTPError),
        ):
            for s in c.get("/sandboxes", params={"limit": 1000}).json()["sandboxes"]:
                c.delete(f"/sandboxes/{s['sandboxID']}")
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not clean:
            return
        subprocess.run(
            [str(Path(sys.executable).with_name("hutch")), "cleanup", "--data-dir", str(DATA_DIR)],
            check=False,
            capture_output=True,
        )


def create_latency(
    c: httpx.Client, samples: int, *, warm: bool, template: str = "base", secure: bool = False
) -> list[float]:
    """ms from request to 201. Warm: the default shape, after the pool refilled. Cold: a disk size
    the pool does not hold, so the sandbox boots on the request path (same work otherwise). Secure:
    also an access token and the egress proxy (what the SDK asks for by default)."""
    out = []
    body: dict[str, object] = {"timeout": 120, "templateID": template}
    if not warm:
        body["resources"] = {"diskMB": 2049}
    if secure:
        body["secure"] = True
    for _ in range(samples):
        if warm:
            time.sleep(0.6)  # let the pool refill: one boot takes ~0.1-0.3 s
        t0 = time.perf_counter()
        r = c.post("/sandboxes", json=body)
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        c.delete(f"/sandboxes/{r.json()['sandboxID']}")
    return out


async def burst(base_url: str, key: str, n: int) -> tuple[float, list[float], list[str]]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=300) as c:

        async def one() -> tuple[float, str]:
            t0 = time.perf_counter()
            r = await c.post("/sandboxes", json={"timeout": 300})
            r.raise_for_status()
            return (time.perf_counter() - t0) * 1000, r.json()["sandboxID"]

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one() for _ in range(n)))
        wall = time.perf_counter() - t0
        ids = [sid for _, sid in results]
        await asyncio.gather(*(c.delete(f"/sandboxes/{sid}") for sid in ids))
    return wall, [ms for ms, _ in results], ids


def command_round_trip(c: httpx.Client, prefix: str, samples: int) -> list[float]:
    """ms to start `true` and read its output stream to the exit event."""
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        r = c.post(f"{prefix}/commands", json={"cmd": "true"})
        r.raise_for_status()
        pid = r.json()["pid"]
        with c.stream("GET", f"{prefix}/commands/{pid}/output") as resp:
            for line in resp.iter_lines():
                if line and json.loads(line)["type"] == "exit":
                    break
        out.append((time.perf_counter() - t0) * 1000)
    return out


def simple_round_trip(c: httpx.Client, path: str, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        c.get(path).raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _print(rows: list[tuple[str, str]]) -> None:
    print()
    print(f"hutch serve benchmark ({os.cpu_count()} CPUs, pool {POOL_SIZE} per template)")
    print(f"{'':44s} {'median':>8s} {'p95':>8s} {'min':>8s} {'n':>5s}")
    for name, summary in rows:
        print(f"{name:44s} {summary}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--creates-only", action="store_true", help="only the create rows (quick, for create-path work)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: hutch serve needs it")
    server = Server()
    server.start()
    rows: list[tuple[str, str]] = []
    try:
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": server.key}, timeout=300) as c:
            create_latency(c, 2, warm=False)  # warm-up: page in the template, start the workers
            warm = create_latency(c, args.samples, warm=True)
            warm_secure = create_latency(c, args.samples, warm=True, secure=True)
            cold = create_latency(c, args.samples, warm=False)
            cold_secure = create_latency(c, args.samples, warm=False, secure=True)
            rows.append(("create, warm pool (ms)", _summary(warm)))
            rows.append(("create, warm pool, secure (ms)", _summary(warm_secure)))
            rows.append(("create, cold boot (ms)", _summary(cold)))
            rows.append(("create, cold boot, secure (ms)", _summary(cold_secure)))
            if args.creates_only:
                _print(rows)
                return 0

            wall, lat, ids = asyncio.run(burst(server.base_url, server.key, args.concurrency))
            assert len(set(ids)) == args.concurrency
            rows.append((f"{args.concurrency} concurrent creates: latency (ms)", _summary(lat)))

            sid = c.post("/sandboxes", json={"timeout": 600}).json()["sandboxID"]
            time.sleep(0.5)
            sock = DATA_DIR / "run" / sid / "agent.sock"
            transport = httpx.HTTPTransport(uds=str(sock))
            with httpx.Client(transport=transport, base_url="http://agent", timeout=60) as agent:
                command_round_trip(c, f"/sandboxes/{sid}", 3)
                command_round_trip(agent, "", 3)
                via = command_round_trip(c, f"/sandboxes/{sid}", args.samples * 2)
                direct = command_round_trip(agent, "", args.samples * 2)
                list_via = simple_round_trip(c, f"/sandboxes/{sid}/commands", args.samples * 5)
                list_direct = simple_round_trip(agent, "/commands", args.samples * 5)
            rows.append(("command round trip via gateway (ms)", _summary(via)))
            rows.append(("command round trip, agent socket (ms)", _summary(direct)))
            rows.append(("GET /commands via gateway (ms)", _summary(list_via)))
            rows.append(("GET /commands, agent socket (ms)", _summary(list_direct)))
            c.delete(f"/sandboxes/{sid}")
    finally:
        server.stop()

    _print(rows)
    print(
        f"{args.concurrency} concurrent creates: {wall:.2f} s wall, {args.concurrency / wall:.1f} sandboxes/s, "
        f"{len(set(ids))} distinct"
    )
    over = statistics.median(via) - statistics.median(direct)
    over_list = statistics.median(list_via) - statistics.median(list_direct)
    print(f"gateway overhead (median): {over:.2f} ms per command round trip, {over_list:.2f} ms per GET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
