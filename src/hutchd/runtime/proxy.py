"""The egress proxy of secure sandboxes: every new TCP connection a sandbox opens to port 80 or 443
is redirected (netpolicy.proxy_ruleset, in the sandbox's netns) to a listener this server owns on the
sandbox's loopback. The proxy reads the name the traffic asks for (TLS SNI or HTTP Host, sniff.py),
applies the sandbox's network policy to that name (`NetworkPolicy.traffic_refusal`) and then
forwards the bytes unchanged to the original destination (passthrough: nothing is decrypted).

Like the resolver (egress.py), its sockets are made by this process *inside the sandbox's network
namespace* (one thread per sandbox stays in it for that), so the sandbox can reach its own proxy
only through the redirect and no other sandbox's at all; the upstream sockets carry PROXY_MARK,
which exempts them from the redirect and which the sandbox (no CAP_NET_ADMIN there) cannot set.
The egress table judges both legs' destinations by address as before.

TLS to the hosts of the sandbox's secrets goes instead, through a `CONNECT` to the original
destination, to the sandbox's decrypting proxy (mitm.py); that proxy's own connections out are
redirected here like the sandbox's, known by their host uid (`socket_uid`), and forwarded as they are.

Fail closed: with no listener (this server stopped or crashed), redirected connections are reset;
a proxy that cannot bind is recorded as down and its table refuses 80/443 instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import os
import resource
import socket
import struct
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hutchd.runtime import netns
from hutchd.runtime.mitm import AUDIT_LOG, AUDIT_ON, Decryptor, Secret
from hutchd.runtime.netpolicy import MITM_ADDRESS, MITM_UID, PROXY_ADDRESS, PROXY_MARK, NetworkPolicy
from hutchd.runtime.sniff import MAX_PREFIX, Sniffed, sniff

log = logging.getLogger("hutchd.proxy")

SO_ORIGINAL_DST = 80
SNIFF_TIMEOUT = 10.0  # for the client's first bytes (a client that waits for the server gets nothing)
CONNECT_TIMEOUT = 10.0
MAX_CONNECTIONS = 128  # per sandbox; more are reset (each holds 6 of the server's fds: 2 sockets, 2 pipes)
FDS_PER_CONNECTION = 6
BUFFER = 64 * 1024
_ACCESS_DENIED_ALERT = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31])  # TLS fatal alert access_denied


def _listener() -> socket.socket:
    return netns.bound(socket.SOCK_STREAM, PROXY_ADDRESS, 0, backlog=128)


def _upstream_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, PROXY_MARK)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s


def socket_uid(local: tuple[str, int]) -> int | None:
    """The host uid owning the TCP socket whose local address is `local`, in the calling thread's
    network namespace (read as the host sees it: a sandbox's uids are 100000 and up here)."""
    addr, port = local
    key = f"{struct.unpack('<I', socket.inet_aton(addr))[0]:08X}:{port:04X}"
    with open("/proc/thread-self/net/tcp") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 7 and fields[1] == key:
                return int(fields[7])
    return None


def original_destination(conn: socket.socket) -> tuple[str, int]:
    raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, addr = struct.unpack_from("!2xH4s", raw)
    return socket.inet_ntoa(addr), port


@dataclass
class _Box:
    sandbox_id: str
    policy: Callable[[], NetworkPolicy]
    netns_fd: int  # (its own duplicate)
    inside: ThreadPoolExecutor  # its one thread lives in the sandbox's netns
    listener: socket.socket
    decryptor: Decryptor
    decrypt_hosts: tuple[str, ...] = ()  # TLS to these names goes through the decryptor ("*": every name)
    inspect_hosts: tuple[str, ...] = ()  # and so does plain HTTP to these (a policy reads its bodies)
    decrypt_port: int | None = None  # None: not running, and those names fail closed
    connections: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # the acceptor and every relay
    state_dir: Path = Path("/nonexistent")  # where AUDIT_ON and AUDIT_LOG are
    reviving: bool = False  # a thread is starting its crashed decryptor again
    closed: bool = False

    def decrypts(self, seen: Sniffed) -> bool:
        hosts = {"tls": self.decrypt_hosts, "http": self.inspect_hosts}.get(seen.protocol, ())
        return seen.name is not None and any(
            h in ("*", seen.name) or (h.startswith("*.") and seen.name.endswith(h[1:])) for h in hosts
        )


class EgressProxy:
    """The passthrough proxies of every secure sandbox, served by one asyncio loop on its own thread,
    and the decrypting proxies (mitm.py) of those with secrets."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard = threading.Lock()
        self._boxes: dict[str, _Box] = {}
        self._connections = 0  # of all sandboxes, at most a third of the server's fds (the loop's thread only)
        self._max_connections = resource.getrlimit(resource.RLIMIT_NOFILE)[0] // (3 * FDS_PER_CONNECTION)
        self.upstream_ca: Path | None = None  # also trusted by the decrypting proxies (tests' servers)

    # ---------------------------------------------------------------- lifecycle of a sandbox

    def attach(self, sandbox_id: str, netns_fd: int, policy: Callable[[], NetworkPolicy], state_dir: Path) -> int:
        """Start proxying for a sandbox; returns the port its listener has on PROXY_ADDRESS there. The
        secrets saved in `state_dir` (a server restart) get their decrypting proxy back."""
        self.detach(sandbox_id)
        loop = self._start()
        fd = os.dup(netns_fd)
        inside = ThreadPoolExecutor(1, f"hutch-proxy-{sandbox_id[-8:]}", initializer=netns.enter, initargs=(fd,))
        try:
            listener = inside.submit(_listener).result(timeout=10)
        except BaseException:
            inside.shutdown(wait=False)
            os.close(fd)
            raise
        box = _Box(sandbox_id, policy, fd, inside, listener, Decryptor(sandbox_id, state_dir, self.upstream_ca))
        box.state_dir = state_dir
        with self._guard:
            self._boxes[sandbox_id] = box
        asyncio.run_coroutine_threadsafe(self._serve(box), loop).result(timeout=10)
        saved, inspect = box.decryptor.saved(), box.decryptor.saved_policy()
        if saved or inspect:
            self._decrypt(box, saved, inspect)
        return int(listener.getsockname()[1])

    def set_secrets(self, sandbox_id: str, secrets: dict[str, Secret] | None, inspect: dict[str, Any]) -> bytes | None:
        """Replace a proxied sandbox's secrets (None: keep those it has) and body-reading policy
        (`inspect`: `pii`, `transformations`; neither and no secrets: stop decrypting); returns its CA
        certificate."""
        with self._guard:
            box = self._boxes.get(sandbox_id)
        if box is None:
            raise OSError(f"sandbox {sandbox_id} has no egress proxy (secrets need secure=True and a network)")
        if secrets is None:
            secrets = box.decryptor.saved()
        if not secrets and not inspect:
            box.decrypt_hosts, box.inspect_hosts, box.decrypt_port = (), (), None
            box.decryptor.clear()
            return None
        box.decryptor.write(secrets, inspect)
        self._decrypt(box, secrets, inspect, strict=True)
        return box.decryptor.ca_cert

    def _decrypt(self, box: _Box, secrets: dict[str, Secret], inspect: dict[str, Any], *, strict: bool = False) -> None:
        """Point TLS to the secrets' hosts and the traffic the policy reads at the decryptor, starting
        it if it is not running; if it cannot start, those hosts are refused (and `strict` raises)."""
        box.inspect_hosts = inspected_hosts(inspect)
        box.decrypt_hosts = tuple(sorted({h for s in secrets.values() for h in s.hosts} | set(box.inspect_hosts)))
        if box.decrypt_port is not None and box.decryptor.running():
            return  # it reads the new secrets itself
        try:
            box.decrypt_port = box.decryptor.start(box.netns_fd)
        except OSError as e:
            box.decrypt_port = None
            log.warning("sandbox %s: %s; TLS to its secrets' hosts is refused", box.sandbox_id, e)
            if strict:
                raise

    def _revive(self, box: _Box) -> None:
        """Start a crashed decryptor again, on a thread of its own (the connection that found it down
        was refused; later ones get it back)."""
        if box.reviving or box.closed or not box.decrypt_hosts:
            return
        box.reviving = True

        def run() -> None:
            try:
                log.warning("sandbox %s: its decrypting proxy is down; starting it again", box.sandbox_id)
                self._decrypt(box, box.decryptor.saved(), box.decryptor.saved_policy())
                if box.closed:
                    box.decryptor.stop()
            finally:
                box.reviving = False

        threading.Thread(target=run, name="hutch-proxy-revive", daemon=True).start()

    def detach(self, sandbox_id: str) -> None:
        with self._guard:
            box = self._boxes.pop(sandbox_id, None)
        if box is not None:
            box.closed = True
        if box is None or self._loop is None:
            return
        done = asyncio.run_coroutine_threadsafe(self._close(box), self._loop)
        with contextlib.suppress(Exception):
            done.result(timeout=10)
        box.inside.shutdown(wait=False)
        box.decryptor.stop()
        os.close(box.netns_fd)

    def attached(self, sandbox_id: str) -> bool:
        with self._guard:
            return sandbox_id in self._boxes

    def close(self) -> None:
        with self._guard:
            ids = list(self._boxes)
        for sid in ids:
            self.detach(sid)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="hutch-proxy", daemon=True).start()
            return self._loop

    # ---------------------------------------------------------------- serving

    async def _close(self, box: _Box) -> None:
        tasks = list(box.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        box.listener.close()

    async def _serve(self, box: _Box) -> None:
        """Start accepting (in a task of its own, returns at once)."""
        task = asyncio.get_running_loop().create_task(self._accept(box))
        box.tasks.add(task)

    async def _accept(self, box: _Box) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(box.listener)
            except (OSError, asyncio.CancelledError):
                return  # closed by detach
            if box.connections >= MAX_CONNECTIONS or self._connections >= self._max_connections:
                _reset(conn)
                continue
            box.connections += 1
            self._connections += 1
            task = loop.create_task(self._relay(box, conn))
            box.tasks.add(task)
            task.add_done_callback(box.tasks.discard)

    async def _relay(self, box: _Box, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        upstream: socket.socket | None = None
        entry: dict[str, Any] | None = None  # its audit record, once it is a connection worth one
        recorded = (box.state_dir / AUDIT_ON).exists()  # as the policy was when it opened (not as it closes)
        try:
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            address, port = original_destination(conn)
            if address.startswith("127.") or address == PROXY_ADDRESS:
                return  # dialled directly, not redirected: there is nothing to forward to
            opened = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            first, seen = await asyncio.wait_for(_read_prefix(loop, conn), SNIFF_TIMEOUT)
            entry = {
                "time": opened, "host": seen.name, "address": address, "port": port, "protocol": seen.protocol,
                "decision": "allowed", "reason": None, "decrypted": False, "bytesOut": len(first), "bytesIn": 0,
            }  # fmt: skip
            refusal = box.policy().traffic_refusal(seen.name, address)
            if refusal is not None:
                log.debug("sandbox %s: refused %s:%d (%s): %s", box.sandbox_id, address, port, seen.name, refusal)
                entry.update(decision="refused", reason=refusal)
                entry["bytesIn"] = await _refuse(loop, conn, seen, refusal)
                return
            upstream = await loop.run_in_executor(box.inside, _upstream_socket)
            decrypt = box.decrypts(seen)
            if decrypt and await loop.run_in_executor(box.inside, socket_uid, conn.getpeername()) == MITM_UID:
                decrypt, entry = False, None  # the decrypting proxy's own connection out: as it is, unrecorded
            if decrypt:
                if box.decrypt_port is None or not box.decryptor.running():
                    self._revive(box)
                    entry.update(decision="refused", reason="the decrypting proxy is down")  # type: ignore[union-attr]
                    return  # closed, never around it
                await asyncio.wait_for(loop.sock_connect(upstream, (MITM_ADDRESS, box.decrypt_port)), CONNECT_TIMEOUT)
                await _connect_through(loop, upstream, address, port)
                entry["decrypted"] = True  # type: ignore[index]
            else:
                await asyncio.wait_for(loop.sock_connect(upstream, (address, port)), CONNECT_TIMEOUT)
            if first:
                await loop.sock_sendall(upstream, first)
            sent, got = await asyncio.gather(_pipe(loop, conn, upstream), _pipe(loop, upstream, conn))
            if entry is not None:
                entry["bytesOut"] += sent
                entry["bytesIn"] = got
        except (OSError, TimeoutError, EOFError) as e:
            log.debug("sandbox %s: proxied connection ended: %s", box.sandbox_id, e)
        finally:
            box.connections -= 1
            self._connections -= 1
            if upstream is not None:
                upstream.close()
            conn.close()
            if entry is not None and recorded:
                _record(box.state_dir, entry)


def inspected_hosts(inspect: dict[str, Any]) -> tuple[str, ...]:
    """The names whose traffic a body-reading policy needs to see (`*`: all): each part's `domains`,
    or every name for a part without."""
    parts = [inspect[k] for k in ("pii", "injection") if inspect.get(k)]
    parts += inspect.get("transformations") or []
    if inspect.get("env_masking") or any(not p["domains"] for p in parts):  # a masked value may go anywhere
        return ("*",)
    return tuple(sorted({d for p in parts for d in p["domains"]}))


def _record(state_dir: Path, entry: dict[str, Any]) -> None:
    """Append to the sandbox's audit log (`security.audit`)."""
    try:
        fd = os.open(
            state_dir / AUDIT_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except OSError as e:
        log.warning("opening the audit log in %s failed: %s", state_dir, e)
        return
    try:
        os.write(fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode())
    except OSError as e:
        log.warning("writing the audit log in %s failed: %s", state_dir, e)
    finally:
        os.close(fd)


async def _connect_through(loop: asyncio.AbstractEventLoop, mitm: socket.socket, address: str, port: int) -> None:
    """Ask the decrypting proxy (regular mode) for a tunnel to the original destination."""
    await loop.sock_sendall(mitm, f"CONNECT {address}:{port} HTTP/1.1\r\nHost: {address}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await asyncio.wait_for(loop.sock_recv(mitm, 4096), CONNECT_TIMEOUT)
        if not chunk or len(head) > 8192:
            raise EOFError("the decrypting proxy hung up")
        head += chunk
    if head.split(b" ", 2)[1:2] != [b"200"]:
        raise OSError(f"the decrypting proxy refused the tunnel: {head[:80]!r}")


async def _read_prefix(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> tuple[bytes, Sniffed]:
    data = b""
    while True:
        chunk = await loop.sock_recv(conn, MAX_PREFIX - len(data))
        if not chunk:
            raise EOFError("the client closed before naming a host")
        data += chunk
        seen = sniff(data)
        if seen is not None:
            return data, seen


async def _refuse(loop: asyncio.AbstractEventLoop, conn: socket.socket, seen: Sniffed, reason: str) -> int:
    """Tell the client why, as its protocol can (the bytes sent)."""
    if seen.protocol == "tls":
        reply = _ACCESS_DENIED_ALERT
    elif seen.protocol == "http":
        body = f"refused by the sandbox's egress proxy: {reason}\n".encode()
        reply = (
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    else:
        reply = b""
    with contextlib.suppress(OSError):
        await loop.sock_sendall(conn, reply)
    return len(reply)


async def _pipe(loop: asyncio.AbstractEventLoop, src: socket.socket, dst: socket.socket) -> int:
    """Copy until `src` ends, then end `dst`'s writing side (half close, as TCP allows); the bytes
    copied. They go through a pipe with splice(2): the kernel moves them, this process never copies them."""
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    flags = os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK
    pending = total = 0
    try:
        while True:
            if pending == 0:
                try:
                    pending = os.splice(src.fileno(), w, BUFFER, flags=flags)
                except BlockingIOError:
                    await _ready(loop, src, write=False)
                    continue
                if pending == 0:
                    break
                total += pending
            try:
                pending -= os.splice(r, dst.fileno(), pending, flags=flags)
            except BlockingIOError:
                await _ready(loop, dst, write=True)
    except OSError:
        for s in (src, dst):  # wakes the other direction too; close() then sends RST
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)
        return total
    finally:
        os.close(r)
        os.close(w)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)
    return total


async def _ready(loop: asyncio.AbstractEventLoop, s: socket.socket, *, write: bool) -> None:
    fd = s.fileno()
    if fd < 0:
        raise OSError("socket closed")
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    (loop.add_writer if write else loop.add_reader)(fd, wake)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _reset(s: socket.socket) -> None:
    """Close with RST, so the peer sees the connection failed rather than ended."""
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
