"""files, sync and async: reads (text, bytes, stream), streamed writes, batch multipart, the rest."""

from __future__ import annotations

import email.parser
import io

import httpx
import pytest
from sdk_fakes import GatedStream, entry, ndjson, sent_json

from hutch import (
    EntryInfo,
    FileNotFoundException,
    FilesystemEvent,
    InvalidArgumentException,
    WriteEntry,
    WriteInfo,
)

FILES = "/sandboxes/sb1/files"
WRITTEN = {"path": "/home/user/a.txt", "name": "a.txt", "type": "file"}


async def test_read_text_bytes_and_stream(sdk, api, sbx):
    route = api.get(FILES).respond(200, content="héllo\n".encode())
    assert await sdk(sbx.files.read("a.txt")) == "héllo\n"
    params = route.calls[0].request.url.params
    assert (params["path"], params["user"]) == ("a.txt", "user")
    data = await sdk(sbx.files.read("/bin/x", format="bytes", user="root"))
    assert isinstance(data, bytearray) and data == "héllo\n".encode()
    assert route.calls[1].request.url.params["user"] == "root"
    stream = await sdk(sbx.files.read("a.txt", format="stream"))
    assert b"".join(await sdk.items(stream)) == "héllo\n".encode()
    assert await sdk(sbx.read_file("a.txt")) == "héllo\n"


async def test_a_streamed_read_yields_before_the_download_ends(sdk, api, sbx):
    body = GatedStream(b"first chunk", b"second chunk")
    api.get(FILES).mock(return_value=httpx.Response(200, stream=body))
    stream = await sdk(sbx.files.read("big", format="stream"))
    first = await sdk(stream.__anext__() if sdk.is_async else stream.__next__())
    assert first == b"first chunk" and not body.gate.is_set()
    body.gate.set()
    assert b"".join(await sdk.items(stream)) == b"second chunk"


async def test_a_missing_file_raises_file_not_found(sdk, api, sbx):
    api.get(FILES).respond(404, json={"code": 404, "message": "no such file: /nope"})
    with pytest.raises(FileNotFoundException, match="no such file"):
        await sdk(sbx.files.read("/nope"))
    with pytest.raises(FileNotFoundException):
        await sdk(sbx.files.read("/nope", format="stream"))


async def test_write_str_bytes_and_file_objects(sdk, api, sbx):
    route = api.put(FILES).respond(200, json=WRITTEN)
    info = await sdk(sbx.files.write("a.txt", "héllo"))
    assert isinstance(info, WriteInfo) and info.path == "/home/user/a.txt"
    request = route.calls[0].request
    assert request.content == "héllo".encode()
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.url.params["path"] == "a.txt"
    await sdk(sbx.files.write("b", b"\x00\x01"))
    assert route.calls[1].request.content == b"\x00\x01"
    blob = io.BytesIO(b"skip" + b"z" * 3_000_000)
    blob.read(4)  # written from where the file object stands
    await sdk(sbx.write_file("c", blob))
    sent = route.calls[2].request
    assert sent.headers["Content-Length"] == "3000000" and "Transfer-Encoding" not in sent.headers
    assert sent.content == b"z" * 3_000_000


async def test_a_retried_upload_sends_the_file_again_from_its_start(sdk, api, sbx):
    route = api.put(FILES)
    route.side_effect = [httpx.Response(503, json={"code": 503, "message": "busy"}), httpx.Response(200, json=WRITTEN)]
    await sdk(sbx.files.write("c", io.BytesIO(b"payload")))
    assert [c.request.content for c in route.calls] == [b"payload", b"payload"]


async def test_a_one_shot_stream_is_not_retried(sdk, api, sbx):
    route = api.put(FILES).respond(503, json={"code": 503, "message": "busy"})
    with pytest.raises(Exception, match="busy"):
        await sdk(sbx.files.write("c", iter([b"a", b"b"])))
    assert route.call_count == 1


async def test_write_files_is_one_multipart_request_with_a_random_boundary(sdk, api, sbx):
    route = api.post(FILES + "/batch").respond(200, json=[WRITTEN, {**WRITTEN, "path": "/tmp/b"}])
    evil = b'data\r\n--+++\r\nContent-Disposition: form-data; name="evil"\r\n\r\nx'
    infos = await sdk(
        sbx.files.write_files([WriteEntry("a.txt", "text"), WriteEntry('/tmp/we"ird', io.BytesIO(evil))], user="root")
    )
    assert [i.path for i in infos] == ["/home/user/a.txt", "/tmp/b"]
    request = route.calls[0].request
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=") and "+++" not in content_type
    assert request.url.params["user"] == "root"
    assert request.headers["Content-Length"] == str(len(request.content))
    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    parts = message.get_payload()
    assert [p.get_param("filename", header="content-disposition") for p in parts] == ["a.txt", "/tmp/we%22ird"]
    assert [p.get_param("name", header="content-disposition") for p in parts] == ["files", "files"]
    assert [p.get_payload(decode=True) for p in parts] == [b"text", evil]


