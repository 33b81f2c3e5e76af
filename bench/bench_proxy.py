"""Benchmark of the egress proxy (issue 15): what a secure sandbox's passthrough proxy adds to HTTPS
requests, its throughput on a 100 MB download, and its memory per sandbox.

    sudo .venv/bin/python bench/bench_proxy.py [-n 300] [--mb 100] [--sandboxes 50]

Runs in a network namespace of its own (re-executes itself under `unshare --net`): a "sandbox"
namespace (the real nft tables and resolver of hutchd.runtime.egress.Egress, as `hutch serve`
applies them) reaches a TLS server in a third namespace (the integration tests' server and
throwaway CA) through this one, which routes. The same client runs in the sandbox's namespace
with the proxy off, then on. Nothing leaves the namespaces. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hutchd.runtime.egress import Egress
from hutchd.runtime.mitm import MITM_DIR, Secret
from hutchd.runtime.netpolicy import NetworkPolicy

TESTS = Path(__file__).resolve().parent.parent / "tests" / "integration" / "network"
sys.path.insert(0, str(TESTS))
from certs import make_pki  # noqa: E402  (the integration tests' throwaway CA)

_MARK = "HUTCH_BENCH_PROXY_NETNS"
NAME = "bench.test"
SERVER_IP = "198.18.202.2"
ROUNDS = 4
MODES = ("no proxy", "passthrough", "decrypting")

# Runs in the sandbox's namespace: new connections (handshake + GET), GETs on one warm connection,
# then one download; prints JSON.
CLIENT = r"""
import http.client, json, socket, ssl, sys, time
ca, name, ip, n, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
def connect():
    return ctx.wrap_socket(socket.create_connection((ip, 443)), server_hostname=name)
def get(tls, path):
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\n\r\n".encode())
    r = http.client.HTTPResponse(tls)
    r.begin()
    total = 0
    while chunk := r.read(1 << 20):
        total += len(chunk)
    return total
cold, warm = [], []
for _ in range(n):
    t0 = time.perf_counter()
    with connect() as tls:
        get(tls, "/")
    cold.append((time.perf_counter() - t0) * 1000)
with connect() as tls:
    for _ in range(n):
        t0 = time.perf_counter()
        get(tls, "/")
        warm.append((time.perf_counter() - t0) * 1000)
with connect() as tls:
    t0 = time.perf_counter()
    got = get(tls, f"/big?n={size}")
    seconds = time.perf_counter() - t0
assert got == size, got
print(json.dumps({"cold": cold, "warm": warm, "mb_s": size / seconds / 1e6}))
"""


def _ip(*args: str, pid: int | None = None) -> None:
    argv = ["ip", *args] if pid is None else ["nsenter", f"--net=/proc/{pid}/ns/net", "ip", *args]
    subprocess.run(argv, check=True, capture_output=True)


def _netns(argv: list[str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["unshare", "--net", "--", *(argv or ["sleep", "3600"])])
    mine = os.readlink("/proc/self/ns/net")
    while os.readlink(f"/proc/{proc.pid}/ns/net") == mine:
        time.sleep(0.005)
    _ip("link", "set", "lo", "up", pid=proc.pid)
    return proc


def _link(pid: int, subnet: int, link: str) -> None:
    """A veth between this namespace (198.18.<subnet>.1) and `pid`'s (.2, default route here)."""
    _ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", str(pid))
    _ip("addr", "add", f"198.18.{subnet}.1/24", "dev", link)
    _ip("link", "set", link, "up")
    _ip("addr", "add", f"198.18.{subnet}.2/24", "dev", "eth0", pid=pid)
    _ip("link", "set", "eth0", "up", pid=pid)
    _ip("route", "add", "default", "via", f"198.18.{subnet}.1", pid=pid)


def _client(pid: int, ca: Path, n: int, size: int) -> dict[str, list[float] | float]:
    out = subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", CLIENT, str(ca), NAME, SERVER_IP, str(n),
         str(size)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out))


def _merge(runs: list[dict[str, list[float] | float]]) -> dict[str, list[float] | float]:
    """Samples of every round together; the median round's throughput."""
    out: dict[str, list[float] | float] = {k: [x for r in runs for x in r[k]] for k in ("cold", "warm")}  # type: ignore[union-attr]
    out["mb_s"] = statistics.median(float(r["mb_s"]) for r in runs)  # type: ignore[arg-type]
    return out


def _p(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))]


