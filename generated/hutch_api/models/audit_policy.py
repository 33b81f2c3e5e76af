from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditPolicy")


@_attrs_define
class AuditPolicy:
    """Whether the egress proxy records the sandbox's connections (needs `secure`)."""

    enabled: bool | Unset = UNSET
    """ True when absent. """

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        audit_policy = cls(
            enabled=enabled,
        )

        return audit_policy
