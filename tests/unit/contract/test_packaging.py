"""One distribution carries the SDK, the generated client, the server and the agent."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("hutch", "hutch_api", "hutchd", "hutch_agent")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("hutch-*.whl")
    return built


def test_wheel_holds_all_four_packages_and_one_module_per_operation(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names, package
    assert "hutch/py.typed" in names and "hutch_api/py.typed" in names

    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    operations = [op for item in spec["paths"].values() for m, op in item.items() if m != "parameters"]
    modules = [n for n in names if n.startswith("hutch_api/api/") and not n.endswith("__init__.py")]
    assert len(modules) == len(operations)


def test_clean_venv_install_imports_every_package(wheel: Path, tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    imports = "; ".join(f"import {p}" for p in PACKAGES)
    result = subprocess.run([str(python), "-c", imports], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
