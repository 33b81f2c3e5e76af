from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="VolumeMount")


@_attrs_define
class VolumeMount:
    """A volume to mount in a new sandbox."""

    name: str
    """ The volume's ID or name. """
    path: str
    """ Where the sandbox sees it: an absolute, normalized path, not `/` and not on, inside or above a
    system directory (/bin, /boot, /dev, /etc, /lib*, /opt/hutch, /proc, /run, /sbin, /sys, /tmp, /usr).
     """

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        path = self.path

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "path": path,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        path = d.pop("path")

        volume_mount = cls(
            name=name,
            path=path,
        )

        return volume_mount
