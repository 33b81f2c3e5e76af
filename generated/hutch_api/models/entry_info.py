from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EntryInfo")


@_attrs_define
class EntryInfo:
    """A filesystem entry."""

    name: str
    path: str
    """ Its absolute path. """
    type_: str
    """ `file`, `dir`, `symlink` or `other`. """
    size: int
    """ Size in bytes. """
    mode: int
    """ Permission bits, e.g. 420 for 0o644. """
    permissions: str
    """ As `ls -l` shows them, e.g. `-rw-r--r--`. """
    owner: str
    group: str
    modified_time: datetime.datetime
    symlink_target: None | str | Unset = UNSET
    """ Where a symlink points. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        path = self.path

        type_ = self.type_

        size = self.size

        mode = self.mode

        permissions = self.permissions

        owner = self.owner

        group = self.group

        modified_time = self.modified_time.isoformat()

        symlink_target: None | str | Unset
        if isinstance(self.symlink_target, Unset):
            symlink_target = UNSET
        else:
            symlink_target = self.symlink_target

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "path": path,
                "type": type_,
                "size": size,
                "mode": mode,
                "permissions": permissions,
                "owner": owner,
                "group": group,
                "modifiedTime": modified_time,
            }
        )
        if symlink_target is not UNSET:
            field_dict["symlinkTarget"] = symlink_target

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        path = d.pop("path")

        type_ = d.pop("type")

        size = d.pop("size")

        mode = d.pop("mode")

        permissions = d.pop("permissions")

        owner = d.pop("owner")

        group = d.pop("group")

        modified_time = datetime.datetime.fromisoformat(d.pop("modifiedTime"))

        def _parse_symlink_target(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        symlink_target = _parse_symlink_target(d.pop("symlinkTarget", UNSET))

        entry_info = cls(
            name=name,
            path=path,
            type_=type_,
            size=size,
            mode=mode,
            permissions=permissions,
            owner=owner,
            group=group,
            modified_time=modified_time,
            symlink_target=symlink_target,
        )

        entry_info.additional_properties = d
        return entry_info

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
