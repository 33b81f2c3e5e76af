"""A template build's stored log: one JSON entry a line, bounded, read back from an offset."""

from __future__ import annotations

from pathlib import Path

from hutchd.services import template_builds
from hutchd.services.template_builds import Build, _stored_log


def test_the_log_is_stored_bounded_and_read_back(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(template_builds, "MAX_LOG_ENTRIES", 5)
    build = Build(id="bld-1", template_id="tpl-1", tenant_id="t", steps_total=1, log_file=tmp_path / "bld-1.jsonl")
    for n in range(8):
        build.log(f"line {n} \ud800 ünï")
    messages = [e["message"] for e in build.logs]
    assert messages[-1] == "(the log is cut here)" and len(messages) == 6
    assert _stored_log(build.log_file, 0) == build.logs
    assert _stored_log(build.log_file, 4) == build.logs[4:]
    with open(build.log_file, "a") as f:
        f.write('{"timestamp": "x", "lev')  # a crash cut the last line short
    assert _stored_log(build.log_file, 0) == build.logs
    assert _stored_log(tmp_path / "none.jsonl", 0) == []


def test_a_log_over_its_byte_bound_is_cut(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(template_builds, "MAX_LOG_BYTES", 1000)
    build = Build(id="bld-2", template_id="tpl-1", tenant_id="t", steps_total=1, log_file=tmp_path / "bld-2.jsonl")
    for _ in range(100):
        build.log("x" * 100)
    assert build.cut and build.logs[-1]["message"] == "(the log is cut here)"
    assert build.log_file.stat().st_size < 1400
