from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.template_build_status import TemplateBuildStatus, check_template_build_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.template_build_reason import TemplateBuildReason
    from ..models.template_log_entry import TemplateLogEntry


T = TypeVar("T", bound="TemplateBuild")


@_attrs_define
class TemplateBuild:
    template_id: str
    build_id: str
    status: TemplateBuildStatus
    log_entries: list[TemplateLogEntry]
    logs_offset: int
    """ The offset of the first entry in `logEntries` (ask with the offset after the last one next). """
    steps_done: int
    """ Steps finished (run or taken from the cache), for a progress figure. """
    steps_total: int
    reason: TemplateBuildReason | Unset = UNSET
    """ Why a build failed (absent while it runs and once it succeeded). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        template_id = self.template_id

        build_id = self.build_id

        status: str = self.status

        log_entries = []
        for log_entries_item_data in self.log_entries:
            log_entries_item = log_entries_item_data.to_dict()
            log_entries.append(log_entries_item)

        logs_offset = self.logs_offset

        steps_done = self.steps_done

        steps_total = self.steps_total

        reason: dict[str, Any] | Unset = UNSET
        if not isinstance(self.reason, Unset):
            reason = self.reason.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "templateID": template_id,
                "buildID": build_id,
                "status": status,
                "logEntries": log_entries,
                "logsOffset": logs_offset,
                "stepsDone": steps_done,
                "stepsTotal": steps_total,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.template_build_reason import TemplateBuildReason
        from ..models.template_log_entry import TemplateLogEntry

        d = dict(src_dict)
        template_id = d.pop("templateID")

        build_id = d.pop("buildID")

        status = check_template_build_status(d.pop("status"))

        log_entries = []
        _log_entries = d.pop("logEntries")
        for log_entries_item_data in _log_entries:
            log_entries_item = TemplateLogEntry.from_dict(log_entries_item_data)

            log_entries.append(log_entries_item)

        logs_offset = d.pop("logsOffset")

        steps_done = d.pop("stepsDone")

        steps_total = d.pop("stepsTotal")

        _reason = d.pop("reason", UNSET)
        reason: TemplateBuildReason | Unset
        if isinstance(_reason, Unset):
            reason = UNSET
        else:
            reason = TemplateBuildReason.from_dict(_reason)

        template_build = cls(
            template_id=template_id,
            build_id=build_id,
            status=status,
            log_entries=log_entries,
            logs_offset=logs_offset,
            steps_done=steps_done,
            steps_total=steps_total,
            reason=reason,
        )

        template_build.additional_properties = d
        return template_build

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
