"""Start bubblewrap for one sandbox: the verified invocation of RUNTIME.md §6.3, launched detached.

bwrap is forked by hand rather than through subprocess: the child must join the sandbox
cgroups (so every descendant is born inside), make its own mount namespace (_stage), enter the
sandbox user namespace as its root,
and get an exact fd layout (the agent's listening socket must be fd 3), which subprocess's
pass_fds cannot express. The child gets its own session and no parent-death signal, so the
sandbox outlives the server; the server reaps it on destroy while it is still its parent.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import time
from dataclasses import dataclass, field

from hutchd.runtime import linux, seccomp, userns

AGENT_FD = 3
_ARGS_FD, _SECCOMP_FD, _INFO_FD = 4, 5, 6
_PARK = 100  # fds are parked above this before being moved to their final numbers

AGENT_MOUNT = "/opt/hutch/hutch_agent"
# Where the launch's private mount namespace shows bwrap the sandbox root and the agent files (_stage).
_STAGE = "/tmp"
_ROOT_SRC, _AGENT_SRC = f"{_STAGE}/root", f"{_STAGE}/agent"
AGENT_ARGV = ("/usr/bin/python3", "-S", "-m", "hutch_agent")
SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Docker's default capability set without CAP_NET_RAW: raw packet sockets would bypass the
# nftables egress filter. ping still works through unprivileged ICMP sockets (network.py).
CAPS = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_MKNOD",
    "CAP_AUDIT_WRITE", "CAP_SETFCAP",
)  # fmt: skip


@dataclass(frozen=True)
class LaunchSpec:
    sandbox_id: str
    tmp_size_bytes: int
    env: dict[str, str] = field(default_factory=dict)  # agent environment (besides PATH/HOME/LANG)


def bwrap_args(spec: LaunchSpec) -> list[str]:
    """The options, passed through a pipe (`--args FD`) so /proc/1/cmdline shows none of them.
    bwrap 0.8 takes only options that way; the command stays on its command line."""
    args = [
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup", "--unshare-net",
        "--new-session", "--cap-drop", "ALL",
    ]  # fmt: skip
    for cap in CAPS:
        args += ["--cap-add", cap]
    args += [
        "--bind", _ROOT_SRC, "/",
        "--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
        "--dev", "/dev",
        "--perms", "1777", "--size", str(spec.tmp_size_bytes), "--tmpfs", "/tmp",
        "--ro-bind", _AGENT_SRC, AGENT_MOUNT,
        "--hostname", spec.sandbox_id,
        "--clearenv",
        "--setenv", "PATH", SANDBOX_PATH, "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8",
    ]  # fmt: skip
    for key, value in spec.env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", "/", "--seccomp", str(_SECCOMP_FD), "--info-fd", str(_INFO_FD)]
    return args


def _pipe_with(data: bytes) -> int:
    """Read end of a pipe already holding `data` (small: well under the pipe buffer)."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


@dataclass
class Launched:
    pid: int  # bwrap, in the host pid namespace; our child until reaped
    child_pid: int  # the sandbox's pid 1 (host pid namespace numbering); holds its namespaces


def launch(
    spec: LaunchSpec,
    *,
    listen_fd: int,
    root: str,
    agent_dir: str,
    cgroup_procs: list[str],
    log_fd: int,
    timeout: float = 10.0,
) -> Launched:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise OSError("bwrap not found")
    data = "\0".join(bwrap_args(spec)).encode() + b"\0"
    args_r = _pipe_with(data)
    seccomp_r = _pipe_with(seccomp.filter_bytes())
    info_r, info_w = os.pipe()
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    up_r, up_w = os.pipe2(os.O_CLOEXEC)  # child -> parent: "in a new user namespace, map me"
    down_r, down_w = os.pipe2(os.O_CLOEXEC)  # parent -> child: "mapped"
    wanted = {
        AGENT_FD: listen_fd,
        _ARGS_FD: args_r,
        _SECCOMP_FD: seccomp_r,
        _INFO_FD: info_w,
        1: log_fd,
        2: log_fd,
    }
    argv = [bwrap, "--args", str(_ARGS_FD), "--", *AGENT_ARGV]
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, ends in exec or _exit
        try:
            for fd in (up_r, down_w, err_r, info_r):  # the parent's ends: if it dies, our read sees EOF
                os.close(fd)
            _child(argv, wanted, cgroup_procs, err_w, (up_w, down_r), (root, agent_dir))
        except BaseException as e:
            os.write(err_w, f"{type(e).__name__}: {e}".encode()[:4000])
        os._exit(127)
    for fd in (args_r, seccomp_r, info_w, err_w, up_w, down_r):
        os.close(fd)
    try:
        if os.read(up_r, 1) == b"u":
            try:
                userns.map_ids(pid)
            except OSError:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
            os.write(down_w, b"m")
        err = _read_all(err_r)
        if err:
            os.waitpid(pid, 0)
            raise OSError(f"starting bwrap failed: {err.decode(errors='replace')}")
        info = _read_info(info_r, timeout)
    finally:
        for fd in (err_r, info_r, up_r, down_w):
            os.close(fd)
    child_pid = info.get("child-pid") if info else None
    if not isinstance(child_pid, int):
        raise OSError("bwrap exited before starting the sandbox (see the agent log)")
    return Launched(pid=pid, child_pid=child_pid)


