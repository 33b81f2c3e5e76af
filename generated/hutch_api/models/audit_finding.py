from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditFinding")


@_attrs_define
class AuditFinding:
    """What one part of the policy found in a request or its response."""

    policy: str
    """ `pii`, `transformations` or `injection_defense`. """
    count: int
    """ How many values or replacements (1 for `injection_defense`). """
    type_: str | Unset = UNSET
    """ The PII type (`pii` only). """
    action: str | Unset = UNSET
    """ What the policy did: `redact`, `block` or `log_only`. """
    direction: str | Unset = UNSET
    """ `request` or `response` (`transformations`, `injection_defense`). """
    score: float | Unset = UNSET
    """ The injection score (`injection_defense` only). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        policy = self.policy

        count = self.count

        type_ = self.type_

        action = self.action

        direction = self.direction

        score = self.score

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "policy": policy,
                "count": count,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_
        if action is not UNSET:
            field_dict["action"] = action
        if direction is not UNSET:
            field_dict["direction"] = direction
        if score is not UNSET:
            field_dict["score"] = score

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        policy = d.pop("policy")

        count = d.pop("count")

        type_ = d.pop("type", UNSET)

        action = d.pop("action", UNSET)

        direction = d.pop("direction", UNSET)

        score = d.pop("score", UNSET)

        audit_finding = cls(
            policy=policy,
            count=count,
            type_=type_,
            action=action,
            direction=direction,
            score=score,
        )

        audit_finding.additional_properties = d
        return audit_finding

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
