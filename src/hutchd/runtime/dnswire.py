"""The few pieces of the DNS wire format (RFC 1035) the sandbox resolver needs. Pure, no I/O.

It reads one-question queries, builds answers (A records, NXDOMAIN, NODATA, REFUSED, SERVFAIL) and
reads the answer section of an upstream response (addresses, CNAME targets and TTLs) to pin them.
"""

from __future__ import annotations

import ipaddress
import secrets
import struct
from dataclasses import dataclass, field

TYPE_A = 1
TYPE_CNAME = 5
TYPE_AAAA = 28
TYPE_OPT = 41
CLASS_IN = 1

NOERROR = 0
FORMERR = 1
SERVFAIL = 2
NXDOMAIN = 3
NOTIMP = 4
REFUSED = 5

_HEADER = struct.Struct("!HHHHHH")
_MAX_POINTERS = 64


class DnsError(ValueError):
    """A message that is not well-formed DNS."""


@dataclass(frozen=True)
class Question:
    id: int
    flags: int
    name: str  # lower case, no trailing dot
    qtype: int
    qclass: int
    end: int  # offset just past the question section

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)


@dataclass(frozen=True)
class Record:
    name: str
    rtype: int
    ttl: int
    rdata: bytes

    @property
    def address(self) -> str | None:
        if self.rtype == TYPE_A and len(self.rdata) == 4:
            return str(ipaddress.IPv4Address(self.rdata))
        if self.rtype == TYPE_AAAA and len(self.rdata) == 16:
            return str(ipaddress.IPv6Address(self.rdata))
        return None


@dataclass
class Answer:
    id: int
    rcode: int
    truncated: bool
    question: str | None
    records: list[Record] = field(default_factory=list)
    cname_targets: list[str] = field(default_factory=list)

    def addresses(self) -> list[tuple[str, int]]:
        """(address, ttl) of every A/AAAA record in the answer section."""
        return [(a, r.ttl) for r in self.records if (a := r.address) is not None]


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """A possibly compressed name at `offset`; returns (name, offset after it in the original place)."""
    labels: list[str] = []
    end = -1
    jumps = 0
    total = 0
    while True:
        if offset >= len(data):
            raise DnsError("name runs past the end of the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise DnsError("truncated compression pointer")
            if end < 0:
                end = offset + 2
            jumps += 1
            if jumps > _MAX_POINTERS:
                raise DnsError("compression pointer loop")
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            continue
        if length & 0xC0:
            raise DnsError("unsupported label type")
        offset += 1
        if length == 0:
            break
        label = data[offset : offset + length]
        if len(label) != length:
            raise DnsError("label runs past the end of the message")
        total += length + 1
        if total > 255:
            raise DnsError("name longer than 255 bytes")
        labels.append(label.decode("latin-1"))
        offset += length
    return ".".join(labels).lower(), (end if end >= 0 else offset)


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if not label:
            continue
        raw = label.encode("ascii")
        if len(raw) > 63:
            raise DnsError(f"label too long in {name!r}")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def parse_question(data: bytes) -> Question:
    """The header and the single question of a query."""
    if len(data) < _HEADER.size:
        raise DnsError("message shorter than a DNS header")
    qid, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(data)
    if qdcount != 1:
        raise DnsError(f"expected one question, got {qdcount}")
    name, offset = read_name(data, _HEADER.size)
    if offset + 4 > len(data):
        raise DnsError("question runs past the end of the message")
    qtype, qclass = struct.unpack_from("!HH", data, offset)
    return Question(qid, flags, name, qtype, qclass, offset + 4)


def make_query(name: str, qtype: int, qid: int | None = None) -> bytes:
    """A recursive query for `name`."""
    qid = secrets.randbits(16) if qid is None else qid
    return _HEADER.pack(qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


def reply(query: bytes, q: Question, rcode: int, records: list[tuple[int, bytes, int]] | None = None) -> bytes:
    """An answer to `query`: its question echoed, then `records` as (type, rdata, ttl) owned by the
    question's name (a compression pointer to it)."""
    records = records or []
    flags = 0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 0xF)  # QR, opcode+RD kept, RA
    out = bytearray(_HEADER.pack(q.id, flags, 1, len(records), 0, 0))
    out += query[_HEADER.size : q.end]
    for rtype, rdata, ttl in records:
        out += struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, max(0, ttl), len(rdata)) + rdata
    return bytes(out)


def a_record(address: str, ttl: int) -> tuple[int, bytes, int]:
    ip = ipaddress.ip_address(address)
    return (TYPE_A if ip.version == 4 else TYPE_AAAA, ip.packed, ttl)


def parse_answer(data: bytes) -> Answer:
    """Header, question and answer section of a response (authority/additional are skipped)."""
    if len(data) < _HEADER.size:
        raise DnsError("response shorter than a DNS header")
    qid, flags, qdcount, ancount, _ns, _ar = _HEADER.unpack_from(data)
    offset = _HEADER.size
    question = None
    for i in range(qdcount):
        name, offset = read_name(data, offset)
        offset += 4
        if i == 0:
            question = name
    ans = Answer(qid, flags & 0xF, bool(flags & 0x0200), question)
    for _ in range(ancount):
        name, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise DnsError("record header runs past the end of the message")
        rtype, _rclass, ttl, rdlen = struct.unpack_from("!HHIH", data, offset)
        offset += 10
        rdata = data[offset : offset + rdlen]
        if len(rdata) != rdlen:
            raise DnsError("record data runs past the end of the message")
        if rtype == TYPE_CNAME:
            target, _ = read_name(data, offset)
            ans.cname_targets.append(target)
        offset += rdlen
        ans.records.append(Record(name, rtype, ttl, rdata))
    return ans


def with_id(message: bytes, qid: int) -> bytes:
    return struct.pack("!H", qid) + message[2:]
