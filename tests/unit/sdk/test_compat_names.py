"""E2B's type names used in annotations import from hutch and mean what E2B's do (issue 12)."""

from __future__ import annotations

import typing

import hutch


def test_e2b_type_names_import_from_hutch() -> None:
    assert typing.get_args(hutch.SandboxListOrder) == ("asc", "desc")
    assert typing.get_args(hutch.SnapshotMode) == ("full", "filesystem")
    assert typing.get_args(hutch.SandboxOnResume) == ("restore", "reboot")
    assert typing.get_args(hutch.HttpVersion) == ("1.1", "2")
    assert (hutch.Stdout, hutch.Stderr, hutch.PtyOutput, hutch.Username) == (str, str, bytes, str)
    assert hutch.ApiParams is hutch.ConnectionOpts and hutch.SandboxNetworkInfo is hutch.SandboxNetworkOpts
    assert hutch.SandboxInfoLifecycle is hutch.SandboxLifecycle
    assert "allow_internet_access" in hutch.SandboxNetworkUpdate.__annotations__
    assert {"allow_out", "deny_out", "mask_request_host"} <= set(hutch.SandboxNetworkUpdate.__optional_keys__)
    ctx = hutch.SandboxNetworkSelectorContext(all_traffic=hutch.ALL_TRAFFIC, rules={})
    selector: hutch.SandboxNetworkSelector = lambda c: [c.all_traffic]  # noqa: E731
    assert callable(selector) and selector(ctx) == ["0.0.0.0/0"]
