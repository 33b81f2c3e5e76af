"""E2B code interpreter's import paths: ``from hutch.code_interpreter import Sandbox`` where E2B code says
``from e2b_code_interpreter import Sandbox``, and the rest of the code stays as it is.

Its ``Sandbox``/``AsyncSandbox`` run code with E2B's semantics (a timeout raises
``TimeoutException``; default template ``code-interpreter``); the models are hutch's own, which
carry E2B's names and hopx's at once (``Execution`` is also hopx's ``ExecutionResult``).
"""

from hutch import *  # noqa: F403  (E2B's package re-exports its base SDK the same way)
from hutch.charts import BarChart as BarChart
from hutch.charts import BarData as BarData
from hutch.charts import BoxAndWhiskerChart as BoxAndWhiskerChart
from hutch.charts import BoxAndWhiskerData as BoxAndWhiskerData
from hutch.charts import Chart as Chart
from hutch.charts import Chart2D as Chart2D
from hutch.charts import ChartType as ChartType
from hutch.charts import LineChart as LineChart
from hutch.charts import PieChart as PieChart
from hutch.charts import PieData as PieData
from hutch.charts import PointChart as PointChart
from hutch.charts import PointData as PointData
from hutch.charts import ScaleType as ScaleType
from hutch.charts import ScatterChart as ScatterChart
from hutch.charts import SuperChart as SuperChart
from hutch.sandbox_async.code_interpreter import AsyncSandbox as AsyncSandbox
from hutch.sandbox_sync.code_interpreter import Sandbox as Sandbox
from hutch.types import CodeContext as CodeContext
from hutch.types import Execution as Execution
from hutch.types import ExecutionError as ExecutionError
from hutch.types import Logs as Logs
from hutch.types import OutputMessage as OutputMessage
from hutch.types import Result as Result

Context = CodeContext
"""E2B's name: a code context (``id``, ``language``, ``cwd``)."""

__all__ = [name for name in dir() if not name.startswith("_")]
