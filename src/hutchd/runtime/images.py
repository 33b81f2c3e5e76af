"""OCI images as template root filesystems: pulled with skopeo, unpacked with umoci, made bootable.

Both are Debian's packages of the tools the OCI ecosystem itself keeps (containers/skopeo and
opencontainers/umoci): skopeo speaks every registry protocol and auth scheme, umoci applies layers
with whiteouts and permissions exactly as the image spec says, and neither needs a daemon. The
unpacked tree gets what every template has (the `user` account, the sandbox's DNS, the agent's
mount point) and its owners shifted into the sandbox id range. The hutch agent is a Python program
run as `/usr/bin/python3`, so an image without a python3 is refused with that reason.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from hutchd.runtime import userns
from hutchd.runtime.errors import TemplateBuildError
from hutchd.runtime.templates import MOUNT_POINTS, SANDBOX_DNS, SANDBOX_UID, SANDBOX_USER

PULL_TIMEOUT = 1800.0
PYTHON_CANDIDATES = ("usr/bin/python3", "usr/local/bin/python3")


def registry_of(ref: str) -> str:
    """The registry host of an image reference, as Docker reads it (`python:3` is on docker.io)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def is_loopback(registry: str) -> bool:
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry.split("]")[0][1:]
    return host in ("localhost", "::1") or host.startswith("127.")


class Login(NamedTuple):
    """Credentials for a registry: never on a command line (other host users see those), never logged."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Login({self.username!r}, <hidden>)"


def pull(ref: str, work: Path, progress: Callable[[str], None], login: Login | None = None) -> Path:
    """Pull `ref` into `work` and unpack it; returns the bootable root filesystem (inside `work`). With
    `login`, skopeo reads it from an auth file of mode 0600 in `work` (removed with it)."""
    for tool in ("skopeo", "umoci"):
        if shutil.which(tool) is None:
            raise TemplateBuildError(f"{tool} is missing on the server: apt-get install -y skopeo umoci")
    layout = work / "oci"
    bundle = work / "bundle"
    argv = ["skopeo", "copy", "--quiet"]
    if is_loopback(registry_of(ref)):
        argv.append("--src-tls-verify=false")  # a registry on the server's own loopback speaks plain HTTP
    if login is not None:
        argv.append(f"--src-authfile={auth_file(work, registry_of(ref), login)}")
    argv += [f"docker://{ref}", f"oci:{layout}:image"]
    progress(f"pulling {ref} with skopeo")
    _run(argv, f"pulling {ref}")
    progress("unpacking the image's layers with umoci")
    _run(["umoci", "unpack", "--image", f"{layout}:image", str(bundle)], f"unpacking {ref}")
    rootfs = bundle / "rootfs"
    _make_bootable(rootfs, ref)
    progress("shifting file ownership into the sandbox id range")
    userns.shift_tree(rootfs)
    return rootfs


KEEP_OUT = ("HOME", "HOSTNAME", "PATH", "TERM")  # the sandbox's own (its PATH covers /usr/local/bin)


def auth_file(work: Path, registry: str, login: Login) -> Path:
    """A containers-auth.json holding `login` for `registry`."""
    token = base64.b64encode(f"{login.username}:{login.password}".encode()).decode()
    path = work / "auth.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"auths": {registry: {"auth": token}}}, f)
    return path


def image_env(work: Path) -> dict[str, str]:
    """The unpacked image's ENV (from the runtime config umoci wrote), but for what every sandbox sets."""
    try:
        spec = json.loads((work / "bundle" / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    pairs = (str(item).partition("=") for item in spec.get("process", {}).get("env", []))
    return {k: v for k, sep, v in pairs if sep and k and k not in KEEP_OUT and "\0" not in k + v}


def scratch_dir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".pull-", dir=parent))


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PULL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise TemplateBuildError(f"{what} took longer than {PULL_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise TemplateBuildError(f"{what} failed (exit {done.returncode}): {tail}")


def _inside(rootfs: Path, rel: str) -> Path:
    """`rel` under `rootfs`, refusing a path whose parents are symlinks (they could point outside)."""
    path = rootfs
    for part in Path(rel).parts:
        if path.is_symlink():
            raise TemplateBuildError(f"the image's /{rel} goes through a symbolic link; hutch cannot set it up")
        path = path / part
    return path


def _make_bootable(rootfs: Path, ref: str) -> None:
    pythons = [p for p in PYTHON_CANDIDATES if os.path.lexists(rootfs / p)]
    if not pythons:
        raise TemplateBuildError(
            f"image {ref} has no python3 (looked for /usr/bin/python3 and /usr/local/bin/python3): the hutch "
            "agent that runs commands in every sandbox is a Python program; use an image with python3 3.11 or "
            "newer (python:3.12-slim, debian:bookworm with python3, ...)"
        )
    if pythons[0] != PYTHON_CANDIDATES[0]:
        _inside(rootfs, "usr/bin").mkdir(parents=True, exist_ok=True)
        os.symlink("/usr/local/bin/python3", rootfs / PYTHON_CANDIDATES[0])
    etc = _inside(rootfs, "etc")
    etc.mkdir(exist_ok=True)
    passwd = _inside(rootfs, "etc/passwd")
    group = _inside(rootfs, "etc/group")
    users = passwd.read_text(errors="replace") if passwd.is_file() else "root:x:0:0:root:/root:/bin/sh\n"
    groups = group.read_text(errors="replace") if group.is_file() else "root:x:0:\n"
    if not any(line.split(":")[0] == SANDBOX_USER for line in users.splitlines()):
        users += f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_UID}::/home/{SANDBOX_USER}:/bin/bash\n"
    if not any(line.split(":")[0] == SANDBOX_USER for line in groups.splitlines()):
        groups += f"{SANDBOX_USER}:x:{SANDBOX_UID}:\n"
    for path, text in ((passwd, users), (group, groups)):
        path.unlink(missing_ok=True)
        path.write_text(text)
        os.chmod(path, 0o644)
    home = _inside(rootfs, f"home/{SANDBOX_USER}")
    home.mkdir(parents=True, exist_ok=True)
    os.lchown(home, SANDBOX_UID, SANDBOX_UID)
    resolv = _inside(rootfs, "etc/resolv.conf")
    resolv.unlink(missing_ok=True)
    resolv.write_text(f"nameserver {SANDBOX_DNS}\n")
    for mp in (*MOUNT_POINTS, "tmp", "proc", "dev", "sys", "root"):
        _inside(rootfs, mp).mkdir(parents=True, exist_ok=True)
    tmp = rootfs / "tmp"
    if not tmp.is_symlink():  # never follow a link of the image's on the host
        os.chmod(tmp, 0o1777)
