from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

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
    mem_used: int | Unset = UNSET
    """ Memory in use, bytes (E2B's `mem_used`; `memUsedMB` in bytes). """
    mem_total: int | Unset = UNSET
    """ Memory limit, bytes. """
    mem_cache: int | Unset = UNSET
    """ Page cache charged to the sandbox, bytes (part of `memUsed`). """
    disk_used: int | Unset = UNSET
    """ Space used in the writable layer, bytes. """
    disk_total: int | Unset = UNSET
    """ Disk limit of the writable layer, bytes. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        timestamp = self.timestamp.isoformat()

        cpu_used_pct = self.cpu_used_pct

        cpu_count = self.cpu_count

        mem_used_mb = self.mem_used_mb

        mem_total_mb = self.mem_total_mb

        disk_used_mb = self.disk_used_mb

        disk_total_mb = self.disk_total_mb

        mem_used = self.mem_used

        mem_total = self.mem_total

        mem_cache = self.mem_cache

        disk_used = self.disk_used

        disk_total = self.disk_total

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
        if mem_used is not UNSET:
            field_dict["memUsed"] = mem_used
        if mem_total is not UNSET:
            field_dict["memTotal"] = mem_total
        if mem_cache is not UNSET:
            field_dict["memCache"] = mem_cache
        if disk_used is not UNSET:
            field_dict["diskUsed"] = disk_used
        if disk_total is not UNSET:
            field_dict["diskTotal"] = disk_total

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

        mem_used = d.pop("memUsed", UNSET)

        mem_total = d.pop("memTotal", UNSET)

        mem_cache = d.pop("memCache", UNSET)

        disk_used = d.pop("diskUsed", UNSET)

        disk_total = d.pop("diskTotal", UNSET)

        sandbox_metric = cls(
            timestamp=timestamp,
            cpu_used_pct=cpu_used_pct,
            cpu_count=cpu_count,
            mem_used_mb=mem_used_mb,
            mem_total_mb=mem_total_mb,
            disk_used_mb=disk_used_mb,
            disk_total_mb=disk_total_mb,
            mem_used=mem_used,
            mem_total=mem_total,
            mem_cache=mem_cache,
            disk_used=disk_used,
            disk_total=disk_total,
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
