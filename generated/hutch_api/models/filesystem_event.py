from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.entry_info import EntryInfo


T = TypeVar("T", bound="FilesystemEvent")


@_attrs_define
class FilesystemEvent:
    """One line of `watchDir`."""

    type_: str
    """ `ready` (the watch is in place), `create`, `write`, `remove`, `rename` or `chmod`. """
    name: None | str | Unset = UNSET
    """ The changed path relative to the watched directory (null for `ready`). """
    path: None | str | Unset = UNSET
    """ The changed path, absolute (null for `ready`). """
    entry: EntryInfo | Unset = UNSET
    """ A filesystem entry. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        path: None | str | Unset
        if isinstance(self.path, Unset):
            path = UNSET
        else:
            path = self.path

        entry: dict[str, Any] | Unset = UNSET
        if not isinstance(self.entry, Unset):
            entry = self.entry.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if path is not UNSET:
            field_dict["path"] = path
        if entry is not UNSET:
            field_dict["entry"] = entry

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.entry_info import EntryInfo

        d = dict(src_dict)
        type_ = d.pop("type")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_path(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        path = _parse_path(d.pop("path", UNSET))

        _entry = d.pop("entry", UNSET)
        entry: EntryInfo | Unset
        if isinstance(_entry, Unset):
            entry = UNSET
        else:
            entry = EntryInfo.from_dict(_entry)

        filesystem_event = cls(
            type_=type_,
            name=name,
            path=path,
            entry=entry,
        )

        filesystem_event.additional_properties = d
        return filesystem_event

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
