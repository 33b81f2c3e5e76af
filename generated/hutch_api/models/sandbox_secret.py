from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="SandboxSecret")


@_attrs_define
class SandboxSecret:
    """A secret's value and the hosts whose HTTPS requests may carry it."""

    value: str
    """ The value (no NUL, CR or LF: it goes into HTTP headers). """
    hosts: list[str]
    """ Host names (`*.example.com` for the names below it) whose requests get the value. """

    def to_dict(self) -> dict[str, Any]:
        value = self.value

        hosts = self.hosts

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "value": value,
                "hosts": hosts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        value = d.pop("value")

        hosts = cast(list[str], d.pop("hosts"))

        sandbox_secret = cls(
            value=value,
            hosts=hosts,
        )

        return sandbox_secret
