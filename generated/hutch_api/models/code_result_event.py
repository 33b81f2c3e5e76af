from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.code_result_event_chart import CodeResultEventChart
    from ..models.code_result_event_data import CodeResultEventData


T = TypeVar("T", bound="CodeResultEvent")


@_attrs_define
class CodeResultEvent:
    type_: Literal["result"]
    data: CodeResultEventData
    """ A MIME bundle, as Jupyter's: each key is a MIME type (`text/plain`, `text/html`,
    `text/markdown`, `image/png`, `image/jpeg`, `image/svg+xml`, `application/json`, ...), each value
    that representation as a string: base64 for binary images, JSON text for `application/json`.
    A pandas DataFrame (up to 100 000 cells) also has `application/vnd.hutch.data+json`: JSON text
    of `{column: [values, ...]}` (E2B's `Result.data`).
     """
    is_main_result: bool
    """ True for the value of the cell's final expression, false for `display()`ed objects and figures. """
    chart: CodeResultEventChart | Unset = UNSET
    """ For a matplotlib figure, the data of its chart as e2b_code_interpreter's `Chart` reads it:
    `type` (`line`, `scatter`, `bar`, `pie`, `box_and_whisker`, `superchart` or `unknown`),
    `title`, `elements` (`{label, points: [[x, y], ...]}` for line and scatter, `{label, group,
    value}` for bar, `{label, angle, radius}` for pie, `{label, min, first_quartile, median,
    third_quartile, max, outliers}` for box_and_whisker, the charts of each Axes for superchart),
    and for 2-D charts `x_label`, `y_label`, `x_unit`, `y_unit` (and for line and scatter
    `x_ticks`, `x_tick_labels`, `x_scale`, the same for y). Absent for other results.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        data = self.data.to_dict()

        is_main_result = self.is_main_result

        chart: dict[str, Any] | Unset = UNSET
        if not isinstance(self.chart, Unset):
            chart = self.chart.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "data": data,
                "isMainResult": is_main_result,
            }
        )
        if chart is not UNSET:
            field_dict["chart"] = chart

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.code_result_event_chart import CodeResultEventChart
        from ..models.code_result_event_data import CodeResultEventData

        d = dict(src_dict)
        type_ = cast(Literal["result"], d.pop("type"))
        if type_ != "result":
            raise ValueError(f"type must match const 'result', got '{type_}'")

        data = CodeResultEventData.from_dict(d.pop("data"))

        is_main_result = d.pop("isMainResult")

        _chart = d.pop("chart", UNSET)
        chart: CodeResultEventChart | Unset
        if isinstance(_chart, Unset):
            chart = UNSET
        else:
            chart = CodeResultEventChart.from_dict(_chart)

        code_result_event = cls(
            type_=type_,
            data=data,
            is_main_result=is_main_result,
            chart=chart,
        )

        code_result_event.additional_properties = d
        return code_result_event

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
