from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateUserStep")


@_attrs_define
class TemplateUserStep:
    type_: Literal["user"]
    user: str
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        user = self.user

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "user": user,
            }
        )
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["user"], d.pop("type"))
        if type_ != "user":
            raise ValueError(f"type must match const 'user', got '{type_}'")

        user = d.pop("user")

        force = d.pop("force", UNSET)

        template_user_step = cls(
            type_=type_,
            user=user,
            force=force,
        )

        return template_user_step
