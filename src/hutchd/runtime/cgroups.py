"""Per-sandbox cgroups: v1 memory/pids/cpu for limits, a cgroup2 dir for freeze, kill and cpu usage.

This host kind is hybrid (RUNTIME.md §1): the unified hierarchy has no resource controllers,
so limits must use v1, while cgroup2 still offers cgroup.freeze/kill/events/cpu.stat.
Every dir is created under the server's *own* cgroup of each hierarchy (read from
/proc/self/cgroup), never at a hierarchy root, so the server's parent keeps accounting for us.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids", "cpu")
_GROUP = "hutch"
_CFS_PERIOD_US = 100_000


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(fstype, mountpoint, options) of every cgroup mount."""
    out = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _src, mnt, fstype, opts, *_ = line.split()
        if fstype in ("cgroup", "cgroup2"):
            out.append((fstype, mnt, set(opts.split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """controller (or '' for cgroup2) -> our path in that hierarchy."""
    out: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _n, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            out[c] = path
    return out


def _own_v1(controller: str) -> Path | None:
    """<mount of controller>/<our own path>, or None when that v1 controller is not mounted."""
    own = _own_paths().get(controller)
    for fstype, mnt, opts in _mounts():
        if fstype == "cgroup" and controller in opts and own is not None:
            return Path(mnt + own.rstrip("/"))
    return None


def _own_v2() -> Path | None:
    own = _own_paths().get("", "/")
    for fstype, mnt, _opts in _mounts():
        if fstype == "cgroup2":
            return Path(mnt + own.rstrip("/"))
    return None


def group_for(instance: str) -> str:
    """hutch/<instance>: each data dir gets its own subtree, so one server's crash recovery never
    touches the sandboxes of another server (or test run) on the same host."""
    return f"{_GROUP}/{instance}"


def _bases(group: str) -> dict[str, Path | None]:
    """controller ('' for cgroup2) -> the dir under which this group's sandboxes live."""
    out: dict[str, Path | None] = {c: _own_v1(c) for c in V1_CONTROLLERS}
    out[""] = _own_v2()
    return {c: (d / group if d is not None else None) for c, d in out.items()}


def v1_writable() -> bool:
    return all((d := _own_v1(c)) is not None and os.access(d, os.W_OK) for c in V1_CONTROLLERS)


def v2_freeze_available() -> bool:
    d = _own_v2()
    return d is not None and (d / "cgroup.procs").exists() and os.access(d, os.W_OK)


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _rmdir(path: Path, timeout: float = 2.0) -> None:
    """rmdir a cgroup; EBUSY lasts until exiting tasks are fully gone, so retry briefly."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


@dataclass(frozen=True)
class SandboxCgroups:
    """The cgroup dirs of one sandbox; absolute paths so a restarted server finds them again."""

    v1: dict[str, str]
    v2: str

    @classmethod
    def for_sandbox(cls, group: str, sandbox_id: str) -> SandboxCgroups:
        bases = _bases(group)
        if missing := [c or "cgroup2" for c, base in bases.items() if base is None]:
            raise OSError(errno.ENOENT, f"cgroup hierarchies not mounted: {', '.join(missing)}")
        paths = {c: str(base / sandbox_id) for c, base in bases.items() if base is not None}
        v2 = paths.pop("")
        return cls(v1=paths, v2=v2)

    def dirs(self) -> list[Path]:
        return [Path(p) for p in (*self.v1.values(), self.v2)]

    def procs_files(self) -> list[str]:
        """Files a new process writes its pid into (in preexec, so every descendant is born inside)."""
        return [str(Path(d) / "cgroup.procs") for d in self.dirs()]

    def create(self, *, cpu: float, memory_mb: int, pids: int) -> None:
        for d in self.dirs():
            d.mkdir(parents=True, exist_ok=True)
        self.set_limits(cpu=cpu, memory_mb=memory_mb, pids=pids)

    def set_limits(self, *, cpu: float, memory_mb: int, pids: int) -> None:
        memory = Path(self.v1["memory"])
        files = [memory / "memory.limit_in_bytes"]
        if (memory / "memory.memsw.limit_in_bytes").exists():
            # The kernel keeps memsw >= limit at every step: raise memsw first, lower it last.
            memsw = memory / "memory.memsw.limit_in_bytes"
            growing = memory_mb << 20 >= int(files[0].read_text())
            files = [memsw, *files] if growing else [*files, memsw]
        for f in files:
            _write(f, str(memory_mb << 20))
        _write(Path(self.v1["pids"]) / "pids.max", str(pids))
        cpu_dir = Path(self.v1["cpu"])
        _write(cpu_dir / "cpu.cfs_period_us", str(_CFS_PERIOD_US))
        _write(cpu_dir / "cpu.cfs_quota_us", str(max(1000, int(cpu * _CFS_PERIOD_US))))

    def exists(self) -> bool:
        return Path(self.v2).is_dir()

    def _events(self) -> dict[str, str]:
        try:
            text = (Path(self.v2) / "cgroup.events").read_text()
        except FileNotFoundError:
            return {}
        return dict(line.split(" ", 1) for line in text.splitlines())

    def populated(self) -> bool:
        return self._events().get("populated") == "1"

    def is_frozen(self) -> bool:
        return self._events().get("frozen") == "1"

    def set_frozen(self, frozen: bool, timeout: float = 5.0) -> None:
        """cgroup.freeze, then wait for the kernel to report the whole tree (un)frozen."""
        _write(Path(self.v2) / "cgroup.freeze", "1" if frozen else "0")
        want = "1" if frozen else "0"
        deadline = time.monotonic() + timeout
        while self._events().get("frozen", want) != want:
            if time.monotonic() > deadline:
                raise TimeoutError(f"cgroup {self.v2} did not become frozen={want} in {timeout}s")
            time.sleep(0.0005)

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (Path(self.v2) / "cgroup.procs").read_text().split()]
        except FileNotFoundError:
            return []

    def kill(self, timeout: float = 5.0) -> None:
        """cgroup.kill SIGKILLs the whole tree at once (nothing can fork mid-kill); wait until empty."""
        if not Path(self.v2).is_dir():
            return
        _write(Path(self.v2) / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout
        while self.populated():
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes of {self.v2} survived cgroup.kill for {timeout}s")
            time.sleep(0.001)

    def remove(self) -> None:
        for d in self.dirs():
            _rmdir(d)

    def cpu_usage_usec(self) -> int:
        for line in (Path(self.v2) / "cpu.stat").read_text().splitlines():
            key, value = line.split()
            if key == "usage_usec":
                return int(value)
        return 0

    def memory_usage(self) -> tuple[int, int]:
        """(bytes used, limit in bytes) from the v1 memcg."""
        memory = Path(self.v1["memory"])
        used = int((memory / "memory.usage_in_bytes").read_text())
        limit = int((memory / "memory.limit_in_bytes").read_text())
        return used, limit

    def memory_cache(self) -> int:
        """Page cache bytes charged to the v1 memcg (`cache` of memory.stat)."""
        for line in (Path(self.v1["memory"]) / "memory.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "cache":
                return int(value)
        return 0

    def oom_kills(self) -> int:
        for line in (Path(self.v1["memory"]) / "memory.oom_control").read_text().splitlines():
            key, value = line.split()
            if key == "oom_kill":
                return int(value)
        return 0

    def to_json(self) -> dict[str, object]:
        return {"v1": self.v1, "v2": self.v2}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SandboxCgroups:
        v1 = data["v1"]
        assert isinstance(v1, dict)
        return cls(v1={str(k): str(v) for k, v in v1.items()}, v2=str(data["v2"]))


def leftover_dirs(group: str) -> dict[str, list[Path]]:
    """sandbox id -> its cgroup dirs in this group (for crash recovery)."""
    found: dict[str, list[Path]] = {}
    for base in _bases(group).values():
        if base is None or not base.is_dir():
            continue
        for d in base.iterdir():
            if d.is_dir():
                found.setdefault(d.name, []).append(d)
    return found


def group_dirs(group: str) -> list[Path]:
    """This group's dir in each hierarchy (its sandboxes' dirs are below them)."""
    return [d for d in _bases(group).values() if d is not None]


def remove_group(group: str) -> None:
    """Remove this group's dirs (hutch/<instance>), then hutch/ itself, where they are empty: sandboxes
    still running (adopted by the next server) or another data dir's group keep theirs."""
    for base in group_dirs(group):
        for d in (base, base.parent):
            try:
                os.rmdir(d)
            except FileNotFoundError:
                continue
            except OSError:  # EBUSY: it still has child cgroups
                break


def remove_dirs(dirs: list[Path]) -> None:
    """SIGKILL whatever is still in `dirs` (cgroup.kill where the dir has it), then remove them."""
    deadline = time.monotonic() + 5.0
    for d in dirs:
        if (d / "cgroup.kill").exists():
            _write(d / "cgroup.kill", "1")
        while pids := [int(p) for p in _read_procs(d)]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes {pids} survived in {d}")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.001)
        _rmdir(d)


def _read_procs(d: Path) -> list[str]:
    try:
        return (d / "cgroup.procs").read_text().split()
    except FileNotFoundError:
        return []
