"""E2B's files semantics (issue 12), sync and async: remove of a missing path is a no-op,
write_files takes E2B's dicts and answers [] for no items, request_timeout on every method, E2B's
depth text, the async watch handler as 2nd positional, and a raising watch callback does not stop
later events."""

from __future__ import annotations

import email.parser
import logging

import httpx
import pytest
from sdk_fakes import entry, ndjson

from hutch import InvalidArgumentException, WriteEntry

FILES = "/sandboxes/sb1/files"
WRITTEN = {"path": "/home/user/a.txt", "name": "a.txt", "type": "file"}


async def test_removing_a_missing_path_is_a_no_op(sdk, api, sbx):
    route = api.delete(FILES).respond(404, json={"code": 404, "message": "no such file: /nope"})
    assert await sdk(sbx.files.remove("/nope")) is None
    assert route.call_count == 1


async def test_write_files_takes_e2b_dicts_and_write_entries(sdk, api, sbx):
    route = api.post(FILES + "/batch").respond(200, json=[WRITTEN, {**WRITTEN, "path": "/tmp/b"}])
    entries = [{"path": "/home/user/a.txt", "data": "one"}, WriteEntry(path="/tmp/b", data=b"two")]
    written = await sdk(sbx.files.write_files(entries))
    assert [w.path for w in written] == ["/home/user/a.txt", "/tmp/b"]
    request = route.calls[0].request
    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    parts = [(p.get_filename(), p.get_payload(decode=True)) for p in message.get_payload()]
    assert parts == [("/home/user/a.txt", b"one"), ("/tmp/b", b"two")]
    with pytest.raises(InvalidArgumentException, match="'path' and 'data'"):
        await sdk(sbx.files.write_files([{"path": "/x"}]))
    assert route.call_count == 1


async def test_list_depth_texts(sdk, sbx):
    with pytest.raises(InvalidArgumentException, match=r"^depth should be at least 1$"):
        await sdk(sbx.files.list("/", depth=0))
    with pytest.raises(InvalidArgumentException, match="at most 32"):
        await sdk(sbx.files.list("/", depth=33))


async def test_every_files_method_takes_request_timeout(sdk, api, sbx):
    seen: list[object] = []

    def record(status: int, **body: object):
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request.extensions["timeout"]["connect"])  # a watch has no read limit: it idles
            return httpx.Response(status, **body)

        return answer

    api.get(FILES).mock(side_effect=record(200, content=b"x"))
    api.put(FILES).mock(side_effect=record(200, json=WRITTEN))
    api.post(FILES + "/batch").mock(side_effect=record(200, json=[WRITTEN]))
    api.get(FILES + "/list").mock(side_effect=record(200, json=[entry()]))
    api.get(FILES + "/stat").mock(side_effect=record(200, json=entry()))
    api.delete(FILES).mock(side_effect=record(204))
    api.post(FILES + "/rename").mock(side_effect=record(200, json=entry()))
    api.post(FILES + "/mkdir").mock(side_effect=record(201, json=entry(type="dir")))
    api.get(FILES + "/watch").mock(side_effect=record(200, content=ndjson({"type": "ready"})))
    f = sbx.files
    await sdk(f.read("a", request_timeout=7))
    await sdk(f.write("a", "x", request_timeout=7))
    await sdk(f.write_files([WriteEntry(path="a", data="x")], request_timeout=7))
    await sdk(f.list("/", request_timeout=7))
    await sdk(f.exists("a", request_timeout=7))
    await sdk(f.get_info("a", request_timeout=7))
    await sdk(f.remove("a", request_timeout=7))
    await sdk(f.rename("a", "b", request_timeout=7))
    await sdk(f.make_dir("d", request_timeout=7))
    handle = await sdk(f.watch_dir("/w", request_timeout=7))
    await sdk(handle.stop())
    assert seen == [7] * 10


