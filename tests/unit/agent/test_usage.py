"""A pod's usage (hutch_agent/usage.py) as the agent reads it from cgroup v2 files and its file
system, and as the server checks the answer (backends/kubernetes/podagent.py): the parts that need no
pod. The /proc fallback runs in a real sandbox: tests/integration/agent/test_freezer.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hutch_agent import usage
from hutchd.backends.kubernetes.podagent import parse_usage


def _cgroup(path: Path, **files: str) -> str:
    path.mkdir(exist_ok=True)
    for name, text in files.items():
        (path / name.replace("_", ".", 1)).write_text(text)
    return str(path)


def test_a_cgroup_v2_directory_with_limits(tmp_path: Path) -> None:
    found = usage.cgroup_usage(
        _cgroup(
            tmp_path,
            cpu_stat="usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n",
            memory_current="52428800\n",
            memory_stat="anon 40000000\nfile 12000000\nkernel 428800\n",
            memory_max="268435456\n",
            cpu_max="150000 100000\n",
        )
    )
    assert found == (123456, 52428800, 12000000, 268435456, 1.5)


def test_a_cgroup_v2_directory_without_limits_or_controllers(tmp_path: Path) -> None:
    unlimited = usage.cgroup_usage(
        _cgroup(
            tmp_path / "a",
            cpu_stat="usage_usec 7\n",
            memory_current="4096\n",
            memory_stat="file 0\n",
            memory_max="max\n",
            cpu_max="max 100000\n",
        )
    )
    assert unlimited == (7, 4096, 0, 0, 0.0)  # 0: the downward API's value, or the node's, is used
    assert usage.cgroup_usage(_cgroup(tmp_path / "b", cpu_stat="usage_usec 9\n")) == (9, 0, 0, 0, 0.0)


def test_disk_used_counts_the_files_changed_since_the_start(tmp_path: Path) -> None:
    old = tmp_path / "image" / "old"
    old.parent.mkdir()
    old.write_bytes(b"x" * 100_000)
    since = time.time()
    time.sleep(0.01)  # ctime has the file system's granularity, finer than this here
    (tmp_path / "image" / "new").write_bytes(os.urandom(300_000))
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "file").write_bytes(os.urandom(50_000))
    (tmp_path / "link").symlink_to("/etc/passwd")
    counted = usage.changed_bytes(str(tmp_path), since, 1000)
    assert 350_000 <= counted < 450_000  # allocated blocks, not the old file, not the symlink's target
    assert usage.changed_bytes(str(tmp_path), time.time() + 60, 1000) == 0
    assert usage.changed_bytes(str(tmp_path), since, 2) < counted  # bounded: a walk stops at max_files


def test_the_server_takes_sane_numbers_only() -> None:
    good = {
        "source": "proc",
        "cpu_usage_usec": 10,
        "cpu_count": 1.5,
        "mem_used_bytes": 1,
        "mem_cache_bytes": 0,
        "mem_limit_bytes": 2,
        "disk_used_bytes": 3,
        "disk_limit_bytes": 4,
    }
    parsed = parse_usage(good)
    assert (parsed.cpu_usage_usec, parsed.cpu_count, parsed.mem_limit_bytes, parsed.disk_limit_bytes) == (10, 1.5, 2, 4)
    assert parse_usage({**good, "cpu_count": 2}).cpu_count == 2.0
    bad_values: list[tuple[str, object]] = [
        ("cpu_usage_usec", -1),
        ("cpu_usage_usec", 1.5),
        ("cpu_usage_usec", True),
        ("cpu_usage_usec", "10"),
        ("mem_used_bytes", 1 << 70),
        ("mem_used_bytes", None),
        ("disk_used_bytes", [1]),
        ("cpu_count", 0),
        ("cpu_count", float("nan")),
        ("cpu_count", float("inf")),
        ("cpu_count", 5000),
        ("cpu_count", False),
        ("cpu_count", "\udcff"),
    ]
    for name, value in bad_values:
        with pytest.raises(ValueError, match=name):
            parse_usage({**good, name: value})
    with pytest.raises(ValueError, match="disk_limit_bytes"):
        parse_usage({k: v for k, v in good.items() if k != "disk_limit_bytes"})
