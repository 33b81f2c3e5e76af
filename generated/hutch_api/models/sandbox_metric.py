from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SandboxMetric")


@_attrs_define
class SandboxMetric:
    """One resource usage sample."""

    timestamp: datetime.datetime
    cpu_used_pct: float
    """ CPU used since the previous sample, in percent of `cpuCount` CPUs. """
    cpu_count: float
    mem_used_mb: float
    mem_total_mb: float
    disk_used_mb: float
    disk_total_mb: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        timestamp = self.timestamp.isoformat()

        cpu_used_pct = self.cpu_used_pct

        cpu_count = self.cpu_count

        mem_used_mb = self.mem_used_mb

        mem_total_mb = self.mem_total_mb

        disk_used_mb = self.disk_used_mb

        disk_total_mb = self.disk_total_mb

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "timestamp": timestamp,
                "cpuUsedPct": cpu_used_pct,
                "cpuCount": cpu_count,
                "memUsedMB": mem_used_mb,
                "memTotalMB": mem_total_mb,
                "diskUsedMB": disk_used_mb,
                "diskTotalMB": disk_total_mb,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        cpu_used_pct = d.pop("cpuUsedPct")

        cpu_count = d.pop("cpuCount")

        mem_used_mb = d.pop("memUsedMB")

        mem_total_mb = d.pop("memTotalMB")

        disk_used_mb = d.pop("diskUsedMB")

        disk_total_mb = d.pop("diskTotalMB")

        sandbox_metric = cls(
            timestamp=timestamp,
            cpu_used_pct=cpu_used_pct,
            cpu_count=cpu_count,
            mem_used_mb=mem_used_mb,
            mem_total_mb=mem_total_mb,
            disk_used_mb=disk_used_mb,
            disk_total_mb=disk_total_mb,
        )

        sandbox_metric.additional_properties = d
        return sandbox_metric

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
