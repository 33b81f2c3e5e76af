"""Where `commands.run("true")` spends its milliseconds, hop by hop: the same foreground start
(`startCommand?stream=true`) straight to the agent's socket, through the server with a bare kept-alive
httpx client, and through the SDK; and, inside a sandbox, what the shell costs.

    .venv/bin/python bench/profile_exec.py [-n 200]

Starts its own `hutch serve` (bench_table.py's) and prints medians and p95.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from collections.abc import Callable

import httpx
from bench_table import DATA_DIR, HutchServer, pct

BODY = b'{"cmd": "true"}'


def agent_call(sock_path: str) -> Callable[[], None]:
    """One kept-alive raw HTTP/1.1 connection to the agent; reads the chunked stream to its end."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    request = (
        b"POST /commands?stream=true HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    )

    def call() -> None:
        s.sendall(request)
        got = b""
        while not got.endswith(b"\r\n0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit(f"the agent closed the connection: {got!r}")
            got += chunk

    return call


def show(name: str, samples: list[float]) -> None:
    print(f"{name:48s} p50 {statistics.median(samples):6.2f} ms   p95 {pct(samples, 95):6.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()
    from hutch import Sandbox

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with HutchServer() as server, Sandbox.create() as sbx:
        hops: dict[str, Callable[[], object]] = {
            "agent socket, raw HTTP": agent_call(str(DATA_DIR / "run" / sbx.sandbox_id / "agent.sock")),
        }
        http = httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers={"X-API-Key": server.key})

        def through_server() -> None:
            r = http.post(f"/sandboxes/{sbx.sandbox_id}/commands", params={"stream": "true"}, content=BODY,
                          headers={"Content-Type": "application/json"})  # fmt: skip
            assert r.status_code == 200, r.text

        hops["server, httpx kept alive"] = through_server
        hops["SDK commands.run"] = lambda: sbx.commands.run("true")
        for name, call in hops.items():
            for _ in range(10):
                call()
            samples = []
            for _ in range(args.n):
                t = time.perf_counter()
                call()
                samples.append((time.perf_counter() - t) * 1000)
            show(name, samples)
        loop = "s=$(date +%s%N); for i in $(seq 100); do {} -c true; done; echo $(( ($(date +%s%N) - s) / 100000 ))"
        for shell in ("/bin/sh", "/bin/bash", "/bin/bash -l"):
            per = [int(sbx.commands.run(loop.format(shell)).stdout) / 1000 for _ in range(3)]
            print(f"{'in the sandbox: ' + shell + ' -c true':48s} p50 {statistics.median(per):6.2f} ms")
        http.close()


if __name__ == "__main__":
    main()
