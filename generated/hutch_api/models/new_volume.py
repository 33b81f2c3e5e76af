from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="NewVolume")


@_attrs_define
class NewVolume:
    """A volume to create."""

    name: str
    """ Unique among the caller's volumes; `getVolume` and `volumeMounts` accept it in place of the ID. """
    size_mb: int | Unset = UNSET
    """ The volume's size limit in MiB, 64 to 1048576; 1024 when absent. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        size_mb = self.size_mb

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if size_mb is not UNSET:
            field_dict["sizeMB"] = size_mb

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        size_mb = d.pop("sizeMB", UNSET)

        new_volume = cls(
            name=name,
            size_mb=size_mb,
        )

        new_volume.additional_properties = d
        return new_volume

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
