"""E2B's result model on hutch's ``run_code``: ``Execution`` (also hopx's ``ExecutionResult``), ``Logs``,
``OutputMessage``, the chart classes, and ``hutch.code_interpreter``'s flavour (a timeout raises)."""

from __future__ import annotations

import json

import pytest
from sdk_fakes import ndjson, sent_json

import hutch
from hutch import (
    BarChart,
    BoxAndWhiskerChart,
    Chart,
    ChartType,
    Execution,
    ExecutionResult,
    LineChart,
    OutputMessage,
    PieChart,
    ScaleType,
    ScatterChart,
    SuperChart,
    TimeoutException,
)
from hutch import code_interpreter as ci
from hutch.charts import BarData, BoxAndWhiskerData, PieData, PointData, chart_from_dict

RUN = "/sandboxes/sb1/code/run"
LINE = {
    "type": "line", "title": "Growth", "x_label": "t", "y_label": "v", "x_unit": "s", "y_unit": None,
    "x_scale": "linear", "y_scale": "weird", "x_ticks": [0.0, 1.0], "x_tick_labels": ["0", "1"],
    "y_ticks": [2.0], "y_tick_labels": ["2"], "elements": [{"label": "a", "points": [[0.0, 2.0], [1.0, 3.0]]}],
}  # fmt: skip
BAR = {"type": "bar", "title": "Sales", "x_label": "q", "y_label": None, "x_unit": None, "y_unit": None,
       "elements": [{"label": "Q1", "group": "2024", "value": 4.0}]}  # fmt: skip
PIE = {"type": "pie", "title": "Share", "elements": [{"label": "a", "angle": 90.0, "radius": 1.0}]}
BOX = {"type": "box_and_whisker", "title": "Latency", "x_label": None, "y_label": "ms", "x_unit": None,
       "y_unit": None, "elements": [{"label": "A", "min": 1.0, "first_quartile": 2.0, "median": 3.0,
                                     "third_quartile": 4.0, "max": 5.0, "outliers": [9.0]}]}  # fmt: skip


def done(**over: object) -> dict[str, object]:
    return {"type": "done", "exitCode": 0, "status": "ok", "executionCount": 2, "contextID": "python", **over}


def test_each_chart_type_has_its_class_and_data() -> None:
    line = chart_from_dict(LINE)
    assert isinstance(line, LineChart) and line.type is ChartType.LINE and line.type == "line"
    assert (line.title, line.x_label, line.y_label, line.x_unit, line.y_unit) == ("Growth", "t", "v", "s", None)
    assert (line.x_scale, line.y_scale) == (ScaleType.LINEAR, ScaleType.UNKNOWN)
    assert (line.x_ticks, line.x_tick_labels, line.y_ticks, line.y_tick_labels) == (
        [0.0, 1.0],
        ["0", "1"],
        [2.0],
        ["2"],
    )
    assert line.elements == [PointData({"label": "a", "points": [[0.0, 2.0], [1.0, 3.0]]})]
    assert line.elements[0].points == [(0.0, 2.0), (1.0, 3.0)] and line.elements[0].label == "a"
    scatter = chart_from_dict({**LINE, "type": "scatter"})
    assert isinstance(scatter, ScatterChart) and scatter.type is ChartType.SCATTER
    bar = chart_from_dict(BAR)
    assert isinstance(bar, BarChart) and bar.elements == [BarData({"label": "Q1", "group": "2024", "value": 4.0})]
    assert (bar.elements[0].label, bar.elements[0].group, bar.elements[0].value, bar.x_label) == (
        "Q1",
        "2024",
        4.0,
        "q",
    )
    pie = chart_from_dict(PIE)
    assert isinstance(pie, PieChart) and (pie.elements[0].label, pie.elements[0].angle) == ("a", 90.0)
    assert pie.elements == [PieData({"label": "a", "angle": 90.0, "radius": 1.0})]
    box = chart_from_dict(BOX)
    assert isinstance(box, BoxAndWhiskerChart) and box.y_label == "ms"
    (whisker,) = box.elements
    assert isinstance(whisker, BoxAndWhiskerData)
    assert (whisker.min, whisker.first_quartile, whisker.median, whisker.third_quartile, whisker.max) == (1, 2, 3, 4, 5)
    assert whisker.outliers == [9.0]
    for chart, data in ((line, LINE), (bar, BAR), (pie, PIE), (box, BOX)):
        assert chart.to_dict() == data


def test_a_superchart_holds_charts_and_an_unknown_type_is_a_plain_chart() -> None:
    both = chart_from_dict({"type": "superchart", "title": "Both", "elements": [LINE, PIE]})
    assert isinstance(both, SuperChart) and [type(c) for c in both.elements] == [LineChart, PieChart]
    odd = chart_from_dict({"type": "sankey", "title": None, "elements": [{"x": 1}]})
    assert type(odd) is Chart and odd.type is ChartType.UNKNOWN and odd.elements == [{"x": 1}]


def test_output_message_is_a_str_with_e2b_fields() -> None:
    message = OutputMessage("hi\n", 1_700_000_000_000_000_000, error=True)
    assert message == "hi\n" and message + "!" == "hi\n!" and str(message) == "hi\n"
    assert (message.line, message.timestamp, message.error) == ("hi\n", 1_700_000_000_000_000_000, True)
    assert type(message.line) is str and "timestamp=1700000000000000000" in repr(message)


