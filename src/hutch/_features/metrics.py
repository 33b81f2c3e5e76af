"""Metrics (spec tag ``metrics``): a sandbox's resource usage samples."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import hutch_api.api.metrics.get_sandbox_metrics as get_sandbox_metrics
import hutch_api.api.metrics.get_sandbox_metrics_snapshot as get_sandbox_metrics_snapshot
from hutch._core import checks
from hutch._core.convert import plain, unset
from hutch._core.request import Op, build, model, models
from hutch.exceptions import SandboxNotFoundException
from hutch.types import SandboxMetrics
from hutch_api.models.sandbox_metric import SandboxMetric
from hutch_api.types import Unset

_MIB = 1 << 20


def _metrics(m: SandboxMetric) -> SandboxMetrics:
    """The byte fields are the server's, or (from a server without them) the MiB ones in bytes."""
    return plain(
        SandboxMetrics,
        m,
        mem_used=_bytes(m.mem_used, m.mem_used_mb),
        mem_total=_bytes(m.mem_total, m.mem_total_mb),
        mem_cache=_bytes(m.mem_cache, 0),
        disk_used=_bytes(m.disk_used, m.disk_used_mb),
        disk_total=_bytes(m.disk_total, m.disk_total_mb),
    )


def _bytes(given: int | Unset, mib: float) -> int:
    return round(mib * _MIB) if isinstance(given, Unset) else given


def get_metrics(
    sandbox_id: str, start: datetime.datetime | None, end: datetime.datetime | None
) -> Op[list[SandboxMetrics]]:
    kwargs = build(
        get_sandbox_metrics,
        checks.ident(sandbox_id),
        start=unset(checks.when(start, "start")),
        end=unset(checks.when(end, "end")),
    )
    return Op(kwargs, models(SandboxMetric.from_dict, _metrics), SandboxNotFoundException)


def get_metrics_snapshot(sandbox_id: str) -> Op[dict[str, Any]]:
    """hopx's ``get_metrics_snapshot()``: one sample taken now, as a plain dict of SandboxMetrics' fields."""
    kwargs = build(get_sandbox_metrics_snapshot, checks.ident(sandbox_id))
    parse = model(SandboxMetric.from_dict, lambda m: dataclasses.asdict(_metrics(m)))
    return Op(kwargs, parse, SandboxNotFoundException)
