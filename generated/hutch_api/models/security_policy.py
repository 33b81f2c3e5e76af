from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_policy import AuditPolicy
    from ..models.env_masking_policy import EnvMaskingPolicy
    from ..models.injection_defense_policy import InjectionDefensePolicy
    from ..models.pii_policy import PIIPolicy
    from ..models.transformation_rule import TransformationRule


T = TypeVar("T", bound="SecurityPolicy")


@_attrs_define
class SecurityPolicy:
    """declaw's inspecting-proxy policy (needs `secure` and internet access). `audit` records the
    connections through the sandbox's egress proxy, and each request its decrypting proxy reads
    (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic they
    apply to (their `domains`, or every name without), with a CA of this sandbox's own that its
    trust stores get, and passes everything else through; so does `injection_defense`.
    `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
    environment variables whose names match its globs in every reply that shows values, and
    the decrypting proxy takes them out of every request that leaves the sandbox.

    """

    audit: AuditPolicy | Unset = UNSET
    """ Whether the egress proxy records the sandbox's connections (needs `secure`). """
    pii: PIIPolicy | Unset = UNSET
    """ declaw's `PIIConfig`: personal data in request bodies (decoded, as UTF-8 text). `redact`
    replaces each value with a token like `[EMAIL_3f9a0c12b7d4]`, the same for the same value in
    this sandbox; `block` answers 403 with the reason instead of sending the request; `log_only`
    sends it as it is. Every action records what it found (type and count, never the value) in
    the audit log while `audit` is on. Bodies over 1 MiB are read as they stream, up to 64 MiB
    (past that, or compressed, they are cut unless the action is `log_only`).
     """
    transformations: list[TransformationRule] | Unset = UNSET
    """ Regex rewrites of bodies, in order (requests before PII detection, responses before
    rehydration). Bodies over 1 MiB are rewritten as they stream, up to 64 MiB (past that, or
    compressed, they are cut).
     """
    injection_defense: InjectionDefensePolicy | Unset = UNSET
    """ declaw's `injection_defense`: request and response bodies are scored (0 to 1) against a
    library of prompt-injection phrases ("ignore all previous instructions", "reveal your system
    prompt", chat-template markers, ...; several matches add up). At or over the threshold,
    `block` answers 403 with the reason in place of the request or the response; `log_only`
    records it in the audit log. Bodies over 1 MiB are scanned as they stream, up to 64 MiB
    (past that, or compressed, they are cut under `block`); a refusal there closes the connection.
     """
    env_masking: EnvMaskingPolicy | Unset = UNSET
    """ declaw's `EnvSecurityConfig`: environment variables whose names match one of `mask_patterns`
    (globs: `*` any run of characters, `?` one) have their values replaced with
    `[MASKED:NAME]` in every reply that shows values (`getEnvVars`, `getEnvVar`, `setEnvVar`,
    `updateEnvVars`, `replaceEnvVars`, and the `envs` of commands, terminals and code contexts),
    and in every request the sandbox sends through its egress proxy (headers, path and bodies of
    every host, which it therefore decrypts). Values shorter than 8 characters are masked in
    replies only. Inside the sandbox they are what they are: a variable that must reach a
    service without the sandbox holding it is a proxy secret (`secrets`), not a masked one.
     """
    env: EnvMaskingPolicy | Unset = UNSET
    """ declaw's `EnvSecurityConfig`: environment variables whose names match one of `mask_patterns`
    (globs: `*` any run of characters, `?` one) have their values replaced with
    `[MASKED:NAME]` in every reply that shows values (`getEnvVars`, `getEnvVar`, `setEnvVar`,
    `updateEnvVars`, `replaceEnvVars`, and the `envs` of commands, terminals and code contexts),
    and in every request the sandbox sends through its egress proxy (headers, path and bodies of
    every host, which it therefore decrypts). Values shorter than 8 characters are masked in
    replies only. Inside the sandbox they are what they are: a variable that must reach a
    service without the sandbox holding it is a proxy secret (`secrets`), not a masked one.
     """

    def to_dict(self) -> dict[str, Any]:
        audit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.audit, Unset):
            audit = self.audit.to_dict()

        pii: dict[str, Any] | Unset = UNSET
        if not isinstance(self.pii, Unset):
            pii = self.pii.to_dict()

        transformations: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.transformations, Unset):
            transformations = []
            for transformations_item_data in self.transformations:
                transformations_item = transformations_item_data.to_dict()
                transformations.append(transformations_item)

        injection_defense: dict[str, Any] | Unset = UNSET
        if not isinstance(self.injection_defense, Unset):
            injection_defense = self.injection_defense.to_dict()

        env_masking: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env_masking, Unset):
            env_masking = self.env_masking.to_dict()

        env: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env, Unset):
            env = self.env.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if audit is not UNSET:
            field_dict["audit"] = audit
        if pii is not UNSET:
            field_dict["pii"] = pii
        if transformations is not UNSET:
            field_dict["transformations"] = transformations
        if injection_defense is not UNSET:
            field_dict["injection_defense"] = injection_defense
        if env_masking is not UNSET:
            field_dict["env_masking"] = env_masking
        if env is not UNSET:
            field_dict["env"] = env

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_policy import AuditPolicy
        from ..models.env_masking_policy import EnvMaskingPolicy
        from ..models.injection_defense_policy import InjectionDefensePolicy
        from ..models.pii_policy import PIIPolicy
        from ..models.transformation_rule import TransformationRule

        d = dict(src_dict)
        _audit = d.pop("audit", UNSET)
        audit: AuditPolicy | Unset
        if isinstance(_audit, Unset):
            audit = UNSET
        else:
            audit = AuditPolicy.from_dict(_audit)

        _pii = d.pop("pii", UNSET)
        pii: PIIPolicy | Unset
        if isinstance(_pii, Unset):
            pii = UNSET
        else:
            pii = PIIPolicy.from_dict(_pii)

        _transformations = d.pop("transformations", UNSET)
        transformations: list[TransformationRule] | Unset = UNSET
        if _transformations is not UNSET:
            transformations = []
            for transformations_item_data in _transformations:
                transformations_item = TransformationRule.from_dict(transformations_item_data)

                transformations.append(transformations_item)

        _injection_defense = d.pop("injection_defense", UNSET)
        injection_defense: InjectionDefensePolicy | Unset
        if isinstance(_injection_defense, Unset):
            injection_defense = UNSET
        else:
            injection_defense = InjectionDefensePolicy.from_dict(_injection_defense)

        _env_masking = d.pop("env_masking", UNSET)
        env_masking: EnvMaskingPolicy | Unset
        if isinstance(_env_masking, Unset):
            env_masking = UNSET
        else:
            env_masking = EnvMaskingPolicy.from_dict(_env_masking)

        _env = d.pop("env", UNSET)
        env: EnvMaskingPolicy | Unset
        if isinstance(_env, Unset):
            env = UNSET
        else:
            env = EnvMaskingPolicy.from_dict(_env)

        security_policy = cls(
            audit=audit,
            pii=pii,
            transformations=transformations,
            injection_defense=injection_defense,
            env_masking=env_masking,
            env=env,
        )

        return security_policy
