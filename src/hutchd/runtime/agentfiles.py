"""The agent code sandboxes run: a content-addressed copy of the hutch_agent package in the data dir,
published on a read-only tmpfs of its own that every sandbox bind-mounts.

Copying (instead of bind-mounting the installed package) means a new version lands in a new dir;
sandboxes keep the files they started with (their bind mount), also after an upgrade. The tmpfs
makes the package its filesystem's root, so the sandbox's mountinfo, which shows a bind mount's
path inside its filesystem, names no host path.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.util
import os
import py_compile
import shutil
from pathlib import Path

from hutchd.runtime import linux, overlay
from hutchd.runtime.errors import RuntimeUnavailable
from hutchd.runtime.fsutil import copy_tree


def installed_agent() -> Path:
    spec = importlib.util.find_spec("hutch_agent")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeUnavailable("the hutch_agent package is not installed: pip install 'hutch[server]'")
    return Path(next(iter(spec.submodule_search_locations)))


def _files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _precompile(package: Path) -> None:
    """Bytecode beside the copy: the sandbox mounts it read-only, so without this every sandbox
    start recompiles the agent (~20-35 ms of its cold start). Unchecked hashes: the copy never changes.
    Only a template Python of the host's minor version uses it; others ignore it."""
    compileall.compile_dir(package, quiet=1, workers=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    for cached in package.rglob("__pycache__"):
        os.chmod(cached, 0o755)
        for pyc in cached.iterdir():
            os.chmod(pyc, 0o644)


def stage(src: Path, dest_root: Path) -> Path:
    """Copy `src` to dest_root/<content hash>/hutch_agent (once) and return that path."""
    digest = hashlib.sha256(b"precompiled\0")  # the layout of the copy is part of its identity
    files = _files(src)
    for f in files:
        digest.update(str(f.relative_to(src)).encode() + b"\0" + f.read_bytes() + b"\0")
    final = dest_root / digest.hexdigest()[:16]
    if not final.exists():
        tmp = dest_root / f".tmp-{os.getpid()}-{final.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        for f in files:
            target = tmp / "hutch_agent" / f.relative_to(src)
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            os.chmod(target, 0o644)
        _precompile(tmp / "hutch_agent")
        os.chmod(tmp, 0o755)
        os.rename(tmp, final)
    return final / "hutch_agent"


def publish(staged: Path, target: Path) -> Path:
    """Mount a read-only tmpfs at `target` holding a copy of the staged package; returns `target`. A
    copy a previous server left there is unmounted first (the sandboxes using it keep it)."""
    target.mkdir(mode=0o700, exist_ok=True)
    overlay.unmount_all(target)
    flags = linux.MS_NOSUID | linux.MS_NODEV
    linux.mount("tmpfs", str(target), "tmpfs", flags, "mode=0755,size=32m")
    try:
        for entry in staged.iterdir():
            copy_tree(entry, target / entry.name)
        linux.mount("none", str(target), "", linux.MS_REMOUNT | linux.MS_RDONLY | flags)
    except BaseException:
        overlay.unmount_all(target)
        raise
    return target


def unpublish(target: Path) -> None:
    """Unmount the published copy (sandboxes keep theirs)."""
    overlay.unmount_all(target)
