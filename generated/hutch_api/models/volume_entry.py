from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="VolumeEntry")


@_attrs_define
class VolumeEntry:
    """A file system entry of a volume."""

    name: str
    path: str
    """ Its path from the volume's root. """
    type_: str
    """ `file`, `dir`, `symlink` or `other`. """
    size: int
    """ Size in bytes. """
    mode: int
    """ Permission bits, e.g. 420 for 0o644. """
    uid: int
    """ Its owner as the sandboxes see it (65534 when outside their range). """
    gid: int
    accessed_time: datetime.datetime
    modified_time: datetime.datetime
    changed_time: datetime.datetime
    symlink_target: None | str | Unset = UNSET
    """ Where a symlink points. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        path = self.path

        type_ = self.type_

        size = self.size

        mode = self.mode

        uid = self.uid

        gid = self.gid

        accessed_time = self.accessed_time.isoformat()

        modified_time = self.modified_time.isoformat()

        changed_time = self.changed_time.isoformat()

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
                "uid": uid,
                "gid": gid,
                "accessedTime": accessed_time,
                "modifiedTime": modified_time,
                "changedTime": changed_time,
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

        uid = d.pop("uid")

        gid = d.pop("gid")

        accessed_time = datetime.datetime.fromisoformat(d.pop("accessedTime"))

        modified_time = datetime.datetime.fromisoformat(d.pop("modifiedTime"))

        changed_time = datetime.datetime.fromisoformat(d.pop("changedTime"))

        def _parse_symlink_target(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        symlink_target = _parse_symlink_target(d.pop("symlinkTarget", UNSET))

        volume_entry = cls(
            name=name,
            path=path,
            type_=type_,
            size=size,
            mode=mode,
            uid=uid,
            gid=gid,
            accessed_time=accessed_time,
            modified_time=modified_time,
            changed_time=changed_time,
            symlink_target=symlink_target,
        )

        volume_entry.additional_properties = d
        return volume_entry

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
