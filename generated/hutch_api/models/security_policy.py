from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_policy import AuditPolicy
    from ..models.unsupported_policy import UnsupportedPolicy


T = TypeVar("T", bound="SecurityPolicy")


@_attrs_define
class SecurityPolicy:
    """declaw's inspecting-proxy policy. `audit` records the connections through the sandbox's egress
    proxy (`getAuditLog`). `pii`, `injection_defense`, `transformations` and `env_masking` are not
    supported by this server yet: an empty one is accepted, any other is refused with 422.

    """

    audit: AuditPolicy | Unset = UNSET
    """ Whether the egress proxy records the sandbox's connections (needs `secure`). """
    pii: UnsupportedPolicy | Unset = UNSET
    """ A part of declaw's policy this server does not have yet. """
    injection_defense: UnsupportedPolicy | Unset = UNSET
    """ A part of declaw's policy this server does not have yet. """
    transformations: UnsupportedPolicy | Unset = UNSET
    """ A part of declaw's policy this server does not have yet. """
    env_masking: UnsupportedPolicy | Unset = UNSET
    """ A part of declaw's policy this server does not have yet. """

    def to_dict(self) -> dict[str, Any]:
        audit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.audit, Unset):
            audit = self.audit.to_dict()

        pii: dict[str, Any] | Unset = UNSET
        if not isinstance(self.pii, Unset):
            pii = self.pii.to_dict()

        injection_defense: dict[str, Any] | Unset = UNSET
        if not isinstance(self.injection_defense, Unset):
            injection_defense = self.injection_defense.to_dict()

        transformations: dict[str, Any] | Unset = UNSET
        if not isinstance(self.transformations, Unset):
            transformations = self.transformations.to_dict()

        env_masking: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env_masking, Unset):
            env_masking = self.env_masking.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if audit is not UNSET:
            field_dict["audit"] = audit
        if pii is not UNSET:
            field_dict["pii"] = pii
        if injection_defense is not UNSET:
            field_dict["injection_defense"] = injection_defense
        if transformations is not UNSET:
            field_dict["transformations"] = transformations
        if env_masking is not UNSET:
            field_dict["env_masking"] = env_masking

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_policy import AuditPolicy
        from ..models.unsupported_policy import UnsupportedPolicy

        d = dict(src_dict)
        _audit = d.pop("audit", UNSET)
        audit: AuditPolicy | Unset
        if isinstance(_audit, Unset):
            audit = UNSET
        else:
            audit = AuditPolicy.from_dict(_audit)

        _pii = d.pop("pii", UNSET)
        pii: UnsupportedPolicy | Unset
        if isinstance(_pii, Unset):
            pii = UNSET
        else:
            pii = UnsupportedPolicy.from_dict(_pii)

        _injection_defense = d.pop("injection_defense", UNSET)
        injection_defense: UnsupportedPolicy | Unset
        if isinstance(_injection_defense, Unset):
            injection_defense = UNSET
        else:
            injection_defense = UnsupportedPolicy.from_dict(_injection_defense)

        _transformations = d.pop("transformations", UNSET)
        transformations: UnsupportedPolicy | Unset
        if isinstance(_transformations, Unset):
            transformations = UNSET
        else:
            transformations = UnsupportedPolicy.from_dict(_transformations)

        _env_masking = d.pop("env_masking", UNSET)
        env_masking: UnsupportedPolicy | Unset
        if isinstance(_env_masking, Unset):
            env_masking = UNSET
        else:
            env_masking = UnsupportedPolicy.from_dict(_env_masking)

        security_policy = cls(
            audit=audit,
            pii=pii,
            injection_defense=injection_defense,
            transformations=transformations,
            env_masking=env_masking,
        )

        return security_policy
