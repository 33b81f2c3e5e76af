from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.sandbox_secret import SandboxSecret


T = TypeVar("T", bound="NewSandboxSecrets")


@_attrs_define
class NewSandboxSecrets:
    """Secrets the sandbox uses without ever holding them (E2B's and Modal's proxy-side credentials):
    the sandbox's environment has the variable with a placeholder in place of the value, and the
    egress proxy swaps the placeholder for the value in the headers of HTTPS requests to the
    secret's hosts only (it decrypts those hosts' TLS, with a CA of this sandbox's own that its
    trust stores get). Needs `secure` and a network. Never returned by any operation.

    """

    additional_properties: dict[str, SandboxSecret] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop.to_dict()

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sandbox_secret import SandboxSecret

        d = dict(src_dict)
        new_sandbox_secrets = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = SandboxSecret.from_dict(prop_dict)

            additional_properties[prop_name] = additional_property

        new_sandbox_secrets.additional_properties = additional_properties
        return new_sandbox_secrets

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> SandboxSecret:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: SandboxSecret) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
