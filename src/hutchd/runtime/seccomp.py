"""The sandbox syscall filter (RUNTIME.md §6.3), compiled once to cBPF for `bwrap --seccomp FD`.

Default allow; EPERM for syscalls that reach kernel attack surface or host-global state.
Nested user namespaces are refused by flag (masked compare on the low bits, CVE-2019-10063);
clone3 gets ENOSYS because its flags live in memory seccomp cannot read, so glibc falls
back to clone, which is checked. TIOCSTI/TIOCLINUX are refused (CVE-2017-5226).
"""

from __future__ import annotations

import errno
import functools
import tempfile

BLOCKED = (
    "add_key", "keyctl", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "open_by_handle_at", "init_module", "finit_module",
    "delete_module", "mount", "umount2", "pivot_root", "fsopen", "fsmount", "fsconfig",
    "fspick", "move_mount", "open_tree", "mount_setattr", "swapon", "swapoff", "reboot",
    "syslog", "acct", "quotactl", "lookup_dcookie", "setns", "ptrace", "process_vm_readv",
    "process_vm_writev", "personality", "iopl", "ioperm", "vhangup",
)  # fmt: skip
CLONE_NEWUSER = 0x10000000
TIOCSTI = 0x5412
TIOCLINUX = 0x541C


@functools.cache
def filter_bytes() -> bytes:
    import pyseccomp as sc  # type: ignore[import-untyped]

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    if sc.system_arch() == sc.Arch.X86_64:
        f.add_arch(sc.Arch.X86)  # 32-bit syscalls are another way in; filter them too
    eperm = sc.ERRNO(errno.EPERM)
    for name in BLOCKED:
        try:
            f.add_rule(eperm, name)
        except OSError:  # syscall unknown on this arch (e.g. iopl on arm64)
            continue
    for name in ("unshare", "clone"):
        f.add_rule(eperm, name, sc.Arg(0, sc.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for request in (TIOCSTI, TIOCLINUX):
        f.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    with tempfile.TemporaryFile() as tmp:
        f.export_bpf(tmp)
        tmp.seek(0)
        return tmp.read()
