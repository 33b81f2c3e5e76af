"""The agent copy sandboxes run is content-addressed and carries its bytecode."""

from __future__ import annotations

from pathlib import Path

from hutchd.runtime import agentfiles


def test_the_staged_agent_is_precompiled_and_stable(tmp_path: Path) -> None:
    source = tmp_path / "src" / "hutch_agent"
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "__main__.py").write_text("print('agent')\n")

    staged = agentfiles.stage(source, tmp_path / "agent")

    assert (staged / "__main__.py").read_text() == "print('agent')\n"
    assert {p.name.split(".")[0] for p in (staged / "__pycache__").glob("*.pyc")} == {"__init__", "__main__"}
    assert agentfiles.stage(source, tmp_path / "agent") == staged
    (source / "__main__.py").write_text("print('agent v2')\n")
    assert agentfiles.stage(source, tmp_path / "agent") != staged
