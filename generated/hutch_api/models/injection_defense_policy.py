from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.injection_defense_policy_action import InjectionDefensePolicyAction, check_injection_defense_policy_action
from ..models.injection_defense_policy_sensitivity import (
    InjectionDefensePolicySensitivity,
    check_injection_defense_policy_sensitivity,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="InjectionDefensePolicy")


@_attrs_define
class InjectionDefensePolicy:
    """declaw's `injection_defense`: request and response bodies are scored (0 to 1) against a
    library of prompt-injection phrases ("ignore all previous instructions", "reveal your system
    prompt", chat-template markers, ...; several matches add up). At or over the threshold,
    `block` answers 403 with the reason in place of the request or the response; `log_only`
    records it in the audit log. Bodies over 1 MiB are scanned as they stream, up to 64 MiB
    (past that, or compressed, they are cut under `block`); a refusal there closes the connection.

    """

    enabled: bool | Unset = UNSET
    """ False turns the part off; true when absent. """
    sensitivity: InjectionDefensePolicySensitivity | Unset = UNSET
    """ The threshold by name: `low` 0.9, `medium` 0.7 (when absent), `high` 0.5. """
    threshold: float | Unset = UNSET
    """ The score at which a body counts as an injection; wins over `sensitivity`. """
    action: InjectionDefensePolicyAction | Unset = UNSET
    """ `block` when absent; `log` is taken for `log_only`. """
    domains: list[str] | Unset = UNSET
    """ Host names (`*.example.com` for the names below it) the part applies to; every name when absent or empty.
    """

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        sensitivity: str | Unset = UNSET
        if not isinstance(self.sensitivity, Unset):
            sensitivity = self.sensitivity

        threshold = self.threshold

        action: str | Unset = UNSET
        if not isinstance(self.action, Unset):
            action = self.action

        domains: list[str] | Unset = UNSET
        if not isinstance(self.domains, Unset):
            domains = self.domains

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if sensitivity is not UNSET:
            field_dict["sensitivity"] = sensitivity
        if threshold is not UNSET:
            field_dict["threshold"] = threshold
        if action is not UNSET:
            field_dict["action"] = action
        if domains is not UNSET:
            field_dict["domains"] = domains

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        _sensitivity = d.pop("sensitivity", UNSET)
        sensitivity: InjectionDefensePolicySensitivity | Unset
        if isinstance(_sensitivity, Unset):
            sensitivity = UNSET
        else:
            sensitivity = check_injection_defense_policy_sensitivity(_sensitivity)

        threshold = d.pop("threshold", UNSET)

        _action = d.pop("action", UNSET)
        action: InjectionDefensePolicyAction | Unset
        if isinstance(_action, Unset):
            action = UNSET
        else:
            action = check_injection_defense_policy_action(_action)

        domains = cast(list[str], d.pop("domains", UNSET))

        injection_defense_policy = cls(
            enabled=enabled,
            sensitivity=sensitivity,
            threshold=threshold,
            action=action,
            domains=domains,
        )

        return injection_defense_policy
