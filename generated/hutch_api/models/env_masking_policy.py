from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EnvMaskingPolicy")


@_attrs_define
class EnvMaskingPolicy:
    """declaw's `EnvSecurityConfig`: environment variables whose names match one of `mask_patterns`
    (globs: `*` any run of characters, `?` one) have their values replaced with
    `[MASKED:NAME]` in every reply that shows values (`getEnvVars`, `getEnvVar`, `setEnvVar`,
    `updateEnvVars`, `replaceEnvVars`, and the `envs` of commands, terminals and code contexts),
    and in every request the sandbox sends through its egress proxy (headers, path and bodies of
    every host, which it therefore decrypts). Values shorter than 8 characters are masked in
    replies only. Inside the sandbox they are what they are: a variable that must reach a
    service without the sandbox holding it is a proxy secret (`secrets`), not a masked one.

    """

    enabled: bool | Unset = UNSET
    """ False turns the part off; true when absent. """
    mask_patterns: list[str] | Unset = UNSET
    """ Name globs; `*_KEY`, `*_SECRET`, `*_TOKEN`, `*_PASSWORD` when absent. """

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        mask_patterns: list[str] | Unset = UNSET
        if not isinstance(self.mask_patterns, Unset):
            mask_patterns = self.mask_patterns

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if mask_patterns is not UNSET:
            field_dict["mask_patterns"] = mask_patterns

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        mask_patterns = cast(list[str], d.pop("mask_patterns", UNSET))

        env_masking_policy = cls(
            enabled=enabled,
            mask_patterns=mask_patterns,
        )

        return env_masking_policy