async def test_write_files_with_no_items_writes_nothing(sdk, api, sbx):
    # issue 12 changed this from a refusal to E2B's answer: []
    route = api.post(FILES + "/batch")
    assert await sdk(sbx.files.write_files([])) == []
    assert route.call_count == 0


async def test_list_exists_info_remove_rename_make_dir(sdk, api, sbx):
    listed = api.get(FILES + "/list").respond(200, json=[entry(), entry(name="d", path="/home/user/d", type="dir")])
    stat = api.get(FILES + "/stat")
    stat.side_effect = [httpx.Response(200, json=entry()), httpx.Response(404, json={"code": 404, "message": "no"})]
    removed = api.delete(FILES).respond(204)
    renamed = api.post(FILES + "/rename").respond(200, json=entry(path="/tmp/b.txt", name="b.txt"))
    mkdir = api.post(FILES + "/mkdir")
    mkdir.side_effect = [httpx.Response(201, json=entry(type="dir")), httpx.Response(200, json=entry(type="dir"))]
    entries = await sdk(sbx.files.list("/home/user", depth=2))
    assert listed.calls[0].request.url.params["depth"] == "2"
    assert all(isinstance(e, EntryInfo) for e in entries) and entries[1].type == "dir"
    assert entries[0].mode == 0o644 and entries[0].permissions == "-rw-r--r--"
    assert await sdk(sbx.files.exists("a.txt")) is True
    assert await sdk(sbx.files.exists("a.txt")) is False
    stat.side_effect = None
    stat.return_value = httpx.Response(200, json=entry(type="symlink", symlinkTarget="/etc"))
    assert (await sdk(sbx.files.get_info("l"))).symlink_target == "/etc"
    assert await sdk(sbx.files.remove("a.txt")) is None and removed.calls[0].request.url.params["path"] == "a.txt"
    moved = await sdk(sbx.files.rename("a.txt", "/tmp/b.txt"))
    assert moved.path == "/tmp/b.txt"
    assert sent_json(renamed) == {"source": "a.txt", "destination": "/tmp/b.txt", "user": "user"}
    assert await sdk(sbx.files.make_dir("/tmp/d")) is True
    assert await sdk(sbx.files.make_dir("/tmp/d")) is False
    assert sent_json(mkdir) == {"path": "/tmp/d", "user": "user"}
    with pytest.raises(InvalidArgumentException, match="depth"):
        await sdk(sbx.files.list("/", depth=0))


async def test_watch_dir_delivers_events(sdk, api, sbx):
    events = ndjson(
        {"type": "ready"},
        {"type": "create", "name": "x", "path": "/tmp/w/x"},
        {"type": "write", "name": "x", "path": "/tmp/w/x"},
        {"type": "remove", "name": "x", "path": "/tmp/w/x"},
    )
    route = api.get(FILES + "/watch").respond(200, content=events)
    got: list[FilesystemEvent] = []
    if sdk.is_async:
        handle = await sbx.files.watch_dir("/tmp/w", recursive=True, on_event=got.append)
        seen = [e async for e in handle]
        await handle.stop()
    else:
        handle = sbx.files.watch_dir("/tmp/w", recursive=True)
        seen = list(handle)
        assert handle.get_new_events() == []
        handle.stop()
    assert route.calls[0].request.url.params["recursive"] == "true"
    assert [(e.type, e.path) for e in seen] == [("create", "/tmp/w/x"), ("write", "/tmp/w/x"), ("remove", "/tmp/w/x")]
    if sdk.is_async:
        assert got == seen


async def test_watch_dir_polling_and_stop(api, created):
    from hutch import Sandbox

    body = GatedStream(ndjson({"type": "ready"}), ndjson({"type": "chmod", "name": "f", "path": "/w/f"}))
    api.get(FILES + "/watch").mock(return_value=httpx.Response(200, stream=body))
    with Sandbox.create() as sbx:
        handle = sbx.files.watch_dir("/w")
        assert handle.get_new_events() == []
        body.gate.set()
        first = next(iter(handle))
        assert (first.type, first.name) == ("chmod", "f")
        handle.stop()


async def test_watching_a_missing_directory(sdk, api, sbx):
    api.get(FILES + "/watch").respond(404, json={"code": 404, "message": "no dir"})
    with pytest.raises(FileNotFoundException, match="no dir"):
        await sdk(sbx.files.watch_dir("/nope"))
