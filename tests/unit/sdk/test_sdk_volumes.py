"""Volume and AsyncVolume: create, connect/get, list (class and instance forms), delete/destroy, the files
API, and ``volume_mounts`` at create."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from sdk_fakes import STAMP, detail, sent_json

from hutch import (
    ConflictException,
    FileType,
    InvalidArgumentException,
    NotEnoughSpaceException,
    VolumeEntryStat,
    VolumeException,
    VolumeInfo,
    VolumeNotFoundException,
    VolumePathNotFoundException,
)

VOL = {"volumeID": "vol-1", "name": "data", "sizeMB": 64, "createdAt": STAMP}
FILES = "/volumes/vol-1/files"


def entry(**over: Any) -> dict[str, Any]:
    body = {"name": "a.txt", "path": "/a.txt", "type": "file", "size": 2, "mode": 0o644, "uid": 1000, "gid": 1000}
    return {**body, "accessedTime": STAMP, "modifiedTime": STAMP, "changedTime": STAMP, **over}


@pytest.fixture
async def vol(sdk, api) -> Any:
    api.post("/volumes", name="create-volume").respond(201, json=VOL)
    return await sdk(sdk.volume.create("data", size_mb=64))


async def test_create_connect_get_and_get_info(sdk, api, vol):
    assert (vol.volume_id, vol.name, vol.size_mb, vol.token) == ("vol-1", "data", 64, None)
    assert sent_json(api.routes["create-volume"]) == {"name": "data", "sizeMB": 64}
    route = api.get("/volumes/data").respond(200, json=VOL)
    for method in (sdk.volume.connect, sdk.volume.get):
        again = await sdk(method("data"))
        assert again.volume_id == "vol-1"
    info = await sdk(sdk.volume.get_info("data"))
    assert info == VolumeInfo("vol-1", "data", 64, datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    assert route.call_count == 3
    api.get("/volumes/gone").respond(404, json={"code": 404, "message": "volume gone not found"})
    with pytest.raises(VolumeNotFoundException, match="not found") as caught:
        await sdk(sdk.volume.connect("gone"))
    assert isinstance(caught.value, VolumeException)


async def test_list_on_the_class_lists_volumes_and_on_a_volume_lists_a_dir(sdk, api, vol):
    api.get("/volumes").respond(200, json=[VOL])
    assert [v.name for v in await sdk(sdk.volume.list())] == ["data"]
    route = api.get(f"{FILES}/list").respond(200, json=[entry(), entry(name="d", path="/d", type="dir", mode=0o755)])
    got = await sdk(vol.list("/", depth=2))
    assert route.calls[0].request.url.params["depth"] == "2"
    assert isinstance(got[0], VolumeEntryStat) and got[0].type == FileType.FILE and got[1].type == "dir"
    with pytest.raises(InvalidArgumentException, match="depth"):
        await sdk(vol.list("/", depth=0))


async def test_files_read_write_stat_exists_remove_make_dir(sdk, api, vol):
    api.get(FILES).respond(200, content=b"hi")
    assert await sdk(vol.read_file("a.txt")) == "hi"
    assert await sdk(vol.read_file("a.txt", format="bytes")) == b"hi"
    stream = await sdk(vol.read_file("a.txt", format="stream"))
    assert b"".join(await sdk.items(stream)) == b"hi"
    put = api.put(FILES).respond(200, json=entry())
    written = await sdk(vol.write_file("/a.txt", "hi", uid=0, mode=0o600))
    assert written.mtime == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) and written.uid == 1000
    request = put.calls[0].request
    assert request.content == b"hi" and request.headers["content-type"] == "application/octet-stream"
    assert dict(request.url.params) == {"path": "/a.txt", "uid": "0", "mode": "384"}
    stat = api.get(f"{FILES}/stat")
    stat.respond(200, json=entry(type="symlink", symlinkTarget="/etc/passwd"))
    assert (await sdk(vol.get_info("/a.txt"))).target == "/etc/passwd"
    assert await sdk(vol.exists("/a.txt")) is True
    stat.respond(404, json={"code": 404, "message": "/x does not exist in volume vol-1"})
    assert await sdk(vol.exists("/x")) is False
    api.delete(FILES).respond(404, json={"code": 404, "message": "/x does not exist"})
    with pytest.raises(VolumePathNotFoundException):
        await sdk(vol.remove("/x"))
    api.post("/volumes/vol-1/dirs").respond(201, json=entry(type="dir"))
    assert (await sdk(vol.make_dir("/d", force=True))).type == FileType.DIR
    with pytest.raises(InvalidArgumentException, match="uid"):
        await sdk(vol.write_file("/a", "x", uid=70000))


async def test_a_full_volume_raises_not_enough_space(sdk, api, vol):
    api.put(FILES).respond(507, json={"code": 507, "message": "volume vol-1 is full"})
    with pytest.raises(NotEnoughSpaceException, match="full"):
        await sdk(vol.write_file("/big", b"x" * 10))


async def test_delete_and_destroy(sdk, api, vol):
    route = api.delete("/volumes/vol-1").respond(204)
    assert await sdk(vol.delete()) is True
    assert await sdk(sdk.volume.destroy("vol-1", force=True)) is True
    assert "force" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["force"] == "true"
    api.delete("/volumes/gone").respond(404, json={"code": 404, "message": "volume gone not found"})
    assert await sdk(sdk.volume.delete("gone")) is False
    route.respond(409, json={"code": 409, "message": "volume data is mounted by sb1"})
    with pytest.raises(ConflictException, match="mounted"):
        await sdk(vol.delete())


async def test_create_mounts_volumes_by_object_id_or_name(sdk, api, vol):
    mounts = [{"path": "/data", "volumeID": "vol-1"}]
    route = api.post("/sandboxes").respond(201, json=detail(volumeMounts=mounts))
    api.get("/sandboxes/sb1").respond(200, json=detail(volumeMounts=mounts))
    sbx = await sdk.create(volume_mounts={"/data": vol, "/other": "shared-name"})
    assert sent_json(route)["volumeMounts"] == [
        {"name": "vol-1", "path": "/data"},
        {"name": "shared-name", "path": "/other"},
    ]
    assert (await sdk(sbx.get_info())).volume_mounts == {"/data": "vol-1"}
    with pytest.raises(InvalidArgumentException, match="volume_mounts"):
        await sdk.create(volume_mounts={"/data": 5})
    with pytest.raises(InvalidArgumentException, match="volume_mounts"):
        await sdk.create(volume_mounts=["/data"])
