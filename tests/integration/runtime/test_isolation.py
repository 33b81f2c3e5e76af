"""Each test fails if the protection it names is removed."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from conftest import DATA_DIR, Sandboxes

from hutchd.runtime import Runtime
from hutchd.runtime.runtime import _DISK_CACHE_SECONDS


def test_host_files_are_invisible(session_boxes: Sandboxes, offline: str, marker: Callable[[str], Path]) -> None:
    paths = [marker("/var/tmp"), marker("/root"), marker("/tmp")]
    script = " ; ".join(f"test -e {p} && echo LEAK {p}" for p in [*paths, DATA_DIR, "/work"]) + "; true"
    r = session_boxes.run(offline, script)
    assert r.exit_code == 0
    assert "LEAK" not in r.stdout


def test_mount_table_names_no_host_path(session_boxes: Sandboxes, offline: str, rt: Runtime) -> None:
    """The overlay's layer options and the bind mounts' roots used to show the data dir's paths."""
    r = session_boxes.run(offline, "cat /proc/self/mountinfo /proc/mounts /proc/1/mountinfo")
    assert r.exit_code == 0 and " / / " in r.stdout
    host_paths = {str(DATA_DIR), str(DATA_DIR.resolve()), str(rt.layout.templates.resolve())}
    for line in r.stdout.splitlines():
        assert not [p for p in host_paths if p in line], f"the sandbox sees a host path: {line}"
        assert "dir=/" not in line.replace("dir=/proc/self/fd/", ""), f"an overlay layer is named by path: {line}"


def test_host_processes_are_invisible(session_boxes: Sandboxes, offline: str) -> None:
    tag = uuid.uuid4().hex
    host = subprocess.Popen(["sleep", "300", tag])
    try:
        r = session_boxes.run(offline, "ps -eo pid,args")
        assert tag not in r.stdout
        assert len(r.stdout.splitlines()) < 10  # header, bwrap init, agent, sh, ps
        assert tag not in session_boxes.run(offline, f"cat /proc/{host.pid}/cmdline 2>/dev/null; true").stdout
    finally:
        host.kill()
        host.wait()


def test_proc_sys_is_read_only(session_boxes: Sandboxes, offline: str) -> None:
    r = session_boxes.run(
        offline, "v=$(cat /proc/sys/kernel/printk_ratelimit) && echo $v > /proc/sys/kernel/printk_ratelimit"
    )
    assert r.exit_code != 0
    assert "Read-only file system" in r.stderr or "Permission denied" in r.stderr


def test_runs_in_the_unprivileged_id_range(session_boxes: Sandboxes, offline: str) -> None:
    r = session_boxes.run(offline, "cat /proc/self/uid_map /proc/self/gid_map; id -u")
    assert r.stdout.split() == ["0", "100000", "65536", "0", "100000", "65536", "0"]


def test_mount_is_refused(session_boxes: Sandboxes, offline: str) -> None:
    r = session_boxes.run(offline, "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m")
    assert r.exit_code != 0
    assert "tmpfs" not in session_boxes.run(offline, "grep /tmp/m /proc/mounts; true").stdout


PTRACE_PY = """
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
target = subprocess.Popen(["sleep", "30"])
rc = libc.ptrace(16, target.pid, 0, 0)  # PTRACE_ATTACH
print(rc, ctypes.get_errno())
target.kill()
"""


def test_ptrace_is_refused(session_boxes: Sandboxes, offline: str) -> None:
    r = session_boxes.run(offline, f"python3 -c '{PTRACE_PY}'")
    rc, err = r.stdout.split()
    assert rc == "-1" and err == "1"  # EPERM from seccomp


def test_nested_user_namespaces_are_refused(session_boxes: Sandboxes, offline: str) -> None:
    assert session_boxes.run(offline, "unshare -U true").exit_code != 0
    assert session_boxes.run(offline, "unshare -U true", user="user").exit_code != 0
    assert session_boxes.run(offline, "cat /proc/sys/user/max_user_namespaces").stdout.strip() == "0"