async def test_one_execution_in_both_shapes(sdk, api, sbx):
    events = [
        {"type": "stdout", "text": "a\n", "timestamp": 11},
        {"type": "stdout", "text": "b\n", "timestamp": 12},
        {"type": "stderr", "text": "w\n", "timestamp": 13},
        {"type": "result", "data": {"text/plain": "<Figure>", "image/png": "iVBO"}, "chart": BAR,
         "isMainResult": False},
        {"type": "result", "data": {"text/plain": "3", "text/html": "<b>3</b>", "image/gif": "R0lG"},
         "isMainResult": True},
        {"type": "error", "name": "ValueError", "value": "v", "traceback": "tb"},
        done(exitCode=1, status="error"),
    ]  # fmt: skip
    api.post(RUN).respond(200, content=ndjson(*events))
    seen: list[OutputMessage] = []
    execution = await sdk(sbx.run_code("...", on_stdout=seen.append, on_stderr=seen.append))
    assert isinstance(execution, Execution) and ExecutionResult is Execution
    # E2B's shape
    assert (execution.logs.stdout, execution.logs.stderr) == (["a\n", "b\n"], ["w\n"])
    assert (execution.execution_count, execution.text, execution.error.name) == (2, "3", "ValueError")
    figure, main = execution.results
    assert isinstance(figure.chart, BarChart) and figure["png"] == "iVBO" and main["html"] == "<b>3</b>"
    assert main.extra == {"image/gif": "R0lG"} and main.formats() == ["text", "html", "image/gif"]
    assert main.is_main_result and not figure.is_main_result
    # hopx's shape, the same object
    assert (execution.stdout, execution.stderr, execution.exit_code) == ("a\nb\n", "w\n", 1)
    # callbacks: E2B's OutputMessage, which is also the str a hopx-style callback takes
    assert seen == ["a\n", "b\n", "w\n"] and [(m.line, m.timestamp, m.error) for m in seen] == [
        ("a\n", 11, False), ("b\n", 12, False), ("w\n", 13, True)
    ]  # fmt: skip
    as_json = json.loads(execution.to_json())
    assert as_json["results"] == [
        {"text": "<Figure>", "png": "iVBO", "chart": BAR},
        {"text": "3", "html": "<b>3</b>"},
    ]
    assert json.loads(as_json["logs"]) == {"stdout": ["a\n", "b\n"], "stderr": ["w\n"]}
    assert json.loads(as_json["error"]) == {"name": "ValueError", "value": "v", "traceback": "tb"}


TIMED_OUT = [
    {"type": "stdout", "text": "started\n"},
    {"type": "error", "name": "TimeoutError", "value": "the execution timed out after 1 s", "traceback": ""},
    done(exitCode=1, status="error", timedOut=True),
]


async def test_hutch_run_code_returns_a_timeout_as_the_error(sdk, api, sbx):
    api.post(RUN).respond(200, content=ndjson(*TIMED_OUT))
    execution = await sdk(sbx.run_code("while True: pass", timeout=1))
    assert execution.error is not None and execution.error.name == "TimeoutError"
    assert execution.stdout == "started\n"


async def test_a_python_timeout_error_is_not_a_timeout(api, created):
    """Code that raises Python's own ``TimeoutError`` is an error, not an execution timeout."""
    events = [{"type": "error", "name": "TimeoutError", "value": "mine", "traceback": ""}, done(exitCode=1)]
    api.post(RUN).respond(200, content=ndjson(*events))
    with ci.Sandbox.create() as sbx:
        assert sbx.run_code("raise TimeoutError('mine')").error.value == "mine"


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_code_interpreter_raises_on_timeout_with_e2b_defaults(flavour, api, created):
    route = api.post(RUN).respond(200, content=ndjson(*TIMED_OUT))
    if flavour == "sync":
        with ci.Sandbox.create() as sbx:
            with pytest.raises(TimeoutException, match="Execution timed out"):
                sbx.run_code("while True: pass")
            with pytest.raises(hutch.InvalidArgumentException, match="context or language"):
                sbx.run_code("1", language="python", context="c1")
    else:
        async with ci.AsyncSandbox.create() as asbx:
            with pytest.raises(TimeoutException, match="Execution timed out"):
                await asbx.run_code("while True: pass", timeout=None)
    assert sent_json(created)["templateID"] == "code-interpreter"
    assert sent_json(route)["timeout"] == 300.0  # E2B's default; None means the default there


async def test_code_interpreter_mirrors_e2b_import_paths() -> None:
    for name in ("Sandbox", "AsyncSandbox", "Execution", "Result", "Logs", "OutputMessage", "ExecutionError",
                 "Context", "ChartType", "LineChart", "BarChart", "PieChart", "ScatterChart", "BoxAndWhiskerChart",
                 "SuperChart", "TimeoutException", "CommandExitException"):  # fmt: skip
        assert hasattr(ci, name), name
    assert issubclass(ci.Sandbox, hutch.Sandbox) and issubclass(ci.AsyncSandbox, hutch.AsyncSandbox)
    assert ci.Context is hutch.CodeContext
