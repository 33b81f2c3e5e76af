"""IPython semantics and E2B's chart data in a real sandbox: the base template's python is IPython's shell."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from hutch import (
    AsyncSandbox,
    BarChart,
    BoxAndWhiskerChart,
    ChartType,
    CodeContext,
    ConflictException,
    LineChart,
    PieChart,
    Sandbox,
    ScaleType,
    ScatterChart,
    SuperChart,
)

pytestmark = pytest.mark.integration

# A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def python(sandbox: Sandbox) -> Iterator[CodeContext]:
    context = sandbox.create_code_context("python")
    yield context
    sandbox.remove_code_context(context)


def ok(sandbox: Sandbox, code: str, context: CodeContext, **opts: Any) -> Any:
    result = sandbox.run_code(code, context=context, timeout=120, **opts)
    assert result.error is None, result.error
    return result


def test_a_fresh_sandbox_lists_the_default_contexts(conn: dict[str, str]) -> None:
    with Sandbox.create(**conn) as sbx:
        assert {c.context_id: c.language for c in sbx.list_code_contexts()} == {
            "python": "python", "bash": "bash", "javascript": "javascript",
        }  # fmt: skip
        assert sbx.run_code("1").text == "1"
        # base has no typescript, r or java: the error names the template that has them, and lists stay clean
        with pytest.raises(ConflictException, match="code-interpreter template"):
            sbx.run_code("1 + 1", language="r")
        with pytest.raises(ConflictException, match="code-interpreter template"):
            sbx.create_code_context("java")
        assert {c.context_id for c in sbx.list_code_contexts()} == {"python", "bash", "javascript"}


def test_an_indented_cell_is_dedented(sandbox: Sandbox, python: CodeContext) -> None:
    ok(sandbox, "    x = 1\n    y = 2\n", python)
    assert ok(sandbox, "    x + y", python).text == "3"


def test_the_last_expression_is_out_with_a_count(sandbox: Sandbox, python: CodeContext) -> None:
    first = ok(sandbox, "'hello'", python)
    assert (first.text, first.execution_count) == ("hello", 1)  # E2B's text: no quotes of the str repr
    [main] = first.results
    assert main.is_main_result
    second = ok(sandbox, "_ + ' again'; Out[1] * 2", python)
    assert (second.text, second.execution_count) == ("hellohello", 2)
    assert ok(sandbox, "x = 5;", python).results == []  # a trailing semicolon hides it, as in IPython


def test_ipython_display_of_html_markdown_and_png(sandbox: Sandbox, python: CodeContext) -> None:
    code = (
        "from IPython.display import display, HTML, Markdown, Image\n"
        f"display(HTML('<b>bold</b>'), Markdown('# Title'), Image(data={PIXEL!r}))"
    )
    html, markdown, image = ok(sandbox, code, python).results
    assert (html.html, markdown.markdown) == ("<b>bold</b>", "# Title")
    assert image.png is not None and base64.b64decode(image.png) == PIXEL
    assert not any(r.is_main_result for r in (html, markdown, image))


def test_repr_methods_give_rich_results(sandbox: Sandbox, python: CodeContext) -> None:
    code = """
class Rich:
    def _repr_html_(self): return '<i>h</i>'
    def _repr_markdown_(self): return '*m*'
    def _repr_latex_(self): return '$x^2$'
    def _repr_json_(self): return {'k': [1, 2]}
    def _repr_svg_(self): return '<svg></svg>'
