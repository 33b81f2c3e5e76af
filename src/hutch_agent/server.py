"""HTTP/1.1 over the agent's Unix socket: keep-alive, chunked both ways, requests served by a pool.

Hand-written rather than `http.server` because that module costs ~45 ms of imports at sandbox start,
cannot read chunked request bodies and has no streaming response helper; the gateway in front of the
agent sends and expects both. A connection that fails only ends its own request, never the agent.

Threads count against the sandbox's process limit, which its own processes can fill (a fork bomb).
So a thread serves a request, not a connection: the main thread polls the idle kept-alive
connections and hands one whose next request arrives to a worker. `SPARE_WORKERS` wait from the
start; more are made while the sandbox lets us, and when it does not, a request finds a spare one
or is answered 503 at once, so killing and listing processes keep working in a full sandbox.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator

from .errors import HttpError
from .fdio import Waker, splice_to_file, write_all

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from typing import Any

MAX_LINE = 65536
MAX_HEADERS = 100
CHUNK = 256 * 1024
SEND_BUFFER = 4 * 1024 * 1024  # socket send buffer for a file's bytes (the default is 208 KiB)
# How much of a body nobody read is discarded so the client can finish sending and read our answer.
DRAIN_LIMIT = 64 * 1024 * 1024
DRAIN_TIMEOUT = 10.0
SPARE_WORKERS = 4  # threads made at start and kept waiting, for when the sandbox cannot make more
WORKER_IDLE = 30.0  # seconds a worker beyond the spare ones waits for a request before it ends
REJECT_TIMEOUT = 1.0  # seconds to read a request we can only refuse, so that its client reads why

_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
    507: "Insufficient Storage",
}
_TRANSIENT_ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED}
_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def log(message: str) -> None:
    """One line on stderr, which the runtime keeps as the sandbox's agent log."""
    sys.stderr.write(f"hutch-agent: {message}\n")
    sys.stderr.flush()


def unquote(raw: str, plus: bool = False) -> str:
    """Percent-decode a URL part; bytes that are not UTF-8 survive as surrogate escapes, like os paths."""
    data = raw.encode("latin-1", "replace")
    if plus:
        data = data.replace(b"+", b" ")
    return _PERCENT.sub(lambda m: bytes([int(m.group(1), 16)]), data).decode("utf-8", "surrogateescape")


def dumps(obj: Any) -> bytes:
    """Compact JSON; ASCII-escaped so names that are not valid UTF-8 still make valid JSON."""
    return json.dumps(obj, separators=(",", ":")).encode()


class ClientGone(Exception):
    """The client closed the connection while we were reading or writing."""


