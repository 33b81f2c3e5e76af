"""``hutch cp SRC DST``: files and directories between this machine and a sandbox (``ID:PATH``), streamed."""

from __future__ import annotations

import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click

from hutch import Sandbox
from hutch.cli._app import App, CliError, example, pass_app, progress
from hutch.exceptions import NotFoundException
from hutch.types import FileType

CHUNK = 1 << 20
BIG = 4 << 20
"""Files from this size on get a progress bar (when stderr is a terminal)."""
_REMOTE = re.compile(r"^(?P<id>[A-Za-z0-9][\w.-]*):(?P<path>.*)$")


def _split(arg: str) -> tuple[str | None, str]:
    """``ID:PATH`` into its parts; a local path (``-``, ``/...``, ``./...``, no colon) has no ID."""
    m = None if arg.startswith(("/", ".")) else _REMOTE.match(arg)
    return (m["id"], m["path"] or ".") if m else (None, arg)


def _chunks(f: IO[bytes], advance: Callable[[int], None]) -> Iterator[bytes]:
    while data := f.read(CHUNK):
        advance(len(data))
        yield data


class _Copy:
    """One ``hutch cp``: the sandbox, the user and whether to show progress bars."""

    def __init__(self, sbx: Sandbox, user: str, show: bool | None) -> None:
        self.sbx, self.user = sbx, user
        self.show = sys.stderr.isatty() if show is None else show

    def _is_remote_dir(self, path: str) -> bool:
        try:
            return self.sbx.files.get_info(path, self.user).type == FileType.DIR
        except NotFoundException:
            return False

    # ------------------------------------------------------------ to the sandbox

    def upload(self, src: str, dst: str) -> None:
        if src == "-":
            self.sbx.files.write(dst, _chunks(sys.stdin.buffer, lambda n: None), self.user)
            return
        local = Path(src)
        if not local.exists():
            raise CliError(f"no such file or directory: {src}", 3)
        if dst.endswith("/") or self._is_remote_dir(dst):
            dst = posixpath.join(dst, local.name)
        if not local.is_dir():
            self._upload_file(local, dst)
            return
        self.sbx.files.make_dir(dst, self.user)
        for root, dirs, files in os.walk(local):
            rel = Path(root).relative_to(local)
            target = posixpath.join(dst, *rel.parts)
            for d in dirs:
                self.sbx.files.make_dir(posixpath.join(target, d), self.user)
            for f in files:
                self._upload_file(Path(root) / f, posixpath.join(target, f))

    def _upload_file(self, local: Path, dst: str) -> None:
        size = local.stat().st_size
        with local.open("rb") as f, progress(size, local.name, self.show and size >= BIG) as advance:
            self.sbx.files.write(dst, _chunks(f, advance), self.user)

    # ------------------------------------------------------------ from the sandbox

    def download(self, src: str, dst: str) -> None:
        entry = self.sbx.files.get_info(src, self.user)
        if entry.type != FileType.DIR:
            if dst == "-":
                self._download_file(src, entry.size, sys.stdout.buffer, False)
                return
            target = Path(dst)
            if target.is_dir():
                target = target / posixpath.basename(src.rstrip("/"))
            self._save(src, entry.size, target)
            return
        if dst == "-":
            raise CliError(f"{src} is a directory: it cannot be written to stdout")
        root = Path(dst)
        if root.is_dir():
            root = root / (posixpath.basename(src.rstrip("/")) or "root")
        root.mkdir(parents=True, exist_ok=True)
        self._download_dir(entry.path, root)

    def _download_dir(self, src: str, root: Path) -> None:
        for e in self.sbx.files.list(src, depth=32, user=self.user):
            target = root / posixpath.relpath(e.path, src)
            if e.type == FileType.DIR:
                target.mkdir(parents=True, exist_ok=True)
            elif e.type == FileType.FILE:
                self._save(e.path, e.size, target)
            elif e.type == FileType.SYMLINK and e.symlink_target:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
                target.symlink_to(e.symlink_target)

    def _save(self, src: str, size: int, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            self._download_file(src, size, out, self.show)

    def _download_file(self, src: str, size: int, out: IO[bytes], show: bool) -> None:
        with progress(size, posixpath.basename(src), show and size >= BIG) as advance:
            for chunk in self.sbx.files.read(src, "stream", self.user):
                out.write(chunk)
                advance(len(chunk))
        out.flush()


@click.command("cp")
@click.argument("src")
@click.argument("dst")
@click.option("--user", "-u", type=click.Choice(["user", "root"]), default="user", show_default=True)
@click.option("--progress/--no-progress", "show", default=None, help="Progress bars (default: when on a terminal).")
@pass_app
@example(
    "  hutch cp ./data $ID:/home/user/data       # a directory in\n"
    "  hutch cp $ID:/home/user/out.csv .         # a file out\n"
    "  hutch cp $ID:/var/log/app.log - | less    # - is stdin or stdout"
)
def cp(app: App, src: str, dst: str, user: str, show: bool | None) -> None:
    """Copy files or directories between this machine and a sandbox; one of SRC and DST is ID:PATH.

    A relative sandbox path is relative to the user's home. Files are streamed, never held whole.
    """
    (src_id, src_path), (dst_id, dst_path) = _split(src), _split(dst)
    if (src_id is None) == (dst_id is None):
        raise click.UsageError("exactly one of SRC and DST must be ID:PATH (a sandbox path)")
    home = "/root" if user == "root" else "/home/user"
    with Sandbox.connect(src_id or dst_id or "", **app.conn()) as sbx:
        copy = _Copy(sbx, user, show)
        if src_id is None:
            copy.upload(src_path, posixpath.join(home, dst_path))
        else:
            copy.download(posixpath.normpath(posixpath.join(home, src_path)), dst_path)


COMMANDS = [cp]