Rich()
"""
    [rich] = ok(sandbox, code, python).results
    assert (rich.html, rich.markdown, rich.latex, rich.json, rich.svg) == (
        "<i>h</i>", "*m*", "$x^2$", {"k": [1, 2]}, "<svg></svg>",
    )  # fmt: skip


def test_a_dataframe_has_its_data_as_well_as_html(sandbox: Sandbox, python: CodeContext) -> None:
    code = (
        "import pandas as pd\npd.DataFrame({'n': [1, 2], 'x': [0.5, None], 'day': pd.to_datetime(['2024-01-02'] * 2)})"
    )
    [frame] = ok(sandbox, code, python).results
    assert frame.html is not None and "<table" in frame.html
    assert frame.data == {"n": [1, 2], "x": [0.5, None], "day": ["2024-01-02T00:00:00.000", "2024-01-02T00:00:00.000"]}
    assert frame.formats() == ["text", "html", "data"]


def test_magics_and_shell_escapes(sandbox: Sandbox, python: CodeContext) -> None:
    timed = ok(sandbox, "%time total = sum(range(1000))", python)
    assert "Wall time" in timed.stdout
    assert ok(sandbox, "total", python).text == "499500"
    assert ok(sandbox, "%%bash\necho from bash $((6 * 7))\n", python).stdout == "from bash 42\n"
    shell = ok(sandbox, "!echo escaped; ls -d /tmp", python)
    assert shell.stdout == "escaped\n/tmp\n"
    captured = ok(sandbox, "files = !ls -d /etc /tmp\nfiles", python)
    assert captured.text is not None and "/etc" in captured.text and "/tmp" in captured.text
    pip = ok(sandbox, "%pip --version", python)
    assert "pip " in pip.stdout and "(python 3" in pip.stdout
    offline = sandbox.run_code("%pip install --no-index hutch-no-such-package", context=python, timeout=120)
    said = offline.stdout + offline.stderr
    assert "No matching distribution found for hutch-no-such-package" in said, said  # tried: not refused by PEP 668
    assert "externally-managed-environment" not in said


def test_an_error_has_name_value_and_traceback(sandbox: Sandbox, python: CodeContext) -> None:
    result = sandbox.run_code("def f():\n    return 1 / 0\nf()", context=python)
    assert result.error is not None
    assert (result.error.name, result.error.value) == ("ZeroDivisionError", "division by zero")
    assert "return 1 / 0" in result.error.traceback and "\x1b[" not in result.error.traceback
    syntax = sandbox.run_code("def (:", context=python)
    assert syntax.error is not None and syntax.error.name == "SyntaxError"
    assert ok(sandbox, "40 + 2", python).text == "42", "the context still works"


PLOT = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n{body}\nplt.show()"


def chart_of(sandbox: Sandbox, context: CodeContext, body: str) -> Any:
    [figure] = ok(sandbox, PLOT.format(body=body), context).results
    assert figure.png is not None and figure.chart is not None
    return figure.chart


def test_a_line_chart(sandbox: Sandbox, python: CodeContext) -> None:
    chart = chart_of(
        sandbox,
        python,
        "ax.plot([1, 2, 3], [1, 4, 9], label='squares')\nax.plot([1, 2, 3], [2, 3, 4], label='lin')\n"
        "ax.set_title('Growth')\nax.set_xlabel('time (s)')\nax.set_ylabel('size [m]')",
    )
    assert isinstance(chart, LineChart) and chart.type is ChartType.LINE
    assert (chart.title, chart.x_label, chart.x_unit, chart.y_unit) == ("Growth", "time (s)", "s", "m")
    assert [(e.label, e.points) for e in chart.elements] == [
        ("squares", [(1.0, 1.0), (2.0, 4.0), (3.0, 9.0)]),
        ("lin", [(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]),
    ]
    assert chart.x_scale is ScaleType.LINEAR and chart.x_ticks and len(chart.x_tick_labels) == len(chart.x_ticks)


def test_a_bar_chart(sandbox: Sandbox, python: CodeContext) -> None:
    chart = chart_of(sandbox, python, "ax.bar(['a', 'b', 'c'], [3, 5, 2], label='sales')\nax.set_title('Sales')")
    assert isinstance(chart, BarChart) and (chart.type, chart.title) == (ChartType.BAR, "Sales")
    assert [(e.label, e.group, e.value) for e in chart.elements] == [
        ("a", "sales", 3.0), ("b", "sales", 5.0), ("c", "sales", 2.0),
    ]  # fmt: skip
    horizontal = chart_of(sandbox, python, "ax.barh(['x', 'y'], [1.5, 2.5])\nax.set_xlabel('amount')")
    assert isinstance(horizontal, BarChart) and horizontal.y_label == "amount"
    assert [(e.label, e.value) for e in horizontal.elements] == [("x", 1.5), ("y", 2.5)]


def test_a_scatter_chart(sandbox: Sandbox, python: CodeContext) -> None:
    chart = chart_of(sandbox, python, "ax.scatter([1, 2, 3], [3, 1, 2], label='dots')")
    assert isinstance(chart, ScatterChart) and chart.type is ChartType.SCATTER
    assert [(e.label, e.points) for e in chart.elements] == [("dots", [(1.0, 3.0), (2.0, 1.0), (3.0, 2.0)])]


def test_a_pie_chart(sandbox: Sandbox, python: CodeContext) -> None:
    chart = chart_of(sandbox, python, "ax.pie([1, 3], labels=['one', 'three'])\nax.set_title('Share')")
    assert isinstance(chart, PieChart) and (chart.type, chart.title) == (ChartType.PIE, "Share")
    assert [(e.label, e.angle, e.radius) for e in chart.elements] == [("one", 90.0, 1.0), ("three", 270.0, 1.0)]


def test_a_box_and_whisker_chart(sandbox: Sandbox, python: CodeContext) -> None:
    body = "ax.boxplot([[1, 2, 3, 4, 5], [2, 3, 4, 5, 20]], patch_artist=True, labels=['a', 'b'])\nax.set_ylabel('ms')"
    chart = chart_of(sandbox, python, body)
    assert isinstance(chart, BoxAndWhiskerChart) and chart.y_label == "ms"
    assert chart.to_dict()["elements"] == [
        {"label": "a", "min": 1.0, "first_quartile": 2.0, "median": 3.0, "third_quartile": 4.0, "max": 5.0,
         "outliers": []},
        {"label": "b", "min": 2.0, "first_quartile": 3.0, "median": 4.0, "third_quartile": 5.0, "max": 5.0,
         "outliers": [20.0]},
    ]  # fmt: skip
    assert [(e.label, e.median, e.outliers) for e in chart.elements] == [("a", 3.0, []), ("b", 4.0, [20.0])]


def test_several_axes_make_a_superchart_and_a_figure_result_has_a_chart(sandbox: Sandbox, python: CodeContext) -> None:
    code = (
        "import matplotlib.pyplot as plt\nfig, (left, right) = plt.subplots(1, 2)\n"
        "left.plot([0, 1], [1, 0])\nright.pie([1, 1])\nfig.suptitle('Both')\nfig"
    )
    results = ok(sandbox, code, python).results
    [figure] = results  # shown once: as the cell's value, not again when the cell ends
    assert figure.is_main_result and figure.chart is not None
    assert isinstance(figure.chart, SuperChart) and figure.chart.title == "Both"
    assert [type(c) for c in figure.chart.elements] == [LineChart, PieChart]


async def test_async_run_code_gets_ipython_results_and_charts(conn: dict[str, str]) -> None:
    async with AsyncSandbox.create(**conn) as sbx:
        seen: list[Any] = []
        code = "import matplotlib.pyplot as plt\nplt.bar([1, 2], [4, 6])\nplt.show()\n!echo done"
        result = await sbx.run_code(code, timeout=120, on_result=seen.append)
        assert result.error is None, result.error
        assert result.stdout == "done\n"
        [figure] = seen
        assert isinstance(figure.chart, BarChart)
        assert [e.value for e in figure.chart.elements] == [4.0, 6.0]


def test_a_plain_context_runs_the_stdlib_runner_with_charts_too(sandbox: Sandbox) -> None:
    plain = sandbox.create_code_context("python", envs={"HUTCH_KERNEL": "plain"})
    try:
        assert ok(sandbox, "'get_ipython' in dir(__builtins__)", plain).text == "False"
        assert ok(sandbox, "'text'", plain).text == "text"
        assert ok(sandbox, "import pandas as pd\npd.DataFrame({'a': [1]})", plain).results[0].data == {"a": [1]}
        code = "import matplotlib.pyplot as plt\nplt.scatter([1, 2], [2, 1])\nplt.show()"
        [figure] = ok(sandbox, code, plain).results
        assert isinstance(figure.chart, ScatterChart)
        assert figure.chart.elements[0].points == [(1.0, 2.0), (2.0, 1.0)]
    finally:
        sandbox.remove_code_context(plain)
