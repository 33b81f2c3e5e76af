"""declaw's `env_masking` (its docs also say `env`): the values of environment variables whose names
match its globs are masked in every agent reply that shows values (the gateway rewrites them, here)
and taken out of every request the sandbox sends through its decrypting proxy, which learns them
from the create and from each agent call that carries envs (`values_sent`)."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from hutchd.http.errors import ApiError, unprocessable

DEFAULT_PATTERNS = ("*_KEY", "*_SECRET", "*_TOKEN", "*_PASSWORD")
MIN_TRAFFIC_LENGTH = 8
"""Shorter values are masked in replies only: masking `1` or `true` in traffic would mangle everything."""

# Agent operations whose replies show values: a map of them (EnvVars), one (EnvVar), or objects with
# `envs` (ProcessInfo, CodeContext), alone or in a list.
ENV_MAP_REPLIES = frozenset({"getEnvVars", "replaceEnvVars", "updateEnvVars"})
ENV_VAR_REPLIES = frozenset({"getEnvVar", "setEnvVar"})
ENVS_FIELD_REPLIES = frozenset(
    {"startCommand", "getCommand", "listCommands", "createPty", "createCodeContext", "listCodeContexts",
     "restartCodeContext"}
)  # fmt: skip
ECHOING = ENV_MAP_REPLIES | ENV_VAR_REPLIES | ENVS_FIELD_REPLIES
# Agent operations whose requests carry values: a map (the sandbox's set), one value, or `envs`.
COMMAND_ENVS = frozenset({"startCommand", "createPty", "runCode", "createCodeContext"})  # their own `envs`
CARRYING = COMMAND_ENVS | {"replaceEnvVars", "updateEnvVars", "setEnvVar"}


def parse(
    security: dict[str, Any] | None,
    *,
    secure: bool,
    internet: bool,
    refusal: Callable[[str], ApiError] = unprocessable,
) -> dict[str, Any] | None:
    """The part of the decrypting proxy's policy (`{"patterns": [...]}`), or None when off."""
    security = security or {}
    given = [security[k] for k in ("env_masking", "env") if k in security]
    if len(given) > 1:
        raise unprocessable("security.env_masking and security.env are two names of one part: give one")
    if not given or not given[0].get("enabled", True):
        return None
    if not (secure and internet):
        raise refusal("security.env_masking needs secure=true and internet access: the egress proxy masks the values")
    return {"patterns": sorted(set(given[0].get("mask_patterns") or DEFAULT_PATTERNS))}


def public(part: dict[str, Any]) -> dict[str, Any]:
    return {"enabled": True, "mask_patterns": part["patterns"]}


def token(name: str) -> str:
    return f"[MASKED:{name}]"


def is_masked(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


def masked_envs(envs: dict[str, Any], patterns: list[str]) -> dict[str, Any]:
    return {k: token(k) if isinstance(v, str) and is_masked(k, patterns) else v for k, v in envs.items()}


def mask_reply(operation: str, doc: Any, patterns: list[str]) -> Any:
    """An agent's JSON reply with the masked values replaced (anything of another shape as it is)."""
    if operation in ENV_MAP_REPLIES and isinstance(doc, dict):
        return masked_envs(doc, patterns)
    if operation in ENV_VAR_REPLIES and isinstance(doc, dict) and isinstance(doc.get("name"), str):
        return {**doc, "value": masked_envs({doc["name"]: doc.get("value")}, patterns)[doc["name"]]}
    if operation in ENVS_FIELD_REPLIES:
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("envs"), dict):
                item["envs"] = masked_envs(item["envs"], patterns)
    return doc


def values_sent(operation: str, doc: Any, name: str | None, patterns: list[str]) -> dict[str, str]:
    """The masked values an agent call carries (value -> variable name), for the decrypting proxy."""
    envs = doc.get("envs") if operation in COMMAND_ENVS and isinstance(doc, dict) else _sent_envs(operation, doc, name)
    return traffic_values(envs if isinstance(envs, dict) else {}, patterns)


def _sent_envs(operation: str, doc: Any, name: str | None) -> dict[str, Any]:
    """The sandbox-wide variables a call sets (name -> value)."""
    if not isinstance(doc, dict):
        return {}
    if operation == "setEnvVar":
        return {name: doc.get("value")} if name else {}
    return doc if operation in ("replaceEnvVars", "updateEnvVars") else {}


def echoes_tokens(operation: str, doc: Any, name: str | None) -> bool:
    """Whether a call sets a variable to its own mask (a masked reply sent back as it came)."""
    return any(v == token(k) for k, v in _sent_envs(operation, doc, name).items())


def unmask(operation: str, doc: Any, name: str | None, current: dict[str, str]) -> Any:
    """The call with each variable set to its own mask set to the value it has (or left out)."""
    kept = {k: current.get(k) for k, v in _sent_envs(operation, doc, name).items() if v == token(k)}
    if operation == "setEnvVar":
        value = kept.get(name or "")
        return {**doc, "value": value} if value is not None else doc
    fixed = {k: v for k, v in doc.items() if k not in kept or kept[k] is not None}
    return fixed | {k: v for k, v in kept.items() if v is not None}


def traffic_values(envs: dict[str, Any], patterns: list[str]) -> dict[str, str]:
    """Of `envs`, the values the decrypting proxy takes out of requests (value -> name)."""
    return {
        v: k for k, v in envs.items() if isinstance(v, str) and len(v) >= MIN_TRAFFIC_LENGTH and is_masked(k, patterns)
    }
