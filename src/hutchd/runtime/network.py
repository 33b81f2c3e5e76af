"""Sandbox networking: loopback only, or slirp4netns (user-mode NAT) plus an nftables egress filter.

The sandbox always gets its own network namespace. With internet on, slirp4netns attaches a
tap device to it from the host side; `--disable-host-loopback` stops 10.0.2.2 reaching the
host's 127.0.0.1, and the nft table (applied inside the sandbox netns, which the sandbox has
no CAP_NET_ADMIN over) drops private, link-local and CGNAT destinations.
"""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hutchd.runtime.netpolicy import RESOLVER_ADDRESS

SLIRP_DNS = "10.0.2.3"
TAP = "tap0"  # the interface slirp4netns makes in the sandbox netns
NFT_TABLE = "hutch"


@dataclass(frozen=True)
class EgressPolicy:
    """What a sandbox may reach. Rules are evaluated in order: allow, deny, then accept the rest."""

    allow: tuple[str, ...] = field(default_factory=tuple)  # ip/cidr always reachable (before deny)
    deny_v4: tuple[str, ...] = (
        "0.0.0.0/8",
        "10.0.0.0/8",  # includes 10.0.2.2, slirp's alias for the host
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/3",
    )
    deny_v6: tuple[str, ...] = ("::1/128", "fc00::/7", "fe80::/10", "ff00::/8")


DEFAULT_POLICY = EgressPolicy()


def egress_ruleset(policy: EgressPolicy = DEFAULT_POLICY) -> str:
    """The nft script for one sandbox netns; re-applying it replaces the previous table atomically."""
    allow_v4 = [a for a in policy.allow if ":" not in a]
    allow_v6 = [a for a in policy.allow if ":" in a]
    lines = [
        f"table inet {NFT_TABLE}",  # declare, then delete: makes the script idempotent
        f"delete table inet {NFT_TABLE}",
        f"table inet {NFT_TABLE} {{",
        "  chain egress {",
        "    type filter hook output priority 0; policy accept;",
        '    oifname "lo" accept',
        f"    ip daddr {SLIRP_DNS} meta l4proto {{ udp, tcp }} th dport 53 accept",
    ]
    if allow_v4:
        lines.append(f"    ip daddr {{ {', '.join(allow_v4)} }} accept")
    if allow_v6:
        lines.append(f"    ip6 daddr {{ {', '.join(allow_v6)} }} accept")
    lines += [
        f"    ip daddr {{ {', '.join(policy.deny_v4)} }} counter reject with icmpx type admin-prohibited",
        f"    ip6 daddr {{ {', '.join(policy.deny_v6)} }} counter reject with icmpx type admin-prohibited",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def resolv_conf() -> str:
    # The per-sandbox resolver of egress.py (on the sandbox's loopback), not slirp's 10.0.2.3: it
    # enforces the name rules of the sandbox's network policy.
    return f"nameserver {RESOLVER_ADDRESS}\n"


def apply_egress(netns_pid: int, policy: EgressPolicy = DEFAULT_POLICY) -> None:
    """Load the egress table inside the sandbox netns (also allows unprivileged ICMP echo, since the
    sandbox has no CAP_NET_RAW)."""
    script = 'echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range && exec nft -f -'
    proc = subprocess.run(
        ["nsenter", f"--net=/proc/{netns_pid}/ns/net", "--", "sh", "-c", script],
        input=egress_ruleset(policy), text=True, capture_output=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise OSError(f"applying the sandbox egress filter failed: {proc.stderr.strip()}")


def has_interface(netns_pid: int) -> bool:
    """Whether slirp4netns's interface is in the netns of `netns_pid` (it goes when slirp4netns does)."""
    try:
        lines = Path(f"/proc/{netns_pid}/net/dev").read_text().splitlines()
    except OSError:
        return False
    return any(line.strip().startswith(f"{TAP}:") for line in lines)


def start_slirp(
    netns_pid: int, preexec: Callable[[], None], log: Path, timeout: float = 30.0
) -> subprocess.Popen[bytes]:
    """Start slirp4netns for the netns of `netns_pid`; returns once it reports the tap is configured.

    It either reports or exits (which ends the wait at once), so `timeout` only catches a hang: a
    hundred creates at once on two busy cores have taken longer than 5 s.
    """
    ready_r, ready_w = os.pipe()
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
                pass_fds=(ready_w,), start_new_session=True, preexec_fn=preexec,
            )  # fmt: skip
    finally:
        os.close(ready_w)
    try:
        readable, _, _ = select.select([ready_r], [], [], timeout)
        ok = bool(readable) and os.read(ready_r, 1) == b"1"
    finally:
        os.close(ready_r)
    if not ok:
        proc.kill()
        proc.wait()
        raise OSError(f"slirp4netns did not come up: {log.read_text(errors='replace').strip()[-2000:]}")
    return proc
