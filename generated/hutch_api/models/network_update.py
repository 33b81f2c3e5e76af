from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="NetworkUpdate")


@_attrs_define
class NetworkUpdate:
    """A new network policy for a running sandbox (see `SandboxNetwork` for the rules)."""

    allow_out: list[str] | Unset = UNSET
    """ Destinations the sandbox may reach; replaces the old list (absent = empty). """
    deny_out: list[str] | Unset = UNSET
    """ Destinations the sandbox may not reach; replaces the old list (absent = empty). """
    allow_public_traffic: bool | Unset = UNSET
    """ Who may use the exposed ports (see `SandboxNetwork`); unchanged when absent. """
    mask_request_host: None | str | Unset = UNSET
    """ The `Host` header that requests relayed to the sandbox's exposed ports carry (E2B's
    `mask_request_host`), with `${PORT}` replaced by the port, e.g. `${PORT}-myapp.example.com`.
    Without it (or null) they carry `localhost:<port>`. The client's own `Host` still travels as
    `X-Forwarded-Host`. In `updateSandboxNetwork`, absent keeps the current one and null restores
    the default.
     """
    allow_internet_access: bool | Unset = UNSET
    """ Only when neither list is given; false refuses everything, true opens the internet. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allow_out: list[str] | Unset = UNSET
        if not isinstance(self.allow_out, Unset):
            allow_out = self.allow_out

        deny_out: list[str] | Unset = UNSET
        if not isinstance(self.deny_out, Unset):
            deny_out = self.deny_out

        allow_public_traffic = self.allow_public_traffic

        mask_request_host: None | str | Unset
        if isinstance(self.mask_request_host, Unset):
            mask_request_host = UNSET
        else:
            mask_request_host = self.mask_request_host

        allow_internet_access = self.allow_internet_access

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if allow_out is not UNSET:
            field_dict["allowOut"] = allow_out
        if deny_out is not UNSET:
            field_dict["denyOut"] = deny_out
        if allow_public_traffic is not UNSET:
            field_dict["allowPublicTraffic"] = allow_public_traffic
        if mask_request_host is not UNSET:
            field_dict["maskRequestHost"] = mask_request_host
        if allow_internet_access is not UNSET:
            field_dict["allowInternetAccess"] = allow_internet_access

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        allow_out = cast(list[str], d.pop("allowOut", UNSET))

        deny_out = cast(list[str], d.pop("denyOut", UNSET))

        allow_public_traffic = d.pop("allowPublicTraffic", UNSET)

        def _parse_mask_request_host(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mask_request_host = _parse_mask_request_host(d.pop("maskRequestHost", UNSET))

        allow_internet_access = d.pop("allowInternetAccess", UNSET)

        network_update = cls(
            allow_out=allow_out,
            deny_out=deny_out,
            allow_public_traffic=allow_public_traffic,
            mask_request_host=mask_request_host,
            allow_internet_access=allow_internet_access,
        )

        network_update.additional_properties = d
        return network_update

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
