"""The name a connection asks for, from its first bytes: the SNI of a TLS ClientHello or the Host of
an HTTP/1 request. Pure and bounded: no I/O, no decryption (the proxy forwards the bytes unchanged).

`sniff(data)` answers `NEED_MORE` until it has seen enough (the caller reads at most
`MAX_PREFIX` bytes), then a `Sniffed` whose `name` is None when the traffic names nothing it can
read (TLS without SNI, HTTP/1.0 without Host, or neither protocol).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final, Literal

MAX_PREFIX = 64 * 1024  # a ClientHello with post-quantum key shares is ~2 KB; headers rarely 8 KB
_TLS_HANDSHAKE = 0x16
_CLIENT_HELLO = 0x01
_EXT_SERVER_NAME = 0x0000
_HOST_NAME = 0x00
_HOST_CHARS = re.compile(r"^[a-z0-9_.-]{1,253}$")


@dataclass(frozen=True)
class Sniffed:
    protocol: Literal["tls", "http", "other"]
    name: str | None  # lower case, no trailing dot or port; None for IP literals and no name


NEED_MORE: Final = None


def sniff(data: bytes) -> Sniffed | None:
    """What `data` (the first bytes the client sent) names; None when more bytes are needed."""
    if not data:
        return NEED_MORE
    if data[0] == _TLS_HANDSHAKE:
        return _tls(data)
    if data[:1].isalpha():
        return _http(data)
    return Sniffed("other", None)


def _clean(name: str) -> str | None:
    name = name.strip().lower().rstrip(".")
    if not _HOST_CHARS.match(name):
        return None
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    return None  # an IP literal names no domain: the address rules decide


# ------------------------------------------------------------------------ TLS


def _handshake_bytes(data: bytes) -> tuple[bytes, bool] | None:
    """The handshake payload of the leading TLS records and whether the records were well formed
    (None when a record is still incomplete)."""
    out, pos = bytearray(), 0
    while pos + 5 <= len(data):
        if data[pos] != _TLS_HANDSHAKE:
            return bytes(out), bool(out)
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        if length == 0 or length > 1 << 14:
            return bytes(out), False
        if pos + 5 + length > len(data):
            break
        out += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if len(out) >= 4 and len(out) >= 4 + int.from_bytes(out[1:4], "big"):
            return bytes(out), True
    return None


def _tls(data: bytes) -> Sniffed | None:
    found = _handshake_bytes(data)
    if found is None:
        return NEED_MORE if len(data) < MAX_PREFIX else Sniffed("other", None)
    hs, ok = found
    if not ok or len(hs) < 4 or hs[0] != _CLIENT_HELLO:
        return Sniffed("other", None)
    body_len = int.from_bytes(hs[1:4], "big")
    if len(hs) < 4 + body_len:
        return NEED_MORE if len(data) < MAX_PREFIX else Sniffed("other", None)
    try:
        return Sniffed("tls", _server_name(hs[4 : 4 + body_len]))
    except IndexError:
        return Sniffed("other", None)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise IndexError("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def num(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, n: int) -> bytes:
        return self.take(self.num(n))

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def _server_name(hello: bytes) -> str | None:
    r = _Reader(hello)
    r.take(2 + 32)  # legacy_version, random
    r.vec(1)  # legacy_session_id
    r.vec(2)  # cipher_suites
    r.vec(1)  # legacy_compression_methods
    if r.left == 0:
        return None  # no extensions at all
    exts = _Reader(r.vec(2))
    while exts.left:
        kind, body = exts.num(2), exts.vec(2)
        if kind != _EXT_SERVER_NAME:
            continue
        names = _Reader(_Reader(body).vec(2))
        while names.left:
            name_type, name = names.num(1), names.vec(2)
            if name_type == _HOST_NAME:
                return _clean(name.decode("ascii", errors="replace"))
        return None
    return None


# ------------------------------------------------------------------------ HTTP/1


def _http(data: bytes) -> Sniffed | None:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        line_end = data.find(b"\n")
        not_http = line_end >= 0 and not data[:line_end].rstrip().endswith((b"HTTP/1.1", b"HTTP/1.0"))
        if not_http or len(data) >= MAX_PREFIX:
            return Sniffed("other", None)
        return NEED_MORE
    head = data[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return Sniffed("other", None)
    hosts = [line.split(":", 1)[1] for line in head[1:] if line[:5].lower() == "host:"]
    if len(hosts) != 1:
        return Sniffed("http", None)  # none, or two (a smuggling attempt): no name to trust
    host = hosts[0].strip()
    if host.startswith("["):
        return Sniffed("http", None)  # an IPv6 literal
    return Sniffed("http", _clean(host.rsplit(":", 1)[0] if ":" in host else host))
