from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.process_info_envs import ProcessInfoEnvs


T = TypeVar("T", bound="ProcessInfo")


@_attrs_define
class ProcessInfo:
    """A command or terminal started through the agent."""

    pid: int
    """ Its process ID inside the sandbox. """
    cmd: str
    envs: ProcessInfoEnvs
    """ The environment variables given for it (not the sandbox's). """
    user: str
    cwd: str
    pty: bool
    """ Whether it is a terminal. """
    started_at: datetime.datetime
    running: bool
    tag: None | str | Unset = UNSET
    exit_code: int | None | Unset = UNSET
    """ Its exit code once it ended (128 + N when killed by signal N). """
    signal: int | None | Unset = UNSET
    """ The signal that killed it, if one did. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pid = self.pid

        cmd = self.cmd

        envs = self.envs.to_dict()

        user = self.user

        cwd = self.cwd

        pty = self.pty

        started_at = self.started_at.isoformat()

        running = self.running

        tag: None | str | Unset
        if isinstance(self.tag, Unset):
            tag = UNSET
        else:
            tag = self.tag

        exit_code: int | None | Unset
        if isinstance(self.exit_code, Unset):
            exit_code = UNSET
        else:
            exit_code = self.exit_code

        signal: int | None | Unset
        if isinstance(self.signal, Unset):
            signal = UNSET
        else:
            signal = self.signal

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pid": pid,
                "cmd": cmd,
                "envs": envs,
                "user": user,
                "cwd": cwd,
                "pty": pty,
                "startedAt": started_at,
                "running": running,
            }
        )
        if tag is not UNSET:
            field_dict["tag"] = tag
        if exit_code is not UNSET:
            field_dict["exitCode"] = exit_code
        if signal is not UNSET:
            field_dict["signal"] = signal

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.process_info_envs import ProcessInfoEnvs

        d = dict(src_dict)
        pid = d.pop("pid")

        cmd = d.pop("cmd")

        envs = ProcessInfoEnvs.from_dict(d.pop("envs"))

        user = d.pop("user")

        cwd = d.pop("cwd")

        pty = d.pop("pty")

        started_at = datetime.datetime.fromisoformat(d.pop("startedAt"))

        running = d.pop("running")

        def _parse_tag(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tag = _parse_tag(d.pop("tag", UNSET))

        def _parse_exit_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        exit_code = _parse_exit_code(d.pop("exitCode", UNSET))

        def _parse_signal(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        signal = _parse_signal(d.pop("signal", UNSET))

        process_info = cls(
            pid=pid,
            cmd=cmd,
            envs=envs,
            user=user,
            cwd=cwd,
            pty=pty,
            started_at=started_at,
            running=running,
            tag=tag,
            exit_code=exit_code,
            signal=signal,
        )

        process_info.additional_properties = d
        return process_info

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
