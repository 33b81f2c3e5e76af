"""Where everything lives under the data dir; the one place that knows the directory names."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_id(kind: str, value: str) -> str:
    """Ids become path components and hostnames, so only a safe alphabet is accepted."""
    if not _ID_RE.match(value) or value in (".", ".."):
        raise ValueError(f"invalid {kind} id {value!r}: use 1-63 characters from [A-Za-z0-9._-]")
    return value


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def instance(self) -> str:
        """A short name for this data dir, unique per path (names its cgroup subtree)."""
        return hashlib.sha256(str(self.root).encode()).hexdigest()[:12]

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def sandboxes(self) -> Path:
        return self.root / "sandboxes"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def agent(self) -> Path:
        return self.root / "agent"

    @property
    def agent_mount(self) -> Path:
        """Where the agent package is published for sandboxes to bind-mount (agentfiles.publish)."""
        return self.root / "agent-mount"

    @property
    def disk_cache(self) -> Path:
        return self.root / "disk-cache"

    def template_dir(self, template_id: str) -> Path:
        return self.templates / check_id("template", template_id)

    def snapshot_dir(self, snapshot_id: str) -> Path:
        return self.snapshots / check_id("snapshot", snapshot_id)

    def volume_dir(self, volume_id: str) -> Path:
        return self.volumes / check_id("volume", volume_id)

    def sandbox_dir(self, sandbox_id: str) -> Path:
        return self.sandboxes / check_id("sandbox", sandbox_id)

    def run_dir(self, sandbox_id: str) -> Path:
        return self.run / check_id("sandbox", sandbox_id)

    def create(self) -> None:
        """Nothing under the data dir is for other host users, sandbox root included: bwrap is shown
        the sandbox root and the agent files elsewhere (launcher._stage), so every dir is 0700."""
        for d in (self.root, self.sandboxes, self.agent, self.templates, self.snapshots, self.run, self.volumes):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o700)
