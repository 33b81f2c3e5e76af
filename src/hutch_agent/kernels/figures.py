"""Matplotlib figures as results: a PNG, and the chart data E2B's `Chart` classes read.

The chart is what the figure's artists hold, not a guess from pixels: lines, scatter collections,
bar containers and pie wedges of each Axes, with the titles, axis labels (and a unit in `(..)` or
`[..]`), ticks and scales. One Axes gives one chart; several give a `superchart` whose elements are
the charts of each. The JSON shape is e2b_code_interpreter's (`charts.py`): `type`, `title`,
`elements`, plus `x_label`.. for 2-D charts. Anything unrecognised is `unknown` with no elements,
and a figure whose data cannot be read has no chart at all: a result never fails for its chart.
Imported by the python kernel only once matplotlib is loaded.
"""

from __future__ import annotations

import base64
import io
import math
import re
from typing import Any

from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle, Wedge

_UNIT = re.compile(r"\s\((.*?)\)|\[(.*?)\]")


def is_figure(obj: object) -> bool:
    return isinstance(obj, Figure)


def bundle(figure: Figure) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The figure's MIME bundle (text/plain, image/png) and its chart (None if unreadable)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")  # draws it: tick labels exist from here on
    data = {"text/plain": repr(figure), "image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}
    try:
        return data, chart(figure)
    except Exception:
        return data, None


def chart(figure: Figure) -> dict[str, Any] | None:
    axes = figure.get_axes()
    if not axes:
        return None
    if len(axes) == 1:
        return _axes_chart(axes[0])
    suptitle = figure._suptitle.get_text() if figure._suptitle is not None else ""
    return {"type": "superchart", "title": suptitle or None, "elements": [_axes_chart(ax) for ax in axes]}


def _axes_chart(ax: Axes) -> dict[str, Any]:
    lines = list(ax.lines)
    patches, collections = list(ax.patches), list(ax.collections)
    if patches and all(isinstance(p, Wedge) for p in patches) and not lines and not collections:
        return {"type": "pie", "title": _title(ax), "elements": [_wedge(w) for w in patches]}
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    if bars and all(isinstance(p, Rectangle) for p in patches) and not lines:
        return _bar_chart(ax, bars)
    if patches and all(isinstance(p, PathPatch) for p in patches):
        return _box_chart(ax, patches)
    if collections and all(isinstance(c, PathCollection) for c in collections) and not lines and not patches:
        elements = [{"label": c.get_label(), "points": [_point(ax, x, y) for x, y in c.get_offsets()]}
                    for c in collections]  # fmt: skip
        return {"type": "scatter", **_frame(ax), **_ticks(ax), "elements": elements}
    if lines and not collections and not patches:
        elements = [{"label": line.get_label(), "points": _line_points(ax, line)} for line in lines]
        return {"type": "line", **_frame(ax), **_ticks(ax), "elements": elements}
    return {"type": "unknown", "title": _title(ax), "elements": []}


def _title(ax: Axes) -> str | None:
    return ax.get_title() or None


def _label_and_unit(label: str) -> tuple[str | None, str | None]:
    match = _UNIT.search(label) if label else None
    return label or None, (match.group(1) or match.group(2)) if match else None


def _frame(ax: Axes, *, swap: bool = False) -> dict[str, Any]:
    """What every 2-D chart has: title, axis labels and units (`swap`: the category axis is y)."""
    x_label, x_unit = _label_and_unit(ax.get_xlabel())
    y_label, y_unit = _label_and_unit(ax.get_ylabel())
    if swap:
        x_label, x_unit, y_label, y_unit = y_label, y_unit, x_label, x_unit
    return {"title": _title(ax), "x_label": x_label, "y_label": y_label, "x_unit": x_unit, "y_unit": y_unit}


def _scale(ax: Axes, axis: str) -> str:
    converter = type(getattr(ax, f"{axis}axis").converter).__module__  # matplotlib.dates / .category
    if converter.startswith("matplotlib.dates"):
        return "datetime"
    if converter.startswith("matplotlib.category"):
        return "categorical"
    return str(ax.get_xscale() if axis == "x" else ax.get_yscale())


def _ticks(ax: Axes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for axis in ("x", "y"):
        getter = getattr(ax, f"get_{axis}ticks")
        labels = getattr(ax, f"get_{axis}ticklabels")()
        fields[f"{axis}_ticks"] = [_number(t) for t in getter()]
        fields[f"{axis}_tick_labels"] = [label.get_text() for label in labels]
        fields[f"{axis}_scale"] = _scale(ax, axis)
    return fields


def _line_points(ax: Axes, line: Line2D) -> list[list[Any]]:
    xs, ys = line.get_xdata(orig=True), line.get_ydata(orig=True)
    return [_point(ax, x, y, converted=False) for x, y in zip(xs, ys, strict=False)]


def _point(ax: Axes, x: Any, y: Any, *, converted: bool = True) -> list[Any]:
    return [_value(ax, "x", x, converted), _value(ax, "y", y, converted)]


def _value(ax: Axes, axis: str, value: Any, converted: bool) -> Any:
    """A data value as JSON: numbers as floats, dates as ISO text, categories as their names."""
    scale = _scale(ax, axis)
    if scale == "datetime":
        if converted:
            from matplotlib.dates import num2date

            return num2date(float(value)).isoformat()
        return str(value.isoformat() if hasattr(value, "isoformat") else value)
    if isinstance(value, str):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if scale == "categorical" and converted:
        names = {index: name for name, index in getattr(ax, f"{axis}axis").units._mapping.items()}
        return names.get(int(value), value)
    return _number(value) if isinstance(value, int | float) else str(value)


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _bar_chart(ax: Axes, containers: list[BarContainer]) -> dict[str, Any]:
    rectangles = [r for c in containers for r in c]
    orientation = getattr(containers[0], "orientation", None)  # matplotlib >= 3.7 says; before, the layout does
    if orientation is None:
        starts, places = {r.get_x() for r in rectangles}, {r.get_y() for r in rectangles}
        orientation = "horizontal" if len(starts) == 1 < len(places) else "vertical"
    horizontal = orientation == "horizontal"
    axis = "y" if horizontal else "x"
    ticks = dict(zip((_number(t) for t in getattr(ax, f"get_{axis}ticks")()),
                     (t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()), strict=False))  # fmt: skip
    elements = []
    for index, container in enumerate(containers):
        group = container.get_label()
        if not group or group.startswith("_"):
            group = f"Group {index}"
        for rect in container:
            if horizontal:
                where, value = rect.get_y() + rect.get_height() / 2, rect.get_width()
            else:
                where, value = rect.get_x() + rect.get_width() / 2, rect.get_height()
            label = ticks.get(_number(round(where, 9))) or _tick_name(ax, axis, where)
            elements.append({"label": label, "group": group, "value": _number(value)})
    return {"type": "bar", **_frame(ax, swap=horizontal), "elements": elements}


def _tick_name(ax: Axes, axis: str, where: float) -> str:
    if _scale(ax, axis) == "categorical":
        return str(_value(ax, axis, round(where), True))
    return f"{where:g}"


def _wedge(wedge: Wedge) -> dict[str, Any]:
    return {"label": wedge.get_label(), "angle": abs(round(wedge.theta2 - wedge.theta1, 4)), "radius": wedge.r}


def _box_chart(ax: Axes, boxes: list[Any]) -> dict[str, Any]:
    """A `boxplot(patch_artist=True)`: each box's quartiles from its patch, the median, whiskers and
    outliers from the lines inside its span. Vertical boxes span x; horizontal ones (`vert=False`) y."""
    spans = [(v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()) for v in
             (box.get_path().vertices for box in boxes)]  # fmt: skip
    vertical = len({round(x1 - x0, 9) for x0, x1, _, _ in spans}) == 1
    axis = "x" if vertical else "y"
    names = {_number(t): label.get_text() for t, label in
             zip(getattr(ax, f"get_{axis}ticks")(), getattr(ax, f"get_{axis}ticklabels")(), strict=False)}  # fmt: skip
    elements = []
    for index, (x0, x1, y0, y1) in enumerate(spans):
        low, high, q1, q3 = (x0, x1, y0, y1) if vertical else (y0, y1, x0, x1)
        box: dict[str, Any] = {"first_quartile": _number(q1), "third_quartile": _number(q3), "outliers": []}
        box.update(median=None, min=_number(q1), max=_number(q3))
        for line in ax.lines:
            across, along = (line.get_xdata(), line.get_ydata()) if vertical else (line.get_ydata(), line.get_xdata())
            if not len(across) or not all(low <= float(a) <= high for a in across):
                continue
            values = [float(v) for v in along]
            if line.get_linestyle() in ("None", "none", ""):  # fliers: markers only
                box["outliers"] += [_number(v) for v in values]
            elif len(values) == 2 and values[0] == values[1] and q1 <= values[0] <= q3 and across[0] != across[1]:
                box["median"] = _number(values[0])
            elif len(values) == 2 and values[0] != values[1]:  # a whisker, from a quartile outwards
                box["min"] = min(box["min"], _number(min(values)))
                box["max"] = max(box["max"], _number(max(values)))
        label = names.get(_number((low + high) / 2)) or str(index + 1)
        elements.append({"label": label, **box})
    return {"type": "box_and_whisker", **_frame(ax, swap=not vertical), "elements": elements}
