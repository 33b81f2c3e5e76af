"""Per-sandbox egress enforcement: the nft table of `netpolicy` and a resolver the sandbox cannot touch.

The resolver's sockets are created by this (host) process *inside the sandbox's network namespace*
(a short-lived thread `setns`es into it, binds 127.0.0.53:53 over UDP and TCP, and exits; a socket
stays in the namespace it was made in) and served from the host. The sandbox's resolv.conf points
there; the nft table refuses DNS (53, 853) to anywhere else. Names are decided by the policy:

* denied names (and, in allow-list mode, names no allow entry matches) answer NXDOMAIN without
  asking upstream; a denied name is still resolved host-side so its addresses go into the deny pins;
* allowed names are resolved upstream (the host's own resolv.conf) or from the server's hosts file,
  and in allow-list mode their addresses are pinned into the allow sets *before* the answer is sent;
* a CNAME chain through a denied name counts as denied.

AAAA questions get an empty answer: sandboxes have no IPv6 route (slirp4netns runs without it).

Each sandbox has a share of the resolver (dnslimit.py): `DNS_RATE` answered questions a second, the
rest REFUSED and, past as many refusals, dropped while its socket is left unread; answers are worked
on round robin between sandboxes, `DNS_CONCURRENCY` at a time each, so a flood (or a slow upstream
for one sandbox's names) leaves other sandboxes' lookups as fast as before.

Everything is kept in the kernel (the nft table) or on disk (`<sandbox dir>/network.json`), so a
restarted server re-creates the sockets and leaves the table as it was (`attach(..., recovering=True)`).
Pins learned before a restart stay in the kernel's sets until they time out.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import secrets
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hutchd.runtime import dnswire as w
from hutchd.runtime import netns, nft
from hutchd.runtime.dnslimit import FairPool, QueryLimiter, Verdict
from hutchd.runtime.mitm import Secret
from hutchd.runtime.netpolicy import (
    DENY_PIN_MIN_SECONDS,
    NFT_TABLE,
    PIN_MIN_SECONDS,
    RESOLVER_ADDRESS,
    NetworkPolicy,
    Pin,
    add_pins_script,
    host_blocked_script,
    no_proxy_script,
    proxy_ruleset,
    ruleset,
)
from hutchd.runtime.proxy import EgressProxy

log = logging.getLogger("hutchd.egress")

STATE_FILE = "network.json"
HOSTS_TTL = 60
UPSTREAM_TIMEOUT = 2.0
MAX_PENDING = 32  # UDP questions of one sandbox waiting for an answerer; more are refused
DNS_RATE = 200.0  # answered questions a second per sandbox (pip, apt, crawlers ask far fewer)
DNS_BURST = 400.0
DNS_CONCURRENCY = 4  # answerers one sandbox may hold at once, of ANSWERERS
ANSWERERS = 16
PARK_MIN_SECONDS = 0.02  # a sandbox past its refusals is not read for at least this long
MAX_TCP_CONNECTIONS = 16
MAINTENANCE_INTERVAL = 30.0


class EgressError(OSError):
    """Applying a policy or setting up the resolver failed."""


# ------------------------------------------------------------------------ names the host knows


class HostsFile:
    """An /etc/hosts-format file whose names the resolver answers before asking upstream; re-read
    whenever it changes (tests add their hosts to it while the server runs)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._names: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def lookup(self, name: str) -> list[str] | None:
        """The addresses of `name`, or None when the file does not list it."""
        if self.path is None:
            return None
        with self._lock:
            try:
                st = self.path.stat()
            except OSError:
                self._stamp, self._names = None, {}
                return None
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._names = parse_hosts(self.path.read_text(errors="replace"))
                self._stamp = stamp
            return self._names.get(name.lower().rstrip("."))


def parse_hosts(text: str) -> dict[str, list[str]]:
    import ipaddress

    names: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            addr = str(ipaddress.ip_address(fields[0]))
        except ValueError:
            continue
        for name in fields[1:]:
            found = names.setdefault(name.lower().rstrip("."), [])
            if addr not in found:
                found.append(addr)
    return names


