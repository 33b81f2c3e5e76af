from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.backend_features import BackendFeatures


T = TypeVar("T", bound="BackendInfo")


@_attrs_define
class BackendInfo:
    """Where sandboxes run and what that backend gives. A feature it lacks is refused with 409
    (`ConflictException`) naming the backend.

    """

    name: str
    """ `local` (this host: bubblewrap, overlayfs, cgroups) or `kubernetes` (a pod per sandbox). """
    features: BackendFeatures
    """ Each feature a backend may lack, and whether this one gives it. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        features = self.features.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "features": features,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.backend_features import BackendFeatures

        d = dict(src_dict)
        name = d.pop("name")

        features = BackendFeatures.from_dict(d.pop("features"))

        backend_info = cls(
            name=name,
            features=features,
        )

        backend_info.additional_properties = d
        return backend_info

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
