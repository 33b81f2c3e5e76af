"""Network (spec: ``updateSandboxNetwork`` and the ports relay): policy and exposed ports (SDK-API.md section 9).

``network=SandboxNetworkOpts(allow_out=[...], deny_out=[...], allow_public_traffic=True)`` at create,
``sbx.update_network(...)`` later, ``sbx.get_info().network`` to read it back, and ``sbx.get_host(port)``
for the address at which a server listening on ``port`` inside the sandbox answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import hutch_api.api.sandboxes.update_sandbox_network as update_sandbox_network
from hutch._core import checks
from hutch._core.request import Op, build
from hutch._features.detail import detail
from hutch.exceptions import InvalidArgumentException, SandboxNotFoundException
from hutch.types import SandboxInfo, SandboxNetworkSelectorContext
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
    "mask_request_host": "mask_request_host",
    "maskRequestHost": "mask_request_host",
}
# E2B's options this server cannot honour: refused with the reason, never accepted silently.
_REFUSED = {
    "rules": "per-host request transforms (rules) need an HTTP(S) rewriting egress proxy, which this server "
    "does not run for network policies",
    "egress_proxy": "tunnelling egress through your SOCKS5 proxy (egress_proxy) is not supported by this server",
    "dns_servers": "sandboxes resolve names through the server's own filtering resolver, so dns_servers cannot "
    "be chosen",
    "https_ports": "the exposed ports are relayed as plain HTTP inside the sandbox; https_ports (TLS to the "
    "sandboxed server) is not supported",
}
_REFUSED |= {"egressProxy": _REFUSED["egress_proxy"], "dnsServers": _REFUSED["dns_servers"],
             "httpsPorts": _REFUSED["https_ports"]}  # fmt: skip
_CONTEXT = SandboxNetworkSelectorContext(all_traffic=ALL_TRAFFIC, rules=MappingProxyType({}))


def _entries(value: Any, what: str) -> list[str]:
    if callable(value):  # E2B's selector: a function of the context
        value = value(_CONTEXT)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidArgumentException(
            f"{what} must be a list of IPs, CIDRs or domain names (or a function returning one), not {value!r}"
        )
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidArgumentException(f"{what}[{i}] must be a string, not {item!r}")
    return list(value)


def normalize(network: Mapping[str, Any] | None, extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Check the keys and types of a ``network=`` argument and call its selector functions (the server
    checks the entries themselves); keys in ``extra`` are passed through for the caller."""
    if network is None:
        return {}
    if not isinstance(network, Mapping):
        raise InvalidArgumentException(f"network must be a SandboxNetworkOpts (a dict), not {type(network).__name__}")
    out: dict[str, Any] = {}
    for key, value in network.items():
        if key in extra:
            out[key] = value
            continue
        if key in _REFUSED and value is not None:
            raise InvalidArgumentException(f"network.{key} is not supported: {_REFUSED[key]}")
        name = _KEYS.get(key)
        if name is None and key not in _REFUSED:
            raise InvalidArgumentException(
                f"network has no setting {key!r}; use allow_out, deny_out, allow_public_traffic and mask_request_host"
            )
        if name == "allow_public_traffic":
            if not isinstance(value, bool):
                raise InvalidArgumentException(f"network.allow_public_traffic must be True or False, not {value!r}")
            out[name] = value
        elif name == "mask_request_host":
            if not isinstance(value, str | None):
                raise InvalidArgumentException(f"network.mask_request_host must be a string, not {value!r}")
            out[name] = value
        elif name is not None and value is not None:
            out[name] = _entries(value, f"network.{name}")
    return out


def create_body(network: Mapping[str, Any] | None) -> SandboxNetwork | Unset:
    """The ``network`` field of a create request (UNSET when not given)."""
    if network is None:
        return UNSET
    n = normalize(network)
    return SandboxNetwork(
        allow_out=n.get("allow_out", UNSET),
        deny_out=n.get("deny_out", UNSET),
        allow_public_traffic=n.get("allow_public_traffic", UNSET),
        mask_request_host=n.get("mask_request_host") or UNSET,
    )


_UPDATE_ONLY = frozenset({"allow_internet_access", "allowInternetAccess"})


def update(sandbox_id: str, network: Mapping[str, Any] | None, allow_internet_access: bool | None) -> Op[SandboxInfo]:
    """``PUT /sandboxes/{id}/network``: the lists given replace the old ones; with none,
    ``allow_internet_access=False`` refuses everything and otherwise the internet is open again
    (E2B puts ``allow_internet_access`` in the dict: accepted there too). ``mask_request_host`` is kept
    unless given (None: back to ``localhost:<port>``)."""
    n = normalize(network, _UPDATE_ONLY)
    inline = [n.pop(key) for key in _UPDATE_ONLY if key in n]
    if inline and allow_internet_access is not None and inline[0] != allow_internet_access:
        raise InvalidArgumentException("allow_internet_access is given twice with different values")
    allow_internet_access = inline[0] if inline else allow_internet_access
    if allow_internet_access is not None and not isinstance(allow_internet_access, bool):
        raise InvalidArgumentException(f"allow_internet_access must be True or False, not {allow_internet_access!r}")
    body = NetworkUpdate(
        allow_out=n.get("allow_out", UNSET),
        deny_out=n.get("deny_out", UNSET),
        allow_public_traffic=n.get("allow_public_traffic", UNSET),
        allow_internet_access=UNSET if allow_internet_access is None else allow_internet_access,
        mask_request_host=n.get("mask_request_host", UNSET),
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
