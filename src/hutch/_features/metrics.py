"""Metrics (spec tag ``metrics``): a sandbox's resource usage samples."""

from __future__ import annotations

import datetime

import hutch_api.api.metrics.get_sandbox_metrics as get_sandbox_metrics
from hutch._core import checks
from hutch._core.convert import plain, unset
from hutch._core.request import Op, build, models
from hutch.exceptions import SandboxNotFoundException
from hutch.types import SandboxMetrics
from hutch_api.models.sandbox_metric import SandboxMetric


def _metrics(m: SandboxMetric) -> SandboxMetrics:
    return plain(SandboxMetrics, m)


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
