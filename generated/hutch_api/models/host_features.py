from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="HostFeatures")


@_attrs_define
class HostFeatures:
    """Which isolation features the host offers."""

    bubblewrap: bool
    """ bwrap is installed. """
    user_namespaces: bool
    """ Sandboxes run in user namespaces mapped to unprivileged host ids. """
    cgroups: bool
    """ CPU """
    freeze: bool
    """ Sandboxes can be paused (cgroup freeze). """
    seccomp: bool
    """ A seccomp filter is applied. """
    internet: bool
    """ Sandboxes can be given internet access (slirp4netns). """
    egress_filter: bool
    """ Egress is filtered with nftables. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bubblewrap = self.bubblewrap

        user_namespaces = self.user_namespaces

        cgroups = self.cgroups

        freeze = self.freeze

        seccomp = self.seccomp

        internet = self.internet

        egress_filter = self.egress_filter

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bubblewrap": bubblewrap,
                "userNamespaces": user_namespaces,
                "cgroups": cgroups,
                "freeze": freeze,
                "seccomp": seccomp,
                "internet": internet,
                "egressFilter": egress_filter,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bubblewrap = d.pop("bubblewrap")

        user_namespaces = d.pop("userNamespaces")

        cgroups = d.pop("cgroups")

        freeze = d.pop("freeze")

        seccomp = d.pop("seccomp")

        internet = d.pop("internet")

        egress_filter = d.pop("egressFilter")

        host_features = cls(
            bubblewrap=bubblewrap,
            user_namespaces=user_namespaces,
            cgroups=cgroups,
            freeze=freeze,
            seccomp=seccomp,
            internet=internet,
            egress_filter=egress_filter,
        )

        host_features.additional_properties = d
        return host_features

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
