from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.pty_exit_event_reason import PtyExitEventReason, check_pty_exit_event_reason
from ..types import UNSET, Unset

T = TypeVar("T", bound="PtyExitEvent")


@_attrs_define
class PtyExitEvent:
    type_: Literal["exit"]
    exit_code: int
    signal: int | None | Unset = UNSET
    reason: PtyExitEventReason | Unset = UNSET
    """ `timeout` when the agent killed the terminal for running past its `timeout` (the SDK raises
    `TimeoutException` then, as E2B does). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        exit_code = self.exit_code

        signal: int | None | Unset
        if isinstance(self.signal, Unset):
            signal = UNSET
        else:
            signal = self.signal

        reason: str | Unset = UNSET
        if not isinstance(self.reason, Unset):
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "exitCode": exit_code,
            }
        )
        if signal is not UNSET:
            field_dict["signal"] = signal
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["exit"], d.pop("type"))
        if type_ != "exit":
            raise ValueError(f"type must match const 'exit', got '{type_}'")

        exit_code = d.pop("exitCode")

        def _parse_signal(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        signal = _parse_signal(d.pop("signal", UNSET))

        _reason = d.pop("reason", UNSET)
        reason: PtyExitEventReason | Unset
        if isinstance(_reason, Unset):
            reason = UNSET
        else:
            reason = check_pty_exit_event_reason(_reason)

        pty_exit_event = cls(
            type_=type_,
            exit_code=exit_code,
            signal=signal,
            reason=reason,
        )

        pty_exit_event.additional_properties = d
        return pty_exit_event

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
