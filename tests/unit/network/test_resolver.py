"""The sandbox resolver's decisions (egress.Egress.answer), the hosts file and the upstream client,
with nft calls recorded instead of run and a fake upstream nameserver on 127.0.0.1."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutchd.runtime import dnswire as w
from hutchd.runtime import egress
from hutchd.runtime.netpolicy import NetworkPolicy


class FakeUpstream(egress.Upstream):
    """Answers from a table: name -> (addresses, cname target or None); records what it was asked."""

    def __init__(self, table: dict[str, tuple[list[str], str | None]], fail: bool = False) -> None:
        super().__init__()
        self.table = table
        self.fail = fail
        self.asked: list[str] = []

    def query(self, message: bytes) -> bytes:
        q = w.parse_question(message)
        self.asked.append(q.name)
        if self.fail:
            raise OSError("upstream down")
        if q.name not in self.table:
            return w.reply(message, q, w.NXDOMAIN)
        addrs, cname = self.table[q.name]
        out = bytearray(w.reply(message, q, w.NOERROR, [w.a_record(a, 120) for a in addrs]))
        if cname:  # prepend a CNAME record: rebuild with it first
            rdata = w.encode_name(cname)
            head = bytearray(out[: q.end])
            struct.pack_into("!H", head, 6, len(addrs) + 1)
            cname_rr = struct.pack("!HHHIH", 0xC00C, w.TYPE_CNAME, w.CLASS_IN, 300, len(rdata)) + rdata
            out = head + cname_rr + out[q.end :]
        return bytes(out)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scripts: list[str] = []
    monkeypatch.setattr(egress._Box, "nft", lambda self, script: scripts.append(script))
    return scripts


def _box(policy: NetworkPolicy, tmp_path: Path) -> egress._Box:
    return egress._Box("sbx-t", -1, tmp_path / "network.json", policy, 7, [])


def _ask(service: egress.Egress, box: egress._Box, name: str, qtype: int = w.TYPE_A) -> w.Answer:
    reply = service.answer(box, w.make_query(name, qtype, qid=4242))
    assert reply is not None
    ans = w.parse_answer(reply)
    assert ans.id == 4242
    return ans


@pytest.fixture
def service(tmp_path: Path) -> Iterator[egress.Egress]:
    hosts = tmp_path / "hosts"
    hosts.write_text("198.18.7.2 local.test alias.test\n# comment\n198.18.7.3 other.test\nnot-an-ip bad.test\n")
    upstream = FakeUpstream(
        {
            "pypi.org": (["198.18.9.1", "198.18.9.2"], None),
            "evil.example": (["198.18.66.6"], None),
            "www.fine.example": (["198.18.5.5"], "cdn.evil.example"),
        }
    )
    svc = egress.Egress(hosts_file=hosts, upstream=upstream)
    yield svc
    svc.close()


def test_open_policy_forwards_and_pins_nothing(service: egress.Egress, recorded: list[str], tmp_path: Path) -> None:
    box = _box(NetworkPolicy(), tmp_path)
    ans = _ask(service, box, "pypi.org")
    assert ans.rcode == w.NOERROR and [a for a, _ in ans.addresses()] == ["198.18.9.1", "198.18.9.2"]
    assert recorded == []


def test_hosts_file_answers_first(service: egress.Egress, recorded: list[str], tmp_path: Path) -> None:
    box = _box(NetworkPolicy(), tmp_path)
    assert _ask(service, box, "Alias.Test.").addresses() == [("198.18.7.2", egress.HOSTS_TTL)]
    assert service.upstream.asked == []  # type: ignore[attr-defined]
    assert _ask(service, box, "bad.test").rcode == w.NXDOMAIN  # its line had no valid address: upstream says no


def test_hosts_file_is_reread_when_it_changes(service: egress.Egress, tmp_path: Path) -> None:
    box = _box(NetworkPolicy(), tmp_path)
    assert _ask(service, box, "new.test").rcode == w.NXDOMAIN
    path = service.hosts_file
    assert path is not None
    path.write_text(path.read_text() + "198.18.7.9 new.test\n")
    assert _ask(service, box, "new.test").addresses() == [("198.18.7.9", egress.HOSTS_TTL)]


def test_denied_names_are_nxdomain_and_their_addresses_pinned(
    service: egress.Egress, recorded: list[str], tmp_path: Path
) -> None:
    box = _box(NetworkPolicy.build(deny_out=["evil.example"]), tmp_path)
    ans = _ask(service, box, "evil.example")
    assert ans.rcode == w.NXDOMAIN and ans.records == []
    assert recorded == ["add element inet hutch pin_deny4 { 198.18.66.6 timeout 3600s }\n"]
    assert ("198.18.66.6", True) in box.pins


def test_allow_list_resolves_only_allowed_names_and_pins_them_first(
    service: egress.Egress, recorded: list[str], tmp_path: Path
) -> None:
    box = _box(NetworkPolicy.build(allow_out=["pypi.org", "*.test"]), tmp_path)
    assert _ask(service, box, "other.example").rcode == w.NXDOMAIN
    assert "other.example" not in service.upstream.asked  # type: ignore[attr-defined]  # no DNS exfiltration
    assert [a for a, _ in _ask(service, box, "pypi.org").addresses()] == ["198.18.9.1", "198.18.9.2"]
    assert "pin_allow4 { 198.18.9.1 timeout 900s }" in recorded[0]
    assert _ask(service, box, "local.test").addresses() == [("198.18.7.2", 60)]
    assert "198.18.7.2" in recorded[-1]
    # a second answer soon after does not call nft again: the pins are fresh
    count = len(recorded)
    _ask(service, box, "pypi.org")
    assert len(recorded) == count


def test_a_cname_through_a_denied_name_is_denied(service: egress.Egress, recorded: list[str], tmp_path: Path) -> None:
    box = _box(NetworkPolicy.build(deny_out=["*.evil.example"]), tmp_path)
    ans = _ask(service, box, "www.fine.example")
    assert ans.rcode == w.NXDOMAIN
    assert "pin_deny4 { 198.18.5.5" in recorded[0]


def test_aaaa_gets_an_empty_answer(service: egress.Egress, tmp_path: Path) -> None:
    ans = _ask(service, _box(NetworkPolicy(), tmp_path), "pypi.org", w.TYPE_AAAA)
    assert ans.rcode == w.NOERROR and ans.records == []


def test_upstream_failure_is_servfail(tmp_path: Path) -> None:
    svc = egress.Egress(upstream=FakeUpstream({}, fail=True))
    assert _ask(svc, _box(NetworkPolicy(), tmp_path), "pypi.org").rcode == w.SERVFAIL


def test_odd_queries(service: egress.Egress, tmp_path: Path) -> None:
    box = _box(NetworkPolicy(), tmp_path)
    assert service.answer(box, b"\x00\x01garbage") is None
    q = bytearray(w.make_query("a.test", w.TYPE_A))
    q[2] |= 0x80  # a response, not a query
    assert service.answer(box, bytes(q)) is None
    chaos = w.make_query("version.bind", 16)[:-2] + b"\x00\x03"
    assert w.parse_answer(service.answer(box, chaos) or b"").rcode == w.REFUSED


def test_a_policy_change_while_pinning_decides_again(
    service: egress.Egress, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An answer decided under the old policy never pins into the new one."""
    box = _box(NetworkPolicy.build(allow_out=["pypi.org"]), tmp_path)
    applied: list[str] = []

    def nft(self: egress._Box, script: str) -> None:
        applied.append(script)

    monkeypatch.setattr(egress._Box, "nft", nft)
    original = service._pin
    calls = {"n": 0}

    def racing_pin(b: egress._Box, generation: int, *args: object, **kwargs: object) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:  # the policy changes between the decision and the pin
            b.policy, b.generation = NetworkPolicy.build(allow_out=["other.example"]), 8
        return original(b, generation, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_pin", racing_pin)
    ans = _ask(service, box, "pypi.org")
    assert ans.rcode == w.NXDOMAIN  # decided again under the new policy
    assert applied == []


def test_parse_hosts() -> None:
    names = egress.parse_hosts("198.18.0.1 a.test B.test.\n::1 a.test\n\n#x 1.2.3.4 c\n198.18.0.1 a.test\n")
    assert names == {"a.test": ["198.18.0.1", "::1"], "b.test": ["198.18.0.1"]}


def _udp_and_tcp_on_one_port() -> tuple[socket.socket, socket.socket, int]:
    """A UDP port the kernel picks, and TCP on the same number: another process may hold that TCP port
    (a busy machine runs servers of its own), so pick again until both are ours."""
    for _ in range(100):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = int(udp.getsockname()[1])
        tcp = socket.socket()
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        return udp, tcp, port
    raise RuntimeError("no port free for both UDP and TCP in 100 tries")


@pytest.fixture
def dns_server() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP and TCP nameserver on 127.0.0.1 that answers a.test (truncated over UDP for big.test)."""
    udp, tcp, port = _udp_and_tcp_on_one_port()
    tcp.listen(4)
    seen: list[bytes] = []

    def answer(data: bytes) -> bytes:
        q = w.parse_question(data)
        return w.reply(data, q, w.NOERROR, [w.a_record("198.18.1.1", 30)])

    def serve_udp() -> None:
        while True:
            try:
                data, addr = udp.recvfrom(4096)
            except OSError:
                return
            seen.append(data)
            reply = bytearray(answer(data))
            if w.parse_question(data).name == "big.test":
                reply[2] |= 0x02
            udp.sendto(bytes(reply), addr)

    def serve_tcp() -> None:
        while True:
            try:
                conn, _ = tcp.accept()
            except OSError:
                return
            with conn:
                data = egress._recv_framed(conn)
                if data:
                    reply = answer(data)
                    conn.sendall(struct.pack("!H", len(reply)) + reply)

    for fn in (serve_udp, serve_tcp):
        threading.Thread(target=fn, daemon=True).start()
    yield port, seen
    udp.close()
    tcp.close()


def test_upstream_over_udp_and_tcp(dns_server: tuple[int, list[bytes]], tmp_path: Path, monkeypatch) -> None:
    port, seen = dns_server
    conf = tmp_path / "resolv.conf"
    conf.write_text("# test\nnameserver 127.0.0.1\n")
    up = egress.Upstream(conf)
    monkeypatch.setattr(socket.socket, "connect", _redirect(port))
    ans = w.parse_answer(up.query(w.make_query("a.test", w.TYPE_A, qid=9)))
    assert ans.id == 9 and ans.addresses() == [("198.18.1.1", 30)]
    assert w.parse_question(seen[-1]).id != 9  # a fresh random id upstream
    big = w.parse_answer(up.query(w.make_query("big.test", w.TYPE_A, qid=10)))
    assert big.id == 10 and not big.truncated and big.addresses() == [("198.18.1.1", 30)]  # retried over TCP


def _redirect(port: int):  # type: ignore[no-untyped-def]
    real = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and address[1] == 53:
            address = (address[0], port)
        real(self, address)

    return connect


def test_upstream_reads_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search x\nnameserver 198.18.0.53\nnameserver 2001:db8::53\n")
    assert egress.Upstream(conf).servers() == ["198.18.0.53", "2001:db8::53"]
    assert egress.Upstream(tmp_path / "missing").servers() == ["127.0.0.1"]
