"""Snapshots (spec tag ``snapshots``): take, list, restore from and delete them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import hutch_api.api.snapshots.create_snapshot as create_snapshot
import hutch_api.api.snapshots.delete_snapshot as delete_snapshot
import hutch_api.api.snapshots.fork_sandbox as fork_sandbox
import hutch_api.api.snapshots.list_sandbox_snapshots as list_sandbox_snapshots
import hutch_api.api.snapshots.list_snapshots as list_all_snapshots
import hutch_api.api.snapshots.restore_sandbox as restore_sandbox
from hutch._core import checks
from hutch._core.convert import opt, plain, unset
from hutch._core.errors import error_for_status
from hutch._core.paging import Opened
from hutch._core.request import Op, build, model, models, true
from hutch._features.detail import detail, sandbox_info
from hutch.config import ConnectionConfig, call_config
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
    return plain(Snapshot, s, names=list(opt(s.names) or []))


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


class SnapshotPaginatorBase(Opened, list[Snapshot]):
    """E2B's snapshot paginator (``has_next``, ``next_token``, ``next_items()``), sans-I/O, which is also the
    list of snapshots declaw's and hutch's code reads. The server answers every snapshot at once; E2B's
    ``limit`` then pages that answer (``next_token`` is the offset of the next page)."""

    def __init__(
        self,
        origin: Mapping[str, Any] | ConnectionConfig,
        op: Op[list[Snapshot]],
        limit: int | None,
        next_token: str | None,
        name: str | None,
    ) -> None:
        super().__init__()
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise InvalidArgumentException(f"limit must be a positive int, not {limit!r}")
        if next_token is not None and not (isinstance(next_token, str) and next_token.isdigit()):
            raise InvalidArgumentException(f"next_token must be a token from an earlier page, not {next_token!r}")
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentException(f"name must be a string, not {name!r}")
        self._origin = origin if isinstance(origin, ConnectionConfig) else dict(origin)
        self._config = call_config(self._origin, {}, "list_snapshots")  # bad settings raise at the call
        self._op, self._limit, self._name = op, limit, name
        self._offset = int(next_token or 0)
        self._fetched = self._given = False

    @property
    def has_next(self) -> bool:
        """Whether ``next_items()`` has a page to give (E2B)."""
        return not self._given or self._offset < len(self)

    @property
    def next_token(self) -> str | None:
        """The token of the next page (E2B), None when there is none."""
        return str(self._offset) if self._given and self._offset < len(self) else None

    def _config_for(self, opts: Mapping[str, Any]) -> ConnectionConfig:
        return call_config(self._origin, opts, "next_items")

    def _next_op(self) -> Op[list[Snapshot]] | None:
        """The request still to send (None once fetched); raises past the last page."""
        if not self.has_next:
            raise SandboxException("No more items to fetch")
        return None if self._fetched else self._op

    def _take(self, snapshots: list[Snapshot]) -> None:
        self[:] = [s for s in snapshots if self._name is None or self._name in (s.snapshot_id, *s.names)]
        self._fetched = True

    def _page(self) -> list[Snapshot]:
        end = len(self) if self._limit is None else self._offset + self._limit
        page = self[self._offset : end]
        self._offset += len(page)
        self._given = True
        return page


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
