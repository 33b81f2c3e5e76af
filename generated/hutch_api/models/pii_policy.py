from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pii_policy_action import PIIPolicyAction, check_pii_policy_action
from ..models.pii_policy_types_item import PIIPolicyTypesItem, check_pii_policy_types_item
from ..types import UNSET, Unset

T = TypeVar("T", bound="PIIPolicy")


@_attrs_define
class PIIPolicy:
    """declaw's `PIIConfig`: personal data in request bodies (decoded, as UTF-8 text). `redact`
    replaces each value with a token like `[EMAIL_3f9a0c12b7d4]`, the same for the same value in
    this sandbox; `block` answers 403 with the reason instead of sending the request; `log_only`
    sends it as it is. Every action records what it found (type and count, never the value) in
    the audit log while `audit` is on. Bodies over 1 MiB are read as they stream, up to 64 MiB
    (past that, or compressed, they are cut unless the action is `log_only`).

    """

    enabled: bool | Unset = UNSET
    """ False turns the part off; true when absent. """
    types: list[PIIPolicyTypesItem] | Unset = UNSET
    """ What to look for; all six when absent. `credit_card` is a 13 to 19 digit number that passes the Luhn check.
    """
    action: PIIPolicyAction | Unset = UNSET
    """ `redact` when absent. """
    rehydrate_response: bool | Unset = UNSET
    """ With `redact`, put the values back in place of this sandbox's tokens in response bodies; false when absent.
    """
    scan_requests: bool | Unset = UNSET
    """ Look for PII in request bodies; true when absent. """
    scan_responses: bool | Unset = UNSET
    """ Look for PII in response bodies too (before rehydration, so this sandbox's own values that
    come back as tokens are not counted); false when absent. `redact` puts tokens in place of
    what the server sent, `block` answers 403 in place of the response.
     """
    domains: list[str] | Unset = UNSET
    """ Host names (`*.example.com` for the names below it) the part applies to; every name when absent or empty.
    """

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        types: list[str] | Unset = UNSET
        if not isinstance(self.types, Unset):
            types = []
            for types_item_data in self.types:
                types_item: str = types_item_data
                types.append(types_item)

        action: str | Unset = UNSET
        if not isinstance(self.action, Unset):
            action = self.action

        rehydrate_response = self.rehydrate_response

        scan_requests = self.scan_requests

        scan_responses = self.scan_responses

        domains: list[str] | Unset = UNSET
        if not isinstance(self.domains, Unset):
            domains = self.domains

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if types is not UNSET:
            field_dict["types"] = types
        if action is not UNSET:
            field_dict["action"] = action
        if rehydrate_response is not UNSET:
            field_dict["rehydrate_response"] = rehydrate_response
        if scan_requests is not UNSET:
            field_dict["scan_requests"] = scan_requests
        if scan_responses is not UNSET:
            field_dict["scan_responses"] = scan_responses
        if domains is not UNSET:
            field_dict["domains"] = domains

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        _types = d.pop("types", UNSET)
        types: list[PIIPolicyTypesItem] | Unset = UNSET
        if _types is not UNSET:
            types = []
            for types_item_data in _types:
                types_item = check_pii_policy_types_item(types_item_data)

                types.append(types_item)

        _action = d.pop("action", UNSET)
        action: PIIPolicyAction | Unset
        if isinstance(_action, Unset):
            action = UNSET
        else:
            action = check_pii_policy_action(_action)

        rehydrate_response = d.pop("rehydrate_response", UNSET)

        scan_requests = d.pop("scan_requests", UNSET)

        scan_responses = d.pop("scan_responses", UNSET)

        domains = cast(list[str], d.pop("domains", UNSET))

        pii_policy = cls(
            enabled=enabled,
            types=types,
            action=action,
            rehydrate_response=rehydrate_response,
            scan_requests=scan_requests,
            scan_responses=scan_responses,
            domains=domains,
        )

        return pii_policy
