"""examples/plot_chart.py, examples/notebook.py and examples/languages.py run against the test server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "plot_chart.py"


def test_plot_chart_saves_a_png(conn: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    env = {**os.environ, "HUTCH_API_KEY": conn["api_key"], "HUTCH_DOMAIN": conn["domain"]}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"saved {out}" in proc.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_notebook_example_runs(conn: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, "HUTCH_API_KEY": conn["api_key"], "HUTCH_DOMAIN": conn["domain"]}
    example = EXAMPLE.with_name("notebook.py")
    proc = subprocess.run(
        [sys.executable, str(example), str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bar chart 'Units sold': Jan=120, Feb=135, Mar=160, Apr=150" in proc.stdout
    assert "Wall time" in proc.stdout and "rows: 4" in proc.stdout
    assert "markdown: **Total:** 565 units" in proc.stdout
    assert (tmp_path / "units.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_languages_example_runs(conn: dict[str, str]) -> None:
    env = {**os.environ, "HUTCH_API_KEY": conn["api_key"], "HUTCH_DOMAIN": conn["domain"]}
    example = EXAMPLE.with_name("languages.py")
    proc = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("  result: 45", "  result: [ 2, 4, 6 ]", "  result: hello typescript", "  result: 7"):
        assert line in proc.stdout, proc.stdout
    assert "\nbash 5.2\n" in proc.stdout and "\nR 4 \n" in proc.stdout and "\njava 17\n" in proc.stdout
    assert "Min. 1st Qu." in proc.stdout
    assert 'the context kept: [1] "still here"' in proc.stdout
