"""Snapshots and built layers on Kubernetes: a gzipped tar of the files that changed since the pod
booted, made and unpacked by the sandbox's own agent (hutch_agent/fschanges.py, as its root) and kept
in the server's data dir. No node access, no CSI snapshots: any cluster, any runtime class, any image
the agent runs in.

What changed is what fschanges finds against the marker it writes when the pod became ready, on the
root file system only (not /tmp, /proc, the agent's volume), and the files of the image deleted since
(removed again at unpack). Each archive holds every change since the image (a sandbox booted from an
archive marks its boot before unpacking it), so a restore needs one.

A template made from a snapshot, and each layer of a template build, is its image and its archive:
templates/<id>/meta.json names the image (and its pull secret), and files.tar.gz is unpacked into every
sandbox booted from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

from hutch_agent import contract
from hutchd.agentconn import AgentClients, AgentError
from hutchd.backends.kubernetes.manifests import AGENT_MOUNT
from hutchd.runtime.errors import SnapshotExists, SnapshotNotFound
from hutchd.runtime.layout import Layout

IN_POD = "/tmp/.hutch-snapshot.tar.gz"  # /tmp is a tmpfs of its own: never in the archive
ARCHIVE = "files.tar.gz"
CHUNK = 1024 * 1024
FSCHANGES = "python3 -m hutch_agent.fschanges"
AGENT_PATH = {"PYTHONPATH": AGENT_MOUNT}  # where the pod's agent is (manifests.py)


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
        output: list[str] = []
        code = await self._agents.run_command(
            sandbox_id, f"{FSCHANGES} mark", user="root", envs=AGENT_PATH, on_output=output.append
        )
        if code != 0:
            raise AgentError(f"marking the boot of {sandbox_id} failed ({code}): {''.join(output)[-500:]}")

    async def take(self, sandbox_id: str, snapshot_id: str, template_id: str) -> int:
        """Archive the sandbox's changed files into a new snapshot; its size in bytes."""
        meta: dict[str, object] = {"id": snapshot_id, "template_id": template_id, "source": sandbox_id}
        return await self._take_into(sandbox_id, self._layout.snapshot_dir(snapshot_id), meta)

    async def take_layer(self, sandbox_id: str, template_id: str, meta: dict[str, object], below: Path | None) -> None:
        """A new template (a built layer) of the archive `below` (the one the sandbox booted with) and the
        sandbox's changes since it was unpacked, appended; SnapshotExists when it is there already
        (another build made the same layer)."""
        if self.template_meta(template_id) is not None:
            raise SnapshotExists(f"template {template_id!r} already exists")
        final = self._layout.template_dir(template_id)
        await self._take_into(sandbox_id, final, {"id": template_id, **meta}, below)

    async def _take_into(self, sandbox_id: str, final: Path, meta: dict[str, object], below: Path | None = None) -> int:
        """The archive and `meta` into `final`, renamed into place whole; the archive's size. With
        `below`, the archive is that one and then the changes since it."""
        output: list[str] = []
        since = " --since-unpack" if below is not None else ""
        code = await self._agents.run_command(
            sandbox_id, f"{FSCHANGES} take {IN_POD}{since}", user="root", envs=AGENT_PATH, on_output=output.append
        )
        if code != 0:
            raise AgentError(f"archiving the files of {sandbox_id} failed ({code}): {''.join(output)[-500:]}")
        tmp = final.with_name(f".tmp-{final.name}-{os.getpid()}")
        try:
            tmp.mkdir(mode=0o700)
            if below is not None:
                await asyncio.to_thread(shutil.copyfile, below, tmp / ARCHIVE)
            await self._download(sandbox_id, tmp / ARCHIVE)
            size = (tmp / ARCHIVE).stat().st_size
            (tmp / "meta.json").write_text(json.dumps({**meta, "size": size, "created": time.time()}))
            try:
                os.rename(tmp, final)
            except OSError as e:
                if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise SnapshotExists(f"{final.name} already exists") from None
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            await self._agents.run_command(sandbox_id, f"{FSCHANGES} clean {IN_POD}", user="root", envs=AGENT_PATH)
        return size

    async def _download(self, sandbox_id: str, dest: Path) -> None:
        op = contract.operation("readFile")
        target = f"{op.agent_path}?path={IN_POD}&user=root"
        resp = await self._agents.get(sandbox_id).request(op.method, target, [])
        if resp.status_code != 200:
            raise AgentError(
                f"reading the archive of {sandbox_id}: HTTP {resp.status_code} {(await resp.read())[:200]!r}"
            )
        with open(dest, "ab") as f:  # after what is there (the archive below a layer)
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
        code = await self._agents.run_command(
            sandbox_id, f"{FSCHANGES} unpack {IN_POD}", user="root", envs=AGENT_PATH, on_output=output.append
        )
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

    def template_archive(self, template_id: str) -> Path | None:
        """The template's archive; None for a template that is its image alone."""
        path = self._layout.template_dir(template_id) / ARCHIVE
        return path if path.is_file() else None

    def promote(self, snapshot_id: str, template_id: str, meta: dict[str, object]) -> None:
        """A template of `meta`'s image plus the snapshot's files (a copy: the snapshot may be deleted)."""
        final = self._layout.template_dir(template_id)
        tmp = self._layout.templates / f".tmp-{template_id}-{os.getpid()}"
        try:
            tmp.mkdir(mode=0o700)
            shutil.copyfile(self.archive(snapshot_id), tmp / ARCHIVE)
            meta = {"id": template_id, **meta, "snapshot": snapshot_id, "created": time.time()}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def add_template(self, template_id: str, meta: dict[str, object], archive_of: str | None = None) -> None:
        """A template of `meta` (its image, ...) with the archive of template `archive_of` (a hard link:
        archives are never changed), replacing the one there before in one rename."""
        final = self._layout.template_dir(template_id)
        tmp = self._layout.templates / f".tmp-{template_id}-{os.getpid()}"
        gone = self._layout.templates / f".gone-{template_id}-{os.getpid()}"
        archive = self.template_archive(archive_of) if archive_of is not None else None
        try:
            tmp.mkdir(mode=0o700)
            if archive is not None:
                os.link(archive, tmp / ARCHIVE)
            (tmp / "meta.json").write_text(json.dumps({"id": template_id, **meta, "created": time.time()}))
            with contextlib.suppress(FileNotFoundError):
                os.rename(final, gone)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(gone, ignore_errors=True)

    def delete_template(self, template_id: str) -> None:
        shutil.rmtree(self._layout.template_dir(template_id), ignore_errors=True)
