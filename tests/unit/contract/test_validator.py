"""The contract's one validator (hutch_agent.contract), used by the agent and the server."""

from __future__ import annotations

import json
import time

import pytest

from hutch_agent import contract
from hutch_agent.contract import Invalid, jsonscan

OPS = {op.id: op for op in contract.operations()}


def _refusal(op: str, raw: bytes, type_status: int = 400) -> tuple[int, str]:
    with pytest.raises(Invalid) as err:
        contract.check_body(OPS[op], contract.parse_json(raw), type_status)
    return err.value.status, err.value.message


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b'{"cmd": 5}', 400, ["'cmd' must be a string"]),
        (b"{}", 400, ["'cmd' is required"]),
        (b'{"cmd": ""}', 422, ["'cmd'", "at least 1"]),
        (b'{"cmd": "a\\u0000b"}', 422, ["'cmd'", "NUL"]),
        (b'{"cmd": "a", "envs": {"A=B": "x"}}', 422, ["'envs'", "'A=B'", "not a valid name"]),
        (b'{"cmd": "a", "envs": {"A": 1}}', 400, ["'envs.A' must be a string"]),
        (b'{"cmd": "a", "timeout": -1}', 422, ["'timeout'", "at least 0"]),
        (b'{"cmd": "a", "stdin": "yes"}', 400, ["'stdin'", "true or false"]),
        (b'{"cmd": "a", "user": "nobody"}', 422, ["'user'", "does not match"]),
    ],
)
def test_types_limits_patterns_and_nul(raw: bytes, status: int, words: list[str]) -> None:
    got_status, message = _refusal("startCommand", raw)
    assert got_status == status
    for word in words:
        assert word in message, message


def test_the_type_status_is_the_callers_and_integral_floats_become_ints() -> None:
    assert _refusal("createSandbox", b'{"timeout": "10"}', 422)[0] == 422
    assert contract.check_body(OPS["createSandbox"], {"timeout": 10.0}, 422) == {"timeout": 10}
    assert "at most 86400" in _refusal("createSandbox", b'{"timeout": 86401}', 422)[1]
    assert "'resources.cpu' must be at least 0.1" in _refusal("createSandbox", b'{"resources": {"cpu": 0}}', 422)[1]
    assert "kill, pause" in _refusal("createSandbox", b'{"lifecycle": {"onTimeout": "x"}}', 422)[1]
    assert "at most 256" in _refusal("createSandbox", b'{"network": {"allowOut": [' + b'"a",' * 256 + b'"a"]}}')[1]
    assert (
        "'network.allowOut' must be a list of strings" in _refusal("createSandbox", b'{"network":{"allowOut":"x"}}')[1]
    )


def test_x_refusal_says_why_a_const_or_pattern_refuses() -> None:
    assert contract.check_body(OPS["createSandbox"], {"secure": True}, 422) == {"secure": True}
    assert contract.check_body(OPS["createSandbox"], {"security": {"env": {"mask_patterns": ["*_KEY"]}}}, 422)
    refused = _refusal("createSandbox", b'{"network": {"denyOut": ["http://a.test/"]}}', 422)[1]
    assert refused.startswith("'network.denyOut[0]' 'http://a.test/' is not an IP address, a CIDR block"), refused


def test_nullable_type_lists() -> None:
    assert contract.check_body(OPS["updateEnvVars"], {"A": None, "B": "x"}, 400) == {"A": None, "B": "x"}
    assert _refusal("updateEnvVars", b'{"A": 1}')[1].startswith("'A' must be a string or null")


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"cmd": "\\ud800"}', "'cmd'"),
        (b'{"cmd": "a", "envs": {"A": "x\\udfffy"}}', "'envs.A'"),
        (b'{"metadata": {"\\ud800k": "v"}}', "metadata"),
        (b'{"x": [1, ["\\udc00"]]}', "'x[1][0]'"),
    ],
)
def test_a_lone_surrogate_anywhere_is_400_naming_the_field(raw: bytes, where: str) -> None:
    with pytest.raises(Invalid) as err:
        contract.parse_json(raw)
    assert err.value.status == 400 and where in err.value.message and "surrogate" in err.value.message


