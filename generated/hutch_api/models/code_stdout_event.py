from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CodeStdoutEvent")


@_attrs_define
class CodeStdoutEvent:
    type_: Literal["stdout"]
    text: str
    """ Text the code wrote to standard output. """
    timestamp: int | Unset = UNSET
    """ When the agent read it: Unix epoch in nanoseconds (E2B's `OutputMessage.timestamp`). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        text = self.text

        timestamp = self.timestamp

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "text": text,
            }
        )
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["stdout"], d.pop("type"))
        if type_ != "stdout":
            raise ValueError(f"type must match const 'stdout', got '{type_}'")

        text = d.pop("text")

        timestamp = d.pop("timestamp", UNSET)

        code_stdout_event = cls(
            type_=type_,
            text=text,
            timestamp=timestamp,
        )

        code_stdout_event.additional_properties = d
        return code_stdout_event

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
