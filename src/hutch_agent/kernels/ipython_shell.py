"""The python kernel's cells run by IPython's `InteractiveShell`, when the template has IPython.

This is what ipykernel does minus ZMQ: the shell compiles and runs each cell (dedent, magics such as
`%time`, `%%bash` and `%pip`, `!cmd` shell escapes, `_`/`Out`, execution counts), and three hooks
send what it would show to the agent instead of a terminal: the display publisher (`display()`,
`IPython.display.*`), the display hook (the cell's final expression, IPython's `Out`) and the
traceback printer. Matplotlib figures are formatted as `figures.bundle` makes them (PNG and chart
data). Importing IPython takes a few hundred milliseconds, which is why the agent starts the default
python context with the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.formatters import BaseFormatter, DisplayFormatter
from IPython.core.interactiveshell import InteractiveShell
from traitlets import ObjectName, Unicode
from traitlets.config import Config

from hutch_agent.kernels import tables

# (MIME bundle, chart or None, is-main-result) -> sent to the agent
Emit = Callable[[dict[str, Any], "dict[str, Any] | None", bool], None]
# (name, value, traceback) -> sent to the agent
Report = Callable[[str, str, str], None]


def _text(bundle: dict[str, Any]) -> dict[str, str]:
    """Values as the wire has them: strings (JSON text for `application/json`), base64 already."""
    import json

    return {str(k): v if isinstance(v, str) else json.dumps(v, default=str) for k, v in bundle.items()}


class Shell:
    """One `InteractiveShell` whose output goes to `emit` and `report`; `run` runs one cell."""

    def __init__(self, emit: Emit, report: Report) -> None:
        config = Config()
        config.HistoryManager.enabled = False  # no sqlite file in the user's home, no history thread
        config.InteractiveShell.colors = "NoColor"  # tracebacks as plain text
        config.InteractiveShell.autocall = 0

        class Publisher(DisplayPublisher):  # type: ignore[misc]
            def publish(self, data: dict[str, Any], metadata: Any = None, *args: Any, **kwargs: Any) -> None:
                emit(*_split(data), False)

            def clear_output(self, wait: bool = False) -> None:
                pass

        class Hook(DisplayHook):  # type: ignore[misc]
            def start_displayhook(self) -> None:
                pass

            def write_output_prompt(self) -> None:
                pass

            def write_format_data(self, format_dict: dict[str, Any], md_dict: Any = None) -> None:
                emit(*_split(format_dict), True)

            def finish_displayhook(self) -> None:
                pass

        class Formatter(DisplayFormatter):  # type: ignore[misc]
            def format(self, obj: Any, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], Any]:
                if _is_figure(obj):
                    from . import figures  # matplotlib is loaded: a Figure exists

                    data, chart = figures.bundle(obj)
                    _close(obj)
                    return {**data, **({_CHART: chart} if chart else {})}, {}
                return super().format(obj, include, exclude)  # type: ignore[no-any-return]

        class Interactive(InteractiveShell):  # type: ignore[misc]
            displayhook_class = Hook
            display_pub_class = Publisher

            # `!cmd` runs on the kernel's own stdout and stderr (streamed by the agent, live, no pty and
            # so no "\r\n"), as ipykernel's does on Windows; IPython's default drives it through pexpect.
            system = InteractiveShell.system_raw

            def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
                report(etype.__name__, str(evalue), "\n".join(stb))

            def init_display_formatter(self) -> None:
                self.display_formatter = Formatter(parent=self)
                self.configurables.append(self.display_formatter)

        self.shell = Interactive.instance(config=config)
        self.shell.display_formatter.formatters[tables.MIME] = _DataFormatter(parent=self.shell.display_formatter)

    def run(self, code: str) -> bool:
        """Run a cell; False if it raised (the report is sent already)."""
        result = self.shell.run_cell(code, store_history=True)
        return bool(result.success)


class _DataFormatter(BaseFormatter):  # type: ignore[misc]
    """`tables.MIME` for DataFrames (and objects with a `_repr_hutch_data_`)."""

    format_type = Unicode(tables.MIME)
    print_method = ObjectName("_repr_hutch_data_")
    _return_type = (str,)

    def __call__(self, obj: Any) -> str | None:
        return tables.frame_data(obj) if tables.is_frame(obj) else super().__call__(obj)


_CHART = "application/vnd.hutch.chart+json"  # carries the chart from the formatter to `emit`, never sent


def _split(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any] | None]:
    rest = dict(data)
    chart = rest.pop(_CHART, None)
    return _text(rest), chart


def _is_figure(obj: object) -> bool:
    import sys

    if "matplotlib.figure" not in sys.modules:
        return False
    from matplotlib.figure import Figure

    return isinstance(obj, Figure)


def _close(figure: Any) -> None:
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
