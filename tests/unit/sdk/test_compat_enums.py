"""E2B's enums (issue 12): ``SandboxState``, ``FileType``, ``FilesystemEventType`` are str enums that the
SDK returns and that still compare equal to the strings hutch returned before."""

from __future__ import annotations

import json

import pytest
from sdk_fakes import detail, entry, ndjson

import hutch
import hutch.types
from hutch import FilesystemEventType, FileType, SandboxState


def test_the_enums_are_importable_from_hutch_and_hutch_types():
    assert hutch.SandboxState is hutch.types.SandboxState
    assert hutch.FileType is hutch.types.FileType
    assert hutch.FilesystemEventType is hutch.types.FilesystemEventType


def test_members_equal_their_strings_and_print_as_them():
    assert SandboxState.RUNNING == "running" and SandboxState.PAUSED == "paused" and SandboxState.KILLED == "killed"
    assert [t.value for t in FileType] == ["file", "dir", "symlink", "other"]
    assert {e.value for e in FilesystemEventType} == {"chmod", "create", "remove", "rename", "write"}
    assert str(FileType.DIR) == "dir" and f"{SandboxState.PAUSED}" == "paused"
    assert json.dumps({"state": SandboxState.RUNNING}) == '{"state": "running"}'
    assert SandboxState("running") is SandboxState.RUNNING


def test_a_value_a_newer_server_sends_is_kept_not_refused():
    state = SandboxState("hibernating")
    assert state == "hibernating" and state != SandboxState.RUNNING and isinstance(state, SandboxState)
    with pytest.raises(ValueError):
        SandboxState(3)  # type: ignore[arg-type]


async def test_returned_values_are_enum_members(sdk, api, created):
    api.get("/sandboxes/sb1").respond(200, json=detail(state="paused"))
    api.get("/sandboxes/sb1/files/list").respond(200, json=[entry(), entry(name="d", type="dir")])
    api.get("/sandboxes/sb1/files/stat").respond(200, json=entry(type="symlink", symlinkTarget="/x"))
    api.put("/sandboxes/sb1/files").respond(200, json={"path": "/a", "name": "a", "type": "file"})
    api.get("/sandboxes/sb1/files/watch").respond(
        200, content=ndjson({"type": "ready"}, {"type": "write", "name": "f", "path": "/w/f"})
    )
    sbx = await sdk.create()
    info = await sdk(sbx.get_info())
    assert info.state is SandboxState.PAUSED and info.state == "paused"
    listed = await sdk(sbx.files.list("/"))
    assert [e.type for e in listed] == [FileType.FILE, FileType.DIR] and listed[1].type == "dir"
    stat = await sdk(sbx.files.get_info("/x"))
    assert stat.type is FileType.SYMLINK
    written = await sdk(sbx.files.write("/a", "x"))
    assert written.type is FileType.FILE
    if sdk.is_async:
        events = []
        handle = await sbx.files.watch_dir("/w", on_event=events.append)
        got = [e async for e in handle]
    else:
        handle = sbx.files.watch_dir("/w")
        got = list(handle)
    assert got[0].type is FilesystemEventType.WRITE and got[0].type == "write"
    await sdk(handle.stop())
