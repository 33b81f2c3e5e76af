from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sandbox_network import SandboxNetwork
    from ..models.template_copy_step import TemplateCopyStep
    from ..models.template_env_step import TemplateEnvStep
    from ..models.template_gcp_registry import TemplateGcpRegistry
    from ..models.template_registry_login import TemplateRegistryLogin
    from ..models.template_run_step import TemplateRunStep
    from ..models.template_user_step import TemplateUserStep
    from ..models.template_workdir_step import TemplateWorkdirStep


T = TypeVar("T", bound="TemplateBuildRequest")


@_attrs_define
class TemplateBuildRequest:
    """A template to build (E2B's Template SDK serialises to this)."""

    alias: str | Unset = UNSET
    """ A name for the template, unique among the caller's; `createSandbox` accepts it as `templateID`. """
    from_template: str | Unset = UNSET
    """ The hutch template to start from (ID or alias); `base` when neither this nor `fromImage` is given. """
    from_image: str | Unset = UNSET
    """ An OCI image reference to start from (`registry/name:tag`); it needs a `python3` for the hutch
    agent. Only from the registries the server allows (403 otherwise); not with `fromTemplate` (409).
     """
    from_image_registry: TemplateGcpRegistry | TemplateRegistryLogin | Unset = UNSET
    """ Credentials for `fromImage`'s registry (E2B's `fromImageRegistry`), for the pull only: never stored,
    logged or shown. `registry`: a user name and password (or token); `gcp`: a Google service account's
    JSON key (Artifact Registry's `_json_key` login).
     """
    tags: list[str] | Unset = UNSET
    """ Names for this build (E2B's); the template shows those of the build that made its present content. """
    steps: (
        list[TemplateCopyStep | TemplateEnvStep | TemplateRunStep | TemplateUserStep | TemplateWorkdirStep] | Unset
    ) = UNSET
    start_cmd: str | Unset = UNSET
    ready_cmd: str | Unset = UNSET
    """ Run in every new sandbox (after `startCmd`, if any) until it exits 0, every 0.2 s for up to
    `readyTimeout` seconds; `createSandbox` answers once it did.
     """
    ready_timeout: int | Unset = UNSET
    """ Seconds `createSandbox` waits for `readyCmd`; 60 when absent. """
    cpu_count: int | Unset = UNSET
    memory_mb: int | Unset = UNSET
    skip_cache: bool | Unset = UNSET
    """ Run every step again, ignoring cached layers. """
    allow_internet_access: bool | Unset = UNSET
    """ Whether the build's sandboxes may reach the internet; true when absent. """
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

    def to_dict(self) -> dict[str, Any]:
        from ..models.template_copy_step import TemplateCopyStep
        from ..models.template_env_step import TemplateEnvStep
        from ..models.template_registry_login import TemplateRegistryLogin
        from ..models.template_run_step import TemplateRunStep
        from ..models.template_workdir_step import TemplateWorkdirStep

        alias = self.alias

        from_template = self.from_template

        from_image = self.from_image

        from_image_registry: dict[str, Any] | Unset
        if isinstance(self.from_image_registry, Unset):
            from_image_registry = UNSET
        elif isinstance(self.from_image_registry, TemplateRegistryLogin):
            from_image_registry = self.from_image_registry.to_dict()
        else:
            from_image_registry = self.from_image_registry.to_dict()

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        steps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.steps, Unset):
            steps = []
            for steps_item_data in self.steps:
                steps_item: dict[str, Any]
                if (
                    isinstance(steps_item_data, TemplateRunStep)
                    or isinstance(steps_item_data, TemplateCopyStep)
                    or isinstance(steps_item_data, TemplateEnvStep)
                    or isinstance(steps_item_data, TemplateWorkdirStep)
                ):
                    steps_item = steps_item_data.to_dict()
                else:
                    steps_item = steps_item_data.to_dict()

                steps.append(steps_item)

        start_cmd = self.start_cmd

        ready_cmd = self.ready_cmd

        ready_timeout = self.ready_timeout

        cpu_count = self.cpu_count

        memory_mb = self.memory_mb

        skip_cache = self.skip_cache

        allow_internet_access = self.allow_internet_access

        network: dict[str, Any] | Unset = UNSET
        if not isinstance(self.network, Unset):
            network = self.network.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if alias is not UNSET:
            field_dict["alias"] = alias
        if from_template is not UNSET:
            field_dict["fromTemplate"] = from_template
        if from_image is not UNSET:
            field_dict["fromImage"] = from_image
        if from_image_registry is not UNSET:
            field_dict["fromImageRegistry"] = from_image_registry
        if tags is not UNSET:
            field_dict["tags"] = tags
        if steps is not UNSET:
            field_dict["steps"] = steps
        if start_cmd is not UNSET:
            field_dict["startCmd"] = start_cmd
        if ready_cmd is not UNSET:
            field_dict["readyCmd"] = ready_cmd
        if ready_timeout is not UNSET:
            field_dict["readyTimeout"] = ready_timeout
        if cpu_count is not UNSET:
            field_dict["cpuCount"] = cpu_count
        if memory_mb is not UNSET:
            field_dict["memoryMB"] = memory_mb
        if skip_cache is not UNSET:
            field_dict["skipCache"] = skip_cache
        if allow_internet_access is not UNSET:
            field_dict["allowInternetAccess"] = allow_internet_access
        if network is not UNSET:
            field_dict["network"] = network

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sandbox_network import SandboxNetwork
        from ..models.template_copy_step import TemplateCopyStep
        from ..models.template_env_step import TemplateEnvStep
        from ..models.template_gcp_registry import TemplateGcpRegistry
        from ..models.template_registry_login import TemplateRegistryLogin
        from ..models.template_run_step import TemplateRunStep
        from ..models.template_user_step import TemplateUserStep
        from ..models.template_workdir_step import TemplateWorkdirStep

        d = dict(src_dict)
        alias = d.pop("alias", UNSET)

        from_template = d.pop("fromTemplate", UNSET)

        from_image = d.pop("fromImage", UNSET)

        def _parse_from_image_registry(data: object) -> TemplateGcpRegistry | TemplateRegistryLogin | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_template_image_registry_type_0 = TemplateRegistryLogin.from_dict(data)

                return componentsschemas_template_image_registry_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_template_image_registry_type_1 = TemplateGcpRegistry.from_dict(data)

            return componentsschemas_template_image_registry_type_1

        from_image_registry = _parse_from_image_registry(d.pop("fromImageRegistry", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        _steps = d.pop("steps", UNSET)
        steps: (
            list[TemplateCopyStep | TemplateEnvStep | TemplateRunStep | TemplateUserStep | TemplateWorkdirStep] | Unset
        ) = UNSET
        if _steps is not UNSET:
            steps = []
            for steps_item_data in _steps:

                def _parse_steps_item(
                    data: object,
                ) -> TemplateCopyStep | TemplateEnvStep | TemplateRunStep | TemplateUserStep | TemplateWorkdirStep:
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_template_step_type_0 = TemplateRunStep.from_dict(data)

                        return componentsschemas_template_step_type_0
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_template_step_type_1 = TemplateCopyStep.from_dict(data)

                        return componentsschemas_template_step_type_1
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_template_step_type_2 = TemplateEnvStep.from_dict(data)

                        return componentsschemas_template_step_type_2
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        componentsschemas_template_step_type_3 = TemplateWorkdirStep.from_dict(data)

                        return componentsschemas_template_step_type_3
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_template_step_type_4 = TemplateUserStep.from_dict(data)

                    return componentsschemas_template_step_type_4

                steps_item = _parse_steps_item(steps_item_data)

                steps.append(steps_item)

        start_cmd = d.pop("startCmd", UNSET)

        ready_cmd = d.pop("readyCmd", UNSET)

        ready_timeout = d.pop("readyTimeout", UNSET)

        cpu_count = d.pop("cpuCount", UNSET)

        memory_mb = d.pop("memoryMB", UNSET)

        skip_cache = d.pop("skipCache", UNSET)

        allow_internet_access = d.pop("allowInternetAccess", UNSET)

        _network = d.pop("network", UNSET)
        network: SandboxNetwork | Unset
        if isinstance(_network, Unset):
            network = UNSET
        else:
            network = SandboxNetwork.from_dict(_network)

        template_build_request = cls(
            alias=alias,
            from_template=from_template,
            from_image=from_image,
            from_image_registry=from_image_registry,
            tags=tags,
            steps=steps,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            ready_timeout=ready_timeout,
            cpu_count=cpu_count,
            memory_mb=memory_mb,
            skip_cache=skip_cache,
            allow_internet_access=allow_internet_access,
            network=network,
        )

        return template_build_request
