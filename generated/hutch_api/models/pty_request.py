from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pty_request_envs import PtyRequestEnvs
    from ..models.pty_size import PtySize


T = TypeVar("T", bound="PtyRequest")


@_attrs_define
class PtyRequest:
    """A terminal to start."""

    size: PtySize
    user: str | Unset = UNSET
    """ The sandbox user; `user` (when absent) or `root`. """
    cwd: str | Unset = UNSET
    """ The user's home when absent. """
    envs: PtyRequestEnvs | Unset = UNSET
    timeout: float | Unset = UNSET
    """ Seconds after which the terminal is killed; 0 or absent means none. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        size = self.size.to_dict()

        user = self.user

        cwd = self.cwd

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        timeout = self.timeout

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "size": size,
            }
        )
        if user is not UNSET:
            field_dict["user"] = user
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if envs is not UNSET:
            field_dict["envs"] = envs
        if timeout is not UNSET:
            field_dict["timeout"] = timeout

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pty_request_envs import PtyRequestEnvs
        from ..models.pty_size import PtySize

        d = dict(src_dict)
        size = PtySize.from_dict(d.pop("size"))

        user = d.pop("user", UNSET)

        cwd = d.pop("cwd", UNSET)

        _envs = d.pop("envs", UNSET)
        envs: PtyRequestEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = PtyRequestEnvs.from_dict(_envs)

        timeout = d.pop("timeout", UNSET)

        pty_request = cls(
            size=size,
            user=user,
            cwd=cwd,
            envs=envs,
            timeout=timeout,
        )

        pty_request.additional_properties = d
        return pty_request

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
