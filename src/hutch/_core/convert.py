"""Generated ``hutch_api`` models in, plain :mod:`hutch.types` out (and back for requests)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from hutch.exceptions import InvalidArgumentException
from hutch.types import (
    EntryInfo,
    FilesystemEvent,
    ProcessInfo,
    SandboxInfo,
    SandboxLifecycle,
    SandboxMetrics,
    SandboxNetworkOpts,
    SandboxResources,
    Snapshot,
    SnapshotInfo,
    WriteInfo,
)
from hutch_api.models.entry_info import EntryInfo as ApiEntryInfo
from hutch_api.models.process_info import ProcessInfo as ApiProcessInfo
from hutch_api.models.sandbox_detail import SandboxDetail
from hutch_api.models.sandbox_lifecycle import SandboxLifecycle as ApiSandboxLifecycle
from hutch_api.models.sandbox_metric import SandboxMetric
from hutch_api.models.sandbox_resources import SandboxResources as ApiSandboxResources
from hutch_api.models.snapshot import Snapshot as ApiSnapshot
from hutch_api.models.write_info import WriteInfo as ApiWriteInfo
from hutch_api.types import UNSET, Unset

T = TypeVar("T")


def unset(value: T | None) -> T | Unset:
    """``None`` (not given) becomes ``UNSET`` so that the generated model leaves the field out."""
    return UNSET if value is None else value


def opt(value: T | Unset | None) -> T | None:
    """``UNSET`` becomes ``None``."""
    return None if isinstance(value, Unset) else value


def _str_map(value: Any) -> dict[str, str]:
    props = getattr(value, "additional_properties", value)
    if not isinstance(props, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return {str(k): str(v) for k, v in props.items()}


def plain(target: Callable[..., T], model: Any, **given: Any) -> T:
    """A :mod:`hutch.types` dataclass from a generated model: each field is copied from the model's
    attribute of the same name (``type`` from ``type_``), ``UNSET`` becoming ``None``; ``given``
    fields are taken as they are."""
    values = dict(given)
    model_type: Any = type(model)
    for name, attr in _pairs(target, model_type):
        if name not in values:
            values[name] = opt(getattr(model, attr))
    return target(**values)


@functools.cache
def _pairs(target: Any, model: Any) -> tuple[tuple[str, str], ...]:
    """(dataclass field, model attribute) for every field the model has."""
    known = {a.name for a in attrs.fields(model)}
    names = [f.name for f in dataclasses.fields(target)]
    pairs = ((name, name if name in known else f"{name}_") for name in names)
    return tuple((name, attr) for name, attr in pairs if attr in known)


def sandbox_info(d: SandboxDetail) -> SandboxInfo:
    lifecycle = SandboxLifecycle(auto_resume=bool(d.lifecycle.auto_resume))
    if d.lifecycle.on_timeout in ("kill", "pause"):
        lifecycle["on_timeout"] = d.lifecycle.on_timeout  # type: ignore[typeddict-item]
    net = d.network
    return plain(
        SandboxInfo,
        d,
        metadata=_str_map(d.metadata),
        envs=[str(k) for k in d.env_keys],
        network=None
        if isinstance(net, Unset)
        else SandboxNetworkOpts(
            allow_out=list(net.allow_out), deny_out=list(net.deny_out), allow_public_traffic=net.allow_public_traffic
        ),
        lifecycle=lifecycle,
    )


def metrics(m: SandboxMetric) -> SandboxMetrics:
    return plain(SandboxMetrics, m)


def snapshot(s: ApiSnapshot) -> Snapshot:
    return plain(Snapshot, s)


def snapshot_info(s: ApiSnapshot) -> SnapshotInfo:
    return plain(SnapshotInfo, s, template_id=str(opt(s.template_id) or s.snapshot_id))


def process_info(p: ApiProcessInfo) -> ProcessInfo:
    return plain(ProcessInfo, p, envs=_str_map(p.envs))


def entry_info(e: ApiEntryInfo) -> EntryInfo:
    return plain(EntryInfo, e)


def write_info(w: ApiWriteInfo) -> WriteInfo:
    return plain(WriteInfo, w)


def resources(r: SandboxResources | Mapping[str, Any] | None) -> ApiSandboxResources | Unset:
    if r is None:
        return UNSET
    known = {"cpu", "memory_mb", "disk_mb"}
    extra = set(r) - known
    if extra:
        raise InvalidArgumentException(f"unknown resources key(s) {sorted(extra)}; use {sorted(known)}")
    return ApiSandboxResources(
        cpu=unset(r.get("cpu")), memory_mb=unset(r.get("memory_mb")), disk_mb=unset(r.get("disk_mb"))
    )


def lifecycle(lc: SandboxLifecycle | Mapping[str, Any] | None) -> ApiSandboxLifecycle | Unset:
    if lc is None:
        return UNSET
    extra = set(lc) - {"on_timeout", "auto_resume"}
    if extra:
        raise InvalidArgumentException(f"unknown lifecycle key(s) {sorted(extra)}; use on_timeout, auto_resume")
    on_timeout = lc.get("on_timeout")
    if on_timeout not in (None, "kill", "pause"):
        raise InvalidArgumentException(f"lifecycle on_timeout must be 'kill' or 'pause', not {on_timeout!r}")
    auto_resume = lc.get("auto_resume")
    return ApiSandboxLifecycle(
        on_timeout=unset(on_timeout), auto_resume=UNSET if auto_resume is None else bool(auto_resume)
    )


def fs_event(event: Mapping[str, Any]) -> FilesystemEvent | None:
    """A ``watchDir`` line as a FilesystemEvent; None for ``ready`` and for kinds this SDK does not know."""
    kind = event.get("type")
    if kind not in ("create", "write", "remove", "rename", "chmod"):
        return None
    name, path = event.get("name"), event.get("path")
    return FilesystemEvent(type=str(kind), name=str(name or path or ""), path=str(path or name or ""))
