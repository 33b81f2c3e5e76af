"""The resolver's fair shares (issue 11, defect 8): the token bucket and limiter on a fake clock, the
round-robin worker pool, and the resolver's UDP loop on loopback sockets: a flooding sandbox gets
REFUSED (then silence) while another sandbox's questions are still answered."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutchd.runtime import dnswire as w
from hutchd.runtime import egress
from hutchd.runtime.dnslimit import FairPool, QueryLimiter, TokenBucket, Verdict
from hutchd.runtime.netpolicy import NetworkPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_gives_its_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.seconds_to_token() == pytest.approx(0.1)
    clock.now += 0.25  # 2.5 tokens
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    clock.now += 60  # never more than the burst saved
    assert sum(bucket.take() for _ in range(20)) == 5


def test_limiter_answers_then_refuses_then_drops() -> None:
    clock = Clock()
    limiter = QueryLimiter(rate=10, burst=3, clock=clock)
    verdicts = [limiter.admit() for _ in range(8)]
    assert verdicts == [Verdict.ANSWER] * 3 + [Verdict.REFUSE] * 3 + [Verdict.DROP] * 2
    assert (limiter.refused, limiter.dropped) == (3, 2)
    clock.now += 0.11
    assert limiter.admit() is Verdict.ANSWER


def test_pool_takes_keys_in_turn() -> None:
    """One worker, one job per key at a time: a key with many jobs waiting lets another key's job
    go next, not after all of them."""
    pool = FairPool(workers=1, per_key=1, max_pending=100)
    order: list[str] = []
    gate = threading.Event()
    done = threading.Event()
    try:
        assert pool.submit("flood", gate.wait)  # holds the worker until the queue is built
        for i in range(10):
            assert pool.submit("flood", lambda i=i: order.append(f"flood{i}"))
        assert pool.submit("quiet", lambda: order.append("quiet"))
        assert pool.submit("quiet", done.set)
        gate.set()
        assert done.wait(5)
        assert order.index("quiet") <= 1, order
    finally:
        gate.set()
        pool.shutdown()


def test_pool_bounds_what_one_key_holds_and_queues() -> None:
    pool = FairPool(workers=4, per_key=2, max_pending=3)
    gate = threading.Event()
    started = threading.Semaphore(0)

    def blocked() -> None:
        started.release()
        gate.wait()

    try:
        for _ in range(2):
            assert pool.submit("flood", blocked)
        assert started.acquire(timeout=5) and started.acquire(timeout=5)
        for _ in range(3):  # wait: "flood" may hold 2 workers only
            assert pool.submit("flood", blocked)
        assert not pool.submit("flood", blocked)  # its queue is full
        quiet = threading.Event()
        assert pool.submit("quiet", quiet.set)
        assert quiet.wait(5)  # a free worker serves another key although "flood" has jobs waiting
        assert not started.acquire(timeout=0.2)  # "flood" never held more than 2 workers
    finally:
        gate.set()
        pool.shutdown()


# ---------------------------------------------------------------- the UDP loop on loopback sockets


@pytest.fixture
def service(tmp_path: Path) -> Iterator[egress.Egress]:
    hosts = tmp_path / "hosts"
    hosts.write_text("198.18.7.2 local.test\n")
    svc = egress.Egress(hosts_file=hosts)
    yield svc
    svc.close()


def _attach_loopback(svc: egress.Egress, sandbox_id: str, tmp_path: Path) -> tuple[str, int]:
    """A sandbox resolver on a 127.0.0.1 socket (no netns): the loop serves it like any other."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    box = egress._Box(sandbox_id, -1, tmp_path / f"{sandbox_id}.json", NetworkPolicy(), 7, [], udp=sock)
    svc._start()
    with svc._guard:
        svc._boxes[sandbox_id] = box
    svc._call_in_loop(lambda: svc._register(box))
    return sock.getsockname()


def _client() -> socket.socket:
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    return c


def test_a_flooding_sandbox_is_refused_while_another_is_answered(service, tmp_path) -> None:
    flood_addr = _attach_loopback(service, "sbx-flood", tmp_path)
    quiet_addr = _attach_loopback(service, "sbx-quiet", tmp_path)
    flooder = _client()
    sent = 0
    started = time.monotonic()
    while sent < 5000:
        flooder.sendto(w.make_query("local.test", w.TYPE_A, qid=sent & 0xFFFF), flood_addr)
        sent += 1
    elapsed = time.monotonic() - started
    # The quiet sandbox, asked during and right after the flood, is answered every time.
    quiet = _client()
    quiet.settimeout(5)
    for i in range(20):
        quiet.sendto(w.make_query("local.test", w.TYPE_A, qid=i), quiet_addr)
        ans = w.parse_answer(quiet.recv(4096))
        assert (ans.id, ans.rcode, ans.addresses()) == (i, w.NOERROR, [("198.18.7.2", egress.HOSTS_TTL)])
    rcodes: dict[int, int] = {}
    flooder.settimeout(0.5)
    with pytest.raises(TimeoutError):
        while True:
            rcode = w.parse_answer(flooder.recv(4096)).rcode
            rcodes[rcode] = rcodes.get(rcode, 0) + 1
    answered_at_most = egress.DNS_BURST + egress.DNS_RATE * (time.monotonic() - started + elapsed) + 1
    assert 0 < rcodes.get(w.NOERROR, 0) <= answered_at_most, rcodes
    assert rcodes.get(w.REFUSED, 0) > 0, rcodes
    assert sum(rcodes.values()) < sent, rcodes  # past its refusals, the rest is dropped
    assert set(rcodes) <= {w.NOERROR, w.REFUSED}, rcodes