async def test_a_raising_watch_callback_does_not_stop_later_events(sdk, api, sbx, caplog):
    events = ndjson(
        {"type": "ready"},
        {"type": "create", "name": "a", "path": "/w/a"},
        {"type": "write", "name": "b", "path": "/w/b"},
        {"type": "remove", "name": "c", "path": "/w/c"},
    )
    api.get(FILES + "/watch").respond(200, content=events)
    got: list[str] = []

    def on_event(event):
        got.append(event.name)
        if event.name == "a":
            raise RuntimeError("callback bug")

    with caplog.at_level(logging.ERROR, logger="hutch"):
        if sdk.is_async:
            handle = await sbx.files.watch_dir("/w", on_event)  # E2B: the handler is the 2nd positional
            names = [e.name async for e in handle]
        else:
            handle = sbx.files.watch_dir("/w", on_event=on_event)
            names = [e.name for e in handle]
    await sdk(handle.stop())
    assert names == ["a", "b", "c"] and got == ["a", "b", "c"]
    assert "callback bug" in caplog.text


async def test_watch_include_entry_and_on_exit_after_stop(sdk, api, sbx):
    events = ndjson(
        {"type": "ready"},
        {"type": "create", "name": "a.txt", "path": "/home/user/a.txt", "entry": entry()},
        {"type": "remove", "name": "b", "path": "/home/user/b"},  # gone: no entry
    )
    route = api.get(FILES + "/watch").respond(200, content=events)
    exits: list[object] = []
    handle = await sdk(sbx.files.watch_dir("/home/user", None, exits.append, include_entry=True))
    got = await sdk.items(handle)
    assert route.calls[0].request.url.params["includeEntry"] == "true"
    assert got[0].entry is not None and got[0].entry.size == 3 and got[0].entry.path == "/home/user/a.txt"
    assert got[1].entry is None
    await sdk(handle.stop())
    assert exits == [None]  # once: the stream's clean end, not again on stop()


async def test_watch_without_include_entry_sends_nothing_extra(sdk, api, sbx):
    route = api.get(FILES + "/watch").respond(200, content=ndjson({"type": "ready"}))
    handle = await sdk(sbx.files.watch_dir("/w"))
    await sdk(handle.stop())
    assert "includeEntry" not in route.calls[0].request.url.params


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [({"timeout": -1}, "timeout must be a number of seconds"), ({"on_exit": "log"}, "on_exit must be callable")],
)
async def test_bad_watch_options_are_refused_before_sending(sdk, api, sbx, kwargs, says):
    route = api.get(FILES + "/watch")
    with pytest.raises(InvalidArgumentException, match=says):
        await sdk(sbx.files.watch_dir("/w", **kwargs))
    assert not route.called


async def test_e2b_transfer_options(sdk, api, sbx):
    read = api.get(FILES).respond(200, content=b"abc")
    written = api.put(FILES).respond(200, json=WRITTEN)
    batch = api.post(FILES + "/batch").respond(200, json=[WRITTEN])
    assert await sdk(sbx.files.read("/home/user/a.txt", gzip=True)) == "abc"
    await sdk(sbx.files.write("/home/user/a.txt", "abc", gzip=True, use_octet_stream=True))
    await sdk(sbx.files.write_files([{"path": "/home/user/a.txt", "data": "abc"}], use_octet_stream=False))
    assert written.calls[0].request.content == b"abc"  # the same raw bytes either way
    assert read.call_count == 1 and batch.call_count == 1
    with pytest.raises(InvalidArgumentException, match="not supported by this server"):
        await sdk(sbx.files.write("/home/user/a.txt", "x", metadata={"owner": "me"}))
    with pytest.raises(InvalidArgumentException, match="use_octet_stream=False"):
        await sdk(sbx.files.write_files([{"path": "/a", "data": "x"}], gzip=True, use_octet_stream=False))
    with pytest.raises(InvalidArgumentException, match="gzip must be True or False"):
        await sdk(sbx.files.read("/a", gzip="yes"))
    assert written.call_count == 1 and batch.call_count == 1 and read.call_count == 1
