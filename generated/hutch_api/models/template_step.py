from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.template_step_type import TemplateStepType, check_template_step_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.template_step_envs import TemplateStepEnvs


T = TypeVar("T", bound="TemplateStep")


@_attrs_define
class TemplateStep:
    """One build step. `run`: `cmd` as `user` (`root` when absent) in the working directory; `copy`:
    the files uploaded as `filesHash` unpacked into directory `dest`, owned by `user` (`user` when
    absent), with `mode` if given; `env`: `envs` for later steps and every sandbox; `workdir`:
    `path` for later steps and the start command (created if missing); `user`: `user` for later
    `run` steps and the start command. `force` runs it (and every step after it) even if cached.

    """

    type_: TemplateStepType
    cmd: str | Unset = UNSET
    user: str | Unset = UNSET
    dest: str | Unset = UNSET
    files_hash: str | Unset = UNSET
    mode: int | Unset = UNSET
    envs: TemplateStepEnvs | Unset = UNSET
    path: str | Unset = UNSET
    force: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_: str = self.type_

        cmd = self.cmd

        user = self.user

        dest = self.dest

        files_hash = self.files_hash

        mode = self.mode

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        path = self.path

        force = self.force

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )
        if cmd is not UNSET:
            field_dict["cmd"] = cmd
        if user is not UNSET:
            field_dict["user"] = user
        if dest is not UNSET:
            field_dict["dest"] = dest
        if files_hash is not UNSET:
            field_dict["filesHash"] = files_hash
        if mode is not UNSET:
            field_dict["mode"] = mode
        if envs is not UNSET:
            field_dict["envs"] = envs
        if path is not UNSET:
            field_dict["path"] = path
        if force is not UNSET:
            field_dict["force"] = force

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.template_step_envs import TemplateStepEnvs

        d = dict(src_dict)
        type_ = check_template_step_type(d.pop("type"))

        cmd = d.pop("cmd", UNSET)

        user = d.pop("user", UNSET)

        dest = d.pop("dest", UNSET)

        files_hash = d.pop("filesHash", UNSET)

        mode = d.pop("mode", UNSET)

        _envs = d.pop("envs", UNSET)
        envs: TemplateStepEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = TemplateStepEnvs.from_dict(_envs)

        path = d.pop("path", UNSET)

        force = d.pop("force", UNSET)

        template_step = cls(
            type_=type_,
            cmd=cmd,
            user=user,
            dest=dest,
            files_hash=files_hash,
            mode=mode,
            envs=envs,
            path=path,
            force=force,
        )

        return template_step
