"""Immutable template root filesystems: built once (debootstrap for `base`), cached, layered.

A template is `templates/<id>/rootfs` plus `meta.json`. `base` is a full Debian tree; a derived
template (a promoted snapshot) holds only an overlay layer and names its parent, so its lower
dirs are [its layer, parent's layers...]. Builds go into a temp dir renamed into place at the
end, so a crash never leaves a half template; a file lock serialises concurrent builders.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hutch_agent.code import PRESTART_FILE
from hutchd.runtime import userns
from hutchd.runtime.errors import SnapshotExists, TemplateBuildError, TemplateNotFound
from hutchd.runtime.fsutil import copy_tree
from hutchd.runtime.layout import Layout, check_id

Progress = Callable[[str], None]

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
SANDBOX_USER = "user"
SANDBOX_UID = 1000
SANDBOX_DNS = "10.0.2.3"  # slirp4netns' DNS forwarder
# Bind-mount targets made in the template so bwrap need not create them in every upper.
MOUNT_POINTS = ("opt/hutch/hutch_agent",)
TEMPLATE_ENVS = "opt/hutch/template-envs.json"  # a built template's envs, which the agent starts with
# Set to a `debootstrap --make-tarball` of the same suite and packages to build without downloads.
TARBALL_ENV = "HUTCH_DEBOOTSTRAP_TARBALL"
# Set to a directory to share recipe builds between data dirs on one machine (tests, CI, benches):
# a finished build is hard-linked there, and later builds of the same recipe are hard-linked from it.
# Safe because templates are immutable: overlayfs copies a lower file up before changing it.
CACHE_ENV = "HUTCH_TEMPLATE_CACHE"


@dataclass(frozen=True)
class Recipe:
    """How to build a template: Debian packages on top of minbase, or, with a `parent`, an overlay
    layer on the parent's build holding only the packages the parent lacks (apt-get in a chroot)."""

    packages: tuple[str, ...]
    parent: str | None = None
    files: tuple[tuple[str, str], ...] = ()
    """(path in the rootfs, text) written into the build: settings the agent reads at boot."""

    def key(self) -> list[object]:
        """What a build depends on: a build of another key is outdated."""
        parent = RECIPES.get(self.parent or "")
        return [DEBIAN_SUITE, list(self.packages), parent and parent.key(), [list(f) for f in self.files]]


BASE_PACKAGES = (
    "python3",
    "bash",
    "coreutils",
    "procps",
    "curl",
    "ca-certificates",
    "git",
    "iproute2",
    "less",
    # as in E2B's base: `python` is python3, and `sudo` (see _configure for what it can do here)
    "python-is-python3",
    "sudo",
    # run_code: javascript contexts, and the common data-analysis case offline
    "nodejs",
    "python3-ipython",  # run_code's python: IPython semantics (magics, display, dedent); %pip needs pip
    "python3-pip",
    "python3-numpy",
    "python3-pandas",
    "python3-matplotlib",
)
RECIPES: dict[str, Recipe] = {
    "base": Recipe(packages=BASE_PACKAGES),
    # run_code's heavier languages (typescript, r, java) on top of base, and a python kernel started
    # with every sandbox (hopx's and E2B's code interpreter template)
    "code-interpreter": Recipe(
        packages=("node-typescript", "r-base-core", "r-cran-jsonlite", "default-jdk-headless"),
        parent="base",
        files=((PRESTART_FILE.lstrip("/"), "python\n"),),
    ),
    # hopx's template names; base already has node, so `nodejs` only adds npm
    "nodejs": Recipe(packages=("npm",), parent="base"),
    "go": Recipe(packages=("golang",), parent="base"),
}


def _write_envs(rootfs: Path, envs: dict[str, str]) -> None:
    """The agent reads TEMPLATE_ENVS at start (hutch_agent/sandbox_env.py): a template's envs are in
    every sandbox from its boot, pooled ones too. Its directories get the owner and mode they have
    in every template, since the topmost layer's directory attributes are the ones a sandbox sees."""
    path = rootfs / TEMPLATE_ENVS
    for d in reversed(path.relative_to(rootfs).parents[:-1]):
        (rootfs / d).mkdir(mode=0o755)
        userns.chown_to_sandbox(rootfs / d)
    path.write_text(json.dumps(envs))
    userns.chown_to_sandbox(path)


