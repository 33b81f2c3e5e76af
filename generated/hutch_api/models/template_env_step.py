from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.template_env_step_envs import TemplateEnvStepEnvs


T = TypeVar("T", bound="TemplateEnvStep")


@_attrs_define
class TemplateEnvStep:
    type_: Literal["env"]
    envs: TemplateEnvStepEnvs
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        envs = self.envs.to_dict()

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "envs": envs,
            }
        )
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.template_env_step_envs import TemplateEnvStepEnvs

        d = dict(src_dict)
        type_ = cast(Literal["env"], d.pop("type"))
        if type_ != "env":
            raise ValueError(f"type must match const 'env', got '{type_}'")

        envs = TemplateEnvStepEnvs.from_dict(d.pop("envs"))

        force = d.pop("force", UNSET)

        template_env_step = cls(
            type_=type_,
            envs=envs,
            force=force,
        )

        return template_env_step
