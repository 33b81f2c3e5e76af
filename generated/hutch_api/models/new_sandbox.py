from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.new_sandbox_envs import NewSandboxEnvs
    from ..models.new_sandbox_metadata import NewSandboxMetadata
    from ..models.new_sandbox_secrets import NewSandboxSecrets
    from ..models.sandbox_lifecycle import SandboxLifecycle
    from ..models.sandbox_network import SandboxNetwork
    from ..models.sandbox_resources import SandboxResources
    from ..models.security_policy import SecurityPolicy
    from ..models.volume_mount import VolumeMount


T = TypeVar("T", bound="NewSandbox")


@_attrs_define
class NewSandbox:
    """A sandbox to create."""

    template_id: str | Unset = UNSET
    """ The template to boot; `base` when absent. Also one of the caller's snapshot IDs or snapshot
    names (E2B's `Sandbox.create(snapshot_id)`): the sandbox boots from that snapshot's files.
    `code-interpreter` (the name hopx's examples use) is another name for `base`, which has
    python3 with numpy, pandas and matplotlib, and node.
     """
    timeout: int | Unset = UNSET
    """ Lifetime in seconds, 1 to 86400; 300 when absent. """
    name: str | Unset = UNSET
    """ A name unique among the caller's live sandboxes; `connectSandbox` accepts it in place of the ID. """
    metadata: NewSandboxMetadata | Unset = UNSET
    """ Free key-value pairs, searchable with `listSandboxes`. """
    envs: NewSandboxEnvs | Unset = UNSET
    """ Environment variables every command in the sandbox sees (no `=` or NUL in names, no NUL in values). """
    allow_internet_access: bool | Unset = UNSET
    """ Whether the sandbox may reach the internet; true when absent. Without it only loopback exists. """
    network: SandboxNetwork | Unset = UNSET
    """ Egress policy and exposed-port access of a sandbox being created. Overrides
    `allowInternetAccess` when given. Entries are IPv4/IPv6 addresses, CIDRs, domain names
    (exact) and wildcards (`*.example.com`: every name below example.com). A deny entry wins over
    an allow entry, except the catch-alls `0.0.0.0/0` and `::/0` in `denyOut`, which only make
    "refuse" the default; `allowOut` alone also means "only these". In that allow-list mode only
    allowed names resolve at all. Private, loopback, link-local, CGNAT and multicast ranges and
    the host's own addresses are never reachable.

    Exposed ports: a server listening on port P inside the sandbox answers HTTP and WebSocket at
    `/sandboxes/{sandboxID}/ports/P/...` on this server (or with the `Host` header
    `P-{sandboxID}.<anything>`); this is not an API operation and is not listed here.
     """
    resources: SandboxResources | Unset = UNSET
    """ Resource limits of a sandbox being created. """
    lifecycle: SandboxLifecycle | Unset = UNSET
    """ What happens when the sandbox's lifetime ends. """
    secure: bool | Unset = UNSET
    """ Give the sandbox an access token (E2B's `secure`): the create and connect replies carry it as
    `envdAccessToken`, it admits the sandbox's agent routes (header `X-Access-Token`) without the
    API key, and it is the key of its signed file URLs (`downloadSignedFile`, `uploadSignedFile`).
    False when absent (the SDKs send true unless told otherwise, as E2B's do). A secure sandbox's
    web traffic (TCP 80 and 443) also goes through its egress proxy, which judges the TLS SNI or
    HTTP Host by the network policy and forwards without decrypting.
     """
    secrets: NewSandboxSecrets | Unset = UNSET
    """ Secrets the sandbox uses without ever holding them (E2B's and Modal's proxy-side credentials):
    the sandbox's environment has the variable with a placeholder in place of the value, and the
    egress proxy swaps the placeholder for the value in the headers of HTTPS requests to the
    secret's hosts only (it decrypts those hosts' TLS, with a CA of this sandbox's own that its
    trust stores get). Needs `secure` and a network. Never returned by any operation.
     """
    security: SecurityPolicy | Unset = UNSET
    """ declaw's inspecting-proxy policy (needs `secure` and internet access). `audit` records the
    connections through the sandbox's egress proxy, and each request its decrypting proxy reads
    (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic they
    apply to (their `domains`, or every name without), with a CA of this sandbox's own that its
    trust stores get, and passes everything else through; so does `injection_defense`.
    `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
    environment variables whose names match its globs in every reply that shows values, and
    the decrypting proxy takes them out of every request that leaves the sandbox.
     """
    volume_mounts: list[VolumeMount] | Unset = UNSET
    """ Volumes to mount (E2B's `volume_mounts`), each at its own path, none twice, none nested in another;
    they are the same volumes in every sandbox that mounts them, and restores and forks mount them again.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        template_id = self.template_id

        timeout = self.timeout

        name = self.name

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        envs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.envs, Unset):
            envs = self.envs.to_dict()

        allow_internet_access = self.allow_internet_access

        network: dict[str, Any] | Unset = UNSET
        if not isinstance(self.network, Unset):
            network = self.network.to_dict()

        resources: dict[str, Any] | Unset = UNSET
        if not isinstance(self.resources, Unset):
            resources = self.resources.to_dict()

        lifecycle: dict[str, Any] | Unset = UNSET
        if not isinstance(self.lifecycle, Unset):
            lifecycle = self.lifecycle.to_dict()

        secure = self.secure

        secrets: dict[str, Any] | Unset = UNSET
        if not isinstance(self.secrets, Unset):
            secrets = self.secrets.to_dict()

        security: dict[str, Any] | Unset = UNSET
        if not isinstance(self.security, Unset):
            security = self.security.to_dict()

        volume_mounts: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.volume_mounts, Unset):
            volume_mounts = []
            for volume_mounts_item_data in self.volume_mounts:
                volume_mounts_item = volume_mounts_item_data.to_dict()
                volume_mounts.append(volume_mounts_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if template_id is not UNSET:
            field_dict["templateID"] = template_id
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if name is not UNSET:
            field_dict["name"] = name
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if envs is not UNSET:
            field_dict["envs"] = envs
        if allow_internet_access is not UNSET:
            field_dict["allowInternetAccess"] = allow_internet_access
        if network is not UNSET:
            field_dict["network"] = network
        if resources is not UNSET:
            field_dict["resources"] = resources
        if lifecycle is not UNSET:
            field_dict["lifecycle"] = lifecycle
        if secure is not UNSET:
            field_dict["secure"] = secure
        if secrets is not UNSET:
            field_dict["secrets"] = secrets
        if security is not UNSET:
            field_dict["security"] = security
        if volume_mounts is not UNSET:
            field_dict["volumeMounts"] = volume_mounts

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.new_sandbox_envs import NewSandboxEnvs
        from ..models.new_sandbox_metadata import NewSandboxMetadata
        from ..models.new_sandbox_secrets import NewSandboxSecrets
        from ..models.sandbox_lifecycle import SandboxLifecycle
        from ..models.sandbox_network import SandboxNetwork
        from ..models.sandbox_resources import SandboxResources
        from ..models.security_policy import SecurityPolicy
        from ..models.volume_mount import VolumeMount

        d = dict(src_dict)
        template_id = d.pop("templateID", UNSET)

        timeout = d.pop("timeout", UNSET)

        name = d.pop("name", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: NewSandboxMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = NewSandboxMetadata.from_dict(_metadata)

        _envs = d.pop("envs", UNSET)
        envs: NewSandboxEnvs | Unset
        if isinstance(_envs, Unset):
            envs = UNSET
        else:
            envs = NewSandboxEnvs.from_dict(_envs)

        allow_internet_access = d.pop("allowInternetAccess", UNSET)

        _network = d.pop("network", UNSET)
        network: SandboxNetwork | Unset
        if isinstance(_network, Unset):
            network = UNSET
        else:
            network = SandboxNetwork.from_dict(_network)

        _resources = d.pop("resources", UNSET)
        resources: SandboxResources | Unset
        if isinstance(_resources, Unset):
            resources = UNSET
        else:
            resources = SandboxResources.from_dict(_resources)

        _lifecycle = d.pop("lifecycle", UNSET)
        lifecycle: SandboxLifecycle | Unset
        if isinstance(_lifecycle, Unset):
            lifecycle = UNSET
        else:
            lifecycle = SandboxLifecycle.from_dict(_lifecycle)

        secure = d.pop("secure", UNSET)

        _secrets = d.pop("secrets", UNSET)
        secrets: NewSandboxSecrets | Unset
        if isinstance(_secrets, Unset):
            secrets = UNSET
        else:
            secrets = NewSandboxSecrets.from_dict(_secrets)

        _security = d.pop("security", UNSET)
        security: SecurityPolicy | Unset
        if isinstance(_security, Unset):
            security = UNSET
        else:
            security = SecurityPolicy.from_dict(_security)

        _volume_mounts = d.pop("volumeMounts", UNSET)
        volume_mounts: list[VolumeMount] | Unset = UNSET
        if _volume_mounts is not UNSET:
            volume_mounts = []
            for volume_mounts_item_data in _volume_mounts:
                volume_mounts_item = VolumeMount.from_dict(volume_mounts_item_data)

                volume_mounts.append(volume_mounts_item)

        new_sandbox = cls(
            template_id=template_id,
            timeout=timeout,
            name=name,
            metadata=metadata,
            envs=envs,
            allow_internet_access=allow_internet_access,
            network=network,
            resources=resources,
            lifecycle=lifecycle,
            secure=secure,
            secrets=secrets,
            security=security,
            volume_mounts=volume_mounts,
        )

        new_sandbox.additional_properties = d
        return new_sandbox

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
