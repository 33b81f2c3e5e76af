from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.code_run_request_envs import CodeRunRequestEnvs


T = TypeVar("T", bound="CodeRunRequest")


@_attrs_define
class CodeRunRequest:
    """Code to run."""

    code: str
    """ The source to run, as one cell. """
    language: str | Unset = UNSET
    """ `python`, `javascript`, `typescript`, `r`, `java` or `bash` (aliases: `python3`, `js`,
    `node`, `ts`, `sh`). Runs in that
    language's default context; `python` when neither `language` nor `contextID` is given.
    With `contextID`, it may be omitted and must otherwise match the context's language (400 if not).
     """
    context_id: str | Unset = UNSET
    """ The context to run in (see `createCodeContext`); the language's default context when absent. """
    envs: CodeRunRequestEnvs | Unset = UNSET
    """ Environment variables for this execution only, on top of the sandbox's and the context's. """
    cwd: str | Unset = UNSET
    """ Working directory for this execution only (relative to the user's home); the context's own
    working directory is restored afterwards. The context's when absent. 404 if it does not exist.
     """
    timeout: float | Unset = UNSET
    """ Seconds after which the execution is interrupted; 0 or absent means none. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        language = self.language

        context_id = self.context_id

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        cwd = self.cwd

        timeout = self.timeout

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
            }
        )
        if language is not UNSET:
            field_dict["language"] = language
        if context_id is not UNSET:
            field_dict["contextID"] = context_id
        if envs is not UNSET:
            field_dict["envs"] = envs
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if timeout is not UNSET:
            field_dict["timeout"] = timeout

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.code_run_request_envs import CodeRunRequestEnvs

        d = dict(src_dict)
        code = d.pop("code")

        language = d.pop("language", UNSET)

        context_id = d.pop("contextID", UNSET)

        _envs = d.pop("envs", UNSET)
        envs: CodeRunRequestEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = CodeRunRequestEnvs.from_dict(_envs)

        cwd = d.pop("cwd", UNSET)

        timeout = d.pop("timeout", UNSET)

        code_run_request = cls(
            code=code,
            language=language,
            context_id=context_id,
            envs=envs,
            cwd=cwd,
            timeout=timeout,
        )

        code_run_request.additional_properties = d
        return code_run_request

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
