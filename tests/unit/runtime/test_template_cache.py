"""The shared template build cache hands every data dir the same immutable files, by hard link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hutchd.runtime.templates import CACHE_ENV, BuildCache, Recipe


def _tree(root: Path) -> None:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("bookworm\n")
    (root / "bin").mkdir()
    (root / "bin" / "sh").write_bytes(b"\x7fELF")
    os.chmod(root / "bin" / "sh", 0o4755)
    (root / "lib").symlink_to("usr/lib")


def test_a_stored_build_is_linked_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    cache = BuildCache.from_env("base", Recipe(packages=("python3",)))
    assert cache is not None and not cache.has_build()

    built = tmp_path / "a" / "rootfs"
    _tree(built)
    cache.store(built)
    assert cache.has_build()

    linked = tmp_path / "b" / "rootfs"
    linked.parent.mkdir()
    cache.link_into(linked)
    assert (linked / "etc" / "os-release").read_text() == "bookworm\n"
    assert (linked / "bin" / "sh").stat().st_ino == (built / "bin" / "sh").stat().st_ino
    assert (linked / "bin" / "sh").stat().st_mode & 0o7777 == 0o4755
    assert os.readlink(linked / "lib") == "usr/lib"


def test_another_recipe_has_its_own_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    one = BuildCache.from_env("base", Recipe(packages=("python3",)))
    two = BuildCache.from_env("base", Recipe(packages=("python3", "nodejs")))
    assert one is not None and two is not None and one.entry != two.entry


def test_no_cache_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert BuildCache.from_env("base", Recipe(packages=("python3",))) is None
