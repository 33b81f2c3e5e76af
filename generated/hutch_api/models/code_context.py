from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.code_context_envs import CodeContextEnvs


T = TypeVar("T", bound="CodeContext")


@_attrs_define
class CodeContext:
    """A persistent interpreter that runs code."""

    context_id: str
    """ Its ID; a default context's ID is its language's name. """
    language: str
    """ `python`, `javascript`, `typescript`, `r`, `java` or `bash`. """
    user: str
    """ The sandbox user its interpreter runs as. """
    cwd: str
    """ The working directory it started in. """
    envs: CodeContextEnvs
    """ The environment variables given for it (not the sandbox's). """
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        context_id = self.context_id

        language = self.language

        user = self.user

        cwd = self.cwd

        envs = self.envs.to_dict()

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "contextID": context_id,
                "language": language,
                "user": user,
                "cwd": cwd,
                "envs": envs,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.code_context_envs import CodeContextEnvs

        d = dict(src_dict)
        context_id = d.pop("contextID")

        language = d.pop("language")

        user = d.pop("user")

        cwd = d.pop("cwd")

        envs = CodeContextEnvs.from_dict(d.pop("envs"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        code_context = cls(
            context_id=context_id,
            language=language,
            user=user,
            cwd=cwd,
            envs=envs,
            created_at=created_at,
        )

        code_context.additional_properties = d
        return code_context

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
