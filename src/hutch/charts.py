"""Chart data of a matplotlib figure, as E2B's code interpreter models it (``Result.chart``).

The agent reads each figure's axes into JSON (``type``, ``title``, ``elements``, axis labels, ticks
and scales; openapi.yaml's ``CodeResultEvent``); :func:`chart_from_dict` turns it into the class of
its type, with E2B's names: :class:`LineChart` and :class:`ScatterChart` (points per series),
:class:`BarChart`, :class:`PieChart`, :class:`BoxAndWhiskerChart`, and :class:`SuperChart` (a
figure of several axes). ``to_dict()`` gives back the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar


class ChartType(StrEnum):
    LINE = "line"
    SCATTER = "scatter"
    BAR = "bar"
    PIE = "pie"
    BOX_AND_WHISKER = "box_and_whisker"
    SUPERCHART = "superchart"
    UNKNOWN = "unknown"


class ScaleType(StrEnum):
    """How an axis maps values (matplotlib's scale names)."""

    LINEAR = "linear"
    DATETIME = "datetime"
    CATEGORICAL = "categorical"
    LOG = "log"
    SYMLOG = "symlog"
    LOGIT = "logit"
    FUNCTION = "function"
    FUNCTIONLOG = "functionlog"
    ASINH = "asinh"
    UNKNOWN = "unknown"


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: object) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        return kind("unknown")


class Chart:
    """A chart of a type this SDK does not know (and the base of those it does)."""

    type: ChartType
    title: str | None
    elements: list[Any]

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self.type = _enum(ChartType, data.get("type"))
        self.title = data.get("title")
        self.elements = list(data.get("elements") or [])

    def to_dict(self) -> dict[str, Any]:
        """The chart's JSON, as the sandbox sent it."""
        return self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(title={self.title!r}, elements={self.elements!r})"


class Chart2D(Chart):
    """A chart with an x and a y axis."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.x_label: str | None = data.get("x_label")
        self.y_label: str | None = data.get("y_label")
        self.x_unit: str | None = data.get("x_unit")
        self.y_unit: str | None = data.get("y_unit")


class _Element:
    """One element of a chart: its JSON fields as attributes."""

    _fields: tuple[str, ...] = ()

    def __init__(self, data: Mapping[str, Any]) -> None:
        for name in self._fields:
            setattr(self, name, data.get(name))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class PointData(_Element):
    """A line's or a scatter series' points, ``[(x, y), ...]``."""

    label: str
    points: list[tuple[str | float, str | float]]

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.label = data.get("label", "")
        self.points = [(x, y) for x, y in data.get("points") or []]


class PointChart(Chart2D):
    elements: list[PointData]

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.x_scale = _enum(ScaleType, data.get("x_scale"))
        self.y_scale = _enum(ScaleType, data.get("y_scale"))
        self.x_ticks: list[str | float] = list(data.get("x_ticks") or [])
        self.y_ticks: list[str | float] = list(data.get("y_ticks") or [])
        self.x_tick_labels: list[str] = list(data.get("x_tick_labels") or [])
        self.y_tick_labels: list[str] = list(data.get("y_tick_labels") or [])
        self.elements = [PointData(e) for e in data.get("elements") or []]


class LineChart(PointChart):
    pass


class ScatterChart(PointChart):
    pass


class BarData(_Element):
    """One bar: its label, its group (the series) and its height."""

    label: str
    group: str
    value: float
    _fields = ("label", "group", "value")


class BarChart(Chart2D):
    elements: list[BarData]

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.elements = [BarData(e) for e in data.get("elements") or []]


class PieData(_Element):
    """One wedge: its label, its angle in degrees and its radius."""

    label: str
    angle: float
    radius: float
    _fields = ("label", "angle", "radius")


class PieChart(Chart):
    elements: list[PieData]

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.elements = [PieData(e) for e in data.get("elements") or []]


class BoxAndWhiskerData(_Element):
    """One box: quartiles, median, whiskers (``min``, ``max``) and outliers."""

    label: str
    min: float
    first_quartile: float
    median: float
    third_quartile: float
    max: float
    outliers: list[float]
    _fields = ("label", "min", "first_quartile", "median", "third_quartile", "max", "outliers")

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.outliers = list(data.get("outliers") or [])


class BoxAndWhiskerChart(Chart2D):
    elements: list[BoxAndWhiskerData]

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.elements = [BoxAndWhiskerData(e) for e in data.get("elements") or []]


class SuperChart(Chart):
    """A figure of several axes: each element is a chart."""

    elements: list[Chart]

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.elements = [chart_from_dict(e) for e in data.get("elements") or [] if isinstance(e, Mapping)]


_CLASSES: dict[ChartType, type[Chart]] = {
    ChartType.LINE: LineChart,
    ChartType.SCATTER: ScatterChart,
    ChartType.BAR: BarChart,
    ChartType.PIE: PieChart,
    ChartType.BOX_AND_WHISKER: BoxAndWhiskerChart,
    ChartType.SUPERCHART: SuperChart,
}

ChartTypes = Chart | LineChart | ScatterChart | BarChart | PieChart | BoxAndWhiskerChart | SuperChart


def chart_from_dict(data: Mapping[str, Any]) -> Chart:
    """The chart of the JSON's ``type`` (a plain :class:`Chart` for a type this SDK does not know)."""
    return _CLASSES.get(_enum(ChartType, data.get("type")), Chart)(data)
