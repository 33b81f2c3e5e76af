"""Snapshots on Kubernetes: a gzipped tar of the files that changed since the pod booted, made and
unpacked by the sandbox's own agent (commands and files as its root) and kept in the server's data
dir. No node access, no CSI snapshots: any cluster, any runtime class.

What changed is what `find -cnewer` finds against a marker written when the pod became ready, on the
root file system only (`-xdev`: not /tmp, /proc, the agent's volume); the kubelet's /etc/hosts,
/etc/hostname and /etc/resolv.conf are left out. A file of the image that was deleted is not recorded
(it comes back on restore), which the README says. Each archive holds every change since the
image (a sandbox booted from an archive marks its boot before unpacking it), so a restore needs one.

A template made from a snapshot is its image and its archive: templates/<id>/meta.json names the
image, and files.tar.gz is unpacked into every sandbox booted from it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

from hutch_agent import contract
from hutchd.agentconn import AgentClients, AgentError
from hutchd.runtime.errors import SnapshotNotFound
from hutchd.runtime.layout import Layout

MARKER = "/var/lib/hutch/booted"
IN_POD = "/tmp/.hutch-snapshot.tar.gz"  # /tmp is a tmpfs of its own: never in the archive
ARCHIVE = "files.tar.gz"
CHUNK = 1024 * 1024
_KUBELET_FILES = ("./etc/hosts", "./etc/hostname", "./etc/resolv.conf", "." + MARKER)


def _make_archive_cmd() -> str:
    skip = " ".join(f"! -path {shlex.quote(p)}" for p in _KUBELET_FILES)
    return f"cd / && find . -xdev -cnewer {MARKER} {skip} -print0 | tar --null --no-recursion -T - -czpf {IN_POD}"


class Archives:
    """The snapshots' archives in the data dir (snapshots/<id>/files.tar.gz and meta.json)."""

    def __init__(self, layout: Layout, agents: AgentClients) -> None:
        self._layout = layout
        self._agents = agents

    def template_of(self, snapshot_id: str) -> str:
        try:
            meta = json.loads((self._layout.snapshot_dir(snapshot_id) / "meta.json").read_text())
        except FileNotFoundError:
            raise SnapshotNotFound(f"snapshot {snapshot_id!r} does not exist") from None
        return str(meta["template_id"])

    async def mark_boot(self, sandbox_id: str) -> None:
        """The point in time a later snapshot's changes are counted from."""
        code = await self._agents.run_command(
            sandbox_id, f"mkdir -p {os.path.dirname(MARKER)} && touch {MARKER}", user="root"
        )
        if code != 0:
            raise AgentError(f"marking the boot of {sandbox_id} failed with exit code {code}")

    async def take(self, sandbox_id: str, snapshot_id: str, template_id: str) -> int:
        """Archive the sandbox's changed files into a new snapshot; its size in bytes."""
        output: list[str] = []
        code = await self._agents.run_command(sandbox_id, _make_archive_cmd(), user="root", on_output=output.append)
        if code != 0:
            raise AgentError(f"archiving the files of {sandbox_id} failed ({code}): {''.join(output)[-500:]}")
        final = self._layout.snapshot_dir(snapshot_id)
        tmp = self._layout.snapshots / f".tmp-{snapshot_id}-{os.getpid()}"
        try:
            tmp.mkdir(mode=0o700)
            await self._download(sandbox_id, tmp / ARCHIVE)
            size = (tmp / ARCHIVE).stat().st_size
            meta = {"id": snapshot_id, "template_id": template_id, "source": sandbox_id, "size": size}
            (tmp / "meta.json").write_text(json.dumps({**meta, "created": time.time()}))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            await self._agents.run_command(sandbox_id, f"rm -f {IN_POD}", user="root")
        return size

    async def _download(self, sandbox_id: str, dest: Path) -> None:
        op = contract.operation("readFile")
        target = f"{op.agent_path}?path={IN_POD}&user=root"
        resp = await self._agents.get(sandbox_id).request(op.method, target, [])
        if resp.status_code != 200:
            raise AgentError(
                f"reading the archive of {sandbox_id}: HTTP {resp.status_code} {(await resp.read())[:200]!r}"
            )
        with open(dest, "wb") as f:
            async for chunk in resp.iter_body():
                f.write(chunk)

    async def unpack(self, sandbox_id: str, path: Path) -> None:
        """Put an archive's files into a freshly booted sandbox."""
        if not path.is_file():
            raise SnapshotNotFound(f"{path.parent.name} has no archive")

        async def chunks() -> AsyncIterator[bytes]:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    yield chunk

        await self._agents.write_file(sandbox_id, IN_POD, chunks(), user="root")
        output: list[str] = []
        cmd = f"tar -xzpf {IN_POD} -C / ; code=$?; rm -f {IN_POD}; exit $code"
        code = await self._agents.run_command(sandbox_id, cmd, user="root", on_output=output.append)
        if code != 0:
            raise AgentError(f"unpacking {path.parent.name} failed ({code}): {''.join(output)[-500:]}")

    def ids(self) -> set[str]:
        return {d.name for d in self._layout.snapshots.iterdir() if not d.name.startswith(".")}  # not .tmp-*

    def delete(self, snapshot_id: str) -> None:
        shutil.rmtree(self._layout.snapshot_dir(snapshot_id), ignore_errors=True)

    def archive(self, snapshot_id: str) -> Path:
        return self._layout.snapshot_dir(snapshot_id) / ARCHIVE

    # ---------------------------------------------------------------- templates made from snapshots

    def template_meta(self, template_id: str) -> dict[str, object] | None:
        try:
            meta: dict[str, object] = json.loads((self._layout.template_dir(template_id) / "meta.json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return meta

    def template_archive(self, template_id: str) -> Path:
        return self._layout.template_dir(template_id) / ARCHIVE

    def promote(self, snapshot_id: str, template_id: str, image: str) -> None:
        """A template of `image` plus the snapshot's files (a copy: the snapshot may be deleted)."""
        final = self._layout.template_dir(template_id)
        tmp = self._layout.templates / f".tmp-{template_id}-{os.getpid()}"
        try:
            tmp.mkdir(mode=0o700)
            shutil.copyfile(self.archive(snapshot_id), tmp / ARCHIVE)
            meta = {"id": template_id, "image": image, "snapshot": snapshot_id, "created": time.time()}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def delete_template(self, template_id: str) -> None:
        shutil.rmtree(self._layout.template_dir(template_id), ignore_errors=True)
