"""The figures of issue 17 side by side in one run: hutch through its public SDK, the same operations
on podman through podman-py, and the floors of this machine (``/bin/true``, bare ``bwrap``, a
socketpair). Medians, p95 and ratios, printed as one table.

    .venv/bin/python bench/bench_table.py [--part floors,hutch,podman] [-n 50]

Each part runs alone with ``--part``. The hutch part starts its own ``hutch serve`` (data dir
/var/tmp/hutch-bench-table, base template copied from the test server's when present) with the
server's default pool; the podman part starts ``podman --runtime runc system service`` on a socket of
its own and stops it at the end, and imports the hutch base rootfs as the image ``hutch-bench-base`` once
(``--network none`` containers). Needs root.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

DATA_DIR = Path(os.environ.get("HUTCH_BENCH_TABLE_DIR", "/var/tmp/hutch-bench-table"))
BASE_ROOTFS = Path("/var/tmp/hutch-test-server/templates/base")
PODMAN_IMAGE = "localhost/hutch-bench-base"
MB = 1024 * 1024

Samples = list[float]
results: dict[str, dict[str, Samples]] = {}
"""figure -> column (hutch, podman, floor) -> samples (ms, or MB/s for throughput figures)."""


def record(figure: str, column: str, samples: Samples) -> None:
    results.setdefault(figure, {})[column] = samples


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def pct(values: Samples, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------ floors


def socketpair_mbps(mb: int) -> float:
    """MB/s of `mb` MiB sent through a Unix socketpair in 1 MiB writes, read into a reused buffer."""
    a, b = socket.socketpair()
    chunk = b"\0" * MB

    def drain() -> None:
        buf = bytearray(MB)
        while b.recv_into(buf):
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    t = time.perf_counter()
    for _ in range(mb):
        a.sendall(chunk)
    a.close()
    reader.join()
    b.close()
    return mb / (time.perf_counter() - t)


def floors(n: int) -> None:
    record("exec true (ms)", "floor", [timed(lambda: subprocess.run(["/bin/true"], check=True)) for _ in range(n)])
    bwrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "/bin/true"]
    record("create+start (ms)", "floor", [timed(lambda: subprocess.run(bwrap, check=True)) for _ in range(n)])
    mbps = [socketpair_mbps(200) for _ in range(5)]
    record("files.write 100 MB (MB/s)", "floor", mbps)
    record("files.read 100 MB (MB/s)", "floor", mbps)


# ------------------------------------------------------------------------------------------- hutch


class HutchServer:
    def __init__(self) -> None:
        self.port = _free_port()
        self.key = "bench-" + secrets.token_hex(8)
        self.proc: subprocess.Popen[bytes] | None = None
        self.hutch = str(Path(sys.executable).with_name("hutch"))

    def __enter__(self) -> HutchServer:
        base = DATA_DIR / "templates" / "base"
        if not base.exists() and (BASE_ROOTFS / "meta.json").exists():
            base.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-a", "--reflink=auto", str(BASE_ROOTFS), str(base)], check=True)
        subprocess.run([self.hutch, "cleanup", "--data-dir", str(DATA_DIR)], check=False, capture_output=True)
        argv = [self.hutch, "serve", "--port", str(self.port), "--data-dir", str(DATA_DIR), "--api-key", self.key,
                "--log-level", "warning"]  # fmt: skip
        log = open(DATA_DIR / "serve.log", "ab")  # the child keeps it
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 900
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers={"X-API-Key": self.key}) as c:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    r = c.get("/templates/base")
                    if r.status_code == 200 and r.json()["ready"]:
                        os.environ["HUTCH_API_KEY"] = self.key
                        os.environ["HUTCH_DOMAIN"] = f"127.0.0.1:{self.port}"
                        time.sleep(2)  # the pool fills
                        return self
                if self.proc.poll() is not None:
                    raise SystemExit(f"hutch serve exited; see {DATA_DIR / 'serve.log'}")
                time.sleep(0.3)
        raise SystemExit("the base template did not become ready")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        subprocess.run([self.hutch, "cleanup", "--data-dir", str(DATA_DIR)], check=False, capture_output=True)


def hutch(n: int, burst: int) -> None:
    from hutch import AsyncSandbox, Sandbox

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with HutchServer():
        with Sandbox.create() as sbx:
            for _ in range(5):
                sbx.commands.run("true")
            record("exec true (ms)", "hutch", [timed(lambda: sbx.commands.run("true")) for _ in range(n * 4)])
            blob = os.urandom(100 * MB)
            w, r = [], []
            for _ in range(5):
                w.append(100 / timed(lambda: sbx.files.write("/tmp/big", blob)) * 1000)
                r.append(100 / timed(lambda: sbx.files.read("/tmp/big", format="bytes")) * 1000)
            sbx.files.remove("/tmp/big")
            record("files.write 100 MB (MB/s)", "hutch", w)
            record("files.read 100 MB (MB/s)", "hutch", r)
        creates, kills = [], []
        for _ in range(20):  # sequential creates, as a user would
            t = time.perf_counter()
            s = Sandbox.create()
            creates.append((time.perf_counter() - t) * 1000)
            kills.append(timed(s.kill))
        record("create+start (ms)", "hutch", creates)
        record("kill (ms)", "hutch", kills)
        time.sleep(5)  # the pool refills after the sequential creates: cold boots are timed on their own
        cold = []
        for _ in range(max(5, n // 5)):  # a disk size no pool holds: boots on the request path
            t = time.perf_counter()
            s = Sandbox.create(resources={"disk_mb": 2049})
            cold.append((time.perf_counter() - t) * 1000)
            s.kill()
        record("cold create (ms)", "hutch", cold)
        time.sleep(3)
        with Sandbox.create() as idle:
            time.sleep(2)
            mem = [idle.get_metrics_snapshot()["mem_used"] / MB for _ in range(3)]
        record("idle sandbox memory (MB)", "hutch", mem)

        async def one() -> None:
            s = await AsyncSandbox.create()
            await s.commands.run("true")
            await s.kill()

        async def fanout() -> float:
            t = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(burst)))
            return (time.perf_counter() - t) * 1000

        time.sleep(3)
        record(f"{burst} x (create, run, kill) gathered (ms)", "hutch", [asyncio.run(fanout())])


# ------------------------------------------------------------------------------------------ podman


@contextlib.contextmanager
def podman_service() -> Iterator[Any]:
    import podman  # bench-only: pip install '.[bench]'

    if shutil.which("podman") is None:
        raise SystemExit("podman is not installed (scripts/bench.sh installs it)")
    sock = Path(tempfile.mkdtemp(prefix="hutch-bench-podman-")) / "podman.sock"
    proc = subprocess.Popen(
        ["podman", "--runtime", "runc", "system", "service", "--time", "0", f"unix://{sock}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        with podman.PodmanClient(base_url=f"unix://{sock}") as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(sock.parent, ignore_errors=True)


def _import_image() -> None:
    if subprocess.run(["podman", "image", "exists", PODMAN_IMAGE], check=False).returncode == 0:
        return
    rootfs = BASE_ROOTFS / "rootfs"
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-q", "-", PODMAN_IMAGE], stdin=tar.stdout, check=True)
    tar.wait()


def _tar_of(name: str, data: bytes) -> bytes:
    import io

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def podman_part(n: int) -> None:
    _import_image()
    # runc (crun refuses this host's hybrid cgroups) and limits within the host's hard ones (podman's
    # defaults are above them here and the container would not start)
    limits = [{"Name": name, "Soft": 1024, "Hard": 1024} for name in ("nofile", "nproc")]
    opts = {"network_mode": "none", "detach": True, "command": ["sleep", "infinity"], "ulimits": limits}
    with podman_service() as client:
        c = client.containers.run(PODMAN_IMAGE, **opts)
        try:
            for _ in range(3):
                c.exec_run(["true"])
            record("exec true (ms)", "podman", [timed(lambda: c.exec_run(["true"])) for _ in range(n)])
            data = os.urandom(100 * MB)
            archive = _tar_of("big", data)
            w, r = [], []
            for _ in range(3):
                w.append(100 / timed(lambda: c.put_archive("/tmp", archive)) * 1000)
                r.append(100 / timed(lambda: b"".join(c.get_archive("/tmp/big")[0])) * 1000)
            record("files.write 100 MB (MB/s)", "podman", w)
            record("files.read 100 MB (MB/s)", "podman", r)
        finally:
            c.kill()
            c.remove(force=True)
        creates, kills = [], []
        for _ in range(20):
            t = time.perf_counter()
            c = client.containers.run(PODMAN_IMAGE, **opts)
            creates.append((time.perf_counter() - t) * 1000)
            kills.append(timed(lambda c=c: (c.kill(), c.remove(force=True))))  # SIGKILL, as hutch's kill
        record("create+start (ms)", "podman", creates)
        record("cold create (ms)", "podman", creates)
        record("kill (ms)", "podman", kills)


# ------------------------------------------------------------------------------------------- table


def _cell(samples: Samples | None) -> str:
    if not samples:
        return f"{'-':>17s}"
    return f"{statistics.median(samples):8.1f} {pct(samples, 95):8.1f}"


def print_table() -> None:
    load = os.getloadavg()
    loads = " ".join(f"{x:.2f}" for x in load)
    print(f"\nissue 17 figures, one run ({os.cpu_count()} CPUs, load average {loads})")
    head = f"{'figure':40s} {'hutch p50':>8s} {'p95':>8s} {'podman p50':>8s} {'p95':>8s} {'floor p50':>8s} {'p95':>8s}"
    print(head + f" {'podman/hutch':>13s} {'hutch/floor':>12s}")
    for figure, cols in results.items():
        h, p, f = cols.get("hutch"), cols.get("podman"), cols.get("floor")
        throughput = "MB/s" in figure
        line = f"{figure:40s} {_cell(h)} {_cell(p)} {_cell(f)}"
        ratio_p = ratio_f = "-"
        if h and p:
            hm, pm = statistics.median(h), statistics.median(p)
            ratio_p = f"{(hm / pm if throughput else pm / hm):.1f}x"
        if h and f:
            ratio_f = f"{statistics.median(h) / statistics.median(f):.2f}"
        print(f"{line} {ratio_p:>13s} {ratio_f:>12s}")
    print("podman/hutch: how many times faster hutch is (for throughput: hutch/podman);")
    print("hutch/floor: hutch as a multiple of the floor")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", default="floors,hutch,podman", help="comma-separated: floors, hutch, podman")
    ap.add_argument("-n", type=int, default=50, help="samples per latency figure")
    ap.add_argument("--burst", type=int, default=50, help="sandboxes in the gathered burst")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    parts = set(args.part.split(","))
    t0 = time.monotonic()
    if "floors" in parts:
        floors(args.n)
    if "hutch" in parts:
        hutch(args.n, args.burst)
    if "podman" in parts:
        podman_part(args.n)
    print_table()
    print(f"({time.monotonic() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