class Upstream:
    """The host's own nameservers (its resolv.conf), asked from the host's network namespace."""

    def __init__(self, resolv_conf: Path = Path("/etc/resolv.conf")) -> None:
        self.resolv_conf = resolv_conf
        self._stamp: float | None = None
        self._servers: list[str] = []

    def servers(self) -> list[str]:
        try:
            mtime = self.resolv_conf.stat().st_mtime
        except OSError:
            return ["127.0.0.1"]
        if mtime != self._stamp:
            found = []
            for line in self.resolv_conf.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    found.append(parts[1])
            self._servers, self._stamp = found or ["127.0.0.1"], mtime
        return self._servers

    def query(self, message: bytes) -> bytes:
        """Send a query (any id) and return the matching response with the query's id; OSError if no
        server answers."""
        q = w.parse_question(message)
        last: Exception = OSError("no nameserver configured")
        for server in self.servers():
            qid = secrets.randbits(16)
            try:
                raw = self._udp(server, w.with_id(message, qid), qid, q.name)
                if w.parse_answer(raw).truncated:
                    raw = self._tcp(server, w.with_id(message, qid), qid)
                return w.with_id(raw, q.id)
            except (OSError, w.DnsError) as e:
                last = e
        raise OSError(f"no upstream nameserver answered for {q.name}: {last}")

    def _udp(self, server: str, message: bytes, qid: int, name: str) -> bytes:
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(UPSTREAM_TIMEOUT)
            s.connect((server, 53))
            s.send(message)
            deadline = time.monotonic() + UPSTREAM_TIMEOUT
            while True:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                raw = s.recv(65535)
                ans = w.parse_answer(raw)
                if ans.id == qid and ans.question == name:
                    return raw

    def _tcp(self, server: str, message: bytes, qid: int) -> bytes:
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(UPSTREAM_TIMEOUT)
            s.connect((server, 53))
            s.sendall(struct.pack("!H", len(message)) + message)
            raw = _recv_framed(s)
            if raw is None or w.parse_answer(raw).id != qid:
                raise OSError("bad TCP answer")
            return raw


