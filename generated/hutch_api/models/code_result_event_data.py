from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CodeResultEventData")


@_attrs_define
class CodeResultEventData:
    """A MIME bundle, as Jupyter's: each key is a MIME type (`text/plain`, `text/html`,
    `text/markdown`, `image/png`, `image/jpeg`, `image/svg+xml`, `application/json`, ...), each value
    that representation as a string: base64 for binary images, JSON text for `application/json`.
    A pandas DataFrame (up to 100 000 cells) also has `application/vnd.hutch.data+json`: JSON text
    of `{column: [values, ...]}` (E2B's `Result.data`).

    """

    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code_result_event_data = cls()

        code_result_event_data.additional_properties = d
        return code_result_event_data

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
