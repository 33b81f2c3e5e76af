"""E2B semantics from issue 12 against a real `hutch serve`, sync and async (one body each): the enums,
chunked output callbacks, handle triples, command timeouts, connect only extending, the files
semantics, the list paginator and connection parameters."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
import urllib.parse

import httpx
import pytest

from hutch import (
    CommandExitException,
    FilesystemEventType,
    FileType,
    InvalidArgumentException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    SandboxState,
    TimeoutException,
)

pytestmark = pytest.mark.integration


async def test_returned_values_are_enums_equal_to_their_strings(sdk, sbx):
    info = await sdk(sbx.get_info())
    assert info.state is SandboxState.RUNNING and info.state == "running"
    await sdk(sbx.files.make_dir("/tmp/e/d"))
    await sdk(sbx.files.write("/tmp/e/f", "x"))
    kinds = {e.name: e.type for e in await sdk(sbx.files.list("/tmp/e"))}
    assert kinds == {"d": FileType.DIR, "f": FileType.FILE} and kinds["f"] == "file"
    assert FilesystemEventType("write") == "write"


async def test_callbacks_get_chunks_without_newlines_and_whole_multibyte_characters(sdk, sbx):
    chunks: list[str] = []
    # a prompt without a newline, then "é" (c3 a9) written one byte at a time with a pause between
    cmd = "printf 'Password: '; sleep 0.5; printf '\\303'; sleep 0.5; printf '\\251\\n'"
    result = await sdk(sbx.commands.run(cmd, on_stdout=chunks.append))
    assert chunks[0] == "Password: "
    assert "".join(chunks) == result.stdout == "Password: é\n"
    assert "\ufffd" not in "".join(chunks)


async def test_handle_iteration_yields_stdout_stderr_pty_triples(sdk, sbx):
    handle = await sdk(sbx.commands.run("echo a; sleep 0.2; echo b >&2", background=True))
    chunks = await sdk.items(handle)
    assert ("a\n", None, None) in chunks and (None, "b\n", None) in chunks
    assert all(len(c) == 3 and sum(x is not None for x in c) == 1 for c in chunks)


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_a_command_past_its_timeout_raises_timeout_exception_and_is_killed(sdk, sbx):
    with pytest.raises(TimeoutException) as err:
        await sdk(sbx.commands.run("echo started; sleep 300 & echo $! > /tmp/bg; sleep 300", timeout=1))
    exc = err.value
    assert isinstance(exc, CommandExitException) and exc.exit_code == 137 and exc.stdout == "started\n"
    bg = (await sdk(sbx.files.read("/tmp/bg"))).strip()
    alive = await sdk(sbx.commands.run(f"kill -0 {bg} 2>/dev/null && echo alive || echo gone"))
    assert alive.stdout == "gone\n"  # the whole process tree was killed
    with pytest.raises(CommandExitException) as plain:  # a kill that is not a timeout stays a plain exit
        await sdk(sbx.commands.run("kill -9 $$"))
    assert not isinstance(plain.value, TimeoutException)


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_waiting_on_a_command_whose_sandbox_is_killed_raises_sandbox_not_running(sdk):
    sandbox = await sdk.create(timeout=120)
    try:
        handle = await sdk(sandbox.commands.run("sleep 300", background=True))
        await sdk(sdk.cls.kill(sandbox.sandbox_id))
        with pytest.raises(TimeoutException) as err:
            await sdk(handle.wait())
        assert isinstance(err.value, SandboxNotRunningException)
        assert isinstance(err.value, SandboxNotFoundException)  # what hutch code caught before
    finally:
        await sdk(sandbox.close())


class _ForwardProxy(http.server.ThreadingHTTPServer):
    """A loopback HTTP forward proxy that records what went through it (method, URL, headers)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ForwardProxy

    def _forward(self) -> None:
        assert self.path.startswith("http://127.0.0.1:"), self.path  # only ever to the loopback test server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        self.server.seen.append((self.command, self.path, {k.lower(): v for k, v in headers.items()}))
        reply = httpx.request(self.command, self.path, headers=headers, content=body, timeout=60)
        self.send_response(reply.status_code)
        for name, value in reply.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _forward

    def log_message(self, *args: object) -> None:
        pass


async def test_requests_go_through_the_proxy_with_the_extra_headers(sdk):
    proxy = _ForwardProxy()
    try:
        sandbox = await sdk.create(timeout=120, proxy=proxy.url, headers={"X-Trace": "compat-1"})
        try:
            info = await sdk(sandbox.get_info())
            assert info.sandbox_id == sandbox.sandbox_id
        finally:
            await sdk(sandbox.kill())
            await sdk(sandbox.close())
    finally:
        proxy.close()
    paths = [(method, urllib.parse.urlsplit(url).path) for method, url, _ in proxy.seen]
    assert ("POST", "/sandboxes") in paths and ("GET", f"/sandboxes/{sandbox.sandbox_id}") in paths
    assert all(headers.get("x-trace") == "compat-1" for _, _, headers in proxy.seen)


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_connect_with_a_timeout_never_shortens_a_running_sandboxs_life(sdk, sbx):
    before = (await sdk(sbx.get_info())).end_at  # created with timeout=600
    shorter = await sdk(sdk.cls.connect(sbx.sandbox_id, timeout=10))
    assert abs(((await sdk(shorter.get_info())).end_at - before).total_seconds()) < 1
    longer = await sdk(sdk.cls.connect(sbx.sandbox_id, timeout=1200))
    assert ((await sdk(longer.get_info())).end_at - before).total_seconds() > 500
    await sdk(shorter.close())
    await sdk(longer.close())


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_files_semantics_of_e2b(sdk, sbx):
    assert await sdk(sbx.files.remove("/tmp/never-was")) is None  # a no-op, not FileNotFoundException
    assert await sdk(sbx.files.write_files([])) == []
    written = await sdk(sbx.files.write_files([{"path": "/tmp/d1.txt", "data": "one"}], request_timeout=20))
    assert [w.path for w in written] == ["/tmp/d1.txt"]
    assert await sdk(sbx.files.read("/tmp/d1.txt", request_timeout=20)) == "one"
    with pytest.raises(InvalidArgumentException, match=r"^depth should be at least 1$"):
        await sdk(sbx.files.list("/tmp", depth=0))


async def test_a_raising_watch_callback_does_not_stop_later_events(sdk, sbx):
    await sdk(sbx.files.make_dir("/tmp/wr"))
    seen: list[str] = []

    def on_event(event):
        seen.append(event.path)
        raise RuntimeError("callback bug")

    handle = await sdk(sbx.files.watch_dir("/tmp/wr", on_event))
    try:
        for name in ("a", "b"):
            await sdk(sbx.files.write(f"/tmp/wr/{name}", name))
        deadline = time.monotonic() + 10
        while not {"/tmp/wr/a", "/tmp/wr/b"} <= set(seen) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await sdk(handle.stop())
    assert {"/tmp/wr/a", "/tmp/wr/b"} <= set(seen)
