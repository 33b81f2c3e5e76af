from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateCopyStep")


@_attrs_define
class TemplateCopyStep:
    type_: Literal["copy"]
    dest: str
    files_hash: str
    user: str | Unset = UNSET
    mode: int | Unset = UNSET
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        dest = self.dest

        files_hash = self.files_hash

        user = self.user

        mode = self.mode

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "dest": dest,
                "filesHash": files_hash,
            }
        )
        if user is not UNSET:
            field_dict["user"] = user
        if mode is not UNSET:
            field_dict["mode"] = mode
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["copy"], d.pop("type"))
        if type_ != "copy":
            raise ValueError(f"type must match const 'copy', got '{type_}'")

        dest = d.pop("dest")

        files_hash = d.pop("filesHash")

        user = d.pop("user", UNSET)

        mode = d.pop("mode", UNSET)

        force = d.pop("force", UNSET)

        template_copy_step = cls(
            type_=type_,
            dest=dest,
            files_hash=files_hash,
            user=user,
            mode=mode,
            force=force,
        )

        return template_copy_step
