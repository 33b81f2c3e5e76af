from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Template")


@_attrs_define
class Template:
    """A root filesystem sandboxes boot from."""

    template_id: str
    kind: str
    """ `builtin` (built by the server) or `snapshot` (made from a sandbox). """
    ready: bool
    """ Whether it is built. A `createSandbox` from a built-in that is not ready starts its build in the
    background and answers 503 with `Retry-After` until it is.
     """
    created_at: datetime.datetime
    description: None | str | Unset = UNSET
    size_bytes: int | None | Unset = UNSET
    source_sandbox_id: None | str | Unset = UNSET
    """ For snapshot templates, the sandbox they were made from. """
    aliases: list[str] | Unset = UNSET
    """ Names `createSandbox` accepts for it besides its ID. """
    cpu_count: int | None | Unset = UNSET
    """ For built templates, the CPUs its sandboxes get unless `createSandbox` says otherwise. """
    memory_mb: int | None | Unset = UNSET
    """ For built templates, the memory its sandboxes get unless `createSandbox` says otherwise. """
    start_cmd: None | str | Unset = UNSET
    """ The command started in every new sandbox; `createSandbox` answers once `readyCmd` passes. """
    ready_cmd: None | str | Unset = UNSET
    build_id: None | str | Unset = UNSET
    """ For built templates, the build that made its present content (or is making the first). """
    tags: list[str] | Unset = UNSET
    """ For built templates, the `tags` of the build that made its present content. """
    warm_sandboxes: int | Unset = UNSET
    """ Sandboxes of it booted ahead in the server's warm pool now (a template gets a pool when it is used,
    and loses it when unused for a while, rebuilt or deleted).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        template_id = self.template_id

        kind = self.kind

        ready = self.ready

        created_at = self.created_at.isoformat()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        size_bytes: int | None | Unset
        if isinstance(self.size_bytes, Unset):
            size_bytes = UNSET
        else:
            size_bytes = self.size_bytes

        source_sandbox_id: None | str | Unset
        if isinstance(self.source_sandbox_id, Unset):
            source_sandbox_id = UNSET
        else:
            source_sandbox_id = self.source_sandbox_id

        aliases: list[str] | Unset = UNSET
        if not isinstance(self.aliases, Unset):
            aliases = self.aliases

        cpu_count: int | None | Unset
        if isinstance(self.cpu_count, Unset):
            cpu_count = UNSET
        else:
            cpu_count = self.cpu_count

        memory_mb: int | None | Unset
        if isinstance(self.memory_mb, Unset):
            memory_mb = UNSET
        else:
            memory_mb = self.memory_mb

        start_cmd: None | str | Unset
        if isinstance(self.start_cmd, Unset):
            start_cmd = UNSET
        else:
            start_cmd = self.start_cmd

        ready_cmd: None | str | Unset
        if isinstance(self.ready_cmd, Unset):
            ready_cmd = UNSET
        else:
            ready_cmd = self.ready_cmd

        build_id: None | str | Unset
        if isinstance(self.build_id, Unset):
            build_id = UNSET
        else:
            build_id = self.build_id

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        warm_sandboxes = self.warm_sandboxes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "templateID": template_id,
                "kind": kind,
                "ready": ready,
                "createdAt": created_at,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if size_bytes is not UNSET:
            field_dict["sizeBytes"] = size_bytes
        if source_sandbox_id is not UNSET:
            field_dict["sourceSandboxID"] = source_sandbox_id
        if aliases is not UNSET:
            field_dict["aliases"] = aliases
        if cpu_count is not UNSET:
            field_dict["cpuCount"] = cpu_count
        if memory_mb is not UNSET:
            field_dict["memoryMB"] = memory_mb
        if start_cmd is not UNSET:
            field_dict["startCmd"] = start_cmd
        if ready_cmd is not UNSET:
            field_dict["readyCmd"] = ready_cmd
        if build_id is not UNSET:
            field_dict["buildID"] = build_id
        if tags is not UNSET:
            field_dict["tags"] = tags
        if warm_sandboxes is not UNSET:
            field_dict["warmSandboxes"] = warm_sandboxes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        template_id = d.pop("templateID")

        kind = d.pop("kind")

        ready = d.pop("ready")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_size_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        size_bytes = _parse_size_bytes(d.pop("sizeBytes", UNSET))

        def _parse_source_sandbox_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source_sandbox_id = _parse_source_sandbox_id(d.pop("sourceSandboxID", UNSET))

        aliases = cast(list[str], d.pop("aliases", UNSET))

        def _parse_cpu_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cpu_count = _parse_cpu_count(d.pop("cpuCount", UNSET))

        def _parse_memory_mb(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        memory_mb = _parse_memory_mb(d.pop("memoryMB", UNSET))

        def _parse_start_cmd(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        start_cmd = _parse_start_cmd(d.pop("startCmd", UNSET))

        def _parse_ready_cmd(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ready_cmd = _parse_ready_cmd(d.pop("readyCmd", UNSET))

        def _parse_build_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        build_id = _parse_build_id(d.pop("buildID", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        warm_sandboxes = d.pop("warmSandboxes", UNSET)

        template = cls(
            template_id=template_id,
            kind=kind,
            ready=ready,
            created_at=created_at,
            description=description,
            size_bytes=size_bytes,
            source_sandbox_id=source_sandbox_id,
            aliases=aliases,
            cpu_count=cpu_count,
            memory_mb=memory_mb,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            build_id=build_id,
            tags=tags,
            warm_sandboxes=warm_sandboxes,
        )

        template.additional_properties = d
        return template

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
