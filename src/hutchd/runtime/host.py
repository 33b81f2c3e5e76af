"""What this host offers; checked once at server start so a missing piece fails early and clearly."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from hutchd.runtime import cgroups, disk

_APT = "apt-get install -y"

# piece -> (what it is for, how to get it)
_HOW: dict[str, tuple[str, str]] = {
    "root": ("the runtime mounts, maps user ids and writes cgroups", "run `hutch serve` as root"),
    "bubblewrap": ("sandbox namespaces", f"{_APT} bubblewrap"),
    "user_namespaces": ("the sandbox user id range", "sysctl -w user.max_user_namespaces=10000"),
    "cgroups_v1_writable": ("cpu/memory/pids limits", "mount cgroup v1 memory, pids and cpu controllers read-write"),
    "cgroup_freeze": ("pause and kill (cgroup2 cgroup.freeze)", "mount cgroup2 (kernel >= 5.2)"),
    "slirp4netns": ("internet access for sandboxes", f"{_APT} slirp4netns"),
    "nftables": ("the sandbox egress filter", f"{_APT} nftables"),
    "seccomp": ("the syscall filter", "pip install pyseccomp==0.1.2 and " + f"{_APT} libseccomp2"),
    "debootstrap": ("building the base template", f"{_APT} debootstrap"),
    "overlayfs": ("sandbox root filesystems", "use a kernel with overlayfs"),
}
# Missing these degrades instead of failing: see HostFeatures.warnings().
_DEGRADED: dict[str, str] = {
    "loop_devices": "no loop devices (/dev/loop-control) or no mkfs.ext4 (apt-get install -y e2fsprogs): "
    "sandbox disk is not bounded, disk_mb is nominal",
}


@dataclass(frozen=True)
class HostFeatures:
    root: bool
    bubblewrap: bool
    user_namespaces: bool
    cgroups_v1_writable: bool
    cgroup_freeze: bool
    slirp4netns: bool
    nftables: bool
    seccomp: bool
    debootstrap: bool
    overlayfs: bool
    loop_devices: bool

    def missing(self) -> list[str]:
        """One human sentence per missing piece, naming what it is for and how to install it."""
        out = []
        for name, ok in asdict(self).items():
            if not ok and name in _HOW:
                purpose, fix = _HOW[name]
                out.append(f"{name} is missing ({purpose}): {fix}")
        return out

    def internet_missing(self) -> list[str]:
        """Sandboxes with internet need both: slirp4netns never runs without the egress filter."""
        return [m for m in self.missing() if m.startswith(("slirp4netns", "nftables"))]

    def warnings(self) -> list[str]:
        """What works in a weaker form on this host."""
        return [text for name, text in _DEGRADED.items() if not getattr(self, name)]

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def _userns_ok() -> bool:
    try:
        return int(Path("/proc/sys/user/max_user_namespaces").read_text()) > 0
    except OSError:
        return False


def _seccomp_ok() -> bool:
    try:
        from hutchd.runtime import seccomp

        seccomp.filter_bytes()
    except Exception:
        return False
    return True


def _overlay_ok() -> bool:
    try:
        return "overlay" in Path("/proc/filesystems").read_text()
    except OSError:
        return False


def detect_host_features() -> HostFeatures:
    return HostFeatures(
        root=os.geteuid() == 0,
        bubblewrap=shutil.which("bwrap") is not None,
        user_namespaces=_userns_ok(),
        cgroups_v1_writable=cgroups.v1_writable(),
        cgroup_freeze=cgroups.v2_freeze_available(),
        slirp4netns=shutil.which("slirp4netns") is not None,
        nftables=shutil.which("nft") is not None,
        seccomp=_seccomp_ok(),
        debootstrap=shutil.which("debootstrap") is not None,
        overlayfs=_overlay_ok(),
        loop_devices=disk.available(),
    )
