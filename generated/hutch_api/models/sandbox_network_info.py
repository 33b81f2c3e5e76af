from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SandboxNetworkInfo")


@_attrs_define
class SandboxNetworkInfo:
    """The network policy in force (entries normalised)."""

    allow_out: list[str]
    """ Destinations the sandbox may reach. """
    deny_out: list[str]
    """ Destinations the sandbox may not reach (`0.0.0.0/0` and `::/0` when it has no internet). """
    allow_public_traffic: bool
    """ Whether the exposed ports are open to anyone who can reach this server. """
    mask_request_host: None | str | Unset = UNSET
    """ The `Host` header the exposed ports' servers see (`${PORT}` replaced); null for `localhost:<port>`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allow_out = self.allow_out

        deny_out = self.deny_out

        allow_public_traffic = self.allow_public_traffic

        mask_request_host: None | str | Unset
        if isinstance(self.mask_request_host, Unset):
            mask_request_host = UNSET
        else:
            mask_request_host = self.mask_request_host

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "allowOut": allow_out,
                "denyOut": deny_out,
                "allowPublicTraffic": allow_public_traffic,
            }
        )
        if mask_request_host is not UNSET:
            field_dict["maskRequestHost"] = mask_request_host

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        allow_out = cast(list[str], d.pop("allowOut"))

        deny_out = cast(list[str], d.pop("denyOut"))

        allow_public_traffic = d.pop("allowPublicTraffic")

        def _parse_mask_request_host(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mask_request_host = _parse_mask_request_host(d.pop("maskRequestHost", UNSET))

        sandbox_network_info = cls(
            allow_out=allow_out,
            deny_out=deny_out,
            allow_public_traffic=allow_public_traffic,
            mask_request_host=mask_request_host,
        )

        sandbox_network_info.additional_properties = d
        return sandbox_network_info

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
