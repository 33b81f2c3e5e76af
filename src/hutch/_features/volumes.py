"""Volumes (spec tag ``volumes``): create, get, list and delete them, mount them at create, and their
files without a sandbox (read, write, list, stat, remove, make dirs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hutch_api.api.volumes.create_volume as create_volume
import hutch_api.api.volumes.delete_volume as delete_volume
import hutch_api.api.volumes.get_volume as get_volume
import hutch_api.api.volumes.list_volume_files as list_volume_files
import hutch_api.api.volumes.list_volumes as list_volumes
import hutch_api.api.volumes.make_volume_dir as make_volume_dir
import hutch_api.api.volumes.read_volume_file as read_volume_file
import hutch_api.api.volumes.remove_volume_file as remove_volume_file
import hutch_api.api.volumes.stat_volume_file as stat_volume_file
import hutch_api.api.volumes.write_volume_file as write_volume_file
from hutch._core import checks
from hutch._core.body import upload
from hutch._core.convert import opt, plain, unset
from hutch._core.request import STREAMED, Op, build, model, models, nothing, true
from hutch.exceptions import InvalidArgumentException, VolumeNotFoundException, VolumePathNotFoundException
from hutch.types import VolumeEntryStat, VolumeInfo
from hutch_api.models.new_volume import NewVolume
from hutch_api.models.volume import Volume as ApiVolume
from hutch_api.models.volume_entry import VolumeEntry as ApiVolumeEntry
from hutch_api.models.volume_mount import VolumeMount

MAX_DEPTH = 32


def _info(v: ApiVolume) -> VolumeInfo:
    return plain(VolumeInfo, v, size_mb=v.size_mb)


def _stat(e: ApiVolumeEntry) -> VolumeEntryStat:
    entry = plain(VolumeEntryStat, e, atime=e.accessed_time, mtime=e.modified_time, ctime=e.changed_time)
    entry.target = opt(e.symlink_target)
    return entry


_volume = model(ApiVolume.from_dict, _info)
_entry = model(ApiVolumeEntry.from_dict, _stat)


def _vid(volume_id: str) -> str:
    return checks.ident(volume_id, "volume_id")


def _ids(uid: int | None, gid: int | None, mode: int | None) -> dict[str, Any]:
    for name, value, top in (("uid", uid, 65535), ("gid", gid, 65535), ("mode", mode, 0o7777)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top):
            raise InvalidArgumentException(f"{name} must be an int from 0 to {top}, not {value!r}")
    return {"uid": unset(uid), "gid": unset(gid), "mode": unset(mode)}


def create(name: str, size_mb: int | None) -> Op[VolumeInfo]:
    if size_mb is not None and (isinstance(size_mb, bool) or not isinstance(size_mb, int)):
        raise InvalidArgumentException(f"size_mb must be an int, not {size_mb!r}")
    body = NewVolume(name=checks.ident(name, "name"), size_mb=unset(size_mb))
    return Op(build(create_volume, body=body), _volume)


def get(volume_id_or_name: str) -> Op[VolumeInfo]:
    return Op(build(get_volume, _vid(volume_id_or_name)), _volume, VolumeNotFoundException)


def list_all() -> Op[list[VolumeInfo]]:
    return Op(build(list_volumes), models(ApiVolume.from_dict, _info))


def delete(volume_id_or_name: str, force: bool) -> Op[bool]:
    """True if deleted, False if there was no such volume (E2B's ``destroy``)."""
    kwargs = build(delete_volume, _vid(volume_id_or_name), force=True if force else None)
    return Op(kwargs, true, VolumeNotFoundException, {404: False})


def mounts(volume_mounts: Mapping[str, Any] | None) -> list[VolumeMount] | None:
    """``Sandbox.create(volume_mounts={"/data": volume_or_name})`` as the request's list (a volume object
    is sent by its ID)."""
    if volume_mounts is None:
        return None
    if not isinstance(volume_mounts, Mapping):
        raise InvalidArgumentException(f"volume_mounts must be a dict of mount path -> volume, not {volume_mounts!r}")
    out = []
    for path, vol in volume_mounts.items():
        ref = vol if isinstance(vol, str) else getattr(vol, "volume_id", None)
        if not isinstance(path, str) or not isinstance(ref, str) or not ref:
            raise InvalidArgumentException(f"volume_mounts maps a path to a Volume or a volume name, not {vol!r}")
        out.append(VolumeMount(name=ref, path=path))
    return out


# ------------------------------------------------------------------ files


def read(volume_id: str, path: str) -> Op[None]:
    kwargs = build(read_volume_file, _vid(volume_id), path=checks.path(path))
    return Op(kwargs, nothing, VolumePathNotFoundException, stream=True)


def write(
    volume_id: str, path: str, data: object, uid: int | None, gid: int | None, mode: int | None
) -> Op[VolumeEntryStat]:
    ids = _ids(uid, gid, mode)
    kwargs = build(write_volume_file, _vid(volume_id), body=STREAMED, path=checks.path(path), **ids)
    return Op(kwargs, _entry, VolumePathNotFoundException, body=upload(data))


def list_dir(volume_id: str, path: str, depth: int | None) -> Op[list[VolumeEntryStat]]:
    n = 1 if depth is None else depth
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_DEPTH:
        raise InvalidArgumentException(f"depth must be an int from 1 to {MAX_DEPTH}, not {depth!r}")
    kwargs = build(list_volume_files, _vid(volume_id), path=checks.path(path), depth=n)
    return Op(kwargs, models(ApiVolumeEntry.from_dict, _stat), VolumePathNotFoundException)


def stat(volume_id: str, path: str) -> Op[VolumeEntryStat]:
    kwargs = build(stat_volume_file, _vid(volume_id), path=checks.path(path))
    return Op(kwargs, _entry, VolumePathNotFoundException)


def exists(volume_id: str, path: str) -> Op[bool]:
    kwargs = build(stat_volume_file, _vid(volume_id), path=checks.path(path))
    return Op(kwargs, true, VolumePathNotFoundException, {404: False})


def remove(volume_id: str, path: str) -> Op[None]:
    kwargs = build(remove_volume_file, _vid(volume_id), path=checks.path(path))
    return Op(kwargs, nothing, VolumePathNotFoundException)


def make_dir(volume_id: str, path: str, uid: int | None, gid: int | None, mode: int | None) -> Op[VolumeEntryStat]:
    ids = _ids(uid, gid, mode)
    kwargs = build(make_volume_dir, _vid(volume_id), path=checks.path(path), **ids)
    return Op(kwargs, _entry, VolumePathNotFoundException, idempotent=True)
