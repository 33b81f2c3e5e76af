"""E2B's remaining names end to end against a real `hutch serve`, sync and async (issue 12): the list
paginator with ``started_after`` and ``order``, ``watch_dir(include_entry=, on_exit=, timeout=)``,
terminals (``wait(on_pty=)``, ``connect(pid, on_data=)``, a terminal's timeout), selector functions
and ``mask_request_host``. One sandbox per flavor serves every test of the module."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sdk_fakes import Flavor

from hutch import (
    ALL_TRAFFIC,
    CommandExitException,
    InvalidArgumentException,
    PtySize,
    SandboxQuery,
    TimeoutException,
)

pytestmark = pytest.mark.integration

HOST_ECHO = """
import http.server
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", 8000), Echo).serve_forever()
"""


@pytest.fixture(scope="module", params=["sync", "async"])
async def box(request: pytest.FixtureRequest, hutch_env: dict[str, str]) -> AsyncIterator[tuple[Flavor, Any]]:
    """One sandbox per flavor: no internet (a selector function says so), ports seen as ``${PORT}-app.test``."""
    sdk = Flavor(request.param)
    network = {"deny_out": lambda ctx: [ctx.all_traffic], "mask_request_host": "${PORT}-app.test"}
    sbx = await sdk.create(timeout=600, metadata={"suite": "e2b-compat", "flavor": sdk.name}, network=network)
    yield sdk, sbx
    await sdk(sbx.kill())
    await sdk(sbx.close())


async def test_list_paginator_started_after_and_order(box: tuple[Flavor, Any]) -> None:
    sdk, first = box
    tag = uuid.uuid4().hex
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    second = await sdk.create(timeout=120, metadata={"run": tag})
    third = await sdk.create(timeout=120, metadata={"run": tag})
    try:
        query = SandboxQuery(metadata={"run": tag}, started_after=before)
        paginator = sdk.cls.list(query, limit=1, order="asc")
        pages = []
        while paginator.has_next:
            pages.append([s.sandbox_id for s in await sdk(paginator.next_items())])
        assert pages == [[second.sandbox_id], [third.sandbox_id]]
        newest_first = await sdk(sdk.cls.list(query))  # declaw's page: desc by default
        assert [s.sandbox_id for s in newest_first] == [third.sandbox_id, second.sandbox_id]
        assert newest_first["next_token"] is None
        later = SandboxQuery(metadata={"run": tag}, started_after=datetime.datetime.now() + datetime.timedelta(hours=1))
        assert await sdk(sdk.cls.list(later).next_items()) == []
        hopx = await sdk(sdk.cls.list(SandboxQuery(metadata={"run": tag}), status="running", order="asc"))
        assert [b.sandbox_id for b in hopx] == [second.sandbox_id, third.sandbox_id]
        for b in hopx:
            await sdk(b.close())
        assert first.sandbox_id not in [s.sandbox_id for s in newest_first]
    finally:
        for sbx in (second, third):
            await sdk(sbx.kill())
            await sdk(sbx.close())


async def test_snapshot_paginator(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    first = await sdk(sbx.create_snapshot(name=f"e2b-pages-{sdk.name}"))
    second = await sdk(sbx.create_snapshot())
    paginator = sdk.cls.list_snapshots(sandbox_id=sbx.sandbox_id, limit=1)
    pages = []
    while paginator.has_next:
        pages.append([s.snapshot_id for s in await sdk(paginator.next_items())])
    listed = [snapshot_id for page in pages for snapshot_id in page]
    assert {first.snapshot_id, second.snapshot_id} <= set(listed) and len(listed) == len(set(listed))
    assert all(len(page) == 1 for page in pages)
    named = await sdk(sbx.list_snapshots(name=f"e2b-pages-{sdk.name}"))  # declaw's list, filtered as E2B's name=
    assert [s.snapshot_id for s in named] == [first.snapshot_id] and named[0].names == [f"e2b-pages-{sdk.name}"]
    for info in (first, second):
        await sdk(sdk.cls.delete_snapshot(info.snapshot_id))


async def test_pause_says_whether_it_paused(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    assert await sdk(sbx.pause()) is True
    assert await sdk(sbx.pause()) is False  # already paused
    await sdk(sbx.resume())


async def test_watch_include_entry_on_exit_and_timeout(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    await sdk(sbx.files.make_dir("/home/user/w"))
    exits: list[Any] = []
    handle = await sdk(sbx.files.watch_dir("/home/user/w", None, exits.append, include_entry=True))
    await sdk(sbx.files.write("/home/user/w/a.txt", "abc"))
    seen = await _events_until(sdk, handle, lambda e: e.name == "a.txt" and e.entry is not None and e.entry.size == 3)
    entry = seen[-1].entry
    assert entry.path == "/home/user/w/a.txt" and entry.type == "file" and entry.owner == "user"
    await sdk(handle.stop())
    assert exits == [None]

    expired: list[Any] = []
    timed = await sdk(sbx.files.watch_dir("/home/user/w", None, expired.append, timeout=0.5))
    with pytest.raises(TimeoutException, match=r"timeout of 0\.5 s"):
        await sdk.items(timed)  # ends on its own, with E2B's exception
    await _until(lambda: expired)
    assert len(expired) == 1 and isinstance(expired[0], TimeoutException)
    await sdk(timed.stop())


async def test_files_accept_e2b_transfer_options(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    await sdk(sbx.files.write("/home/user/g.bin", b"\x00\x1f\x8b raw", gzip=True, use_octet_stream=True))
    assert await sdk(sbx.files.read("/home/user/g.bin", format="bytes", gzip=True)) == b"\x00\x1f\x8b raw"
    with pytest.raises(InvalidArgumentException, match="metadata"):
        await sdk(sbx.files.write("/home/user/m.txt", "x", metadata={"k": "v"}))
    assert not await sdk(sbx.files.exists("/home/user/m.txt"))


async def test_terminal_on_pty_on_data_and_timeout(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    handle = await sdk(sbx.pty.create(PtySize(rows=24, cols=80), timeout=0))
    await sdk(handle.send_stdin("echo marker-$((6*7)); exit 3\n"))
    chunks: list[bytes] = []
    with pytest.raises(CommandExitException) as ended:
        await sdk(handle.wait(on_pty=chunks.append))
    assert ended.value.exit_code == 3 and b"marker-42" in b"".join(chunks)
    replayed: list[bytes] = []
    again = await sdk(sbx.pty.connect(handle.pid, on_data=replayed.append))
    with pytest.raises(CommandExitException):
        await sdk(again.wait())
    assert b"".join(replayed) == b"".join(chunks)

    short = await sdk(sbx.pty.create(PtySize(rows=24, cols=80), timeout=1))
    with pytest.raises(TimeoutException):  # killed for its timeout, reported as E2B does
        await sdk(short.wait())


@pytest.mark.backends("local", "kubernetes-emulated", "kubernetes")
async def test_selector_function_and_mask_request_host(box: tuple[Flavor, Any]) -> None:
    sdk, sbx = box
    info = await sdk(sbx.get_info())
    assert info.network["deny_out"] == [ALL_TRAFFIC] and info.network["mask_request_host"] == "${PORT}-app.test"
    await sdk(sbx.files.write("/tmp/host_echo.py", HOST_ECHO))
    await sdk(sbx.commands.run("python3 /tmp/host_echo.py", background=True, timeout=0))
    url = f"http://{sbx.get_host(8000)}/"
    assert (await _served(url)).text == "8000-app.test"  # the Host the sandboxed server sees
    await sdk(sbx.update_network({"deny_out": [ALL_TRAFFIC], "mask_request_host": None}))
    assert (await _served(url)).text == "localhost:8000"
    assert "mask_request_host" not in (await sdk(sbx.get_info())).network
    await sdk(sbx.update_network({"deny_out": [ALL_TRAFFIC], "mask_request_host": "${PORT}-app.test"}))


async def _events_until(sdk: Flavor, handle: Any, done: Any) -> list[Any]:
    seen: list[Any] = []
    if sdk.is_async:
        async with asyncio.timeout(20):
            async for event in handle:
                seen.append(event)
                if done(event):
                    return seen
    else:
        for event in handle:
            seen.append(event)
            if done(event):
                return seen
    raise AssertionError(f"the watch ended without the event: {seen}")


async def _until(predicate: Any, limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "not within the limit"
        await asyncio.sleep(0.05)


async def _served(url: str) -> httpx.Response:
    """The answer of the server just started in the sandbox (502 while it starts)."""
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            r = await client.get(url)
            if r.status_code != 502:
                return r
            await asyncio.sleep(0.1)
    return r
