"""What a pod's sandbox uses (`GET /usage`, the kubernetes backend's metrics): the fields of the
server's SandboxUsage, measured from inside.

CPU and memory come from the container's own cgroup v2 files where /sys/fs/cgroup shows it (a
cgroup namespace: the default on cgroup v2 nodes); elsewhere (cgroup v1 nodes, no /sys/fs/cgroup)
from /proc: the CPU time of the live processes and of the children they reaped, and their private
(anonymous) resident memory, with no page cache. Limits the cgroup does not give come from the pod's
downward API (HUTCH_LIMIT_* variables, see the kubernetes backend's manifests).

Disk used is what the sandbox wrote: the allocated size of the files of its root file system changed
since the agent started (as the backend's snapshots count changes), at most MAX_FILES files a walk.
The walk (a fraction of a CPU second for an image of 50,000 files) runs in the pod, on its own CPU, so
it is repeated no sooner than DISK_COST_FACTOR times its CPU time later, and at least DISK_MIN_TTL_S:
at most 2% of a CPU; it runs in the background, so an answer gives the last walk's result.
"""

from __future__ import annotations

import os
import threading
import time

CGROUP = "/sys/fs/cgroup"
DISK_MIN_TTL_S = 5.0
DISK_COST_FACTOR = 50
MAX_FILES = 200_000
CPU_LIMIT_ENV, MEMORY_LIMIT_ENV, DISK_LIMIT_ENV = "HUTCH_LIMIT_CPU_MILLIS", "HUTCH_LIMIT_MEMORY", "HUTCH_LIMIT_DISK"
# What the pod's downward API puts in those variables: (resource, divisor).
DOWNWARD_LIMITS = {
    CPU_LIMIT_ENV: ("limits.cpu", "1m"),
    MEMORY_LIMIT_ENV: ("limits.memory", "1"),
    DISK_LIMIT_ENV: ("limits.ephemeral-storage", "1"),
}


def usage(started: float) -> dict[str, object]:
    """The measures; files changed after `started` (the agent's start) are the sandbox's writes."""
    found = _cgroup_usage()
    source = "cgroup2" if found is not None else "proc"
    cpu_usec, mem_used, mem_cache, mem_limit, cpus = found if found is not None else (*_proc_usage(), 0, 0.0)
    return {
        "source": source,
        "cpu_usage_usec": cpu_usec,
        "cpu_count": cpus or _declared(CPU_LIMIT_ENV) / 1000 or float(len(os.sched_getaffinity(0))),
        "mem_used_bytes": mem_used,
        "mem_cache_bytes": mem_cache,
        "mem_limit_bytes": mem_limit or _declared(MEMORY_LIMIT_ENV) or _meminfo_total(),
        "disk_used_bytes": DISK.used(started),
        "disk_limit_bytes": _declared(DISK_LIMIT_ENV) or _fs_size("/"),
    }


def _declared(name: str) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else 0


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _keyed(text: str) -> dict[str, int]:
    pairs = (line.split() for line in text.splitlines())
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}


def own_cgroup() -> str | None:
    """The directory of this process's cgroup v2 under /sys/fs/cgroup, when it is mounted there."""
    try:
        line = next(ln for ln in _read("/proc/self/cgroup").splitlines() if ln.startswith("0::"))
    except (OSError, StopIteration):
        return None
    path = os.path.join(CGROUP, line[3:].lstrip("/"))
    return path if os.path.isfile(os.path.join(path, "cpu.stat")) else None


def cgroup_usage(path: str) -> tuple[int, int, int, int, float]:
    """(cpu usec, memory used, page cache, memory limit, cpus) from a cgroup v2 directory; 0 where a
    controller is off or unlimited."""
    cpu_usec = _keyed(_read(f"{path}/cpu.stat")).get("usage_usec", 0)
    mem_used = mem_cache = mem_limit = 0
    cpus = 0.0
    if os.path.isfile(f"{path}/memory.current"):
        mem_used = int(_read(f"{path}/memory.current"))
        mem_cache = _keyed(_read(f"{path}/memory.stat")).get("file", 0)
        limit = _read(f"{path}/memory.max").strip()
        mem_limit = int(limit) if limit.isdigit() else 0
    if os.path.isfile(f"{path}/cpu.max"):
        quota, _, period = _read(f"{path}/cpu.max").strip().partition(" ")
        if quota.isdigit() and period.isdigit() and int(period):
            cpus = int(quota) / int(period)
    return cpu_usec, mem_used, mem_cache, mem_limit, cpus


def _cgroup_usage() -> tuple[int, int, int, int, float] | None:
    path = own_cgroup()
    if path is None:
        return None
    try:
        return cgroup_usage(path)
    except (OSError, ValueError):
        return None


def _proc_usage() -> tuple[int, int, int]:
    """(cpu usec, private resident memory, page cache: 0) summed over the processes in /proc."""
    ticks, pages = 0, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = _read(f"/proc/{name}/stat")
            statm = _read(f"/proc/{name}/statm").split()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()
        ticks += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        pages += max(int(statm[1]) - int(statm[2]), 0)  # resident - shared (file-backed, shmem)
    usec = ticks * 1_000_000 // os.sysconf("SC_CLK_TCK")
    return usec, pages * os.sysconf("SC_PAGE_SIZE"), 0


def _meminfo_total() -> int:
    return _keyed(_read("/proc/meminfo").replace(":", "")).get("MemTotal", 0) * 1024


def _fs_size(path: str) -> int:
    st = os.statvfs(path)
    return st.f_blocks * st.f_frsize


class DiskMeter:
    """The sandbox's written bytes, walked in a thread of its own so that no answer waits for a walk:
    each answer gives the last walk's result (0 before the first ends) and starts the next when due."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = 0
        self._due = 0.0  # time.monotonic() of the next walk
        self._walking = False

    def used(self, started: float) -> int:
        with self._lock:
            if not self._walking and time.monotonic() >= self._due:
                try:
                    threading.Thread(target=self._walk, args=(started,), daemon=True, name="disk-usage").start()
                    self._walking = True
                except RuntimeError:  # no thread left (the sandbox's process limit): next time
                    pass
            return self._size

    def _walk(self, started: float) -> None:
        cpu, size = time.thread_time(), self._size
        try:
            size = changed_bytes("/", started, MAX_FILES)
        finally:
            cost = time.thread_time() - cpu
            with self._lock:
                self._size, self._walking = size, False
                self._due = time.monotonic() + max(DISK_MIN_TTL_S, DISK_COST_FACTOR * cost)


DISK = DiskMeter()


def changed_bytes(root: str, since: float, max_files: int) -> int:
    """The allocated bytes of the files under `root` (its file system only, like `find -xdev`) whose
    status changed after `since`, counting at most `max_files` entries."""
    device = os.lstat(root).st_dev
    total, seen, stack = 0, 0, [root]
    while stack and seen < max_files:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                seen += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if st.st_dev == device:  # not another file system: /proc, /tmp, a volume
                        stack.append(entry.path)
                elif st.st_ctime > since:  # (an overlay's files may show their layer's device)
                    total += st.st_blocks * 512
    return total
