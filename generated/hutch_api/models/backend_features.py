from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BackendFeatures")


@_attrs_define
class BackendFeatures:
    """Each feature a backend may lack, and whether this one gives it."""

    pause: bool
    """ Pause freezes the processes in place and resume thaws them. """
    snapshots: bool
    """ File-system snapshots and restore from them. """
    snapshot_templates: bool
    """ A snapshot made into a template. """
    template_builds: bool
    """ Templates built by the server (Template.build """
    volumes: bool
    """ Persistent volumes mounted into sandboxes. """
    live_resize: bool
    """ CPU and memory of a running sandbox changed in place. """
    domain_egress_rules: bool
    """ Egress rules by domain name and wildcard. """
    proxy_secrets: bool
    """ Secrets """
    audit_log: bool
    """ The egress proxy's record of connections. """
    metrics: bool
    """ CPU """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pause = self.pause

        snapshots = self.snapshots

        snapshot_templates = self.snapshot_templates

        template_builds = self.template_builds

        volumes = self.volumes

        live_resize = self.live_resize

        domain_egress_rules = self.domain_egress_rules

        proxy_secrets = self.proxy_secrets

        audit_log = self.audit_log

        metrics = self.metrics

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pause": pause,
                "snapshots": snapshots,
                "snapshotTemplates": snapshot_templates,
                "templateBuilds": template_builds,
                "volumes": volumes,
                "liveResize": live_resize,
                "domainEgressRules": domain_egress_rules,
                "proxySecrets": proxy_secrets,
                "auditLog": audit_log,
                "metrics": metrics,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        pause = d.pop("pause")

        snapshots = d.pop("snapshots")

        snapshot_templates = d.pop("snapshotTemplates")

        template_builds = d.pop("templateBuilds")

        volumes = d.pop("volumes")

        live_resize = d.pop("liveResize")

        domain_egress_rules = d.pop("domainEgressRules")

        proxy_secrets = d.pop("proxySecrets")

        audit_log = d.pop("auditLog")

        metrics = d.pop("metrics")

        backend_features = cls(
            pause=pause,
            snapshots=snapshots,
            snapshot_templates=snapshot_templates,
            template_builds=template_builds,
            volumes=volumes,
            live_resize=live_resize,
            domain_egress_rules=domain_egress_rules,
            proxy_secrets=proxy_secrets,
            audit_log=audit_log,
            metrics=metrics,
        )

        backend_features.additional_properties = d
        return backend_features

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
