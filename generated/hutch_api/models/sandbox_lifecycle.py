from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sandbox_lifecycle_on_timeout import SandboxLifecycleOnTimeout, check_sandbox_lifecycle_on_timeout
from ..types import UNSET, Unset

T = TypeVar("T", bound="SandboxLifecycle")


@_attrs_define
class SandboxLifecycle:
    """What happens when the sandbox's lifetime ends."""

    on_timeout: SandboxLifecycleOnTimeout | Unset = UNSET
    """ Kill the sandbox, or pause it (its filesystem is kept as a pause snapshot); `kill` when absent. """
    auto_resume: bool | Unset = UNSET
    """ Resume a paused sandbox when an agent call arrives, instead of answering 409; false when absent. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        on_timeout: str | Unset = UNSET
        if not isinstance(self.on_timeout, Unset):
            on_timeout = self.on_timeout

        auto_resume = self.auto_resume

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if on_timeout is not UNSET:
            field_dict["onTimeout"] = on_timeout
        if auto_resume is not UNSET:
            field_dict["autoResume"] = auto_resume

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _on_timeout = d.pop("onTimeout", UNSET)
        on_timeout: SandboxLifecycleOnTimeout | Unset
        if isinstance(_on_timeout, Unset):
            on_timeout = UNSET
        else:
            on_timeout = check_sandbox_lifecycle_on_timeout(_on_timeout)

        auto_resume = d.pop("autoResume", UNSET)

        sandbox_lifecycle = cls(
            on_timeout=on_timeout,
            auto_resume=auto_resume,
        )

        sandbox_lifecycle.additional_properties = d
        return sandbox_lifecycle

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
