from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.backend_info import BackendInfo
    from ..models.host_features import HostFeatures


T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    backend: BackendInfo
    """ Where sandboxes run and what that backend gives. A feature it lacks is refused with 409
    (`ConflictException`) naming the backend.
     """
    status: str
    """ `ok` when the server can create sandboxes, `degraded` when it cannot (see `missing`). """
    version: str
    """ The server's version. """
    features: HostFeatures
    """ Which isolation features the host offers. """
    missing: list[str] | Unset = UNSET
    """ What the host lacks, each with how to install it. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        backend = self.backend.to_dict()

        status = self.status

        version = self.version

        features = self.features.to_dict()

        missing: list[str] | Unset = UNSET
        if not isinstance(self.missing, Unset):
            missing = self.missing

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "backend": backend,
                "status": status,
                "version": version,
                "features": features,
            }
        )
        if missing is not UNSET:
            field_dict["missing"] = missing

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.backend_info import BackendInfo
        from ..models.host_features import HostFeatures

        d = dict(src_dict)
        backend = BackendInfo.from_dict(d.pop("backend"))

        status = d.pop("status")

        version = d.pop("version")

        features = HostFeatures.from_dict(d.pop("features"))

        missing = cast(list[str], d.pop("missing", UNSET))

        health = cls(
            backend=backend,
            status=status,
            version=version,
            features=features,
            missing=missing,
        )

        health.additional_properties = d
        return health

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
