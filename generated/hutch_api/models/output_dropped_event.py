from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OutputDroppedEvent")


@_attrs_define
class OutputDroppedEvent:
    """Output the agent did not keep: it keeps a command's first 4 MiB and last 12 MiB of events (less
    each when many print that much at once) and a terminal's last 1 MiB. This one line stands for
    the `events` events a reader skips here, so its offset advances by `events`.

    """

    type_: Literal["dropped"]
    events: int
    """ How many events this line stands for. """
    bytes_: int
    """ Bytes of output dropped from this stream in all so far. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        events = self.events

        bytes_ = self.bytes_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "events": events,
                "bytes": bytes_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["dropped"], d.pop("type"))
        if type_ != "dropped":
            raise ValueError(f"type must match const 'dropped', got '{type_}'")

        events = d.pop("events")

        bytes_ = d.pop("bytes")

        output_dropped_event = cls(
            type_=type_,
            events=events,
            bytes_=bytes_,
        )

        output_dropped_event.additional_properties = d
        return output_dropped_event

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