def _stderr_progress(line: str) -> None:
    print(f"[hutch template] {line}", file=sys.stderr, flush=True)


class TemplateStore:
    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    def exists(self, template_id: str) -> bool:
        return (self._layout.template_dir(template_id) / "meta.json").is_file()

    def list(self) -> list[str]:
        if not self._layout.templates.is_dir():
            return []
        return sorted(
            d.name for d in self._layout.templates.iterdir() if not d.name.startswith(".") and self.exists(d.name)
        )

    def meta(self, template_id: str) -> dict[str, object]:
        path = self._layout.template_dir(template_id) / "meta.json"
        try:
            data: dict[str, object] = json.loads(path.read_text())
        except FileNotFoundError:
            raise TemplateNotFound(
                f"template {template_id!r} does not exist; known: {', '.join(self.list()) or 'none'}"
            ) from None
        return data

    def rootfs(self, template_id: str) -> Path:
        self.meta(template_id)
        return self._layout.template_dir(template_id) / "rootfs"

    def lowerdirs(self, template_id: str) -> builtins.list[Path]:
        """Overlay lower layers, topmost first."""
        layers: builtins.list[Path] = []
        tid: str | None = template_id
        while tid is not None:
            meta = self.meta(tid)
            layers.append(self._layout.template_dir(tid) / "rootfs")
            parent = meta.get("parent")
            tid = str(parent) if parent else None
        return layers

    def ensure(self, template_id: str, progress: Progress | None = None) -> Path:
        """Return the template's rootfs, building it first if a recipe exists for it (again, if the
        recipe's package list changed since it was built)."""
        check_id("template", template_id)
        recipe = RECIPES.get(template_id)
        if recipe is not None and recipe.parent is not None:
            self.ensure(recipe.parent, progress)
        if self._current(template_id, recipe):
            return self.rootfs(template_id)
        if recipe is None:
            raise TemplateNotFound(
                f"template {template_id!r} does not exist and there is no recipe to build it "
                f"(buildable: {', '.join(sorted(RECIPES))})"
            )
        with self._lock(template_id):
            if not self._current(template_id, recipe):
                self._build(template_id, recipe, progress or _stderr_progress)
        return self.rootfs(template_id)

    def _current(self, template_id: str, recipe: Recipe | None) -> bool:
        """Built, and for a recipe template built from the recipe's present key (and on its parent's
        present build: a rebuilt parent leaves the layer on top of it outdated)."""
        if not self.exists(template_id) or recipe is None:
            return self.exists(template_id)
        meta = self.meta(template_id)
        if recipe.parent is not None and meta.get("parent_created") != self.meta(recipe.parent).get("created"):
            return False
        return meta.get("packages") == list(recipe.packages) and meta.get("recipe", recipe.key()) == recipe.key()

    def add_layer(self, template_id: str, parent: str, source_upper: Path, extra: dict[str, object]) -> None:
        """Create a derived template whose layer is a copy of `source_upper` (a snapshot's upper dir)."""
        check_id("template", template_id)
        self.meta(parent)
        with self._lock(template_id):
            if self.exists(template_id):
                raise SnapshotExists(f"template {template_id!r} already exists; choose another id")
            with self._staging(template_id) as tmp:
                copy_tree(source_upper, tmp / "rootfs")
                self._finish(tmp, template_id, {"parent": parent, **extra})

    def point(self, template_id: str, parent: str, extra: dict[str, object], envs: dict[str, str]) -> None:
        """Make `template_id` a template on top of `parent` (a built template's name for its top layer)
        whose only file is `envs` for the agent (TEMPLATE_ENVS), replacing what it pointed at before in
        one rename. Sandboxes already running keep their mounts (the old layer dir goes away; its
        parent layers stay)."""
        check_id("template", template_id)
        self.meta(parent)
        with self._lock(template_id), self._staging(template_id) as tmp:
            (tmp / "rootfs").mkdir()
            if envs:
                _write_envs(tmp / "rootfs", envs)
            self._retire_and_finish(tmp, template_id, {"parent": parent, **extra})

    def add_rootfs(self, template_id: str, rootfs: Path, extra: dict[str, object]) -> None:
        """Make a template with no parent from a finished root filesystem (moved, not copied)."""
        check_id("template", template_id)
        with self._lock(template_id):
            if self.exists(template_id):
                raise SnapshotExists(f"template {template_id!r} already exists")
            with self._staging(template_id) as tmp:
                os.rename(rootfs, tmp / "rootfs")
                self._finish(tmp, template_id, {"parent": None, **extra})

    def parent(self, template_id: str) -> str | None:
        parent = self.meta(template_id).get("parent")
        return str(parent) if parent else None

    def delete(self, template_id: str) -> None:
        """Remove a template (and its lock file: built templates make many layers); the caller ensures
        no sandbox, snapshot or child template uses it."""
        d = self._layout.template_dir(template_id)
        if d.exists():
            gone = d.with_name(f".gone-{template_id}-{os.getpid()}")
            d.rename(gone)
            shutil.rmtree(gone)
        (self._layout.templates / f".lock-{template_id}").unlink(missing_ok=True)

    @contextlib.contextmanager
    def _lock(self, template_id: str) -> Iterator[None]:
        self._layout.templates.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._layout.templates / f".lock-{template_id}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _staging(self, template_id: str) -> Iterator[Path]:
        """A new temp dir to build `template_id` in (the caller holds its lock), removed if the build
        fails before it is renamed into place."""
        tmp = self._tmp_dir(template_id)
        try:
            tmp.mkdir()
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _tmp_dir(self, template_id: str) -> Path:
        """A fresh build dir; leftovers of crashed builds of this id are removed first (we hold the lock)."""
        for old in self._layout.templates.glob(f".build-{template_id}-*"):
            shutil.rmtree(old, ignore_errors=True)
        return self._layout.templates / f".build-{template_id}-{os.getpid()}"

    def _finish(self, tmp: Path, template_id: str, meta: dict[str, object]) -> None:
        os.chmod(tmp / "rootfs", 0o755)
        userns.chown_to_sandbox(tmp / "rootfs")
        (tmp / "meta.json").write_text(json.dumps({"id": template_id, "created": time.time(), **meta}))
        os.rename(tmp, self._layout.template_dir(template_id))

    def _retire_and_finish(self, tmp: Path, template_id: str, meta: dict[str, object]) -> None:
        current = self._layout.template_dir(template_id)
        gone = current.with_name(f".gone-{template_id}-{os.getpid()}")
        if current.exists():
            current.rename(gone)
        self._finish(tmp, template_id, meta)
        shutil.rmtree(gone, ignore_errors=True)

    def _retire(self, template_id: str, progress: Progress) -> None:
        """Move an outdated build aside, not away: sandboxes running on it keep their overlay lower dirs."""
        current = self._layout.template_dir(template_id)
        if current.exists():
            old = current.with_name(f".outdated-{template_id}-{int(time.time())}")
            current.rename(old)
            progress(f"the outdated build of {template_id!r} is now {old}; delete it once no sandbox uses it")

    def _build(self, template_id: str, recipe: Recipe, progress: Progress) -> None:
        tmp = self._tmp_dir(template_id)
        rootfs = tmp / "rootfs"
        started = time.monotonic()
        try:
            tmp.mkdir(mode=0o700)
            cache = BuildCache.from_env(template_id, recipe)
            if cache is not None and cache.has_build():
                progress(f"linking the build cached in {cache.entry}")
                cache.link_into(rootfs)
            elif recipe.parent is not None:
                progress(f"building template {template_id!r}: {len(recipe.packages)} packages on {recipe.parent!r}")
                _install_layer(self.lowerdirs(recipe.parent), tmp, recipe.packages, progress)
            else:
                progress(f"building template {template_id!r} (Debian {DEBIAN_SUITE}, {len(recipe.packages)} packages)")
                _debootstrap(rootfs, recipe.packages, progress)
                progress("configuring: sandbox user, DNS, mount points")
                _configure(rootfs)
            if cache is None or not cache.has_build():
                for path, text in recipe.files:
                    (rootfs / path).parent.mkdir(parents=True, exist_ok=True)
                    (rootfs / path).write_text(text)
                progress("shifting file ownership into the sandbox id range")
                userns.shift_tree(rootfs)
                if cache is not None:
                    cache.store(rootfs)
            self._retire(template_id, progress)
            meta: dict[str, object] = {"parent": recipe.parent, "packages": list(recipe.packages)}
            meta["recipe"] = recipe.key()
            if recipe.parent is not None:
                meta["parent_created"] = self.meta(recipe.parent).get("created")
            self._finish(tmp, template_id, meta)
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(e, TemplateBuildError):
                raise
            if isinstance(e, Exception):
                raise TemplateBuildError(f"building template {template_id!r} failed: {e}") from e
            raise
        progress(f"template {template_id!r} ready in {time.monotonic() - started:.0f}s")


