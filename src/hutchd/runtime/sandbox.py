"""Plain data about sandboxes: what the caller asks for, what it gets back, what is kept on disk."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hutchd.runtime.cgroups import SandboxCgroups


@dataclass(frozen=True)
class SandboxSpec:
    sandbox_id: str  # also the hostname
    template_id: str = "base"
    cpu: float = 2.0
    memory_mb: int = 1024
    disk_mb: int = 2048
    pids: int = 512
    allow_internet: bool = True
    envs: dict[str, str] = field(default_factory=dict)  # initial sandbox env, handed to the agent
    from_snapshot: str | None = None  # seeds the upper dir; the snapshot's template is used
    volumes: dict[str, str] = field(default_factory=dict)  # mount path -> volume id (volumes.py)
    proxy: bool = False  # its TCP 80/443 goes through the egress proxy from the start (a secure sandbox)
    proxy_state_from: str | None = None  # a snapshot whose sandbox's secrets, policy and CA it keeps
    # The agent on a host TCP address ("127.0.0.5:49983") behind `agent_token` instead of the Unix
    # socket: how the emulated kubelet of the Kubernetes tests runs a pod (tests/integration/kube).
    agent_tcp: str | None = None
    agent_token: str = ""
    agent_env: dict[str, str] = field(default_factory=dict)  # the pod's downward API variables, to the agent

    def validate(self) -> None:
        if not 0.01 <= self.cpu <= 1024:
            raise ValueError(f"cpu must be between 0.01 and 1024, got {self.cpu}")
        if self.memory_mb < 32:
            raise ValueError(f"memory_mb must be at least 32, got {self.memory_mb}")
        if self.disk_mb < 64:
            raise ValueError(f"disk_mb must be at least 64, got {self.disk_mb}")
        if self.pids < 8:
            raise ValueError(f"pids must be at least 8, got {self.pids}")
        if self.agent_tcp is not None and len(self.agent_token) < 16:
            raise ValueError("an agent on TCP needs an agent_token of 16 characters or more")
        for key in self.envs:
            if not key or "=" in key or "\0" in key or "\0" in self.envs[key]:
                raise ValueError(f"invalid environment variable name or value: {key!r}")


@dataclass(frozen=True)
class SandboxHandle:
    sandbox_id: str
    spec: SandboxSpec
    agent_socket: Path
    pid: int  # bwrap in the host pid namespace
    started_at: float


@dataclass(frozen=True)
class SandboxUsage:
    cpu_usage_usec: int  # cumulative
    mem_used_bytes: int
    mem_limit_bytes: int
    disk_used_bytes: int
    disk_limit_bytes: int  # nominal: the upper dir is not bounded yet (see README)
    cpu_count: float
    mem_cache_bytes: int = 0  # page cache, part of mem_used_bytes


@dataclass
class RecoveryReport:
    adopted: list[str] = field(default_factory=list)  # alive and known: left running (or paused)
    cleaned: list[str] = field(default_factory=list)  # unknown or dead: removed
    kept_upper: list[str] = field(default_factory=list)  # known but dead: upper dir kept for restore


@dataclass
class SandboxState:
    """sandboxes/<id>/state.json: everything a restarted server needs to adopt or clean a sandbox."""

    spec: SandboxSpec
    template_id: str  # the template actually used (a snapshot's, when started from one)
    cgroups: SandboxCgroups
    pid: int = 0
    pid_start: int = 0  # /proc/<pid>/stat starttime, to tell our bwrap from a reused pid
    child_pid: int = 0
    started_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "spec": asdict(self.spec),
                "template_id": self.template_id,
                "cgroups": self.cgroups.to_json(),
                "pid": self.pid,
                "pid_start": self.pid_start,
                "child_pid": self.child_pid,
                "started_at": self.started_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SandboxState:
        d = json.loads(text)
        return cls(
            spec=SandboxSpec(**d["spec"]),
            template_id=d["template_id"],
            cgroups=SandboxCgroups.from_json(d["cgroups"]),
            pid=d["pid"],
            pid_start=d["pid_start"],
            child_pid=d["child_pid"],
            started_at=d["started_at"],
        )

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json())
        os.replace(tmp, path)


def proc_start_time(pid: int) -> int:
    """Start time of a process (clock ticks since boot), 0 if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[19])
