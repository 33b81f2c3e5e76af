from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="TemplateGcpRegistry")


@_attrs_define
class TemplateGcpRegistry:
    type_: Literal["gcp"]
    service_account_json: str

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        service_account_json = self.service_account_json

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "serviceAccountJson": service_account_json,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["gcp"], d.pop("type"))
        if type_ != "gcp":
            raise ValueError(f"type must match const 'gcp', got '{type_}'")

        service_account_json = d.pop("serviceAccountJson")

        template_gcp_registry = cls(
            type_=type_,
            service_account_json=service_account_json,
        )

        return template_gcp_registry
