from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error import Error
    from ..models.sandbox_detail import SandboxDetail


T = TypeVar("T", bound="ForkResult")


@_attrs_define
class ForkResult:
    """One fork: `sandbox` when it booted, else `error`."""

    sandbox: SandboxDetail | Unset = UNSET
    """ A sandbox as the server knows it. """
    error: Error | Unset = UNSET
    """ What went wrong, for every non-2xx answer. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sandbox: dict[str, Any] | Unset = UNSET
        if not isinstance(self.sandbox, Unset):
            sandbox = self.sandbox.to_dict()

        error: dict[str, Any] | Unset = UNSET
        if not isinstance(self.error, Unset):
            error = self.error.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if sandbox is not UNSET:
            field_dict["sandbox"] = sandbox
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.error import Error
        from ..models.sandbox_detail import SandboxDetail

        d = dict(src_dict)
        _sandbox = d.pop("sandbox", UNSET)
        sandbox: SandboxDetail | Unset
        if isinstance(_sandbox, Unset):
            sandbox = UNSET
        else:
            sandbox = SandboxDetail.from_dict(_sandbox)

        _error = d.pop("error", UNSET)
        error: Error | Unset
        if isinstance(_error, Unset):
            error = UNSET
        else:
            error = Error.from_dict(_error)

        fork_result = cls(
            sandbox=sandbox,
            error=error,
        )

        fork_result.additional_properties = d
        return fork_result

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