def _rss_kb(status: str = "/proc/self/status") -> int:
    for line in Path(status).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench(n: int, mb: int, count: int) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
    tmp = Path(tempfile.mkdtemp(prefix="hutch-bench-proxy-"))
    procs: list[subprocess.Popen[bytes]] = []
    egress = Egress()
    try:
        pki = make_pki(tmp, [NAME])
        server = _netns([sys.executable, str(TESTS / "tls_server.py"), str(pki.cert), str(pki.key)])
        sandbox = _netns()
        procs += [server, sandbox]
        _link(server.pid, 202, "hbsrv")
        _link(sandbox.pid, 201, "hbsbx")
        time.sleep(0.5)  # the server binds
        (tmp / "sbx").mkdir()
        egress.proxy.upstream_ca = pki.ca  # the decrypting proxy trusts the bench server
        egress.attach("sbx-bench", sandbox.pid, tmp / "sbx", proxy=False)
        _client(sandbox.pid, pki.ca, 20, 1 << 20)  # warm-up (page cache, imports)
        runs: dict[str, list[dict[str, list[float] | float]]] = {m: [] for m in MODES}
        mitm_kb = 0
        for _ in range(ROUNDS):  # the modes alternate, so the machine's noise falls on all alike
            for mode in MODES:
                egress.set_policy("sbx-bench", NetworkPolicy(), proxy=mode != "no proxy")
                trusted = pki.ca
                if mode == "decrypting":  # a secret for the server's name: its TLS goes through mitmproxy
                    ca = egress.set_secrets("sbx-bench", {"K": Secret.new("K", "v", (NAME,))}, {})
                    assert ca is not None
                    trusted = tmp / "trusted.pem"
                    trusted.write_bytes(pki.ca.read_bytes() + ca)
                runs[mode].append(_client(sandbox.pid, trusted, n // ROUNDS, mb << 20))
                if mode == "decrypting":
                    pid = (tmp / "sbx" / MITM_DIR / "mitm.pid").read_text().split()[0]
                    mitm_kb = max(mitm_kb, _rss_kb(f"/proc/{pid}/status"))
                    egress.set_secrets("sbx-bench", {}, {})
        results = {m: _merge(runs[m]) for m in MODES}

        rss0 = _rss_kb()
        for i in range(count):
            extra = _netns()
            procs.append(extra)
            (tmp / f"m{i}").mkdir()
            egress.attach(f"sbx-m{i}", extra.pid, tmp / f"m{i}", proxy=True)
        per_sandbox = (_rss_kb() - rss0) / count  # (no secrets: passthrough only)
    finally:
        egress.close()
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"egress proxy, {n} HTTPS requests per mode in {ROUNDS} alternating rounds; ms (p50 / p95); one run")
    print(f"{'':34}" + "".join(f"{m:>18}" for m in MODES) + "".join(f"{'+p50 ' + m[:7]:>16}" for m in MODES[1:]))
    base = results["no proxy"]
    for key, label in (("cold", "new connection + handshake + GET"), ("warm", "GET on a warm connection")):
        cells = "".join(f"{f'{statistics.median(r[key]):.2f} / {_p(r[key], 0.95):.2f}':>18}" for r in results.values())  # type: ignore[arg-type]
        added = "".join(
            f"{statistics.median(results[m][key]) - statistics.median(base[key]):>16.2f}"
            for m in MODES[1:]  # type: ignore[arg-type]
        )
        print(f"{label:34}{cells}{added}")
    speeds = [float(r["mb_s"]) for r in results.values()]  # type: ignore[arg-type]
    ratios = "".join(f"{v / speeds[0]:>15.2f}x" for v in speeds[1:])
    print(f"{f'{mb} MB download, MB/s (median)':34}" + "".join(f"{v:>18.0f}" for v in speeds) + ratios)
    print(
        f"passthrough proxy memory per sandbox (server RSS over {count} idle proxied sandboxes): {per_sandbox:.0f} KiB"
    )
    print(f"decrypting proxy (mitmproxy) memory, sandboxes with secrets only: {mitm_kb / 1024:.0f} MiB RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="requests per kind and mode")
    parser.add_argument("--mb", type=int, default=100, help="size of the download")
    parser.add_argument("--sandboxes", type=int, default=50, help="idle proxied sandboxes for the memory figure")
    args = parser.parse_args()
    if os.environ.get(_MARK) != "1":
        if os.geteuid() != 0:
            raise SystemExit("bench_proxy needs root (network namespaces, nft)")
        env = {**os.environ, _MARK: "1"}
        os.execvpe("unshare", ["unshare", "--net", "--", sys.executable, *sys.argv], env)
    bench(args.n, args.mb, args.sandboxes)


if __name__ == "__main__":
    main()
