"""hutch_agent/fschanges.py on a directory of this host standing for a pod's root: an archive holds
what changed since the mark, deletions included, and unpacking it over a fresh copy of the image gives
the same tree; layers stack (a pod booted from an archive, changed again, archives both, or only its
own changes, which go after the archive below)."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from hutch_agent import fschanges


def _image(root: Path) -> None:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "keep").write_text("image\n")
    (root / "etc" / "hosts").write_text("kubelet's\n")
    (root / "usr" / "share" / "doc").mkdir(parents=True)
    (root / "usr" / "share" / "doc" / "a").write_text("a\n")
    (root / "usr" / "share" / "doc" / "b").write_text("b\n")
    (root / "bin").symlink_to("usr/bin")
    (root / "usr" / "bin").mkdir()
    (root / "usr" / "bin" / "tool").write_text("old\n")
    (root / "victim").write_text("outside the link's target\n")
    (root / "link").symlink_to("victim")


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for entry in fschanges.walk(str(root)):
        path = entry.path
        rel = os.path.relpath(path, root)
        if rel.startswith("var/lib/hutch"):
            continue
        if os.path.islink(path):
            out[rel] = os.readlink(path)
        else:
            out[rel] = "dir" if os.path.isdir(path) else Path(path).read_text()
    return out


def _boot(tmp: Path, name: str, archive: Path | None = None) -> Path:
    root = tmp / name
    _image(root)
    fschanges.mark(str(root))
    if archive is not None:
        fschanges.unpack(str(archive), str(root))
    return root


def test_changes_and_deletions_stack_across_layers(tmp_path: Path) -> None:
    first = _boot(tmp_path, "first")
    (first / "etc" / "new").write_text("layer 1\n")
    (first / "usr" / "bin" / "tool").write_text("new\n")
    shutil.rmtree(first / "usr" / "share" / "doc")
    (first / "link").unlink()
    (first / "link").write_text("a file now\n")
    (first / "etc" / "hosts").write_text("changed by the kubelet\n")
    one = tmp_path / "one.tar.gz"
    fschanges.take(str(one), str(first))
    with tarfile.open(one) as tar:
        names = set(tar.getnames())
    assert "etc/new" in names and "etc/keep" not in names and "etc/hosts" not in names
    assert "var/lib/hutch/deleted" in names

    second = _boot(tmp_path, "second", one)
    assert (second / "victim").read_text() == "outside the link's target\n", "never written through a link"
    expected = {k: v for k, v in _tree(first).items() if k != "etc/hosts"}
    assert {k: v for k, v in _tree(second).items() if k != "etc/hosts"} == expected
    (second / "etc" / "keep").unlink()
    (second / "etc" / "new").unlink()  # a file of the layer below, deleted
    (second / "usr" / "share" / "doc").mkdir()  # made again by the second layer
    two = tmp_path / "two.tar.gz"
    fschanges.take(str(two), str(second))  # every change since the image: a snapshot's
    delta = tmp_path / "delta.tar.gz"
    fschanges.take(str(delta), str(second), since_unpack=True)  # a layer's: its own, after the one below
    with tarfile.open(delta) as tar:
        assert "usr/bin/tool" not in tar.getnames(), "what the layer below made is not archived again"
    layered = tmp_path / "layered.tar.gz"
    layered.write_bytes(one.read_bytes() + delta.read_bytes())

    for archive in (two, layered):
        third = _boot(tmp_path, f"third-{archive.name}", archive)
        tree = _tree(third)
        assert "etc/keep" not in tree and "etc/new" not in tree, "deleted files of the image and of the layer below"
        assert tree["usr/share/doc"] == "dir" and "usr/share/doc/a" not in tree
        assert (tree["usr/bin/tool"], tree["link"]) == ("new\n", "a file now\n")
