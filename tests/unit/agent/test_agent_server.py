"""The agent's HTTP server: every kept-alive connection's next request is served, however the
workers hand connections back to the main thread."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from hutch_agent.server import Request, Response, SocketReader, _Server, serve

CLIENTS = 4
ROUNDS = 3000


def _hello(request: Request, response: Response) -> None:
    response.send(200, b"ok", "text/plain")


def _ask(conn: socket.socket, buffered: bytearray) -> bytes:
    """One request on a kept-alive connection; the body of its answer."""
    conn.sendall(b"GET /hello HTTP/1.1\r\nHost: agent\r\n\r\n")
    while b"\r\n\r\n" not in buffered:
        chunk = conn.recv(4096)
        assert chunk, "the agent closed a kept-alive connection"
        buffered += chunk
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields[b"Content-Length"])
    while len(rest) < length:
        chunk = conn.recv(4096)
        assert chunk, "the agent closed a kept-alive connection"
        rest += chunk
    buffered[:] = rest[length:]
    return rest[:length]


def test_connections_handed_back_at_once_are_all_served_again(tmp_path: Path) -> None:
    """Workers finishing together hand their connections back together. The main thread must poll
    every one of them again: a connection whose wake-up was drained before it was collected waited
    until some other connection came back (in a quiet sandbox, for ever)."""
    path = str(tmp_path / "agent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    threading.Thread(target=serve, args=(listener, _hello), daemon=True).start()
    failures: list[BaseException] = []
    # In rounds: nobody asks again until every answer of the round is in, so a connection left
    # unpolled is not rescued by another one coming back later.
    rounds = threading.Barrier(CLIENTS)

    def client() -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(10)  # a served request takes well under a millisecond
                conn.connect(path)
                buffered = bytearray()
                for _ in range(ROUNDS):
                    rounds.wait(timeout=20)
                    assert _ask(conn, buffered) == b"ok"
        except BaseException as exc:  # reported by the test's own thread
            failures.append(exc)
            rounds.abort()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


class _HandBackOnRelease:
    """The server's lock, with a worker handing a connection back the moment the main thread lets
    go of it: the narrowest moment of the race above, made to happen every time."""

    def __init__(self, hand_back: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._hand_back: Callable[[], None] | None = hand_back

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        if (hand_back := self._hand_back) is not None:
            self._hand_back = None
            hand_back()


def test_a_connection_handed_back_while_others_are_collected_is_polled(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "agent.sock"))
    server = _Server(listener, _hello)
    first, late = socket.socketpair(), socket.socketpair()
    server._give_back(first[0], SocketReader(first[0]), True)
    server._lock = _HandBackOnRelease(lambda: server._give_back(late[0], SocketReader(late[0]), True))  # type: ignore[assignment]
    server._take_returned()
    assert first[0].fileno() in server._idle
    woken = select.select([server._waker], [], [], 0)[0]
    assert late[0].fileno() in server._idle or woken, "the late connection is neither polled nor due to be"