def test_a_surrogate_pair_is_a_character_and_invalid_utf8_is_400() -> None:
    assert contract.parse_json(b'{"cmd": "\\ud83d\\ude00"}') == {"cmd": "\U0001f600"}
    with pytest.raises(Invalid, match="not valid UTF-8") as err:
        contract.parse_json(b'{"cmd": "\xff"}')
    assert err.value.status == 400


def test_depth_is_bounded_before_parsing_without_recursion() -> None:
    limit = contract.load()["maxJsonDepth"]
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        with pytest.raises(Invalid, match=f"deeper than {limit}") as err:
            contract.parse_json(raw)
        assert err.value.status == 400
    at_limit = b"[" * limit + b"]" * limit
    assert jsonscan.check_depth(at_limit, limit) is None
    assert jsonscan.check_depth(b"[" * (limit + 1) + b"]" * (limit + 1), limit) == limit + 1
    # brackets inside strings (escaped quotes too) do not count
    assert contract.parse_json(json.dumps({"a": "[" * 1000 + '\\"{' * 1000}).encode()) == {
        "a": "[" * 1000 + '\\"{' * 1000
    }


def test_parameters_are_400_converted_and_checked() -> None:
    op = OPS["getCommand"]
    assert contract.check_param(op, "path", "pid", "7") == 7
    for raw, says in (("abc", "must be an integer"), ("0", "at least 1"), ("-3", "at least 1")):
        with pytest.raises(Invalid) as err:
            contract.check_param(op, "path", "pid", raw)
        assert err.value.status == 400 and "path parameter 'pid'" in err.value.message and says in err.value.message
    listing = OPS["listSandboxes"]
    with pytest.raises(Invalid, match="nextToken"):
        contract.check_param(listing, "query", "nextToken", "12\n")  # ECMA `$`: no trailing newline
    with pytest.raises(Invalid, match="'path' is required"):
        contract.check_param(OPS["readFile"], "query", "path", None)


def test_the_limits_are_the_specs() -> None:
    assert OPS["createSandbox"].max_body_bytes == 2 * 1024 * 1024
    assert OPS["startCommand"].max_body_bytes == 5 * 1024 * 1024
    assert OPS["writeFile"].max_body_bytes is None  # file contents: no limit but the disk


def test_a_big_body_is_checked_in_linear_time() -> None:
    envs = b",".join(b'"V%d": "x"' % i for i in range(50_000))
    raw = b'{"cmd": "' + b"x" * 1_000_000 + b'", "envs": {' + envs + b"}}"
    started = time.perf_counter()
    contract.check_body(OPS["startCommand"], contract.parse_json(raw), 400)
    assert time.perf_counter() - started < 5  # a guard against quadratic scans, not a benchmark


def test_x_default_fills_absent_fields_and_parameters() -> None:
    from hutchd.runtime.templates import SANDBOX_UID

    assert contract.check_body(OPS["createVolume"], {"name": "v"}, 422) == {"name": "v", "sizeMB": 1024}
    assert contract.check_body(OPS["createVolume"], {"name": "v", "sizeMB": 64}, 422)["sizeMB"] == 64
    for op, mode in (("writeVolumeFile", 0o644), ("makeVolumeDir", 0o755)):
        owner = [contract.check_param(OPS[op], "query", name, None) for name in ("uid", "gid", "mode")]
        assert owner == [SANDBOX_UID, SANDBOX_UID, mode], "the spec's defaults are the sandbox user's"
        assert contract.check_param(OPS[op], "query", "mode", "448") == 0o700
    assert contract.check_param(OPS["startCommand"], "query", "stream", None) is None  # a plain `default` is not filled
