from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SandboxResources")


@_attrs_define
class SandboxResources:
    """Resource limits of a sandbox being created."""

    cpu: float | Unset = UNSET
    """ CPUs (fractions allowed), 0.1 to 64; 2 when absent. """
    memory_mb: int | Unset = UNSET
    """ Memory (and swap) limit in MiB, 64 to 65536; 1024 when absent. """
    disk_mb: int | Unset = UNSET
    """ Disk limit of the sandbox's writable layer in MiB, 64 to 1048576; 2048 when absent. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cpu = self.cpu

        memory_mb = self.memory_mb

        disk_mb = self.disk_mb

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if cpu is not UNSET:
            field_dict["cpu"] = cpu
        if memory_mb is not UNSET:
            field_dict["memoryMB"] = memory_mb
        if disk_mb is not UNSET:
            field_dict["diskMB"] = disk_mb

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cpu = d.pop("cpu", UNSET)

        memory_mb = d.pop("memoryMB", UNSET)

        disk_mb = d.pop("diskMB", UNSET)

        sandbox_resources = cls(
            cpu=cpu,
            memory_mb=memory_mb,
            disk_mb=disk_mb,
        )

        sandbox_resources.additional_properties = d
        return sandbox_resources

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
