from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateBuildReason")


@_attrs_define
class TemplateBuildReason:
    """Why a build failed (absent while it runs and once it succeeded)."""

    message: str
    step: int | None | Unset = UNSET
    """ The failed step's number (1-based). """
    exit_code: int | None | Unset = UNSET
    output_tail: None | str | Unset = UNSET
    """ The last lines of the failed step's output. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        step: int | None | Unset
        if isinstance(self.step, Unset):
            step = UNSET
        else:
            step = self.step

        exit_code: int | None | Unset
        if isinstance(self.exit_code, Unset):
            exit_code = UNSET
        else:
            exit_code = self.exit_code

        output_tail: None | str | Unset
        if isinstance(self.output_tail, Unset):
            output_tail = UNSET
        else:
            output_tail = self.output_tail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
            }
        )
        if step is not UNSET:
            field_dict["step"] = step
        if exit_code is not UNSET:
            field_dict["exitCode"] = exit_code
        if output_tail is not UNSET:
            field_dict["outputTail"] = output_tail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message = d.pop("message")

        def _parse_step(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        step = _parse_step(d.pop("step", UNSET))

        def _parse_exit_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        exit_code = _parse_exit_code(d.pop("exitCode", UNSET))

        def _parse_output_tail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        output_tail = _parse_output_tail(d.pop("outputTail", UNSET))

        template_build_reason = cls(
            message=message,
            step=step,
            exit_code=exit_code,
            output_tail=output_tail,
        )

        template_build_reason.additional_properties = d
        return template_build_reason

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
