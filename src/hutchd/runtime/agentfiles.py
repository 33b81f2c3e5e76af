"""The agent code sandboxes run: a content-addressed copy of the hutch_agent package in the data dir.

Copying (instead of bind-mounting the installed package) gives bwrap a path it can walk as
sandbox root, and a new version lands in a new dir, so sandboxes adopted after an upgrade keep
the files they started with.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.util
import os
import py_compile
import shutil
from pathlib import Path

from hutchd.runtime.errors import RuntimeUnavailable


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
