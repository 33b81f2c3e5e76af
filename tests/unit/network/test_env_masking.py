"""env_masking, the server's side (services/env_masking.py): which names are masked, the replies
masked, the values handed to the proxy, and a masked reply sent back keeping the values."""

from __future__ import annotations

import pytest

from hutchd.http.errors import ApiError
from hutchd.runtime.proxy import inspected_hosts
from hutchd.services import content_policy, env_masking

DEFAULT = sorted(env_masking.DEFAULT_PATTERNS)


def test_either_spelling_with_the_default_globs() -> None:
    for key in ("env_masking", "env"):
        inspect = content_policy.parse({key: {}}, secure=True, internet=True)
        assert inspect == {"env_masking": {"patterns": DEFAULT}}
        assert inspected_hosts(inspect) == ("*",)  # a masked value may go to any host
        assert content_policy.public(inspect)["env_masking"] == {"enabled": True, "mask_patterns": DEFAULT}
    assert content_policy.parse({"env": {"enabled": False}}, secure=False, internet=True) == {}
    with pytest.raises(ApiError, match="one"):
        content_policy.parse({"env": {}, "env_masking": {}}, secure=True, internet=True)
    with pytest.raises(ApiError, match="secure=true"):
        content_policy.parse({"env": {"mask_patterns": ["X"]}}, secure=False, internet=True)


def test_replies_are_masked_by_name_whatever_their_shape() -> None:
    pats = ["*_KEY", "DB_?ASS"]
    envs = {"OPENAI_API_KEY": "sk-1", "DB_PASS": "p", "PATH": "/bin", "api_key": "lower"}
    masked = {"OPENAI_API_KEY": "[MASKED:OPENAI_API_KEY]", "DB_PASS": "[MASKED:DB_PASS]", "PATH": "/bin",
              "api_key": "lower"}  # fmt: skip
    assert env_masking.mask_reply("getEnvVars", dict(envs), pats) == masked
    assert env_masking.mask_reply("setEnvVar", {"name": "A_KEY", "value": "v"}, pats) == {
        "name": "A_KEY", "value": "[MASKED:A_KEY]",
    }  # fmt: skip
    listed = env_masking.mask_reply("listCommands", [{"pid": 1, "envs": dict(envs)}, {"pid": 2}], pats)
    assert listed == [{"pid": 1, "envs": masked}, {"pid": 2}]
    assert env_masking.mask_reply("createCodeContext", {"envs": {"X_KEY": "v"}}, pats)["envs"] == {
        "X_KEY": "[MASKED:X_KEY]"
    }
    assert env_masking.mask_reply("getEnvVars", ["odd"], pats) == ["odd"]  # another shape: as it is


def test_values_for_the_proxy_and_masked_values_sent_back() -> None:
    pats = list(DEFAULT)
    long = "value-long-enough"
    assert env_masking.values_sent("startCommand", {"cmd": "x", "envs": {"A_TOKEN": long, "B": long}}, None, pats) == {
        long: "A_TOKEN"
    }
    assert env_masking.values_sent("setEnvVar", {"value": long}, "C_SECRET", pats) == {long: "C_SECRET"}
    assert env_masking.values_sent("updateEnvVars", {"A_KEY": "short", "B_KEY": None}, None, pats) == {}
    sent = {"A_KEY": "[MASKED:A_KEY]", "B_KEY": "[MASKED:B_KEY]", "C": "new"}
    assert env_masking.echoes_tokens("replaceEnvVars", sent, None)
    assert not env_masking.echoes_tokens("replaceEnvVars", {"A_KEY": "[MASKED:B_KEY]"}, None)
    assert env_masking.unmask("replaceEnvVars", sent, None, {"A_KEY": long}) == {"A_KEY": long, "C": "new"}
    assert env_masking.unmask("setEnvVar", {"value": "[MASKED:A_KEY]"}, "A_KEY", {"A_KEY": long}) == {"value": long}
