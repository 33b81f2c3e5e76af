from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.command_request_envs import CommandRequestEnvs


T = TypeVar("T", bound="CommandRequest")


@_attrs_define
class CommandRequest:
    """A command to start."""

    cmd: str
    """ The command line, run with `/bin/bash -l -c`. """
    envs: CommandRequestEnvs | Unset = UNSET
    """ Environment variables for this command, on top of the sandbox's. """
    user: str | Unset = UNSET
    """ The sandbox user to run as, `user` or `root`; `user` when absent. """
    cwd: str | Unset = UNSET
    """ Working directory; the user's home when absent. """
    stdin: bool | Unset = UNSET
    """ Keep stdin open for `sendCommandStdin`; otherwise stdin is empty. False when absent. """
    timeout: float | Unset = UNSET
    """ Seconds after which the command's process group is killed; 0 or absent means none. """
    tag: str | Unset = UNSET
    """ A free label shown in `listCommands`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cmd = self.cmd

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        user = self.user

        cwd = self.cwd

        stdin = self.stdin

        timeout = self.timeout

        tag = self.tag

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cmd": cmd,
            }
        )
        if envs is not UNSET:
            field_dict["envs"] = envs
        if user is not UNSET:
            field_dict["user"] = user
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if stdin is not UNSET:
            field_dict["stdin"] = stdin
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if tag is not UNSET:
            field_dict["tag"] = tag

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.command_request_envs import CommandRequestEnvs

        d = dict(src_dict)
        cmd = d.pop("cmd")

        _envs = d.pop("envs", UNSET)
        envs: CommandRequestEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = CommandRequestEnvs.from_dict(_envs)

        user = d.pop("user", UNSET)

        cwd = d.pop("cwd", UNSET)

        stdin = d.pop("stdin", UNSET)

        timeout = d.pop("timeout", UNSET)

        tag = d.pop("tag", UNSET)

        command_request = cls(
            cmd=cmd,
            envs=envs,
            user=user,
            cwd=cwd,
            stdin=stdin,
            timeout=timeout,
            tag=tag,
        )

        command_request.additional_properties = d
        return command_request

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
