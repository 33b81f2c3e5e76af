"""Benchmark of the sandbox resolver under one sandbox's DNS flood (issue 11, defect 8): another
sandbox's lookup latency, idle versus during the flood (goal: p50 within 2x of idle).

    sudo .venv/bin/python bench/bench_dns_flood.py [--idle 5] [--flood 10] [--upstream-delay-ms 5]

Runs entirely in a network namespace of its own (re-executes itself under `unshare --net`): the
server's resolver (hutchd.runtime.egress.Egress, as `hutch serve` runs it) serves two "sandboxes",
child processes in network namespaces of their own with the real nft policy; its upstream is a fake
nameserver on the namespace's loopback that answers NXDOMAIN after a delay. The quiet sandbox asks
for a hosts-file name every 10 ms; the flooder sends questions for random names (each one a trip
upstream) as fast as it can. Nothing leaves the namespace. Prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from hutchd.runtime import dnswire as w
from hutchd.runtime.egress import Egress, Upstream

_MARK = "HUTCH_BENCH_DNS_NETNS"

# A sandbox: brings its loopback up, says "ready", waits for "go", then plays its part and prints JSON.
CHILD = r"""
import json, os, random, socket, struct, subprocess, sys, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
print("ready", flush=True)
role, seconds = sys.stdin.readline().split()
seconds = float(seconds)
def query(name, qid):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.53", 53))
end = time.monotonic() + seconds
if role == "quiet":
    samples, lost, qid = [], 0, 0
    s.settimeout(2.0)
    while time.monotonic() < end:
        qid = (qid + 1) & 0xFFFF
        t0 = time.monotonic()
        s.send(query("quiet.bench", qid))
        try:
            while struct.unpack("!H", s.recv(4096)[:2])[0] != qid:
                pass
            samples.append((t0, (time.monotonic() - t0) * 1000))
        except TimeoutError:
            lost += 1
        time.sleep(0.01)
    print(json.dumps({"samples": samples, "lost": lost}))
else:
    s.setblocking(False)
    sent, rcodes = 0, {}
    def drain():
        while True:
            try:
                r = s.recv(4096)
            except (BlockingIOError, ConnectionRefusedError):
                return
            rcodes[r[3] & 15] = rcodes.get(r[3] & 15, 0) + 1
    while time.monotonic() < end:
        try:
            s.send(query(f"x{random.getrandbits(40):x}.flood.bench", sent & 0xFFFF))
            sent += 1
        except BlockingIOError:
            pass
        if sent % 16 == 0:
            drain()
    time.sleep(0.5)
    drain()
    print(json.dumps({"sent": sent, "rcodes": rcodes}))
"""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class FakeUpstream:
    """A nameserver on 127.0.0.1:53 of the bench's namespace: NXDOMAIN for everything, `delay` late."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.setblocking(False)
        self.asked = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        due: list[tuple[float, int, bytes, tuple[str, int]]] = []
        while True:
            timeout = max(0.0, due[0][0] - time.monotonic()) if due else 1.0
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if ready:
                for _ in range(256):
                    try:
                        data, addr = self.sock.recvfrom(4096)
                    except BlockingIOError:
                        break
                    self.asked += 1
                    try:
                        reply = w.reply(data, w.parse_question(data), w.NXDOMAIN)
                    except w.DnsError:
                        continue
                    heapq.heappush(due, (time.monotonic() + self.delay, self.asked, reply, addr))
            while due and due[0][0] <= time.monotonic():
                _, _, reply, addr = heapq.heappop(due)
                with contextlib.suppress(OSError):
                    self.sock.sendto(reply, addr)


def _sandbox(egress: Egress, sandbox_id: str, state: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        ["unshare", "--net", "--", sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"sandbox {sandbox_id} did not start")
    (state / sandbox_id).mkdir()
    egress.attach(sandbox_id, proc.pid, state / sandbox_id)
    return proc


def _go(proc: subprocess.Popen[str], role: str, seconds: float) -> None:
    assert proc.stdin is not None
    proc.stdin.write(f"{role} {seconds}\n")
    proc.stdin.flush()


def _result(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = proc.communicate(timeout=120)
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench(idle: float, flood: float, delay: float) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="hutch-bench-dns-"))
    try:
        (tmp / "resolv.conf").write_text("nameserver 127.0.0.1\n")
        (tmp / "hosts").write_text("198.18.7.2 quiet.bench\n")
        upstream = FakeUpstream(delay)
        egress = Egress(hosts_file=tmp / "hosts", upstream=Upstream(tmp / "resolv.conf"))
        state = tmp / "state"
        state.mkdir()
        quiet = _sandbox(egress, "sbx-quiet", state)
        flooder = _sandbox(egress, "sbx-flood", state)
        _go(quiet, "quiet", idle + flood)
        flood_at = time.monotonic() + idle
        time.sleep(idle)
        _go(flooder, "flood", flood)
        q, f = _result(quiet), _result(flooder)
        egress.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    samples = q["samples"]
    assert isinstance(samples, list)
    before = [ms for t, ms in samples if t < flood_at]
    during = [ms for t, ms in samples if flood_at + 0.2 <= t < flood_at + flood]  # the flood under way
    rcodes = {int(k): v for k, v in dict(f["rcodes"]).items()}  # type: ignore[call-overload]
    sent = int(f["sent"])  # type: ignore[call-overload]
    ratio = statistics.median(during) / statistics.median(before)
    print(f"upstream delay {delay * 1000:.0f} ms; idle {idle:.0f} s, then one sandbox floods for {flood:.0f} s")
    print(f"{'quiet sandbox lookups (ms)':30} {'p50':>8} {'p95':>8} {'max':>8} {'n':>6}")
    for label, values in (("idle", before), ("during flood", during)):
        p50, p95 = statistics.median(values), _pct(values, 95)
        print(f"{label:30} {p50:8.2f} {p95:8.2f} {max(values):8.2f} {len(values):6d}")
    print(f"p50 ratio during/idle: {ratio:.2f}x (goal <= 2x); quiet lookups lost: {q['lost']}")
    answered, refused = rcodes.get(w.NXDOMAIN, 0) + rcodes.get(w.NOERROR, 0), rcodes.get(w.REFUSED, 0)
    print(
        f"flooder: sent {sent} ({sent / flood:.0f}/s), answered {answered} ({answered / flood:.0f}/s),"
        f" refused {refused}, no reply {sent - sum(rcodes.values())}; upstream asked {upstream.asked}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--idle", type=float, default=5.0, help="seconds of lookups before the flood")
    p.add_argument("--flood", type=float, default=10.0, help="seconds of flood")
    p.add_argument("--upstream-delay-ms", type=float, default=5.0, help="the fake upstream's answer delay")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the bench makes network namespaces and nft tables")
    if os.environ.get(_MARK) != "1":
        os.environ[_MARK] = "1"
        os.execvp("unshare", ["unshare", "--net", "--", sys.executable, *sys.argv])
    bench(args.idle, args.flood, args.upstream_delay_ms / 1000)


if __name__ == "__main__":
    main()
