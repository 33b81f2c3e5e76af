from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CodeResultEventChart")


@_attrs_define
class CodeResultEventChart:
    """For a matplotlib figure, the data of its chart as e2b_code_interpreter's `Chart` reads it:
    `type` (`line`, `scatter`, `bar`, `pie`, `box_and_whisker`, `superchart` or `unknown`),
    `title`, `elements` (`{label, points: [[x, y], ...]}` for line and scatter, `{label, group,
    value}` for bar, `{label, angle, radius}` for pie, `{label, min, first_quartile, median,
    third_quartile, max, outliers}` for box_and_whisker, the charts of each Axes for superchart),
    and for 2-D charts `x_label`, `y_label`, `x_unit`, `y_unit` (and for line and scatter
    `x_ticks`, `x_tick_labels`, `x_scale`, the same for y). Absent for other results.

    """

    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code_result_event_chart = cls()

        code_result_event_chart.additional_properties = d
        return code_result_event_chart

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
