"""The sandbox's environment variables (spec tag ``env``; SDK-API section 8): ``sbx.env``."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

import hutch_api.api.env.delete_env_var as delete_env_var
import hutch_api.api.env.get_env_var as get_env_var
import hutch_api.api.env.get_env_vars as get_env_vars
import hutch_api.api.env.replace_env_vars as replace_env_vars
import hutch_api.api.env.set_env_var as set_env_var
import hutch_api.api.env.update_env_vars as update_env_vars
from hutch._core import checks
from hutch._core.request import Op, build, model, nothing, true
from hutch.exceptions import InvalidArgumentException
from hutch_api.models.env_var import EnvVar
from hutch_api.models.env_var_value import EnvVarValue
from hutch_api.models.env_vars import EnvVars
from hutch_api.models.env_vars_patch import EnvVarsPatch
from hutch_api.models.env_vars_replacement import EnvVarsReplacement


def _vars(response: httpx.Response) -> dict[str, str]:
    return {str(k): str(v) for k, v in EnvVars.from_dict(response.json()).additional_properties.items()}


def get_all(sandbox_id: str) -> Op[dict[str, str]]:
    return Op(build(get_env_vars, checks.ident(sandbox_id)), _vars)


def get(sandbox_id: str, name: str, default: str | None) -> Op[str | None]:
    parse = model(EnvVar.from_dict, lambda v: str(v.value))
    return Op(build(get_env_var, checks.ident(sandbox_id), checks.ident(name, "name")), parse, answers={404: default})


def set_var(sandbox_id: str, name: str, value: str) -> Op[None]:
    body = EnvVarValue(value=str(value))
    return Op(build(set_env_var, checks.ident(sandbox_id), checks.ident(name, "name"), body=body), nothing)


def update(sandbox_id: str, envs: Mapping[str, str | None]) -> Op[None]:
    if not isinstance(envs, Mapping):
        raise InvalidArgumentException(f"envs must be a dict, not {type(envs).__name__}")
    body = EnvVarsPatch.from_dict({str(k): None if v is None else str(v) for k, v in envs.items()})
    return Op(build(update_env_vars, checks.ident(sandbox_id), body=body), nothing, idempotent=True)


def replace(sandbox_id: str, envs: Mapping[str, str]) -> Op[None]:
    body = EnvVarsReplacement.from_dict(checks.str_dict(envs, "envs") or {})
    return Op(build(replace_env_vars, checks.ident(sandbox_id), body=body), nothing)


def delete(sandbox_id: str, name: str) -> Op[bool]:
    return Op(build(delete_env_var, checks.ident(sandbox_id), checks.ident(name, "name")), true, answers={404: False})
