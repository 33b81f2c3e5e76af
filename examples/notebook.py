"""A notebook session in a sandbox: cells that share state, a DataFrame, a chart's data, an image.

Cells run in IPython (magics, `display()`, `!cmd`); a matplotlib figure comes back as a PNG and as
the chart's data (E2B's chart shape). Run a server first (`hutch serve`, or `make serve`), then:

    HUTCH_API_KEY=<the key hutch serve printed> python examples/notebook.py [out-dir]
"""

import base64
import sys
from pathlib import Path

from hutch import BarChart, Sandbox

CELLS = [
    # 1: data, kept for the next cells
    """
import pandas as pd
sales = pd.DataFrame({"month": ["Jan", "Feb", "Mar", "Apr"], "units": [120, 135, 160, 150]})
sales
""",
    # 2: a magic and a shell escape
    "%time total = int(sales.units.sum())\n!echo rows: $(( 2 + 2 ))",
    # 3: a chart
    """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(sales.month, sales.units, label="units")
ax.set_title("Units sold")
ax.set_ylabel("units (pcs)")
plt.show()
""",
    # 4: rich display
    "from IPython.display import display, Markdown\ndisplay(Markdown(f'**Total:** {total} units'))",
]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    with Sandbox.create(metadata={"example": "notebook"}, allow_internet_access=False) as sbx:
        for number, cell in enumerate(CELLS, 1):
            execution = sbx.run_code(cell, timeout=120)
            if execution.error is not None:
                raise SystemExit(f"cell {number} failed: {execution.error.name}: {execution.error.value}")
            print(f"--- cell {number} (execution {execution.execution_count})")
            if execution.stdout:
                print(execution.stdout, end="")
            for result in execution.results:
                if result.html is not None:
                    print(f"DataFrame as HTML ({len(result.html)} characters); as text:\n{result.text}")
                if isinstance(result.chart, BarChart):
                    bars = ", ".join(f"{e.label}={e.value:g}" for e in result.chart.elements)
                    print(f"{result.chart.type.value} chart {result.chart.title!r}: {bars}")
                if result.png is not None:
                    image = out / "units.png"
                    image.write_bytes(base64.b64decode(result.png))
                    print(f"saved {image}")
                if result.markdown is not None:
                    print(f"markdown: {result.markdown}")


if __name__ == "__main__":
    main()
