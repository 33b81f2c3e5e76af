from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Snapshot")


@_attrs_define
class Snapshot:
    """A filesystem snapshot of a sandbox."""

    snapshot_id: str
    sandbox_id: str
    """ The sandbox it was taken of. """
    kind: str
    """ `manual`, `pause`, `periodic` or `template`. """
    created_at: datetime.datetime
    size_bytes: int
    """ Bytes the snapshot takes on the server. """
    template_id: None | str | Unset = UNSET
    """ The template ID to boot new sandboxes from it, if it is a template. """
    names: list[str] | Unset = UNSET
    """ The names given to it (`NewSnapshot.name`); empty when it has none. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        snapshot_id = self.snapshot_id

        sandbox_id = self.sandbox_id

        kind = self.kind

        created_at = self.created_at.isoformat()

        size_bytes = self.size_bytes

        template_id: None | str | Unset
        if isinstance(self.template_id, Unset):
            template_id = UNSET
        else:
            template_id = self.template_id

        names: list[str] | Unset = UNSET
        if not isinstance(self.names, Unset):
            names = self.names

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "snapshotID": snapshot_id,
                "sandboxID": sandbox_id,
                "kind": kind,
                "createdAt": created_at,
                "sizeBytes": size_bytes,
            }
        )
        if template_id is not UNSET:
            field_dict["templateID"] = template_id
        if names is not UNSET:
            field_dict["names"] = names

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        snapshot_id = d.pop("snapshotID")

        sandbox_id = d.pop("sandboxID")

        kind = d.pop("kind")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        size_bytes = d.pop("sizeBytes")

        def _parse_template_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template_id = _parse_template_id(d.pop("templateID", UNSET))

        names = cast(list[str], d.pop("names", UNSET))

        snapshot = cls(
            snapshot_id=snapshot_id,
            sandbox_id=sandbox_id,
            kind=kind,
            created_at=created_at,
            size_bytes=size_bytes,
            template_id=template_id,
            names=names,
        )

        snapshot.additional_properties = d
        return snapshot

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
