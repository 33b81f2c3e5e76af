"""Sandbox networking: loopback only, or slirp4netns (user-mode NAT) plus an nftables egress filter.

The sandbox always gets its own network namespace. With internet on, slirp4netns attaches a
tap device to it from the host side; `--disable-host-loopback` stops 10.0.2.2 reaching the
host's 127.0.0.1, and the nft table of egress.py (applied inside the sandbox netns, which the
sandbox has no CAP_NET_ADMIN over) drops private, link-local and CGNAT destinations.
"""

from __future__ import annotations

import os
import select
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hutchd.runtime.netpolicy import RESOLVER_ADDRESS

TAP = "tap0"  # the interface slirp4netns makes in the sandbox netns


def resolv_conf() -> str:
    # The per-sandbox resolver of egress.py (on the sandbox's loopback), not slirp's 10.0.2.3: it
    # enforces the name rules of the sandbox's network policy.
    return f"nameserver {RESOLVER_ADDRESS}\n"


def has_interface(netns_pid: int) -> bool:
    """Whether slirp4netns's interface is in the netns of `netns_pid` (it goes when slirp4netns does)."""
    try:
        lines = Path(f"/proc/{netns_pid}/net/dev").read_text().splitlines()
    except OSError:
        return False
    return any(line.strip().startswith(f"{TAP}:") for line in lines)


@dataclass
class Slirp:
    """A slirp4netns that was spawned and may not be ready yet (`wait_ready`)."""

    proc: subprocess.Popen[bytes]
    ready_fd: int
    log: Path

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until it reports the tap configured; killed (and OSError) if it does not in time. It either
        reports or exits (which ends the wait at once), so `timeout` only catches a hang: a hundred
        creates at once on two busy cores have taken longer than 5 s."""
        try:
            readable, _, _ = select.select([self.ready_fd], [], [], timeout)
            ok = bool(readable) and os.read(self.ready_fd, 1) == b"1"
        finally:
            os.close(self.ready_fd)
        if not ok:
            self.proc.kill()
            self.proc.wait()
            raise OSError(f"slirp4netns did not come up: {self.log.read_text(errors='replace').strip()[-2000:]}")

    def forget(self) -> None:
        """Stop waiting for it (whoever kills it reaps it)."""
        os.close(self.ready_fd)


def spawn_slirp(netns_pid: int, cgroup_procs: list[str], log: Path) -> Slirp:
    """Start slirp4netns for the netns of `netns_pid` and move it into the sandbox's cgroups (so kill
    and limits cover it), without waiting for it to be ready (its start overlaps the agent's). Spawned
    without a preexec hook, so without a fork of this (large, threaded) process."""
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    try:
        with open(log, "ab") as log_file:
            proc = subprocess.Popen(
                [
                    "slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback",
                    "--enable-sandbox", "--enable-seccomp",
                    f"--userns-path=/proc/{netns_pid}/ns/user", "--netns-type=path",
                    f"--ready-fd={ready_w}", f"/proc/{netns_pid}/ns/net", TAP,
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file,
                pass_fds=(ready_w,), start_new_session=True,
            )  # fmt: skip
    except BaseException:
        os.close(ready_r)
        raise
    finally:
        os.close(ready_w)
    try:
        for path in cgroup_procs:
            with open(path, "w") as f:
                f.write(str(proc.pid))
    except BaseException:
        os.close(ready_r)
        proc.kill()
        proc.wait()
        raise
    return Slirp(proc, ready_r, log)


def start_slirp(netns_pid: int, cgroup_procs: list[str], log: Path, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Start slirp4netns for the netns of `netns_pid`; returns once it reports the tap is configured."""
    slirp = spawn_slirp(netns_pid, cgroup_procs, log)
    slirp.wait_ready(timeout)
    return slirp.proc
