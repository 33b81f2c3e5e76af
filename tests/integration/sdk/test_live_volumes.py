"""Volume and AsyncVolume against the real server: E2B's calls from creating a volume to destroying it,
with a sandbox that mounts it in between."""

from __future__ import annotations

import secrets

import pytest

from hutch import ConflictException, NotEnoughSpaceException, VolumeNotFoundException, VolumePathNotFoundException


async def test_volume_lifecycle_files_and_a_mounting_sandbox(sdk):
    name = f"sdk-{sdk.name}-{secrets.token_hex(3)}"
    vol = await sdk(sdk.volume.create(name, size_mb=64))
    try:
        await sdk(vol.write_file("/notes/hello.txt", "from the SDK"))
        sbx = await sdk.create(timeout=300, volume_mounts={"/data": vol})
        try:
            assert (await sdk(sbx.get_info())).volume_mounts == {"/data": vol.volume_id}
            assert await sdk(sbx.files.read("/data/notes/hello.txt")) == "from the SDK"
            await sdk(sbx.commands.run("echo back > /data/notes/back.txt"))
            with pytest.raises(ConflictException):
                await sdk(sdk.volume.destroy(name))
        finally:
            await sdk(sbx.kill())
            await sdk(sbx.close())
        again = await sdk(sdk.volume.get(name))
        assert await sdk(again.read_file("notes/back.txt")) == "back\n"
        assert [e.name for e in await sdk(vol.list("/notes"))] == ["back.txt", "hello.txt"]
        assert name in [v.name for v in await sdk(sdk.volume.list())]
        assert (await sdk(vol.get_info("/notes/back.txt"))).uid == 1000
        with pytest.raises(NotEnoughSpaceException):
            await sdk(vol.write_file("/big", bytes(80 << 20)))
        await sdk(vol.remove("/notes"))
        assert await sdk(vol.exists("/notes")) is False
        with pytest.raises(VolumePathNotFoundException):
            await sdk(vol.read_file("/notes/back.txt"))
    finally:
        assert await sdk(sdk.volume.destroy(name)) is True
        await sdk(vol.close())
    assert await sdk(sdk.volume.destroy(name)) is False
    with pytest.raises(VolumeNotFoundException):
        await sdk(sdk.volume.connect(name))
