"""Plot a chart inside a sandbox with matplotlib and save the PNG here.

The sandbox needs no internet: the base template has numpy, pandas and matplotlib. Run a server
first (`hutch serve`, or `make serve`), then:

    HUTCH_API_KEY=<the key hutch serve printed> python examples/plot_chart.py [chart.png]
"""

import base64
import sys
from pathlib import Path

from hutch import Sandbox

CODE = """
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 4 * np.pi, 400)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(x, np.sin(x), label="sin x")
ax.plot(x, np.exp(-x / 6) * np.cos(3 * x), label="damped cos 3x")
ax.set_title("Plotted in a hutch sandbox")
ax.legend(loc="upper right")
plt.show()
"""


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "chart.png")
    with Sandbox.create(metadata={"example": "plot_chart"}, allow_internet_access=False) as sbx:
        result = sbx.run_code(CODE, timeout=120)
        if result.error is not None:
            raise SystemExit(f"the code failed: {result.error.name}: {result.error.value}\n{result.error.traceback}")
        png = next(r.png for r in result.results if r.png is not None)
    out.write_bytes(base64.b64decode(png))
    print(f"saved {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
