"""Snapshots (spec tag ``snapshots``): take, list, restore from and delete them."""

from __future__ import annotations

import hutch_api.api.snapshots.create_snapshot as create_snapshot
import hutch_api.api.snapshots.delete_snapshot as delete_snapshot
import hutch_api.api.snapshots.list_sandbox_snapshots as list_sandbox_snapshots
import hutch_api.api.snapshots.restore_sandbox as restore_sandbox
from hutch._core import checks
from hutch._core.convert import opt, plain, unset
from hutch._core.request import Op, build, model, models, true
from hutch._features.detail import detail
from hutch.exceptions import SandboxNotFoundException, SnapshotNotFoundException
from hutch.types import SandboxInfo, Snapshot, SnapshotInfo
from hutch_api.models.new_snapshot import NewSnapshot
from hutch_api.models.restore_request import RestoreRequest
from hutch_api.models.snapshot import Snapshot as ApiSnapshot
from hutch_api.types import UNSET


def _snapshot(s: ApiSnapshot) -> Snapshot:
    return plain(Snapshot, s)


def _snapshot_info(s: ApiSnapshot) -> SnapshotInfo:
    return plain(SnapshotInfo, s, template_id=str(opt(s.template_id) or s.snapshot_id))


def snapshot(sandbox_id: str) -> Op[Snapshot]:
    kwargs = build(create_snapshot, checks.ident(sandbox_id), body=NewSnapshot(as_template=False))
    return Op(kwargs, model(ApiSnapshot.from_dict, _snapshot), SandboxNotFoundException)


def template_snapshot(sandbox_id: str) -> Op[SnapshotInfo]:
    kwargs = build(create_snapshot, checks.ident(sandbox_id), body=NewSnapshot(as_template=True))
    return Op(kwargs, model(ApiSnapshot.from_dict, _snapshot_info), SandboxNotFoundException)


def list_snapshots(sandbox_id: str) -> Op[list[Snapshot]]:
    kwargs = build(list_sandbox_snapshots, checks.ident(sandbox_id))
    return Op(kwargs, models(ApiSnapshot.from_dict, _snapshot), SandboxNotFoundException)


def restore(sandbox_id: str, snapshot_id: str | None, timeout: float | None) -> Op[SandboxInfo]:
    body = RestoreRequest(
        snapshot_id=unset(snapshot_id), timeout=UNSET if timeout is None else checks.lifetime(timeout)
    )
    kwargs = build(restore_sandbox, checks.ident(sandbox_id), body=body)
    not_found = SandboxNotFoundException if snapshot_id is None else SnapshotNotFoundException
    return Op(kwargs, detail, not_found)


def delete(snapshot_id: str) -> Op[bool]:
    kwargs = build(delete_snapshot, checks.ident(snapshot_id, "snapshot_id"))
    return Op(kwargs, true, SnapshotNotFoundException, {404: False})