class BuildCache:
    """One recipe's finished (ownership-shifted) rootfs, shared by hard links between data dirs."""

    def __init__(self, root: Path, template_id: str, recipe: Recipe) -> None:
        key = [DEBIAN_SUITE, list(recipe.packages)] if recipe.parent is None and not recipe.files else recipe.key()
        digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]
        self.root = root
        self.entry = root / f"{template_id}-{digest}"

    @classmethod
    def from_env(cls, template_id: str, recipe: Recipe) -> BuildCache | None:
        root = os.environ.get(CACHE_ENV)
        return cls(Path(root), template_id, recipe) if root else None

    def has_build(self) -> bool:
        return (self.entry / "rootfs").is_dir()

    def link_into(self, rootfs: Path) -> None:
        _hardlink_tree(self.entry / "rootfs", rootfs)

    def store(self, rootfs: Path) -> None:
        """Publish a build atomically (temp dir + rename), so a reader never sees half of one."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.has_build():
            return
        tmp = self.root / f".tmp-{self.entry.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            _hardlink_tree(rootfs, tmp / "rootfs")
            os.rename(tmp, self.entry)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another builder published first, or the cache is unusable


def _hardlink_tree(source: Path, dest: Path) -> None:
    result = subprocess.run(["cp", "-al", str(source), str(dest)], capture_output=True, text=True)
    if result.returncode != 0:
        raise TemplateBuildError(f"linking {source} to {dest} failed: {result.stderr.strip()}")


_PER_PACKAGE = ("Retrieving", "Validating", "Extracting")
_INDEXES = ("InRelease", "Release", "Packages")


def _debootstrap(rootfs: Path, packages: tuple[str, ...], progress: Progress) -> None:
    if shutil.which("debootstrap") is None:
        raise TemplateBuildError("debootstrap is missing: apt-get install -y debootstrap")
    argv = ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}"]
    tarball = os.environ.get(TARBALL_ENV)
    if tarball and not _tarball_holds(tarball, packages):
        progress(f"{tarball} lacks some of {', '.join(packages)}; downloading instead")
        tarball = None
    if tarball:
        progress(f"using cached packages from {tarball}")
        argv.append(f"--unpack-tarball={os.path.abspath(tarball)}")
    argv += [DEBIAN_SUITE, str(rootfs), DEBIAN_MIRROR]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    tail: list[str] = []
    seen: set[str] = set()
    for line in proc.stdout:
        line = line.rstrip()
        tail = [*tail[-19:], line]
        words = line.split()
        if not words or words[0] != "I:":
            continue
        # "I: Retrieving adduser 3.134" and the like: one line per phase, not one per package.
        per_package = words[1] in _PER_PACKAGE and len(words) > 2 and words[2] not in _INDEXES
        if not per_package:
            progress(f"debootstrap: {line[3:]}")
        elif words[1] not in seen:
            seen.add(words[1])
            progress(f"debootstrap: {words[1]} packages...")
    code = proc.wait()
    _unmount_under(rootfs)
    if code != 0:
        raise TemplateBuildError("debootstrap failed:\n" + "\n".join(tail))


def _install_layer(lower: list[Path], tmp: Path, packages: tuple[str, ...], progress: Progress) -> None:
    """Install `packages` with apt-get in a chroot of an overlay on `lower`: `tmp/rootfs` becomes the
    layer (what apt-get wrote), with apt's downloads and lists left out."""
    upper, work, merged = tmp / "rootfs", tmp / "work", tmp / "merged"
    for d in (upper, work, merged):
        d.mkdir()
    options = f"lowerdir={':'.join(map(str, lower))},upperdir={upper},workdir={work}"
    env = {k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")}  # as debootstrap gets them
    env.update(PATH="/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    apt = ["chroot", str(merged), "apt-get", "-q", "-o", "APT::Sandbox::User=root"]
    try:
        _run(["mount", "-t", "overlay", "overlay", "-o", options, str(merged)])
        _run(["mount", "-t", "proc", "proc", str(merged / "proc")])
        _run(["mount", "--bind", "-o", "ro", "/etc/resolv.conf", str(merged / "etc/resolv.conf")])
        progress("apt-get update")
        _run([*apt, "update"], env)
        progress(f"apt-get install {' '.join(packages)}")
        _run([*apt, "install", "-y", "--no-install-recommends", *packages], env)
        _run([*apt, "clean"], env)
    finally:
        _unmount_under(merged)
        subprocess.run(["umount", "-l", str(merged)], check=False, capture_output=True)
    shutil.rmtree(work, ignore_errors=True)
    merged.rmdir()
    lists = upper / "var/lib/apt/lists"
    for f in lists.rglob("*") if lists.is_dir() else ():
        if f.is_file():
            f.unlink()


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise TemplateBuildError(f"{' '.join(argv[:6])} failed:\n{tail}")


def _unmount_under(root: Path) -> None:
    """Detach what debootstrap left mounted in the tree: its exit-time `umount` of /proc and /sys
    ignores failure (seen: a busy /proc), and the ownership shift cannot cross a mount."""
    prefix = f"{root}/"
    for line in reversed(Path("/proc/self/mounts").read_text().splitlines()):
        target = line.split()[1]
        if target.startswith(prefix):
            subprocess.run(["umount", "-l", target], check=False, capture_output=True)


def _tarball_holds(tarball: str, packages: tuple[str, ...]) -> bool:
    """Whether a `debootstrap --make-tarball` has every package: debootstrap installs the tarball's
    package list and ignores --include, so a tarball made for an older recipe would drop packages."""
    listed = subprocess.run(
        ["tar", "-xOf", tarball, "debootstrap/required", "debootstrap/base"], capture_output=True, text=True
    )
    return listed.returncode == 0 and set(packages) <= set(listed.stdout.split())


def _configure(rootfs: Path) -> None:
    subprocess.run(
        ["chroot", str(rootfs), "useradd", "--create-home", "--uid", str(SANDBOX_UID), "--user-group",
         "--shell", "/bin/bash", SANDBOX_USER],
        check=True, capture_output=True,
    )  # fmt: skip
    # E2B's `user` may sudo without a password. bubblewrap sets no_new_privs, so the setuid bit of sudo
    # is ignored inside a sandbox: this rule takes effect only for processes that are root already
    # (sudo as root works); a `user` process cannot gain root (README: "sudo").
    sudoers = rootfs / "etc/sudoers.d" / SANDBOX_USER
    sudoers.write_text(f"{SANDBOX_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n")
    os.chmod(sudoers, 0o440)
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)
    (rootfs / "etc/resolv.conf").write_text(f"nameserver {SANDBOX_DNS}\n")
    for mp in MOUNT_POINTS:
        (rootfs / mp).mkdir(parents=True, exist_ok=True)
    # The sandbox is the environment to change: `pip install` (and `%pip`) goes to the user's site
    # instead of refusing with PEP 668's "externally-managed-environment".
    (rootfs / "etc/pip.conf").write_text("[global]\nbreak-system-packages = true\n")
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for f in (rootfs / cache).glob("*"):
            if f.is_file():
                f.unlink()
