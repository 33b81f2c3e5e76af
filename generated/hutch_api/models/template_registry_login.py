from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="TemplateRegistryLogin")


@_attrs_define
class TemplateRegistryLogin:
    type_: Literal["registry"]
    username: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        username = self.username

        password = self.password

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "username": username,
                "password": password,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["registry"], d.pop("type"))
        if type_ != "registry":
            raise ValueError(f"type must match const 'registry', got '{type_}'")

        username = d.pop("username")

        password = d.pop("password")

        template_registry_login = cls(
            type_=type_,
            username=username,
            password=password,
        )

        return template_registry_login
