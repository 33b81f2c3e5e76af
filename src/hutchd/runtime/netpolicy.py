"""Egress policy: parse and check `allowOut`/`denyOut` entries, decide names, compile to nftables.

Pure: no I/O, no subprocesses. `egress.py` applies what this module computes.

Semantics (README, "Network"):

* Entries are IPv4/IPv6 addresses, CIDRs, domain names (`example.com`, exact) and wildcards
  (`*.example.com`: every name below example.com, not example.com itself).
* A deny entry wins over an allow entry. The catch-alls `0.0.0.0/0` and `::/0` in `denyOut` are the
  exception: they set the default for their address family ("everything else is refused") rather than
  overriding allows, so E2B's `deny_out=[ALL_TRAFFIC], allow_out=[...]` means "only these".
* `allowOut` alone means "only these" (the default becomes refuse, for both families).
* In allow-list mode only names that an allow entry matches are resolved at all, so DNS cannot carry
  data out; IPs those names resolve to are pinned into the allow sets for as long as the answer's TTL
  (at least PIN_MIN_SECONDS). IPs of denied names are pinned into the deny sets, so dialling them
  directly is refused too.
* Host-private, loopback, link-local, CGNAT, multicast and ULA ranges and the host's own addresses are
  refused whatever the policy says; an allow entry lying wholly inside them is an error, since it could
  never take effect.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Verdict = Literal["allow", "deny", "unlisted"]

NFT_TABLE = "hutch"  # the same table runtime/network.py creates: applying ours replaces it
RESOLVER_ADDRESS = "127.0.0.53"  # the sandbox's resolver, on its own loopback
PROXY_TABLE = "hutch_proxy"
PROXY_ADDRESS = "127.0.0.52"  # the egress proxy's listener, on the sandbox's loopback
PROXY_MARK = 0x68757470  # SO_MARK of the proxy's own upstream sockets (the sandbox cannot set marks)
MITM_ADDRESS = "127.0.0.51"  # the decrypting proxy's listener (runtime/mitm.py)
MITM_UID = 65534  # the host user it runs as: nobody, outside every sandbox's host uid range (100000 and up)
PROXIED_PORTS = (80, 443)
MAX_ENTRIES = 256
MAX_ENTRY_LENGTH = 253
PIN_MIN_SECONDS = 900  # a pinned answer outlives a short TTL: programs cache lookups longer than TTLs
DENY_PIN_MIN_SECONDS = 3600
ALL_V4 = ipaddress.ip_network("0.0.0.0/0")
ALL_V6 = ipaddress.ip_network("::/0")

# Never reachable, whatever the policy (the reason is named in errors).
ALWAYS_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", "private; it includes slirp's alias for the host, 10.0.2.2"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata services live here)"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("224.0.0.0/3", "multicast and reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
)
_BLOCKED_NETS = [(ipaddress.ip_network(n), why) for n, why in ALWAYS_BLOCKED]
# DNS and DNS-over-TLS go to the sandbox's resolver only.
DNS_PORTS = (53, 853)

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class PolicyError(ValueError):
    """A policy entry or list that cannot be accepted; the message names the entry and why."""


@dataclass(frozen=True)
class Entry:
    """One parsed entry: `kind` is net, name or wildcard; `value` is the normalised text."""

    kind: Literal["net", "name", "wildcard"]
    value: str

    @property
    def network(self) -> IPNetwork:
        return ipaddress.ip_network(self.value, strict=False)


def parse_entry(raw: object, where: str = "entry") -> Entry:
    """An IP, CIDR, domain name or `*.domain`; PolicyError naming `where` and the entry otherwise."""
    if not isinstance(raw, str):
        raise PolicyError(f"{where} must be a string (an IP, CIDR or domain name), not {json.dumps(raw)[:60]}")
    text = raw.strip()
    shown = repr(raw[:80])
    if not text:
        raise PolicyError(f"{where} is empty: give an IP address, a CIDR or a domain name")
    if len(text) > MAX_ENTRY_LENGTH:
        raise PolicyError(f"{where} {shown} is longer than {MAX_ENTRY_LENGTH} characters")
    if "://" in text or ("/" in text and not _looks_like_ip(text.split("/", 1)[0])):
        raise PolicyError(f"{where} {shown} is a URL or path: give only the host name, IP or CIDR")
    if "/" in text and not _looks_like_cidr(text):
        raise PolicyError(f"{where} {shown} is not a valid CIDR (address/prefix length)")
    if _looks_like_cidr(text) or _looks_like_ip(text):
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as e:
            raise PolicyError(f"{where} {shown} is not a valid IP address or CIDR: {e}") from None
        if "/" in text:
            return Entry("net", str(net))
        return Entry("net", str(net.network_address))
    if any(c.isspace() for c in text):
        raise PolicyError(f"{where} {shown} contains whitespace")
    if not text.isascii():
        raise PolicyError(f"{where} {shown}: give internationalised domain names in their ASCII form (xn--...)")
    name = text.lower().rstrip(".")
    if name == "*":
        raise PolicyError(
            f"{where} {shown}: a bare * is not accepted; use 0.0.0.0/0 and ::/0 for every address, "
            "or *.example.com for the names below a domain"
        )
    if name.count(":") > 1:
        raise PolicyError(f"{where} {shown} is not a valid IPv6 address or CIDR")
    if ":" in name:
        raise PolicyError(f"{where} {shown} has a port: give only the host name (all ports are covered)")
    wildcard = name.startswith("*.")
    if wildcard:
        name = name[2:]
    if "*" in name:
        raise PolicyError(f"{where} {shown}: a wildcard is only allowed as the first label, as in *.example.com")
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            raise PolicyError(
                f"{where} {shown} is not a valid domain name (label {label[:63]!r}: letters, digits, '-' and '_', "
                "1 to 63 characters, not starting or ending with '-')"
            )
    if labels[-1].isdigit():
        raise PolicyError(f"{where} {shown} is neither a valid IP address nor a domain name")
    return Entry("wildcard" if wildcard else "name", ("*." if wildcard else "") + name)


def _looks_like_ip(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+", text)) or (":" in text and bool(re.fullmatch(r"[0-9a-fA-F:.%]+", text)))


def _looks_like_cidr(text: str) -> bool:
    addr, sep, bits = text.partition("/")
    return bool(sep) and bits.isdigit() and _looks_like_ip(addr)


def blocked_reason(net: IPNetwork) -> str | None:
    """Why `net` can never be reached (it lies wholly inside an always-blocked range), or None."""
    for blocked, why in _BLOCKED_NETS:
        if net.version == blocked.version and net.subnet_of(blocked):  # type: ignore[arg-type]
            return f"{blocked} ({why})"
    return None


def _parse_list(raw: object, field_name: str) -> list[Entry]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise PolicyError(f"{field_name} must be a list of IPs, CIDRs or domain names")
    if len(raw) > MAX_ENTRIES:
        raise PolicyError(f"{field_name} has {len(raw)} entries; at most {MAX_ENTRIES} are allowed")
    out: list[Entry] = []
    for i, item in enumerate(raw):
        entry = parse_entry(item, f"{field_name}[{i}]")
        if entry not in out:
            out.append(entry)
    return out


@dataclass(frozen=True)
class NetworkPolicy:
    """A sandbox's egress policy (normalised entries), whether its exposed ports are public and the `Host`
    their servers see (`mask_request_host`, `${PORT}` replaced; None: `localhost:<port>`)."""

    allow_out: tuple[str, ...] = ()
    deny_out: tuple[str, ...] = ()
    allow_public_traffic: bool = True
    mask_request_host: str | None = None
    _allow: tuple[Entry, ...] = field(default=(), repr=False, compare=False)
    _deny: tuple[Entry, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def build(
        cls,
        allow_out: Sequence[object] | None = None,
        deny_out: Sequence[object] | None = None,
        allow_public_traffic: bool = True,
        *,
        prefix: str = "",
        mask_request_host: str | None = None,
    ) -> NetworkPolicy:
        """Check and normalise; PolicyError names the first bad entry (`prefix` + allowOut[i])."""
        allow = _parse_list(allow_out, f"{prefix}allowOut")
        deny = _parse_list(deny_out, f"{prefix}denyOut")
        for i, entry in enumerate(allow):
            if entry.kind == "net" and (why := blocked_reason(entry.network)):
                raise PolicyError(
                    f"{prefix}allowOut[{i}] {entry.value!r} lies in {why}, which sandboxes can never reach"
                )
        return cls(
            allow_out=tuple(e.value for e in allow),
            deny_out=tuple(e.value for e in deny),
            allow_public_traffic=bool(allow_public_traffic),
            mask_request_host=mask_request_host,
            _allow=tuple(allow),
            _deny=tuple(deny),
        )

    @classmethod
    def deny_all(cls, allow_public_traffic: bool = True, mask_request_host: str | None = None) -> NetworkPolicy:
        """`allow_internet_access=False`."""
        return cls.build(
            deny_out=[str(ALL_V4), str(ALL_V6)],
            allow_public_traffic=allow_public_traffic,
            mask_request_host=mask_request_host,
        )

    def __post_init__(self) -> None:
        if (self.allow_out or self.deny_out) and not (self._allow or self._deny):
            # Built directly (e.g. from JSON): parse now so the derived views are always there.
            rebuilt = NetworkPolicy.build(self.allow_out, self.deny_out, self.allow_public_traffic)
            object.__setattr__(self, "_allow", rebuilt._allow)
            object.__setattr__(self, "_deny", rebuilt._deny)

    # ---------------------------------------------------------------- derived views

    def _nets(self, entries: Iterable[Entry], version: int) -> list[IPNetwork]:
        return [e.network for e in entries if e.kind == "net" and e.network.version == version]

    def allow_nets(self, version: int) -> list[IPNetwork]:
        return self._nets(self._allow, version)

    def deny_nets(self, version: int) -> list[IPNetwork]:
        """Deny CIDRs other than the catch-all, which only sets the default."""
        everything = ALL_V4 if version == 4 else ALL_V6
        return [n for n in self._nets(self._deny, version) if n != everything]

    def default_deny(self, version: int) -> bool:
        """Whether a destination that no entry matches is refused."""
        everything = ALL_V4 if version == 4 else ALL_V6
        return bool(self._allow) or everything in self._nets(self._deny, version)

    @property
    def names_restricted(self) -> bool:
        """Allow-list mode for names: only names an allow entry matches are resolved."""
        return self.default_deny(4) and ALL_V4 not in self.allow_nets(4)

    @property
    def denies_everything(self) -> bool:
        return self.default_deny(4) and self.default_deny(6) and not self._allow

    def allow_names(self) -> list[str]:
        """Exact allowed names (pre-resolved when the policy is applied)."""
        return [e.value for e in self._allow if e.kind == "name"]

    def named_entries(self) -> list[str]:
        """Every entry by name or wildcard, allowed or denied (what an address filter cannot hold)."""
        return [e.value for e in (*self._allow, *self._deny) if e.kind != "net"]

    def deny_names(self) -> list[str]:
        """Exact denied names (pre-resolved and refreshed, so their IPs stay refused)."""
        return [e.value for e in self._deny if e.kind == "name"]

    def name_verdict(self, name: str) -> Verdict:
        """What the policy says about a DNS name (deny wins over allow)."""
        name = name.lower().rstrip(".")
        if any(_name_matches(e, name) for e in self._deny):
            return "deny"
        if any(_name_matches(e, name) for e in self._allow):
            return "allow"
        return "unlisted"

    def resolves(self, name: str) -> bool:
        """Whether the sandbox's resolver answers `name` (rather than NXDOMAIN, without asking upstream)."""
        verdict = self.name_verdict(name)
        return verdict == "allow" or (verdict == "unlisted" and not self.names_restricted)

    def traffic_refusal(self, name: str | None, address: str) -> str | None:
        """Why the egress proxy refuses a connection to `address` whose traffic names `name` (TLS SNI,
        HTTP Host; None when it names none), or None to let it through. The address rules have already
        passed (the nft table judged the destination first). An explicit allow entry for the address
        admits any name the deny entries do not refuse; otherwise, with an allow list, the name must be
        allowed, and traffic that names nothing is refused."""
        if name is not None and self.name_verdict(name) == "deny":
            return f"{name} is denied by the sandbox's network policy"
        ip = ipaddress.ip_address(address)
        if any(ip in net for net in self.allow_nets(ip.version)) or not self.names_restricted:
            return None
        if name is None:
            return f"traffic to {address} names no host (TLS SNI or HTTP Host) and only listed names are allowed"
        if self.name_verdict(name) != "allow":
            return f"{name} is not in the sandbox's allow list"
        return None

    # ---------------------------------------------------------------- (de)serialisation

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "allowOut": list(self.allow_out),
            "denyOut": list(self.deny_out),
            "allowPublicTraffic": self.allow_public_traffic,
        }
        if self.mask_request_host is not None:
            out["maskRequestHost"] = self.mask_request_host
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_api(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> NetworkPolicy:
        if not text:
            return cls()
        d = json.loads(text)
        return cls.build(
            d.get("allowOut"), d.get("denyOut"), d.get("allowPublicTraffic", True),
            mask_request_host=d.get("maskRequestHost"),
        )  # fmt: skip

    def with_public_traffic(self, allow_public_traffic: bool) -> NetworkPolicy:
        return NetworkPolicy.build(
            self.allow_out, self.deny_out, allow_public_traffic, mask_request_host=self.mask_request_host
        )

    def request_host(self, port: int) -> str:
        """The `Host` a request relayed to `port` carries."""
        if self.mask_request_host is None:
            return f"localhost:{port}"
        return self.mask_request_host.replace("${PORT}", str(port))


def _name_matches(entry: Entry, name: str) -> bool:
    if entry.kind == "name":
        return name == entry.value
    if entry.kind == "wildcard":
        return name.endswith(entry.value[1:])  # "*.example.com" -> ".example.com"
    return False


# -------------------------------------------------------------------- nftables


@dataclass(frozen=True)
class Pin:
    """An address learned from a DNS answer, kept in a timeout set for `seconds`."""

    address: str
    seconds: int
    deny: bool


def pin_set(pin: Pin) -> str:
    version = ipaddress.ip_address(pin.address).version
    return f"pin_{'deny' if pin.deny else 'allow'}{version}"


def _elements(items: Iterable[str]) -> str:
    items = list(items)
    return f" elements = {{ {', '.join(items)} }};" if items else ""


def _host_nets(host_addresses: Iterable[str], version: int) -> list[str]:
    out = []
    for a in host_addresses:
        try:
            ip = ipaddress.ip_address(a.split("%", 1)[0])
        except ValueError:
            continue
        if ip.version == version:
            out.append(str(ip))
    return out


def ruleset(
    policy: NetworkPolicy,
    *,
    generation: int,
    host_addresses: Iterable[str] = (),
    pins: Iterable[Pin] = (),
) -> str:
    """The whole `inet hutch` table for one sandbox netns, as one atomic `nft -f` script.

    Re-applying replaces the previous table in the same transaction (no moment without a filter).
    Established connections carry the generation in their conntrack mark: after an update (a new
    generation) each one is judged again by the new rules on its next packet, so a destination the
    update refuses stops working at once, without restarting anything.
    """
    if not 0 < generation < 2**31:
        raise ValueError("generation must be a positive 31-bit number")
    host = list(host_addresses)
    pins = list(pins)
    blocked = {4: [n for n, _ in ALWAYS_BLOCKED if ":" not in n], 6: [n for n, _ in ALWAYS_BLOCKED if ":" in n]}
    gen = f"0x{generation:08x}"
    reject = "counter reject with icmpx type admin-prohibited"
    lines = [
        f"table inet {NFT_TABLE}",  # declare, then delete: idempotent whether or not it existed
        f"delete table inet {NFT_TABLE}",
        f"table inet {NFT_TABLE} {{",
    ]
    for v, family in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        lines.append(
            f"  set blocked{v} {{ type {family}; flags interval; auto-merge;"
            f"{_elements([*blocked[v], *_host_nets(host, v)])} }}"
        )
        lines.append(
            f"  set deny{v} {{ type {family}; flags interval; auto-merge;"
            f"{_elements(str(n) for n in policy.deny_nets(v))} }}"
        )
        lines.append(
            f"  set allow{v} {{ type {family}; flags interval; auto-merge;"
            f"{_elements(str(n) for n in policy.allow_nets(v))} }}"
        )
        for kind in ("deny", "allow"):
            mine = [p for p in pins if p.deny == (kind == "deny") and ipaddress.ip_address(p.address).version == v]
            lines.append(
                f"  set pin_{kind}{v} {{ type {family}; flags timeout;"
                f"{_elements(f'{p.address} timeout {max(1, p.seconds)}s' for p in mine)} }}"
            )
    lines += [
        "  chain egress {",
        # Before NAT (-100): the egress proxy's redirect must not hide the destination from these rules.
        "    type filter hook output priority -150; policy accept;",
        '    oifname "lo" accept',
        f"    ip daddr @blocked4 {reject}",
        f"    ip6 daddr @blocked6 {reject}",
        f"    meta l4proto {{ tcp, udp }} th dport {{ {', '.join(map(str, DNS_PORTS))} }} {reject}",
        f"    ct state established,related ct mark {gen} accept",
        f"    ip daddr @deny4 {reject}",
        f"    ip6 daddr @deny6 {reject}",
        f"    ip daddr @pin_deny4 {reject}",
        f"    ip6 daddr @pin_deny6 {reject}",
        f"    ip daddr @allow4 ct mark set {gen} accept",
        f"    ip6 daddr @allow6 ct mark set {gen} accept",
        f"    ip daddr @pin_allow4 ct mark set {gen} accept",
        f"    ip6 daddr @pin_allow6 ct mark set {gen} accept",
        f"    meta nfproto ipv4 {reject if policy.default_deny(4) else f'ct mark set {gen} accept'}",
        f"    meta nfproto ipv6 {reject if policy.default_deny(6) else f'ct mark set {gen} accept'}",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def add_pins_script(pins: Iterable[Pin]) -> str:
    """`nft -f` lines that add (or refresh the timeout of) pinned addresses."""
    return "".join(
        f"add element inet {NFT_TABLE} {pin_set(p)} {{ {p.address} timeout {max(1, p.seconds)}s }}\n" for p in pins
    )


def host_blocked_script(host_addresses: Iterable[str]) -> str:
    """Replace the always-blocked sets (after the host's own addresses changed)."""
    host = list(host_addresses)
    lines = []
    for v in (4, 6):
        nets = [n for n, _ in ALWAYS_BLOCKED if (":" in n) == (v == 6)] + _host_nets(host, v)
        lines.append(f"flush set inet {NFT_TABLE} blocked{v}")
        lines.append(f"add element inet {NFT_TABLE} blocked{v} {{ {', '.join(nets)} }}")
    return "\n".join(lines) + "\n"


def proxy_ruleset(port: int | None) -> str:
    """The `inet hutch_proxy` table: new TCP connections to ports 80 and 443 that leave the sandbox go
    to the egress proxy listening on PROXY_ADDRESS:`port`, except the proxy's own (marked) ones. The
    decrypting proxy's are redirected too: the proxy knows them by their host uid, which nft cannot
    see (it shows uids as the sandbox's user namespace maps them). With `port` None (the proxy is not
    running) those connections are refused instead: egress through the proxy fails closed. The egress
    table judges the original destination first (it runs before NAT). Both listeners refuse whatever
    was not sent to them by the redirect (the proxy's) or by the proxy (the decrypting one's)."""
    ports = ", ".join(map(str, PROXIED_PORTS))
    lines = [f"table inet {PROXY_TABLE}", f"delete table inet {PROXY_TABLE}", f"table inet {PROXY_TABLE} {{"]
    lines += [
        "  chain guard {",
        "    type filter hook output priority 0; policy accept;",
        f"    ip daddr {PROXY_ADDRESS} ct status dnat accept",
        f"    ip daddr {MITM_ADDRESS} meta mark {PROXY_MARK:#x} accept",
        f"    ip daddr {{ {PROXY_ADDRESS}, {MITM_ADDRESS} }} counter reject with icmpx type admin-prohibited",
        "  }",
    ]
    if port is None:
        lines += [
            "  chain closed {",
            "    type filter hook output priority -140; policy accept;",
            '    oifname "lo" accept',
            f"    meta mark {PROXY_MARK:#x} accept",
            f"    tcp dport {{ {ports} }} counter reject with tcp reset",
            "  }",
        ]
    else:
        lines += [
            "  chain to_proxy {",
            "    type nat hook output priority -100; policy accept;",
            '    oifname "lo" accept',
            f"    meta mark {PROXY_MARK:#x} accept",
            f"    meta nfproto ipv4 tcp dport {{ {ports} }} dnat ip to {PROXY_ADDRESS}:{port}",
            "  }",
        ]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def no_proxy_script() -> str:
    return f"table inet {PROXY_TABLE}\ndelete table inet {PROXY_TABLE}\n"
