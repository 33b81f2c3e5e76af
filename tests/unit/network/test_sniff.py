"""sniff.py: the name in a connection's first bytes, from real ClientHellos (OpenSSL's, through the
ssl module's memory BIOs) and HTTP/1 request heads."""

from __future__ import annotations

import ssl

import pytest

from hutchd.runtime.sniff import MAX_PREFIX, Sniffed, sniff


def client_hello(server_hostname: str | None) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = server_hostname is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_the_sni_of_a_client_hello() -> None:
    assert sniff(client_hello("API.Example.com")) == Sniffed("tls", "api.example.com")


def test_a_client_hello_without_sni_names_nothing() -> None:
    assert sniff(client_hello(None)) == Sniffed("tls", None)


def test_more_is_asked_for_until_the_hello_is_whole() -> None:
    hello = client_hello("a.example")
    for cut in (1, 5, 40, len(hello) - 1):
        assert sniff(hello[:cut]) is None
    assert sniff(hello) == Sniffed("tls", "a.example")


def test_a_hello_split_over_two_records() -> None:
    hello = client_hello("split.example")
    body = hello[5:]
    records = b"".join(hello[:3] + len(part).to_bytes(2, "big") + part for part in (body[:50], body[50:]))
    assert sniff(records[:60]) is None
    assert sniff(records) == Sniffed("tls", "split.example")


@pytest.mark.parametrize(
    "data",
    [
        b"\x16\x03\x01\x00\x00",  # an empty record
        b"\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00",  # a ServerHello, not a ClientHello
        b"\x16\x03\x01\x00\x08\x01\x00\x00\x04\x03\x03\x00\x00",  # a ClientHello cut short inside itself
        b"\x00\x01\x02binary",
        b"SSH-2.0-OpenSSH_9.2\r\n",
    ],
)
def test_what_is_neither_names_nothing(data: bytes) -> None:
    seen = sniff(data)
    assert seen is not None and seen.name is None and seen.protocol == "other"


def test_a_hello_that_never_ends_stops_at_the_limit() -> None:
    endless = b"\x16\x03\x01\x40\x00\x01\xff\xff\xff" + b"\x00" * 0x3FFC
    data = b"".join([endless] * 5)[:MAX_PREFIX]
    assert sniff(data) == Sniffed("other", None)


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"GET / HTTP/1.1\r\nHost: Example.COM:8080\r\nAccept: */*\r\n\r\n", "example.com"),
        (b"GET http://other/ HTTP/1.1\r\nhost: a.example\r\n\r\n", "a.example"),
        (b"GET / HTTP/1.0\r\n\r\n", None),
        (b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", None),  # two: trust neither
        (b"GET / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n", None),  # an address names no domain
        (b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", None),
        (b"GET / HTTP/1.1\r\nHost: bad name\r\n\r\n", None),
    ],
)
def test_the_host_of_an_http_request(head: bytes, name: str | None) -> None:
    assert sniff(head) == Sniffed("http", name)


def test_an_http_head_is_read_until_its_end() -> None:
    assert sniff(b"GET / HTTP/1.1\r\nHost: a.exa") is None
    assert sniff(b"GET / HT") is None
    assert sniff(b"HELO mail.example\r\n") == Sniffed("other", None)
    assert sniff(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_PREFIX // 6)) == Sniffed("other", None)
