"""Network (spec: ``updateSandboxNetwork`` and the ports relay): policy and exposed ports (SDK-API.md section 9).

``network=SandboxNetworkOpts(allow_out=[...], deny_out=[...], allow_public_traffic=True)`` at create,
``sbx.update_network(...)`` later, ``sbx.get_info().network`` to read it back, and ``sbx.get_host(port)``
for the address at which a server listening on ``port`` inside the sandbox answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import hutch_api.api.sandboxes.update_sandbox_network as update_sandbox_network
from hutch._core import checks
from hutch._core.request import Op, build
from hutch._features.detail import detail
from hutch.exceptions import InvalidArgumentException, SandboxNotFoundException
from hutch.types import SandboxInfo, SandboxNetworkOpts
from hutch_api.models.network_update import NetworkUpdate
from hutch_api.models.sandbox_network import SandboxNetwork
from hutch_api.types import UNSET, Unset

ALL_TRAFFIC = "0.0.0.0/0"
"""E2B's name for "every IPv4 destination": ``deny_out=[ALL_TRAFFIC]`` with ``allow_out=[...]`` means only those."""

# snake_case as in E2B's Python SDK; camelCase (the wire names, E2B's JS SDK) is accepted too.
_KEYS = {
    "allow_out": "allow_out",
    "allowOut": "allow_out",
    "deny_out": "deny_out",
    "denyOut": "deny_out",
    "allow_public_traffic": "allow_public_traffic",
    "allowPublicTraffic": "allow_public_traffic",
}


def _entries(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidArgumentException(f"{what} must be a list of IPs, CIDRs or domain names, not {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidArgumentException(f"{what}[{i}] must be a string, not {item!r}")
    return list(value)


def normalize(network: Mapping[str, Any] | None) -> SandboxNetworkOpts:
    """Check the keys and types of a ``network=`` argument (the server checks the entries themselves)."""
    if network is None:
        return SandboxNetworkOpts()
    if not isinstance(network, Mapping):
        raise InvalidArgumentException(f"network must be a SandboxNetworkOpts (a dict), not {type(network).__name__}")
    out: dict[str, Any] = {}
    for key, value in network.items():
        name = _KEYS.get(key)
        if name is None:
            raise InvalidArgumentException(
                f"network has no setting {key!r}; use allow_out, deny_out and allow_public_traffic"
            )
        if name == "allow_public_traffic":
            if not isinstance(value, bool):
                raise InvalidArgumentException(f"network.allow_public_traffic must be True or False, not {value!r}")
            out[name] = value
        elif value is not None:
            out[name] = _entries(value, f"network.{name}")
    return cast(SandboxNetworkOpts, out)


def create_body(network: Mapping[str, Any] | None) -> SandboxNetwork | Unset:
    """The ``network`` field of a create request (UNSET when not given)."""
    if network is None:
        return UNSET
    n = normalize(network)
    return SandboxNetwork(
        allow_out=n.get("allow_out", UNSET),
        deny_out=n.get("deny_out", UNSET),
        allow_public_traffic=n.get("allow_public_traffic", UNSET),
    )


def update(sandbox_id: str, network: Mapping[str, Any] | None, allow_internet_access: bool | None) -> Op[SandboxInfo]:
    """``PUT /sandboxes/{id}/network``: the lists given replace the old ones; with none,
    ``allow_internet_access=False`` refuses everything and otherwise the internet is open again."""
    n = normalize(network)
    if allow_internet_access is not None and not isinstance(allow_internet_access, bool):
        raise InvalidArgumentException(f"allow_internet_access must be True or False, not {allow_internet_access!r}")
    body = NetworkUpdate(
        allow_out=n.get("allow_out", UNSET),
        deny_out=n.get("deny_out", UNSET),
        allow_public_traffic=n.get("allow_public_traffic", UNSET),
        allow_internet_access=UNSET if allow_internet_access is None else allow_internet_access,
    )
    kwargs = build(update_sandbox_network, checks.ident(sandbox_id), body=body)
    return Op(kwargs, detail, SandboxNotFoundException, idempotent=True)


def public_host(base_url: str, sandbox_id: str) -> str:
    """The sandbox's URL on the server (hopx's ``SandboxInfo.public_host``)."""
    return f"{base_url.rstrip('/')}/sandboxes/{sandbox_id}"


def host(base_url: str, sandbox_id: str, port: int) -> str:
    """``host:port/sandboxes/{id}/ports/{port}`` of the server: ``f"http://{sbx.get_host(8000)}/path"``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidArgumentException(f"port must be an int from 1 to 65535, not {port!r}")
    parts = urlsplit(base_url)
    prefix = parts.path.rstrip("/")
    return f"{parts.netloc}{prefix}/sandboxes/{sandbox_id}/ports/{port}"
