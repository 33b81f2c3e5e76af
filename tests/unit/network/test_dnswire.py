"""The DNS wire format pieces of the sandbox resolver, against hand-built messages."""

from __future__ import annotations

import struct

import pytest

from hutchd.runtime import dnswire as w


def _response(qname: str, records: list[tuple[str | int, int, int, bytes]], rcode: int = 0, tc: bool = False) -> bytes:
    """A response whose records' owner names are either a string or a pointer offset (int)."""
    flags = 0x8180 | rcode | (0x0200 if tc else 0)
    out = struct.pack("!HHHHHH", 0x1234, flags, 1, len(records), 0, 0)
    out += w.encode_name(qname) + struct.pack("!HH", w.TYPE_A, w.CLASS_IN)
    for owner, rtype, ttl, rdata in records:
        out += struct.pack("!H", 0xC000 | owner) if isinstance(owner, int) else w.encode_name(owner)
        out += struct.pack("!HHIH", rtype, w.CLASS_IN, ttl, len(rdata)) + rdata
    return out


def test_query_round_trip() -> None:
    q = w.make_query("Api.Example.COM.", w.TYPE_A, qid=77)
    parsed = w.parse_question(q)
    assert (parsed.id, parsed.name, parsed.qtype, parsed.qclass) == (77, "api.example.com", w.TYPE_A, w.CLASS_IN)
    assert parsed.flags & 0x0100  # RD
    assert not parsed.is_response and parsed.opcode == 0
    assert parsed.end == len(q)


def test_reply_with_addresses() -> None:
    q = w.make_query("a.test", w.TYPE_A, qid=5)
    msg = w.reply(q, w.parse_question(q), w.NOERROR, [w.a_record("198.18.0.2", 60), w.a_record("198.18.0.3", 60)])
    ans = w.parse_answer(msg)
    assert ans.id == 5 and ans.rcode == w.NOERROR and not ans.truncated
    assert ans.question == "a.test"
    assert ans.addresses() == [("198.18.0.2", 60), ("198.18.0.3", 60)]
    assert all(r.name == "a.test" for r in ans.records)
    flags = struct.unpack_from("!H", msg, 2)[0]
    assert flags & 0x8000 and flags & 0x0080 and flags & 0x0100  # QR, RA, RD echoed


@pytest.mark.parametrize("rcode", [w.NXDOMAIN, w.REFUSED, w.SERVFAIL, w.NOERROR])
def test_empty_replies(rcode: int) -> None:
    q = w.make_query("x.test", w.TYPE_AAAA)
    ans = w.parse_answer(w.reply(q, w.parse_question(q), rcode))
    assert ans.rcode == rcode and ans.records == []


def test_aaaa_record() -> None:
    rtype, rdata, ttl = w.a_record("2001:db8::1", 30)
    assert rtype == w.TYPE_AAAA and len(rdata) == 16 and ttl == 30


def test_parse_answer_with_cname_chain_and_compression() -> None:
    # www.example.com CNAME cdn.example.net (target compressed against nothing), cdn A 198.18.4.4
    cname_rdata = w.encode_name("cdn.example.net")
    msg = _response(
        "www.example.com",
        [
            (12, w.TYPE_CNAME, 300, cname_rdata),
            ("cdn.example.net", w.TYPE_A, 20, bytes([198, 18, 4, 4])),
            ("cdn.example.net", w.TYPE_AAAA, 20, bytes(15) + b"\x01"),
        ],
    )
    ans = w.parse_answer(msg)
    assert ans.cname_targets == ["cdn.example.net"]
    assert ans.addresses() == [("198.18.4.4", 20), ("::1", 20)]
    assert ans.records[0].name == "www.example.com"


def test_truncated_flag_and_rcode() -> None:
    ans = w.parse_answer(_response("big.test", [], rcode=w.NXDOMAIN, tc=True))
    assert ans.truncated and ans.rcode == w.NXDOMAIN


def test_with_id() -> None:
    q = w.make_query("a.test", w.TYPE_A, qid=1)
    assert w.parse_question(w.with_id(q, 999)).id == 999


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 11,
        struct.pack("!HHHHHH", 1, 0, 2, 0, 0, 0) + w.encode_name("a.test") + b"\x00\x01\x00\x01",  # 2 questions
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x05ab",  # label past the end
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + w.encode_name("a.test"),  # no type/class
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + b"\x00\x01\x00\x01",  # pointer to itself
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x80abc",  # reserved label type
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63
        + b"\x3f" + b"a" * 63 + b"\x00\x00\x01\x00\x01",  # 256-byte name
    ],
)  # fmt: skip
def test_malformed_queries_raise(data: bytes) -> None:
    with pytest.raises(w.DnsError):
        w.parse_question(data)


def test_malformed_answers_raise() -> None:
    good = _response("a.test", [(12, w.TYPE_A, 1, b"\x01\x02\x03\x04")])
    with pytest.raises(w.DnsError):
        w.parse_answer(good[:-2])
    with pytest.raises(w.DnsError):
        w.parse_answer(b"\x00\x01")


def test_encode_name_rejects_long_labels() -> None:
    with pytest.raises(w.DnsError):
        w.encode_name("a" * 64 + ".test")