def test_seccomp_caps_and_no_new_privs(session_boxes: Sandboxes, offline: str) -> None:
    status = dict(
        line.split(":\t", 1) for line in session_boxes.run(offline, "cat /proc/self/status").stdout.splitlines()
    )
    assert status["Seccomp"] == "2"
    assert status["NoNewPrivs"] == "1"
    assert int(status["CapEff"], 16) & (1 << 21) == 0  # no CAP_SYS_ADMIN
    assert int(status["CapEff"], 16) & (1 << 13) == 0  # no CAP_NET_RAW (would bypass the egress filter)
    keyctl = (
        "python3 -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); print(l.syscall(250, 0), ctypes.get_errno())'"
    )
    assert session_boxes.run(offline, keyctl).stdout.split() == ["-1", "1"]


def test_command_line_of_pid_1_hides_host_paths(session_boxes: Sandboxes, offline: str) -> None:
    cmdline = session_boxes.run(offline, "tr '\\0' ' ' < /proc/1/cmdline").stdout
    assert str(DATA_DIR) not in cmdline
    assert "--args" in cmdline


def test_fork_bomb_hits_the_pids_limit(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, pids=64)
    boxes.run(sid, "bomb() { bomb | bomb & }; bomb; sleep 3", timeout=6)
    state = rt._require_state(sid)
    events = Path(state.cgroups.v1["pids"], "pids.events").read_text()
    assert int(events.split()[1]) > 0  # "max N": forks were refused
    assert int(Path(state.cgroups.v1["pids"], "pids.current").read_text()) <= 64
    assert subprocess.run(["true"]).returncode == 0  # the host can still fork


def test_memory_bomb_is_killed_inside_only(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, memory_mb=128)
    r = boxes.run(sid, "python3 -c 'b = bytearray(400 << 20)'")
    assert r.exit_code in (-9, 137)  # SIGKILL (stub agent, real agent)
    assert rt._require_state(sid).cgroups.oom_kills() >= 1
    assert rt.is_alive(sid)
    assert boxes.run(sid, "echo still here").stdout == "still here\n"


def test_sandboxes_cannot_see_each_other(boxes: Sandboxes) -> None:
    a = boxes.start(allow_internet=False)
    b = boxes.start(allow_internet=False)
    tag = uuid.uuid4().hex
    boxes.run(a, f"echo {tag} > /root/secret; nohup sleep 300 {tag} >/dev/null 2>&1 &")
    assert tag in boxes.run(a, "cat /root/secret; ps -eo args").stdout
    seen = boxes.run(b, "cat /root/secret 2>/dev/null; ps -eo args; hostname; true")
    assert tag not in seen.stdout
    assert b in seen.stdout


def test_disk_is_bounded(rt: Runtime, boxes: Sandboxes) -> None:
    sid = boxes.start(allow_internet=False, disk_mb=64)
    r = boxes.run(sid, "dd if=/dev/zero of=/root/big bs=1M count=200")
    assert r.exit_code != 0 and "No space left on device" in r.stderr
    used = rt.metrics(sid).disk_used_bytes
    assert 0.8 * (64 << 20) < used < 1.2 * (64 << 20)
    assert boxes.run(sid, "rm /root/big && echo small > /root/small").exit_code == 0
    time.sleep(_DISK_CACHE_SECONDS)
    assert rt.metrics(sid).disk_used_bytes < 1 << 20


def test_agent_log_cannot_fill_the_host_disk(rt: Runtime, boxes: Sandboxes) -> None:
    """If sandbox root could reopen the agent's stderr through /proc (today the agent is not
    dumpable, so it cannot), the writes would land on the sandbox's own bounded disk."""
    sid = boxes.start(allow_internet=False, disk_mb=64)
    r = boxes.run(sid, "dd if=/dev/zero bs=1M count=200 >> /proc/$(pgrep -P 1 -o)/fd/2")  # pid 1: bwrap
    assert "Permission denied" in r.stderr or "No space left on device" in r.stderr
    assert rt._fs(sid).agent_log.stat().st_size < 100 << 20