def wait_set_up(launched: Launched, timeout: float) -> None:
    """Until bwrap has set the sandbox up: its pid 1 (bwrap's init) forks the agent only after
    configuring the sandbox's namespaces (its loopback among them)."""
    children = f"/proc/{launched.child_pid}/task/{launched.child_pid}/children"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(children, "rb") as f:
                if f.read().strip():
                    return
        except OSError as e:
            raise OSError(f"the sandbox's pid 1 exited during set-up: {e}") from e
        if time.monotonic() > deadline:
            raise TimeoutError("bwrap did not finish setting up the sandbox in time")
        time.sleep(0.0005)


def _child(
    argv: list[str],
    wanted: dict[int, int],
    cgroup_procs: list[str],
    err_w: int,
    sync: tuple[int, int],
    sources: tuple[str, str],
) -> None:
    os.setsid()
    me = str(os.getpid()).encode()
    for path in cgroup_procs:  # first, while still host root: every descendant is born inside
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, me)
        finally:
            os.close(fd)
    _stage(*sources)
    # Our own user namespace, mapped by the parent (only root outside can map a 65536-id range);
    # as its root, turn off nested user namespaces, then become that root.
    up_w, down_r = sync
    linux.unshare(linux.CLONE_NEWUSER)
    os.write(up_w, b"u")
    if os.read(down_r, 1) != b"m":
        raise OSError("the parent did not map the sandbox user namespace")
    userns.disable_nested()
    os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    # Park every source above _PARK first so moving one onto its target cannot clobber another.
    parked = {target: fcntl.fcntl(src, fcntl.F_DUPFD, _PARK + target) for target, src in wanted.items()}
    err_parked = fcntl.fcntl(err_w, fcntl.F_DUPFD_CLOEXEC, _PARK + 50)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    for target, src in parked.items():
        os.dup2(src, target)
    keep = {0, *wanted, err_parked}
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))
    os.execve(argv[0], argv, {"PATH": SANDBOX_PATH})


def _stage(root: str, agent_dir: str) -> None:
    """A mount namespace of this launch alone, in which the sandbox root and the agent files are bind
    mounts on a fresh tmpfs at _STAGE. bwrap resolves every bind source to a path (even --bind-fd's)
    and walks it as sandbox root, so a data dir below a dir only host root may enter (such as /root)
    would fail every start; these paths it can walk wherever the data dir is. Run as host root, by
    path: an fd opened before the unshare names a mount of the host's namespace, which cannot be bound."""
    linux.unshare(linux.CLONE_NEWNS)
    linux.mount("none", "/", "", linux.MS_REC | linux.MS_PRIVATE)  # nothing of this reaches the host
    linux.mount("tmpfs", _STAGE, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC, "mode=0755,size=64k")
    for source, path in ((root, _ROOT_SRC), (agent_dir, _AGENT_SRC)):
        os.mkdir(path, 0o755)
        linux.mount(source, path, "", linux.MS_BIND | linux.MS_REC)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _read_info(fd: int, timeout: float) -> dict[str, object] | None:
    """bwrap writes {"child-pid": N, ...} to --info-fd once the sandbox process exists; None if it
    exits first."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("bwrap did not report its sandbox pid in time")
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        buf += chunk
        try:
            info: dict[str, object] = json.loads(buf)
        except ValueError:
            continue
        return info
