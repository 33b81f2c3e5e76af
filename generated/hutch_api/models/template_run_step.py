from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateRunStep")


@_attrs_define
class TemplateRunStep:
    type_: Literal["run"]
    cmd: str
    user: str | Unset = UNSET
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        cmd = self.cmd

        user = self.user

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "cmd": cmd,
            }
        )
        if user is not UNSET:
            field_dict["user"] = user
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["run"], d.pop("type"))
        if type_ != "run":
            raise ValueError(f"type must match const 'run', got '{type_}'")

        cmd = d.pop("cmd")

        user = d.pop("user", UNSET)

        force = d.pop("force", UNSET)

        template_run_step = cls(
            type_=type_,
            cmd=cmd,
            user=user,
            force=force,
        )

        return template_run_step