class Body:
    """A request body read incrementally, framed by Content-Length or chunked transfer coding."""

    def __init__(self, rfile: Any, conn: socket.socket, length: int | None, chunked: bool, expect: bool):
        self._rfile = rfile
        self._conn = conn
        self._remaining = length or 0  # bytes left in the body (Content-Length) or in the current chunk
        self._chunked = chunked
        self._expect_continue = expect
        self.done = not chunked and not length
        self.length = length
        self._lost = False  # a splice failed part way: how much of the body is left is unknown

    def _go_ahead(self) -> None:
        """Tell a client waiting for `100 Continue` to send the body, once we want it."""
        if self._expect_continue:
            self._expect_continue = False
            try:
                self._conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError as exc:
                raise ClientGone(str(exc)) from exc

    def read(self, size: int = CHUNK) -> bytes:
        """Up to `size` bytes, at least one unless the body is over (then b"")."""
        if self.done:
            return b""
        self._go_ahead()
        if self._chunked and self._remaining == 0 and not self._next_chunk():
            return b""
        data: bytes = self._rfile.read1(min(size, self._remaining))
        if not data:
            raise ClientGone("the client closed the connection in the middle of the request body")
        self._remaining -= len(data)
        if self._remaining == 0:
            if self._chunked:
                if self._rfile.read(2) != b"\r\n":
                    raise HttpError(400, "malformed chunked body: a chunk does not end with CRLF")
            else:
                self.done = True
        return data

    def _next_chunk(self) -> bool:
        line = self._rfile.readline(MAX_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError(400, f"malformed chunked body: bad chunk size {line[:40]!r}") from None
        if size < 0:
            raise HttpError(400, "malformed chunked body: negative chunk size")
        if size == 0:
            while self._rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers: none of our business
            self.done = True
            return False
        self._remaining = size
        return True

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read():
            yield data

    def copy_to(self, fd: int) -> None:
        """Write the rest of the body to the file `fd`. Past what is already buffered, a Content-Length
        body goes from the socket to the file in the kernel (splice), never through this process."""
        if self._chunked:
            for data in self:
                write_all(fd, data)
            return
        if self.done:
            return
        self._go_ahead()
        try:
            buffered = self._rfile.take_buffered(self._remaining)
            self._remaining -= len(buffered)
            write_all(fd, buffered)
            self._remaining -= splice_to_file(self._conn.fileno(), fd, self._remaining)
        except OSError as exc:
            self._lost = True
            if exc.errno in (errno.ECONNRESET, errno.EPIPE):
                raise ClientGone(str(exc)) from exc
            raise
        if self._remaining:
            raise ClientGone("the client closed the connection in the middle of the request body")
        self.done = True

    def read_all(self, limit: int) -> bytes:
        """The whole body, or 413 if it is longer than `limit` bytes."""
        if self.length is not None and self.length > limit:
            raise HttpError(413, f"request body of {self.length} bytes exceeds the limit of {limit} bytes")
        parts: list[bytes] = []
        size = 0
        for data in self:
            size += len(data)
            if size > limit:
                raise HttpError(413, f"request body exceeds the limit of {limit} bytes")
            parts.append(data)
        return b"".join(parts)

    def discard(self) -> bool:
        """Read and drop what is left (bounded); True if the connection can carry another request."""
        if self._expect_continue or self._lost:
            return False  # the client waits for our go-ahead and will not send it, or we lost count
        total = 0
        while not self.done:
            total += len(self.read())
            if total > DRAIN_LIMIT:
                return False
        return True


class Request:
    """One parsed request: method, decoded path, query parameters (last one wins) and headers."""

    def __init__(self, method: str, target: str, version: str, headers: dict[str, str], body: Body):
        self.method = method
        raw_path, _, raw_query = target.partition("?")
        self.path = unquote(raw_path)
        self.query: dict[str, str] = {}
        for pair in raw_query.split("&"):
            if pair:
                key, _, value = pair.partition("=")
                self.query[unquote(key, plus=True)] = unquote(value, plus=True)
        self.headers = headers
        self.body = body
        self.operation: Any = None  # the spec's operation the router matched (hutch_agent.contract)
        self.path_params: dict[str, Any] = {}
        connection = headers.get("connection", "").lower()
        self.keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)


