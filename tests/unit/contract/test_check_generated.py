"""`make check-generated` catches a spec change that was not regenerated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _copy_repo(dest: Path) -> None:
    for name in ("openapi.yaml", "generator-config.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "scripts", dest / "scripts")
    shutil.copytree(ROOT / "generated", dest / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    for gen in sorted((ROOT / "scripts").glob("gen_*.py")):  # what the other generators wrote
        listed = subprocess.run([sys.executable, str(gen), "--outputs"], capture_output=True, text=True, check=True)
        for rel in listed.stdout.split():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, dest / rel)


def _check(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VENV": str(Path(sys.executable).parent.parent)}
    return subprocess.run(
        ["bash", str(repo / "scripts" / "check_generated.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_clean_tree_passes_and_an_unregenerated_field_fails(tmp_path: Path) -> None:
    _copy_repo(tmp_path)
    clean = _check(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    spec = tmp_path / "openapi.yaml"
    text = spec.read_text()
    anchor = "        restoredFrom:\n"
    assert anchor in text
    spec.write_text(text.replace(anchor, "        gpuCount:\n          type: integer\n" + anchor, 1))

    stale = _check(tmp_path)
    assert stale.returncode != 0
    assert "gpu_count" in stale.stdout, "the diff shows what changed"
    assert "make generate" in stale.stderr
