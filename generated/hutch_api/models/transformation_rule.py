from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.transformation_rule_direction import TransformationRuleDirection, check_transformation_rule_direction
from ..types import UNSET, Unset

T = TypeVar("T", bound="TransformationRule")


@_attrs_define
class TransformationRule:
    """A regex (Python's `re`) and its replacement (`\\1` for a group), applied to the bodies going
    one way. declaw's docs spell the pair both `match`/`replace` and `pattern`/`replacement`:
    either is accepted, one of each.

    """

    match: str | Unset = UNSET
    pattern: str | Unset = UNSET
    replace: str | Unset = UNSET
    replacement: str | Unset = UNSET
    direction: TransformationRuleDirection | Unset = UNSET
    """ `request` (declaw's `outbound`) or `response` (`inbound`); `request` when absent. """
    domains: list[str] | Unset = UNSET
    """ Host names (`*.example.com` for the names below it) the part applies to; every name when absent or empty.
    """

    def to_dict(self) -> dict[str, Any]:
        match = self.match

        pattern = self.pattern

        replace = self.replace

        replacement = self.replacement

        direction: str | Unset = UNSET
        if not isinstance(self.direction, Unset):
            direction = self.direction

        domains: list[str] | Unset = UNSET
        if not isinstance(self.domains, Unset):
            domains = self.domains

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if match is not UNSET:
            field_dict["match"] = match
        if pattern is not UNSET:
            field_dict["pattern"] = pattern
        if replace is not UNSET:
            field_dict["replace"] = replace
        if replacement is not UNSET:
            field_dict["replacement"] = replacement
        if direction is not UNSET:
            field_dict["direction"] = direction
        if domains is not UNSET:
            field_dict["domains"] = domains

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        match = d.pop("match", UNSET)

        pattern = d.pop("pattern", UNSET)

        replace = d.pop("replace", UNSET)

        replacement = d.pop("replacement", UNSET)

        _direction = d.pop("direction", UNSET)
        direction: TransformationRuleDirection | Unset
        if isinstance(_direction, Unset):
            direction = UNSET
        else:
            direction = check_transformation_rule_direction(_direction)

        domains = cast(list[str], d.pop("domains", UNSET))

        transformation_rule = cls(
            match=match,
            pattern=pattern,
            replace=replace,
            replacement=replacement,
            direction=direction,
            domains=domains,
        )

        return transformation_rule
