"""Snapshots (spec tag ``snapshots``): take, list, restore from and delete them."""

from __future__ import annotations

import json

import hutch_api.api.snapshots.create_snapshot as create_snapshot
import hutch_api.api.snapshots.delete_snapshot as delete_snapshot
import hutch_api.api.snapshots.fork_sandbox as fork_sandbox
import hutch_api.api.snapshots.list_sandbox_snapshots as list_sandbox_snapshots
import hutch_api.api.snapshots.list_snapshots as list_all_snapshots
import hutch_api.api.snapshots.restore_sandbox as restore_sandbox
from hutch._core import checks
from hutch._core.convert import opt, plain, unset
from hutch._core.errors import error_for_status
from hutch._core.request import Op, build, model, models, true
from hutch._features.detail import detail, sandbox_info
from hutch.exceptions import (
    InvalidArgumentException,
    SandboxException,
    SandboxNotFoundException,
    SnapshotNotFoundException,
)
from hutch.types import SandboxInfo, Snapshot, SnapshotInfo
from hutch_api.models.fork_request import ForkRequest
from hutch_api.models.fork_result import ForkResult
from hutch_api.models.new_snapshot import NewSnapshot
from hutch_api.models.restore_request import RestoreRequest
from hutch_api.models.snapshot import Snapshot as ApiSnapshot
from hutch_api.types import UNSET, Unset


def _snapshot(s: ApiSnapshot) -> Snapshot:
    return plain(Snapshot, s)


def _snapshot_info(s: ApiSnapshot) -> SnapshotInfo:
    return plain(SnapshotInfo, s, template_id=str(opt(s.template_id) or s.snapshot_id), names=list(opt(s.names) or []))


def snapshot(sandbox_id: str) -> Op[Snapshot]:
    kwargs = build(create_snapshot, checks.ident(sandbox_id), body=NewSnapshot(as_template=False))
    return Op(kwargs, model(ApiSnapshot.from_dict, _snapshot), SandboxNotFoundException)


def template_snapshot(sandbox_id: str, name: str | None = None, mode: str | None = None) -> Op[SnapshotInfo]:
    """E2B's ``create_snapshot``: its ``snapshot_id`` (or ``name``) boots sandboxes as ``template=``."""
    if mode == "full":
        raise InvalidArgumentException(
            "mode='full' (a snapshot with memory) is not possible on this host: it has no CRIU; "
            "snapshots hold the filesystem only (mode='filesystem', the default here)"
        )
    if mode not in (None, "filesystem"):
        raise InvalidArgumentException(f"mode must be 'filesystem' or 'full', not {mode!r}")
    body = NewSnapshot(as_template=True, name=unset(name))
    kwargs = build(create_snapshot, checks.ident(sandbox_id), body=body)
    return Op(kwargs, model(ApiSnapshot.from_dict, _snapshot_info), SandboxNotFoundException)


def list_snapshots(sandbox_id: str) -> Op[list[Snapshot]]:
    kwargs = build(list_sandbox_snapshots, checks.ident(sandbox_id))
    return Op(kwargs, models(ApiSnapshot.from_dict, _snapshot), SandboxNotFoundException)


def list_all(sandbox_id: str | None) -> Op[list[Snapshot]]:
    """All of the caller's snapshots, or one sandbox's (E2B's class-level ``list_snapshots``)."""
    kwargs = build(list_all_snapshots, sandbox_id=unset(sandbox_id))
    return Op(kwargs, models(ApiSnapshot.from_dict, _snapshot))


MAX_FORKS = 20


def fork(sandbox_id: str, count: int | None, timeout: float | None) -> Op[list[SandboxInfo | Exception]]:
    """E2B's ``fork``: one result per fork, a sandbox or the exception its boot met."""
    n = 1 if count is None else count
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_FORKS:
        raise InvalidArgumentException(f"count must be an int from 1 to {MAX_FORKS}, not {count!r}")
    body = ForkRequest(count=n, timeout=UNSET if timeout is None else checks.lifetime(timeout))
    kwargs = build(fork_sandbox, checks.ident(sandbox_id), body=body)

    def result(r: ForkResult) -> SandboxInfo | Exception:
        if not isinstance(r.sandbox, Unset):
            return sandbox_info(r.sandbox)
        err = r.error
        if isinstance(err, Unset):
            return SandboxException("the server answered a fork with neither a sandbox nor an error")
        return error_for_status(err.code, json.dumps({"code": err.code, "message": err.message}).encode(), {})

    return Op(kwargs, models(ForkResult.from_dict, result), SandboxNotFoundException)


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
