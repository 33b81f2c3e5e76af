from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SandboxLifecycleInfo")


@_attrs_define
class SandboxLifecycleInfo:
    """What happens when the sandbox's lifetime ends."""

    on_timeout: str
    """ `kill` or `pause`. """
    auto_resume: bool
    """ Whether a paused sandbox is resumed by an agent call. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        on_timeout = self.on_timeout

        auto_resume = self.auto_resume

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "onTimeout": on_timeout,
                "autoResume": auto_resume,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        on_timeout = d.pop("onTimeout")

        auto_resume = d.pop("autoResume")

        sandbox_lifecycle_info = cls(
            on_timeout=on_timeout,
            auto_resume=auto_resume,
        )

        sandbox_lifecycle_info.additional_properties = d
        return sandbox_lifecycle_info

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
