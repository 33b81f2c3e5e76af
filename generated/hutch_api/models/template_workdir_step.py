from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateWorkdirStep")


@_attrs_define
class TemplateWorkdirStep:
    type_: Literal["workdir"]
    path: str
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        path = self.path

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "path": path,
            }
        )
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["workdir"], d.pop("type"))
        if type_ != "workdir":
            raise ValueError(f"type must match const 'workdir', got '{type_}'")

        path = d.pop("path")

        force = d.pop("force", UNSET)

        template_workdir_step = cls(
            type_=type_,
            path=path,
            force=force,
        )

        return template_workdir_step
