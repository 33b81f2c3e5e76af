from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.new_code_context_envs import NewCodeContextEnvs


T = TypeVar("T", bound="NewCodeContext")


@_attrs_define
class NewCodeContext:
    """A code context to create."""

    language: str | Unset = UNSET
    """ `python`, `javascript`, `typescript`, `r`, `java` or `bash` (aliases as for `runCode`); `python` when
    absent. """
    user: str | Unset = UNSET
    """ The sandbox user its interpreter runs as, `user` or `root`; `user` when absent (default contexts run as
    `user`). """
    cwd: str | Unset = UNSET
    """ Its working directory (relative to the user's home); the user's home when absent. 404 if it does not exist.
    """
    envs: NewCodeContextEnvs | Unset = UNSET
    """ Environment variables of this context, on top of the sandbox's. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        language = self.language

        user = self.user

        cwd = self.cwd

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if language is not UNSET:
            field_dict["language"] = language
        if user is not UNSET:
            field_dict["user"] = user
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if envs is not UNSET:
            field_dict["envs"] = envs

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.new_code_context_envs import NewCodeContextEnvs

        d = dict(src_dict)
        language = d.pop("language", UNSET)

        user = d.pop("user", UNSET)

        cwd = d.pop("cwd", UNSET)

        _envs = d.pop("envs", UNSET)
        envs: NewCodeContextEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = NewCodeContextEnvs.from_dict(_envs)

        new_code_context = cls(
            language=language,
            user=user,
            cwd=cwd,
            envs=envs,
        )

        new_code_context.additional_properties = d
        return new_code_context

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
