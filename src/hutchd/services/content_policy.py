"""The body-reading parts of a sandbox's security policy (`pii`, `transformations`,
`injection_defense`, `env_masking`), the server's
side: a request's form (declaw's, either spelling) to the one the decrypting proxy reads
(runtime/mitm_addon.py), and back for replies. The proxy decrypts only the traffic they apply to."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hutchd.http.errors import ApiError, unprocessable
from hutchd.runtime.inspection import PII_TYPES, SENSITIVITY
from hutchd.services import env_masking

DIRECTIONS = {"request": "request", "outbound": "request", "response": "response", "inbound": "response"}


def parse(
    security: dict[str, Any] | None,
    *,
    secure: bool,
    internet: bool,
    refusal: Callable[[str], ApiError] = unprocessable,
) -> dict[str, Any]:
    """`security` (already checked against the spec's schema) as the decrypting proxy's policy; {}
    when it reads no bodies. `refusal` makes the error when the sandbox has no egress proxy: 422 for a
    create that asks for both, 409 for a live sandbox made without one."""
    security = security or {}
    inspect: dict[str, Any] = {}
    pii = security.get("pii")
    if pii is not None and pii.get("enabled", True):
        inspect["pii"] = {
            "types": sorted(pii.get("types") or PII_TYPES),
            "action": pii.get("action", "redact"),
            "rehydrate": bool(pii.get("rehydrate_response", False)),
            "requests": bool(pii.get("scan_requests", True)),
            "responses": bool(pii.get("scan_responses", False)),
            "domains": _domains(pii),
        }
    rules = [_rule(i, r) for i, r in enumerate(security.get("transformations") or [])]
    if rules:
        inspect["transformations"] = rules
    injection = security.get("injection_defense")
    if injection is not None and injection.get("enabled", True):
        inspect["injection"] = {
            "threshold": injection.get("threshold", SENSITIVITY[injection.get("sensitivity", "medium")]),
            "action": "log_only" if injection.get("action") in ("log", "log_only") else "block",
            "domains": _domains(injection),
        }
    if inspect and not (secure and internet):
        raise refusal("security.pii, .transformations and .injection_defense need secure=true and internet access")
    masking = env_masking.parse(security, secure=secure, internet=internet, refusal=refusal)
    if masking is not None:
        inspect["env_masking"] = masking
    return inspect


def public(inspect: dict[str, Any]) -> dict[str, Any]:
    """The policy in force, in `SecurityPolicy`'s form."""
    reply: dict[str, Any] = {}
    if pii := inspect.get("pii"):
        reply["pii"] = {
            "enabled": True, "types": pii["types"], "action": pii["action"],
            "rehydrate_response": pii["rehydrate"], "scan_requests": pii.get("requests", True),
            "scan_responses": pii.get("responses", False), "domains": pii["domains"],
        }  # fmt: skip
    if rules := inspect.get("transformations"):
        reply["transformations"] = rules
    if injection := inspect.get("injection"):
        reply["injection_defense"] = {"enabled": True, **injection}
    if masking := inspect.get("env_masking"):
        reply["env_masking"] = env_masking.public(masking)
    return reply


def _domains(part: dict[str, Any]) -> list[str]:
    return sorted({d.lower().rstrip(".") for d in part.get("domains") or []})


def _rule(index: int, raw: dict[str, Any]) -> dict[str, Any]:
    where = f"security.transformations[{index}]"
    patterns = [raw[k] for k in ("match", "pattern") if k in raw]
    replacements = [raw[k] for k in ("replace", "replacement") if k in raw]
    if len(patterns) != 1 or len(replacements) > 1:
        raise unprocessable(f"{where} needs one regex (`match` or `pattern`) and at most one `replace`/`replacement`")
    replacement = replacements[0] if replacements else ""
    try:
        re.compile(patterns[0]).sub(replacement, "")  # a bad group reference fails here, not in the proxy
    except (re.error, RecursionError, OverflowError) as e:
        raise unprocessable(f"{where} is not a valid regex and replacement: {e}") from None
    return {
        "pattern": patterns[0], "replacement": replacement,
        "direction": DIRECTIONS[raw.get("direction", "request")], "domains": _domains(raw),
    }  # fmt: skip
