from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sandbox_detail_metadata import SandboxDetailMetadata
    from ..models.sandbox_lifecycle_info import SandboxLifecycleInfo
    from ..models.sandbox_network_info import SandboxNetworkInfo
    from ..models.sandbox_volume_mount import SandboxVolumeMount


T = TypeVar("T", bound="SandboxDetail")


@_attrs_define
class SandboxDetail:
    """A sandbox as the server knows it."""

    sandbox_id: str
    """ The sandbox's ID. """
    template_id: str
    """ The template it booted from. """
    state: str
    """ `running`, `paused` or `killed` (more states may come; treat unknown ones as not running). """
    metadata: SandboxDetailMetadata
    """ The metadata given at create. """
    env_keys: list[str]
    """ Names of the sandbox's environment variables (their values are not shown). """
    started_at: datetime.datetime
    """ When it started. """
    end_at: datetime.datetime
    """ When its lifetime ends (or ended). """
    cpu_count: float
    """ CPUs it may use. """
    memory_mb: int
    """ Memory limit in MiB. """
    disk_mb: int
    """ Disk limit of its writable layer in MiB. """
    allow_internet_access: bool
    """ Whether it may reach the internet. """
    lifecycle: SandboxLifecycleInfo
    """ What happens when the sandbox's lifetime ends. """
    name: None | str | Unset = UNSET
    """ The sandbox's name, if it was given one. """
    restored_from: None | str | Unset = UNSET
    """ The snapshot it was restored from, if any. """
    volume_mounts: list[SandboxVolumeMount] | Unset = UNSET
    """ The volumes it mounts, by path. """
    network: SandboxNetworkInfo | Unset = UNSET
    """ The network policy in force (entries normalised). """
    envd_access_token: None | str | Unset = UNSET
    """ The sandbox's access token (created with `secure: true`), only in the replies of
    `createSandbox`, `connectSandbox` and `restoreSandbox` (never in lists or `getSandbox`). Null or
    absent otherwise. Send it as `X-Access-Token` to use the agent routes without the API key.
     """
    traffic_access_token: None | str | Unset = UNSET
    """ When `network.allowPublicTraffic` is false: the token that, besides the API key, admits
    requests to the sandbox's exposed ports (header `X-Hutch-Traffic-Token`, or query
    parameter `hutch_token`, which also sets a cookie for the rest of a browser session).
    Null when the ports are public.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sandbox_id = self.sandbox_id

        template_id = self.template_id

        state = self.state

        metadata = self.metadata.to_dict()

        env_keys = self.env_keys

        started_at = self.started_at.isoformat()

        end_at = self.end_at.isoformat()

        cpu_count = self.cpu_count

        memory_mb = self.memory_mb

        disk_mb = self.disk_mb

        allow_internet_access = self.allow_internet_access

        lifecycle = self.lifecycle.to_dict()

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        restored_from: None | str | Unset
        if isinstance(self.restored_from, Unset):
            restored_from = UNSET
        else:
            restored_from = self.restored_from

        volume_mounts: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.volume_mounts, Unset):
            volume_mounts = []
            for volume_mounts_item_data in self.volume_mounts:
                volume_mounts_item = volume_mounts_item_data.to_dict()
                volume_mounts.append(volume_mounts_item)

        network: dict[str, Any] | Unset = UNSET
        if not isinstance(self.network, Unset):
            network = self.network.to_dict()

        envd_access_token: None | str | Unset
        if isinstance(self.envd_access_token, Unset):
            envd_access_token = UNSET
        else:
            envd_access_token = self.envd_access_token

        traffic_access_token: None | str | Unset
        if isinstance(self.traffic_access_token, Unset):
            traffic_access_token = UNSET
        else:
            traffic_access_token = self.traffic_access_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sandboxID": sandbox_id,
                "templateID": template_id,
                "state": state,
                "metadata": metadata,
                "envKeys": env_keys,
                "startedAt": started_at,
                "endAt": end_at,
                "cpuCount": cpu_count,
                "memoryMB": memory_mb,
                "diskMB": disk_mb,
                "allowInternetAccess": allow_internet_access,
                "lifecycle": lifecycle,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if restored_from is not UNSET:
            field_dict["restoredFrom"] = restored_from
        if volume_mounts is not UNSET:
            field_dict["volumeMounts"] = volume_mounts
        if network is not UNSET:
            field_dict["network"] = network
        if envd_access_token is not UNSET:
            field_dict["envdAccessToken"] = envd_access_token
        if traffic_access_token is not UNSET:
            field_dict["trafficAccessToken"] = traffic_access_token

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sandbox_detail_metadata import SandboxDetailMetadata
        from ..models.sandbox_lifecycle_info import SandboxLifecycleInfo
        from ..models.sandbox_network_info import SandboxNetworkInfo
        from ..models.sandbox_volume_mount import SandboxVolumeMount

        d = dict(src_dict)
        sandbox_id = d.pop("sandboxID")

        template_id = d.pop("templateID")

        state = d.pop("state")

        metadata = SandboxDetailMetadata.from_dict(d.pop("metadata"))

        env_keys = cast(list[str], d.pop("envKeys"))

        started_at = datetime.datetime.fromisoformat(d.pop("startedAt"))

        end_at = datetime.datetime.fromisoformat(d.pop("endAt"))

        cpu_count = d.pop("cpuCount")

        memory_mb = d.pop("memoryMB")

        disk_mb = d.pop("diskMB")

        allow_internet_access = d.pop("allowInternetAccess")

        lifecycle = SandboxLifecycleInfo.from_dict(d.pop("lifecycle"))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_restored_from(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        restored_from = _parse_restored_from(d.pop("restoredFrom", UNSET))

        _volume_mounts = d.pop("volumeMounts", UNSET)
        volume_mounts: list[SandboxVolumeMount] | Unset = UNSET
        if _volume_mounts is not UNSET:
            volume_mounts = []
            for volume_mounts_item_data in _volume_mounts:
                volume_mounts_item = SandboxVolumeMount.from_dict(volume_mounts_item_data)

                volume_mounts.append(volume_mounts_item)

        _network = d.pop("network", UNSET)
        network: SandboxNetworkInfo | Unset
        if isinstance(_network, Unset):
            network = UNSET
        else:
            network = SandboxNetworkInfo.from_dict(_network)

        def _parse_envd_access_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        envd_access_token = _parse_envd_access_token(d.pop("envdAccessToken", UNSET))

        def _parse_traffic_access_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        traffic_access_token = _parse_traffic_access_token(d.pop("trafficAccessToken", UNSET))

        sandbox_detail = cls(
            sandbox_id=sandbox_id,
            template_id=template_id,
            state=state,
            metadata=metadata,
            env_keys=env_keys,
            started_at=started_at,
            end_at=end_at,
            cpu_count=cpu_count,
            memory_mb=memory_mb,
            disk_mb=disk_mb,
            allow_internet_access=allow_internet_access,
            lifecycle=lifecycle,
            name=name,
            restored_from=restored_from,
            volume_mounts=volume_mounts,
            network=network,
            envd_access_token=envd_access_token,
            traffic_access_token=traffic_access_token,
        )

        sandbox_detail.additional_properties = d
        return sandbox_detail

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
