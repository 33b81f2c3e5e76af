"""The shared template build cache hands every data dir the same immutable files, by hard link."""

from __future__ import annotations

import hashlib
import json
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


def test_a_layered_recipe_depends_on_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """code-interpreter's build is keyed by its packages, its files and base's own key: a change of
    any of them is another cache entry (and an outdated build), while base's entry keeps its name."""
    from hutchd.runtime.templates import RECIPES

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    layered = RECIPES["code-interpreter"]
    assert layered.parent == "base" and RECIPES["base"].key() in layered.key()
    other_files = Recipe(packages=layered.packages, parent="base", files=(("etc/hutch/prestart-code", "r\n"),))
    entries = {BuildCache.from_env("code-interpreter", r).entry for r in (layered, other_files)}  # type: ignore[union-attr]
    assert len(entries) == 2
    base = BuildCache.from_env("base", RECIPES["base"])
    digest = hashlib.sha256(json.dumps(["bookworm", list(RECIPES["base"].packages)]).encode()).hexdigest()[:16]
    assert base is not None and base.entry.name == f"base-{digest}"  # the entries made before layers still count