def _recv_exact(s: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _recv_framed(s: socket.socket) -> bytes | None:
    head = _recv_exact(s, 2)
    if head is None:
        return None
    return _recv_exact(s, struct.unpack("!H", head)[0])


# ------------------------------------------------------------------------ host state


_host_cache: tuple[float, list[str]] = (0.0, [])


def host_addresses(max_age: float = 5.0) -> list[str]:
    """Every address of the host's interfaces (a sandbox must not reach the host through them): the
    IPv4 ones the kernel delivers locally, and every IPv6 one, read from /proc (no `ip` process)."""
    global _host_cache
    now = time.monotonic()
    if now - _host_cache[0] < max_age:
        return _host_cache[1]
    try:
        addrs = sorted(_local_ipv4() | _ipv6_addresses())
    except (OSError, ValueError) as e:
        log.warning("could not list the host's addresses: %s", e)
        addrs = _host_cache[1]
    _host_cache = (now, addrs)
    return addrs


def _local_ipv4() -> set[str]:
    """The `/32 host LOCAL` entries of /proc/net/fib_trie: each follows the `|-- ADDRESS` line it is for."""
    found, last = set(), ""
    for line in Path("/proc/net/fib_trie").read_text().splitlines():
        entry = line.strip()
        if entry.startswith("|-- "):
            last = entry[4:]
        elif entry.startswith("/32 host LOCAL") and last:
            found.add(last)
    return found


def _ipv6_addresses() -> set[str]:
    """/proc/net/if_inet6: one address a line, as 32 hex digits (absent on a host without IPv6)."""
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except FileNotFoundError:
        return set()
    return {str(ipaddress.IPv6Address(int(line.split()[0], 16))) for line in lines if line.strip()}


def _udp_socket() -> socket.socket:
    return netns.bound(socket.SOCK_DGRAM, RESOLVER_ADDRESS, 53)


def _tcp_socket() -> socket.socket:
    return netns.bound(socket.SOCK_STREAM, RESOLVER_ADDRESS, 53, backlog=16)


def _new_generation() -> int:
    return secrets.randbits(31) | 1


# ------------------------------------------------------------------------ one sandbox


@dataclass
class _Box:
    sandbox_id: str
    netns_fd: int
    state_path: Path
    policy: NetworkPolicy
    generation: int
    host_applied: list[str]
    udp: socket.socket | None = None
    tcp: socket.socket | None = None
    # (address, deny) -> (name it was learned for, monotonic expiry)
    pins: dict[tuple[str, bool], tuple[str, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    limiter: QueryLimiter = field(default_factory=lambda: QueryLimiter(DNS_RATE, DNS_BURST))
    parked_until: float = 0.0  # its UDP socket is not read before (monotonic), past its refusals
    tcp_connections: int = 0
    closed: bool = False
    proxied: bool = False  # new TCP connections to 80/443 go through the egress proxy (proxy.py)

    def nft(self, script: str) -> None:
        try:
            nft.run(self.netns_fd, script)
        except nft.NftError as e:
            raise EgressError(f"nft failed in sandbox {self.sandbox_id}: {str(e)[:2000]}") from None

    def has_table(self) -> bool:
        try:
            listing = nft.run(self.netns_fd, f"list table inet {NFT_TABLE}")
        except nft.NftError:
            return False
        return f"ct mark 0x{self.generation:08x}" in listing

    def live_pins(self) -> list[Pin]:
        now = time.monotonic()
        return [Pin(a, int(exp - now), deny) for (a, deny), (_, exp) in self.pins.items() if exp - now >= 1]

    def save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        state = {"policy": self.policy.to_api(), "generation": self.generation, "proxied": self.proxied}
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)


@dataclass(frozen=True)
class SavedState:
    policy: NetworkPolicy
    generation: int
    proxied: bool


def load_state(state_dir: Path) -> SavedState | None:
    try:
        d = json.loads((state_dir / STATE_FILE).read_text())
        p = d["policy"]
        policy = NetworkPolicy.build(p["allowOut"], p["denyOut"], p["allowPublicTraffic"])
        return SavedState(policy, int(d["generation"]), bool(d.get("proxied", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------ the service


class Egress:
    """Applies policies and serves every sandbox's resolver (threads start on first use)."""

    def __init__(self, hosts_file: Path | None = None, upstream: Upstream | None = None) -> None:
        self.hosts = HostsFile(hosts_file)
        self.upstream = upstream or Upstream()
        self._boxes: dict[str, _Box] = {}
        self._guard = threading.Lock()
        self._ops: list[Callable[[], None]] = []
        self._started = False
        self._stop = threading.Event()
        self._wake_r, self._wake_w = -1, -1
        self._selector: selectors.BaseSelector | None = None
        self._pool: ThreadPoolExecutor | None = None  # the server's own lookups (pre-resolving policies)
        self._answerers: FairPool | None = None  # sandboxes' questions
        self._parked: list[_Box] = []  # I/O loop only
        self.proxy = EgressProxy()

    @property
    def hosts_file(self) -> Path | None:
        return self.hosts.path

    @hosts_file.setter
    def hosts_file(self, path: Path | None) -> None:
        self.hosts = HostsFile(Path(path) if path else None)

    # ---------------------------------------------------------------- lifecycle of a sandbox

    def attach(
        self,
        sandbox_id: str,
        netns_pid: int,
        state_dir: Path,
        policy: NetworkPolicy | None = None,
        *,
        proxy: bool | None = None,
        recovering: bool = False,
    ) -> None:
        """Start enforcing for a sandbox whose netns holds `netns_pid`: bind its resolver, apply `policy`
        (or the one saved in `state_dir`, or the open policy) and, with `proxy` (or as saved), start its
        egress proxy. With `recovering`, a table that is already in place (the server restarted) is
        left alone; the proxy gets a new listener and its redirect is pointed there."""
        self._start()
        self.detach(sandbox_id)
        saved = load_state(state_dir)
        fd = os.open(f"/proc/{netns_pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        box = _Box(
            sandbox_id=sandbox_id,
            netns_fd=fd,
            state_path=state_dir / STATE_FILE,
            policy=policy or (saved.policy if saved else NetworkPolicy()),
            generation=saved.generation if saved and policy is None else _new_generation(),
            host_applied=[],
            proxied=proxy if proxy is not None else bool(saved and saved.proxied),
        )
        try:
            if not recovering:
                netns.run_in(fd, netns.allow_ping)
            for make, attr in ((_udp_socket, "udp"), (_tcp_socket, "tcp")):
                try:
                    setattr(box, attr, netns.run_in(fd, make))
                except OSError as e:
                    if not recovering:
                        raise EgressError(f"the resolver of sandbox {sandbox_id} could not bind: {e}") from e
                    log.warning("sandbox %s: resolver socket not re-created (%s); its DNS is down", sandbox_id, e)
            proxy_table = proxy_ruleset(self._start_proxy(box)) if box.proxied else ""
            if recovering and box.has_table():
                box.host_applied = []  # refreshed by the maintenance loop
                if proxy_table:
                    box.nft(proxy_table)  # the new listener's port
            else:
                self._apply(box, box.policy, box.generation, proxy_table)
            box.save()
        except BaseException:
            self.proxy.detach(sandbox_id)
            self._close_box(box)
            raise
        with self._guard:
            self._boxes[sandbox_id] = box
        self._call_in_loop(lambda: self._register(box))

    def detach(self, sandbox_id: str) -> None:
        self.proxy.detach(sandbox_id)
        with self._guard:
            box = self._boxes.pop(sandbox_id, None)
        if box is not None:
            box.closed = True
            done = threading.Event()

            def unregister() -> None:
                try:
                    self._unregister(box)
                finally:
                    done.set()

            self._call_in_loop(unregister)
            if not done.wait(10.0):
                log.warning("sandbox %s: the resolver loop did not release its sockets in time", sandbox_id)

    def attached(self, sandbox_id: str) -> bool:
        with self._guard:
            return sandbox_id in self._boxes

    def policy(self, sandbox_id: str) -> NetworkPolicy | None:
        with self._guard:
            box = self._boxes.get(sandbox_id)
        return box.policy if box else None

    def proxied(self, sandbox_id: str) -> bool:
        with self._guard:
            box = self._boxes.get(sandbox_id)
        return box is not None and box.proxied

    def set_policy(self, sandbox_id: str, policy: NetworkPolicy, *, proxy: bool | None = None) -> None:
        """Replace a running sandbox's policy in one nft transaction; pins that the new policy still
        permits are kept, and established connections are judged again on their next packet. The
        proxy reads the policy on each new connection. `proxy` turns the egress proxy on or off, in
        the same transaction (alone when the rules stay: a secure create of a pooled sandbox)."""
        box = self._box(sandbox_id)
        proxy_table = ""
        if proxy is not None and proxy != box.proxied:
            if proxy:
                proxy_table = proxy_ruleset(self._start_proxy(box))
            else:
                self.proxy.detach(sandbox_id)
                proxy_table = no_proxy_script()
            box.proxied = proxy
        if proxy_table and (policy.allow_out, policy.deny_out) == (box.policy.allow_out, box.policy.deny_out):
            box.nft(proxy_table)
            box.policy = policy
        else:
            self._apply(box, policy, _new_generation(), proxy_table)
        box.save()

    def set_secrets(self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]) -> bytes | None:
        """A proxied sandbox's secrets and body-reading policy (egress proxy, decrypting half); returns
        its CA certificate."""
        box = self._box(sandbox_id)
        if not box.proxied:
            raise EgressError(f"sandbox {sandbox_id} has no egress proxy: secrets and policies need secure=True")
        return self.proxy.set_secrets(sandbox_id, secrets, inspect)

    def _start_proxy(self, box: _Box) -> int | None:
        """Bind the sandbox's proxy; its port for the redirect, or None when it cannot bind (the
        table then refuses 80/443)."""
        try:
            return self.proxy.attach(box.sandbox_id, box.netns_fd, lambda: box.policy, box.state_path.parent)
        except OSError as e:
            log.warning("sandbox %s: its egress proxy did not start (%s); 80 and 443 are closed", box.sandbox_id, e)
            return None

    def close(self) -> None:
        with self._guard:
            ids = list(self._boxes)
        for sid in ids:
            self.detach(sid)
        self.proxy.close()
        self._stop.set()
        if self._answerers is not None:
            self._answerers.shutdown()
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    # ---------------------------------------------------------------- applying

    def _box(self, sandbox_id: str) -> _Box:
        with self._guard:
            box = self._boxes.get(sandbox_id)
        if box is None:
            raise EgressError(f"sandbox {sandbox_id} has no network enforcement attached")
        return box

    def _apply(self, box: _Box, policy: NetworkPolicy, generation: int, extra: str = "") -> None:
        """The whole egress table for `policy` (and `extra` nft lines) in one transaction."""
        fresh = self._preresolve(policy)
        host = host_addresses(max_age=0)
        with box.lock:
            now = time.monotonic()
            kept = {
                key: value
                for key, value in box.pins.items()
                if value[1] > now and _still_pinned(policy, value[0], key[1])
            }
            for name, addr, ttl, deny in fresh:
                minimum = DENY_PIN_MIN_SECONDS if deny else PIN_MIN_SECONDS
                kept[(addr, deny)] = (name, now + max(ttl, minimum))
            pins = [Pin(a, int(exp - now), deny) for (a, deny), (_, exp) in kept.items()]
            box.nft(ruleset(policy, generation=generation, host_addresses=host, pins=pins) + extra)
            box.policy, box.generation, box.pins, box.host_applied = policy, generation, kept, host

    def _preresolve(self, policy: NetworkPolicy, deny_only: bool = False) -> list[tuple[str, str, int, bool]]:
        """(name, address, ttl, deny) for the exact names of a policy: denied names always (so their
        addresses are refused when dialled directly), allowed names in allow-list mode."""
        wanted = [(n, True) for n in policy.deny_names()]
        if policy.names_restricted and not deny_only:
            wanted += [(n, False) for n in policy.allow_names() if policy.name_verdict(n) == "allow"]
        if not wanted:
            return []
        pool = self._pool
        assert pool is not None
        futures = [(n, deny, pool.submit(self.lookup, n)) for n, deny in wanted]
        out = []
        for name, deny, fut in futures:
            try:
                found = fut.result(timeout=UPSTREAM_TIMEOUT * 3)
            except Exception as e:
                log.info("pre-resolving %s failed: %s", name, e)
                continue
            out += [(name, addr, ttl, deny) for addr, ttl in found]
        return out

    def lookup(self, name: str) -> list[tuple[str, int]]:
        """(address, ttl) of a name's IPv4 addresses: the hosts file first, then upstream."""
        listed = self.hosts.lookup(name)
        if listed is not None:
            return [(a, HOSTS_TTL) for a in listed if ":" not in a]
        ans = w.parse_answer(self.upstream.query(w.make_query(name, w.TYPE_A)))
        return [(a, ttl) for a, ttl in ans.addresses() if ":" not in a]

    def _pin(self, box: _Box, generation: int, name: str, found: Iterable[tuple[str, int]], deny: bool) -> bool:
        """Put addresses into the sandbox's pin sets before the answer goes out. False if the policy
        changed meanwhile (the caller decides again)."""
        minimum = DENY_PIN_MIN_SECONDS if deny else PIN_MIN_SECONDS
        with box.lock:
            if box.generation != generation:
                return False
            now = time.monotonic()
            new: list[Pin] = []
            for addr, ttl in found:
                seconds = max(ttl, minimum)
                current = box.pins.get((addr, deny))
                if current is None or current[1] - now < seconds / 2:
                    new.append(Pin(addr, seconds, deny))
                box.pins[(addr, deny)] = (name, max(now + seconds, current[1] if current else 0.0))
            if new and not box.closed:
                box.nft(add_pins_script(new))
            return True

    # ---------------------------------------------------------------- answering

    def answer(self, box: _Box, query: bytes) -> bytes | None:
        """The reply to one query from a sandbox (None: drop it)."""
        for _ in range(3):
            generation, policy = box.generation, box.policy
            try:
                reply = self._decide(box, generation, policy, query)
            except w.DnsError:
                return None
            if reply is not None:
                return reply
        return None

    def _decide(self, box: _Box, generation: int, policy: NetworkPolicy, query: bytes) -> bytes | None:
        q = w.parse_question(query)
        if q.is_response:
            return None
        if q.opcode != 0:
            return w.reply(query, q, w.NOTIMP)
        if q.qclass != w.CLASS_IN:
            return w.reply(query, q, w.REFUSED)
        verdict = policy.name_verdict(q.name)
        if verdict == "deny":
            with contextlib.suppress(OSError, w.DnsError):
                if not self._pin(box, generation, q.name, self.lookup(q.name), deny=True):
                    return None
            return w.reply(query, q, w.NXDOMAIN)
        if not policy.resolves(q.name):
            return w.reply(query, q, w.NXDOMAIN)
        pin_allow = policy.names_restricted
        listed = self.hosts.lookup(q.name)
        if listed is not None:
            found = [(a, HOSTS_TTL) for a in listed if ":" not in a] if q.qtype == w.TYPE_A else []
            if pin_allow and found and not self._pin(box, generation, q.name, found, deny=False):
                return None
            return w.reply(query, q, w.NOERROR, [w.a_record(a, ttl) for a, ttl in found])
        if q.qtype == w.TYPE_AAAA:
            return w.reply(query, q, w.NOERROR)  # no IPv6 route in sandboxes: don't make programs try it
        try:
            raw = self.upstream.query(query)
            ans = w.parse_answer(raw)
        except (OSError, w.DnsError) as e:
            log.info("sandbox %s: resolving %s failed: %s", box.sandbox_id, q.name, e)
            return w.reply(query, q, w.SERVFAIL)
        addrs = [(a, ttl) for a, ttl in ans.addresses() if ":" not in a]
        if any(policy.name_verdict(t) == "deny" for t in ans.cname_targets):
            if not self._pin(box, generation, q.name, addrs, deny=True):
                return None
            return w.reply(query, q, w.NXDOMAIN)
        if pin_allow and addrs and not self._pin(box, generation, q.name, addrs, deny=False):
            return None
        return raw

    # ---------------------------------------------------------------- the I/O loop

    def _start(self) -> None:
        with self._guard:
            if self._started:
                return
            self._started = True
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._wake_r, selectors.EVENT_READ, None)
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="hutch-dns")
            self._answerers = FairPool(ANSWERERS, DNS_CONCURRENCY, MAX_PENDING, name="hutch-dns-answer")
        threading.Thread(target=self._loop, name="hutch-dns-io", daemon=True).start()
        threading.Thread(target=self._maintain, name="hutch-dns-maint", daemon=True).start()

    def _call_in_loop(self, op: Callable[[], None]) -> None:
        with self._guard:
            self._ops.append(op)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _register(self, box: _Box) -> None:
        assert self._selector is not None
        if box.closed:
            self._close_box(box)
            return
        for sock in (box.udp, box.tcp):
            if sock is not None:
                self._selector.register(sock, selectors.EVENT_READ, box)

    def _unregister(self, box: _Box) -> None:
        assert self._selector is not None
        for sock in (box.udp, box.tcp):
            if sock is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(sock)
        self._close_box(box)

    @staticmethod
    def _close_box(box: _Box) -> None:
        box.closed = True
        for sock in (box.udp, box.tcp):
            if sock is not None:
                sock.close()
        with contextlib.suppress(OSError):
            os.close(box.netns_fd)
        box.netns_fd = -1

    def _loop(self) -> None:
        assert self._selector is not None
        while not self._stop.is_set():
            self._unpark()
            timeout = min([1.0, *(b.parked_until - time.monotonic() for b in self._parked)])
            for key, _ in self._selector.select(timeout=max(0.0, timeout)):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 4096)
                    continue
                box: _Box = key.data
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    if sock.type == socket.SOCK_DGRAM:
                        self._on_udp(box, sock)
                    else:
                        self._on_tcp(box, sock)
                except OSError as e:
                    log.debug("sandbox %s: resolver socket error: %s", box.sandbox_id, e)
            with self._guard:
                ops, self._ops = self._ops, []
            for op in ops:
                try:
                    op()
                except Exception:
                    log.exception("resolver bookkeeping failed")

    def _on_udp(self, box: _Box, sock: socket.socket) -> None:
        assert self._answerers is not None
        for _ in range(64):
            try:
                data, addr = sock.recvfrom(4096)
            except BlockingIOError:
                return
            verdict = box.limiter.admit()
            if verdict is Verdict.DROP:
                self._park(box)
                return
            job = partial(self._serve_udp, box, sock, data, addr)
            if verdict is Verdict.REFUSE or not self._answerers.submit(box.sandbox_id, job):
                refusal = _refusal(data)
                if refusal is not None:
                    with contextlib.suppress(OSError):
                        sock.sendto(refusal, addr)

    def _park(self, box: _Box) -> None:
        """Stop reading a sandbox's UDP socket until it may be answered again (I/O loop only)."""
        assert self._selector is not None
        if box.udp is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(box.udp)
        box.parked_until = time.monotonic() + max(PARK_MIN_SECONDS, box.limiter.seconds_to_answer())
        self._parked.append(box)

    def _unpark(self) -> None:
        assert self._selector is not None
        now, waiting = time.monotonic(), []
        for box in self._parked:
            if box.parked_until > now:
                waiting.append(box)
            elif not box.closed and box.udp is not None:
                self._selector.register(box.udp, selectors.EVENT_READ, box)
        self._parked = waiting

    def _serve_udp(self, box: _Box, sock: socket.socket, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self.answer(box, data)
            if reply is not None and not box.closed:
                if len(reply) > 512 and not _has_edns(data):
                    reply = _truncate(data, reply)
                sock.sendto(reply, addr)
        except Exception as e:
            log.warning("sandbox %s: answering a DNS query failed: %s", box.sandbox_id, e)

    def _on_tcp(self, box: _Box, sock: socket.socket) -> None:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return
        if box.tcp_connections >= MAX_TCP_CONNECTIONS:
            conn.close()
            return
        box.tcp_connections += 1
        threading.Thread(target=self._serve_tcp, args=(box, conn), name="hutch-dns-tcp", daemon=True).start()

    def _serve_tcp(self, box: _Box, conn: socket.socket) -> None:
        try:
            conn.setblocking(True)
            conn.settimeout(10.0)
            for _ in range(100):
                msg = _recv_framed(conn)
                if msg is None or box.closed:
                    return
                verdict = box.limiter.admit()
                if verdict is Verdict.DROP:
                    return
                reply = self.answer(box, msg) if verdict is Verdict.ANSWER else _refusal(msg)
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except (OSError, w.DnsError):
            pass
        finally:
            box.tcp_connections -= 1
            conn.close()

    def _maintain(self) -> None:
        """Keep denied names' addresses pinned and the host's own addresses blocked."""
        while not self._stop.wait(MAINTENANCE_INTERVAL):
            with self._guard:
                boxes = list(self._boxes.values())
            host = host_addresses(max_age=0)
            for box in boxes:
                try:
                    if box.host_applied != host:
                        with box.lock:
                            if not box.closed:
                                box.nft(host_blocked_script(host))
                                box.host_applied = host
                    generation, policy = box.generation, box.policy
                    for name, addr, ttl, _ in self._preresolve(policy, deny_only=True):
                        self._pin(box, generation, name, [(addr, ttl)], deny=True)
                    now = time.monotonic()
                    with box.lock:
                        box.pins = {k: v for k, v in box.pins.items() if v[1] > now}
                except Exception as e:
                    log.warning("sandbox %s: network maintenance failed: %s", box.sandbox_id, e)


def _still_pinned(policy: NetworkPolicy, name: str, deny: bool) -> bool:
    verdict = policy.name_verdict(name)
    return verdict == "deny" if deny else (verdict == "allow" and policy.names_restricted)


def _refusal(query: bytes) -> bytes | None:
    """REFUSED for a query over its sandbox's rate (None for what is not a query at all)."""
    try:
        q = w.parse_question(query)
    except w.DnsError:
        return None
    return None if q.is_response else w.reply(query, q, w.REFUSED)


def _has_edns(query: bytes) -> bool:
    return len(query) >= 12 and struct.unpack_from("!H", query, 10)[0] > 0


def _truncate(query: bytes, reply: bytes) -> bytes:
    """An empty reply with TC set: the client asks again over TCP."""
    q = w.parse_question(query)
    out = bytearray(w.reply(query, q, reply[3] & 0xF))
    out[2] |= 0x02
    return bytes(out)
