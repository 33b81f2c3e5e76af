"""The ``SandboxDetail`` reply: what sandbox, snapshot-restore and network operations answer."""

from __future__ import annotations

from hutch._core.convert import opt, plain, str_map
from hutch._core.request import model
from hutch.types import SandboxInfo, SandboxLifecycle, SandboxNetworkOpts
from hutch_api.models.sandbox_detail import SandboxDetail
from hutch_api.models.sandbox_network_info import SandboxNetworkInfo
from hutch_api.types import Unset


def sandbox_info(d: SandboxDetail) -> SandboxInfo:
    lifecycle = SandboxLifecycle(auto_resume=bool(d.lifecycle.auto_resume))
    if d.lifecycle.on_timeout in ("kill", "pause"):
        lifecycle["on_timeout"] = d.lifecycle.on_timeout  # type: ignore[typeddict-item]
    net = d.network
    return plain(
        SandboxInfo,
        d,
        metadata=str_map(d.metadata),
        envs=[str(k) for k in d.env_keys],
        network=None if isinstance(net, Unset) else _network_info(net),
        lifecycle=lifecycle,
        volume_mounts={m.path: m.volume_id for m in opt(d.volume_mounts) or []},
    )


def _network_info(net: SandboxNetworkInfo) -> SandboxNetworkOpts:
    info = SandboxNetworkOpts(
        allow_out=list(net.allow_out), deny_out=list(net.deny_out), allow_public_traffic=net.allow_public_traffic
    )
    if isinstance(net.mask_request_host, str):
        info["mask_request_host"] = net.mask_request_host
    return info


detail = model(SandboxDetail.from_dict, sandbox_info)
"""Parses a ``SandboxDetail`` answer into a :class:`~hutch.types.SandboxInfo`."""