class Response:
    """Writes one response: a whole JSON/empty body, or a chunked stream."""

    def __init__(self, conn: socket.socket, request: Request | None) -> None:
        self._conn = conn
        self._request = request
        self.keep_alive = request is not None and request.keep_alive
        self.started = False
        self.finished = False

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.started:
            raise RuntimeError("response already started")
        if self._request is not None and not self._request.body.done:
            self.keep_alive = False  # we answer before the body is read: close after draining it
        self.started = True
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if not self.keep_alive:
            lines.append("Connection: close")
        self._send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _send(self, data: bytes) -> None:
        try:
            self._conn.sendall(data)
        except OSError as exc:
            raise ClientGone(str(exc)) from exc

    def send(self, status: int, body: bytes, content_type: str) -> None:
        self._start(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        self._send(body)
        self.finished = True

    def json(self, status: int, obj: Any) -> None:
        self.send(status, dumps(obj), "application/json")

    def error(self, status: int, message: str) -> None:
        self.json(status, {"code": status, "message": message})

    def empty(self, status: int = 204) -> None:
        self._start(status, [] if status == 204 else [("Content-Length", "0")])
        self.finished = True

    def file(self, status: int, fd: int, content_type: str) -> None:
        """The regular file `fd` from its offset to its current end as the body, with its size as
        Content-Length, copied by the kernel (sendfile: the bytes never pass through the agent). A file
        that shrinks meanwhile cuts the connection, which then cannot keep its promise."""
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        size = max(0, os.fstat(fd).st_size - offset)
        if size > CHUNK:  # more in flight: the reader takes it in fewer, larger reads (capped by wmem_max)
            with contextlib.suppress(OSError):
                self._conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self._start(status, [("Content-Type", content_type), ("Content-Length", str(size))])
        try:
            with open(fd, "rb", closefd=False) as f:
                sent = self._conn.sendfile(f, offset, size) if size else 0
        except OSError as exc:
            raise ClientGone(str(exc)) from exc
        if sent != size:
            raise ClientGone(f"the file shrank while it was sent ({sent} of {size} bytes)")
        self.finished = True

    def stream(self, status: int, content_type: str) -> None:
        """Start a chunked response; follow with `write` calls and one `end`."""
        self._start(status, [("Content-Type", content_type), ("Transfer-Encoding", "chunked")])

    def write(self, data: bytes) -> None:
        if data:
            self._send(b"%x\r\n%b\r\n" % (len(data), data))

    def end(self) -> None:
        self._send(b"0\r\n\r\n")
        self.finished = True

    def client_gone(self) -> bool:
        """Whether the client hung up, checked without blocking (for streams that wait a long time)."""
        poller = select.poll()  # not select.select: fds above 1023 are common in a busy agent
        poller.register(self._conn, select.POLLIN | select.POLLHUP)
        if not poller.poll(0):
            return False
        try:
            return self._conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True


App = Callable[[Request, Response], None]


def _read_request(rfile: Any, conn: socket.socket) -> Request | None:
    line = rfile.readline(MAX_LINE)
    while line in (b"\r\n", b"\n"):  # tolerated between pipelined requests
        line = rfile.readline(MAX_LINE)
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise HttpError(400, "request line too long")
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, f"malformed request line {line[:80]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    while True:
        line = rfile.readline(MAX_LINE)
        if line in (b"\r\n", b"\n"):
            break
        if not line.endswith(b"\n") or len(headers) >= MAX_HEADERS:
            raise HttpError(400, "request headers too long or too many")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, f"malformed header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length = None
    if not chunked and "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise HttpError(400, "Content-Length is not a number") from None
        if length < 0:
            raise HttpError(400, "Content-Length is negative")
    expect = headers.get("expect", "").lower() == "100-continue"
    return Request(method, target, version, headers, Body(rfile, conn, length, chunked, expect))


def _handle(app: App, request: Request, response: Response) -> None:
    try:
        app(request, response)
        if response.started and not response.finished:
            response.end()
    except ClientGone:
        response.keep_alive = False
    except HttpError as exc:
        if response.started:
            response.keep_alive = False
        else:
            response.error(exc.status, exc.message)
    except Exception as exc:
        import traceback

        log(f"{request.method} {request.path} failed:\n{traceback.format_exc()}")
        if response.started:
            response.keep_alive = False
        else:
            response.error(500, f"internal error in {request.method} {request.path}: {type(exc).__name__}: {exc}")


class SocketReader:
    """A connection's input, buffered: what requests are parsed from, and whether some of the next
    request is already here (then polling the socket would not say so)."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = bytearray()

    @property
    def buffered(self) -> bool:
        return bool(self._buffer)

    def _fill(self) -> bool:
        data = self._conn.recv(CHUNK)
        self._buffer += data
        return bool(data)

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readline(self, limit: int) -> bytes:
        """A line with its newline; at most `limit` bytes, or what came before the end of the stream."""
        while (end := self._buffer.find(b"\n", 0, limit)) < 0:
            if len(self._buffer) >= limit or not self._fill():
                return self._take(limit)
        return self._take(end + 1)

    def take_buffered(self, size: int) -> bytes:
        """Up to `size` bytes of what was read from the socket already, without reading it again."""
        return self._take(size)

    def read1(self, size: int) -> bytes:
        """Up to `size` bytes with at most one read of the socket; b"" at the end of the stream."""
        if not self._buffer:
            return self._conn.recv(size)
        return self._take(size)

    def read(self, size: int) -> bytes:
        """`size` bytes, or fewer at the end of the stream."""
        while len(self._buffer) < size and self._fill():
            pass
        return self._take(size)


def _serve_requests(conn: socket.socket, rfile: SocketReader, app: App) -> bool:
    """Serve the requests that are here on `conn`; True if it stays open for more."""
    try:
        while True:
            try:
                request = _read_request(rfile, conn)
            except HttpError as exc:
                Response(conn, None).error(exc.status, exc.message)
                return False
            if request is None:
                return False
            response = Response(conn, request)
            _handle(app, request, response)
            if not response.finished:
                return False
            conn.settimeout(DRAIN_TIMEOUT)
            if not request.body.discard() or not response.keep_alive:
                return False
            conn.settimeout(None)
            if not rfile.buffered:
                return True
    except (ClientGone, HttpError, OSError):
        pass  # the client went away or sent garbage: this connection is over, the agent is not
    except Exception:
        import traceback

        log(f"connection failed:\n{traceback.format_exc()}")
    return False


class _Workers:
    """The threads that serve requests: `SPARE_WORKERS` made at start, more while the sandbox allows."""

    def __init__(self, app: App, done: Callable[[socket.socket, SocketReader, bool], None]) -> None:
        self._app = app
        self._done = done  # gets each connection back once its requests are served
        self._queue: queue.SimpleQueue[tuple[socket.socket, SocketReader]] = queue.SimpleQueue()
        self._idle = 0  # workers waiting, less the connections queued for them
        self._lock = threading.Lock()
        for _ in range(SPARE_WORKERS):
            self._idle += 1
            threading.Thread(target=self._work, daemon=True, name="worker").start()

    def dispatch(self, conn: socket.socket, rfile: SocketReader) -> bool:
        """Have a worker serve `conn`'s requests; False if none is free and no thread can be made."""
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
                self._queue.put((conn, rfile))
                return True
        try:
            threading.Thread(target=self._work, args=((conn, rfile),), daemon=True, name="worker").start()
        except RuntimeError:  # "can't start new thread": the sandbox is at its process limit
            return False
        return True

    def _work(self, first: tuple[socket.socket, SocketReader] | None = None) -> None:
        job = first
        while True:
            if job is not None:
                conn, rfile = job
                self._done(conn, rfile, _serve_requests(conn, rfile, self._app))
                with self._lock:
                    self._idle += 1
            try:
                job = self._queue.get(timeout=WORKER_IDLE)
            except queue.Empty:
                with self._lock:
                    if self._idle > SPARE_WORKERS:
                        self._idle -= 1
                        return
                job = None


class _Server:
    """The main thread's loop: accept, wait for idle connections' next requests, dispatch them."""

    def __init__(self, listener: socket.socket, app: App) -> None:
        if listener.family != socket.AF_UNIX:  # a pod's: no 40 ms Nagle/delayed-ACK stall between writes
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
        self._listener = listener
        self._poller = select.poll()
        self._idle: dict[int, tuple[socket.socket, SocketReader]] = {}
        self._returned: list[tuple[socket.socket, SocketReader]] = []
        self._lock = threading.Lock()
        self._waker = Waker()
        self._poller.register(self._waker, select.POLLIN)
        self._poller.register(listener, select.POLLIN)
        self._workers = _Workers(app, self._give_back)

    def _give_back(self, conn: socket.socket, rfile: SocketReader, keep: bool) -> None:
        """From a worker: `conn` is idle again (`keep`) or over."""
        if not keep:
            conn.close()
            return
        with self._lock:
            self._returned.append((conn, rfile))
        self._waker.wake()

    def run(self) -> None:
        while True:
            for fd, _ in self._poller.poll():
                if fd == self._waker.fileno():
                    self._take_returned()
                elif fd == self._listener.fileno():
                    self._accept()
                elif (idle := self._idle.pop(fd, None)) is not None:
                    self._poller.unregister(fd)
                    if not self._workers.dispatch(*idle):
                        _reject(*idle)

    def _take_returned(self) -> None:
        # Drain first: a connection handed back after the drain wakes us again. Drained after the
        # take, a wake-up for one handed back in between was lost, and its next request waited.
        self._waker.drain()
        with self._lock:
            returned, self._returned = self._returned, []
        for conn, rfile in returned:
            self._idle[conn.fileno()] = (conn, rfile)
            self._poller.register(conn, select.POLLIN)

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError as exc:
            if exc.errno not in _TRANSIENT_ACCEPT_ERRORS:
                raise  # the listening socket itself is broken: nobody can reach us any more
            log(f"accept failed, retrying: {exc}")
            time.sleep(0.1)
            return
        self._idle[conn.fileno()] = (conn, SocketReader(conn))
        self._poller.register(conn, select.POLLIN)


def _reject(conn: socket.socket, rfile: SocketReader) -> None:
    """Answer a request no thread is left to serve with 503, reading it first so the client reads why."""
    try:
        conn.settimeout(REJECT_TIMEOUT)
        request = _read_request(rfile, conn)
        if request is not None:
            request.body.discard()
            Response(conn, None).error(
                503,
                "the sandbox's process limit is reached: the agent has no thread free to serve this request; "
                "kill some of its processes and try again",
            )
    except (ClientGone, HttpError, OSError):
        pass
    finally:
        conn.close()


class TokenGate:
    """The agent behind a shared secret: a request without the sandbox's token in
    `X-Hutch-Agent-Token` is answered 401 (`GET /health` excepted: a readiness probe carries no
    secret, and the answer tells nothing). For listeners others on the network can reach (a pod's
    TCP port); on a Unix socket only the host can connect."""

    def __init__(self, app: App, token: str) -> None:
        self._app = app
        self._token = token.encode()

    def __call__(self, request: Request, response: Response) -> None:
        import hmac

        if not (request.method == "GET" and request.path == "/health"):
            given = request.headers.get("x-hutch-agent-token", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, self._token):
                raise HttpError(401, "this agent needs its sandbox's token in X-Hutch-Agent-Token")
        self._app(request, response)


def serve(listener: socket.socket, app: App) -> None:
    """Serve connections forever (see the module's docstring for how threads are used)."""
    _Server(listener, app).run()
