from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="NewSnapshot")


@_attrs_define
class NewSnapshot:
    """A snapshot to take."""

    as_template: bool | Unset = UNSET
    """ Also make it a template that `createSandbox` can boot from; false when absent. """
    name: str | Unset = UNSET
    """ A name for the snapshot (E2B's `create_snapshot(name=)`); `createSandbox` accepts it as
    `templateID` and boots the newest of the caller's snapshots of that name.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        as_template = self.as_template

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if as_template is not UNSET:
            field_dict["asTemplate"] = as_template
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        as_template = d.pop("asTemplate", UNSET)

        name = d.pop("name", UNSET)

        new_snapshot = cls(
            as_template=as_template,
            name=name,
        )

        new_snapshot.additional_properties = d
        return new_snapshot

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
