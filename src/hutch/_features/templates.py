"""Templates (spec tag ``templates``): E2B's Template builder, what it sends, and the calls that build,
follow, list, get and delete templates.

The builder only records steps; :func:`serialize` turns them into a ``buildTemplate`` request plus the
gzipped tars of the ``copy`` steps' local files (uploaded first, by SHA-256, with
``uploadTemplateFiles``). Package installs are ``run`` steps as root, as in E2B. The sync ``Template``
and async ``AsyncTemplate`` (``sandbox_async/template.py``) add the calls.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import inspect
import io
import json
import os
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import hutch_api.api.templates.build_template as build_template
import hutch_api.api.templates.delete_template as delete_template
import hutch_api.api.templates.get_template as get_template
import hutch_api.api.templates.get_template_alias as get_template_alias
import hutch_api.api.templates.get_template_build as get_template_build
import hutch_api.api.templates.list_templates as list_templates
import hutch_api.api.templates.upload_template_files as upload_template_files
from hutch._core.body import Body
from hutch._core.convert import opt
from hutch._core.request import STREAMED, Op, build, model, models, true
from hutch.config import ConnectionOpts
from hutch.exceptions import InvalidArgumentException, NotFoundException
from hutch_api.models.template import Template as ApiTemplate
from hutch_api.models.template_build import TemplateBuild as ApiBuild
from hutch_api.models.template_build_request import TemplateBuildRequest
from hutch_api.models.template_build_started import TemplateBuildStarted

LogEntryLevel = Literal["debug", "info", "warn", "error"]
BUILT_INS = frozenset({"base", "code-interpreter", "nodejs", "go"})
USERS = ("user", "root")


# ---------------------------------------------------------------------- ready checks (E2B's names)


class ReadyCmd:
    """A command that exits 0 once a sandbox's start command is ready."""

    def __init__(self, cmd: str) -> None:
        self.__cmd = cmd

    def get_cmd(self) -> str:
        return self.__cmd


def wait_for_port(port: int) -> ReadyCmd:
    """Ready once something listens on ``port`` (``ss`` is in every hutch template)."""
    return ReadyCmd(f'[ -n "$(ss -Htuln sport = :{int(port)})" ]')


def wait_for_url(url: str, status_code: int = 200) -> ReadyCmd:
    """Ready once ``url`` answers ``status_code``."""
    return ReadyCmd(f'curl -s -o /dev/null -w "%{{http_code}}" {shlex.quote(url)} | grep -q "{int(status_code)}"')


def wait_for_process(process_name: str) -> ReadyCmd:
    """Ready once a process of that name runs."""
    return ReadyCmd(f"pgrep {shlex.quote(process_name)} > /dev/null")


def wait_for_file(filename: str) -> ReadyCmd:
    """Ready once the file exists."""
    return ReadyCmd(f"[ -f {shlex.quote(filename)} ]")


def wait_for_timeout(timeout: int) -> ReadyCmd:
    """Ready after ``timeout`` milliseconds (at least 1000)."""
    return ReadyCmd(f"sleep {max(1000, int(timeout)) / 1000}")


# ---------------------------------------------------------------------- build results (E2B's shapes)


@dataclass
class LogEntry:
    """One line of a build's log."""

    timestamp: datetime
    level: LogEntryLevel
    message: str

    def __str__(self) -> str:
        return f"[{self.timestamp.isoformat()}] [{self.level}] {self.message}"


@dataclass
class LogEntryStart(LogEntry):
    """The first entry ``Template.build`` hands to ``on_build_logs``."""


@dataclass
class LogEntryEnd(LogEntry):
    """The last entry ``Template.build`` hands to ``on_build_logs``."""


class TemplateBuildStatus(StrEnum):
    BUILDING = "building"
    WAITING = "waiting"
    READY = "ready"
    ERROR = "error"


@dataclass
class BuildStatusReason:
    """Why a build failed: the step (1-based, the base being 1), its exit code and its output's tail."""

    message: str
    step: int | None = None
    exit_code: int | None = None
    output_tail: str | None = None
    log_entries: list[LogEntry] = field(default_factory=list)


@dataclass
class TemplateBuildStatusResponse:
    build_id: str
    template_id: str
    status: TemplateBuildStatus
    log_entries: list[LogEntry]
    logs: list[str]
    reason: BuildStatusReason | None = None
    steps_done: int = 0
    """Steps finished (run or found in the cache): with ``steps_total``, the build's progress."""
    steps_total: int = 0
    logs_offset: int = 0


class BuildOptions(ConnectionOpts, total=False):
    """What ``Template.build`` and ``build_in_background`` take besides the template (E2B's keywords),
    and the connection settings."""

    alias: str | None
    """A name for the template (``name``, E2B's newer name, wins when both are given)."""
    tags: list[str] | None
    """Names for this build, shown on the template while its content is this build's."""
    cpu_count: int | None
    """CPUs of its sandboxes unless their create says otherwise."""
    memory_mb: int | None
    """Memory of its sandboxes unless their create says otherwise."""
    skip_cache: bool
    """Run every step again, cached or not."""


@dataclass
class BuildInfo:
    template_id: str
    build_id: str
    name: str
    alias: str
    tags: list[str] = field(default_factory=list)


@dataclass
class TemplateInfo:
    """A template as ``Template.list`` and ``Template.get`` give it."""

    template_id: str
    kind: str
    ready: bool
    created_at: datetime
    aliases: list[str]
    description: str | None = None
    size_bytes: int | None = None
    cpu_count: int | None = None
    memory_mb: int | None = None
    start_cmd: str | None = None
    ready_cmd: str | None = None
    build_id: str | None = None
    tags: list[str] = field(default_factory=list)
    warm_sandboxes: int = 0
    """Sandboxes of it the server's warm pool holds now."""

    @property
    def name(self) -> str:
        return self.aliases[0] if self.aliases else self.template_id


# ---------------------------------------------------------------------- the builder


def _caller_dir() -> Path | None:
    """The directory of the file that made the template (E2B resolves copy sources against it)."""
    for frame in inspect.stack()[2:]:
        path = Path(frame.filename)
        if not str(path).startswith(str(Path(__file__).parent.parent)) and path.is_file():
            return path.parent
    return None


def _list(value: str | Path | Sequence[str | Path]) -> list[str]:
    return [str(value)] if isinstance(value, str | Path) else [str(v) for v in value]


class TemplateBase:
    """A template to build: a base (``from_template``, ``from_image``, ``from_dockerfile``) and steps.

    Method names and arguments are E2B's. Relative ``copy`` sources are read from
    ``file_context_path`` (the calling file's directory by default)."""

    def __init__(
        self, file_context_path: str | Path | None = None, file_ignore_patterns: list[str] | None = None
    ) -> None:
        self._base_template: str | None = "base"
        self._base_image: str | None = None
        self._registry: dict[str, str] | None = None  # fromImageRegistry: the login for _base_image's pull
        self._steps: list[dict[str, Any]] = []
        self._start_cmd: str | None = None
        self._ready_cmd: str | None = None
        self._force = False
        self._force_next = False
        self._context = Path(file_context_path) if file_context_path is not None else (_caller_dir() or Path("."))
        self._ignore = list(file_ignore_patterns or [])

    def skip_cache(self) -> TemplateBase:
        """Build every following step again, cached or not (before a ``from_*``: the whole template)."""
        self._force_next = True
        return self

    def _from(self, template: str | None, image: str | None, registry: dict[str, str] | None = None) -> TemplateBuilder:
        self._base_template, self._base_image, self._registry = template, image, registry
        if self._force_next:
            self._force = True
        return TemplateBuilder(self)

    def from_template(self, template: str) -> TemplateBuilder:
        """Start from a hutch template: ``base``, ``nodejs``, ``go`` or one of yours (ID or alias)."""
        return self._from(template, None)

    def from_base_image(self) -> TemplateBuilder:
        """Start from ``base`` (E2B's ``e2bdev/base`` here)."""
        return self._from("base", None)

    def from_image(self, image: str, username: str | None = None, password: str | None = None) -> TemplateBuilder:
        """Start from an OCI image, pulled by the server from a registry it allows; the image needs a
        ``python3`` (the hutch agent is a Python program). ``username`` and ``password`` (or a token) log
        in to its registry for the pull; the server neither stores nor logs them."""
        if username is None and password is None:
            return self._from(None, image)
        if not username or not password:
            raise InvalidArgumentException("give both username and password to log in to the image's registry")
        return self._from(None, image, {"type": "registry", "username": username, "password": password})

    def from_gcp_registry(self, image: str, service_account_json: str | dict[str, Any]) -> TemplateBuilder:
        """Start from an image in Google's Artifact Registry (or Container Registry), logged in with a
        service account's JSON key: a dict, or the path of its file (relative to the file context)."""
        if isinstance(service_account_json, dict):
            key = json.dumps(service_account_json)
        else:
            key = (self._context / service_account_json).read_text(encoding="utf-8")
        return self._from(None, image, {"type": "gcp", "serviceAccountJson": key})

    def from_debian_image(self, variant: str = "stable") -> TemplateBuilder:
        return self.from_image(f"debian:{variant}")

    def from_ubuntu_image(self, variant: str = "latest") -> TemplateBuilder:
        return self.from_image(f"ubuntu:{variant}")

    def from_python_image(self, version: str = "3") -> TemplateBuilder:
        return self.from_image(f"python:{version}")

    def from_node_image(self, variant: str = "lts") -> TemplateBuilder:
        return self.from_image(f"node:{variant}")

    def from_dockerfile(self, dockerfile_content_or_path: str) -> TemplateBuilder:
        """Steps from a Dockerfile (its content, or a path to one): FROM, RUN, COPY/ADD of local files,
        ENV, ARG, WORKDIR, USER, CMD/ENTRYPOINT (the start command). Any other instruction is an
        ``InvalidArgumentException`` naming its line."""
        from hutch._features.dockerfile import parse_dockerfile

        builder = TemplateBuilder(self)
        text = dockerfile_content_or_path
        if "\n" not in text and Path(text).is_file():
            text = Path(text).read_text()
        kind, ref = parse_dockerfile(text, builder)
        self._base_template, self._base_image, self._registry = (
            (ref, None, None) if kind == "template" else (None, ref, None)
        )
        return builder

    def _step(self, step: dict[str, Any]) -> None:
        if self._force_next:
            step["force"] = True
            self._force_next = False
        self._steps.append(step)


class TemplateBuilder:
    """The steps of a template; every method returns the builder, so calls chain."""

    def __init__(self, template: TemplateBase) -> None:
        self._template = template

    def _add(self, step: dict[str, Any]) -> TemplateBuilder:
        self._template._step(step)
        return self

    def run_cmd(self, command: str | list[str], user: str | None = None) -> TemplateBuilder:
        """Run a shell command (a list is joined with ``&&``) as ``user`` (the current user by default)."""
        cmd = command if isinstance(command, str) else " && ".join(command)
        return self._add({"type": "run", "cmd": cmd, **({"user": _user(user)} if user else {})})

    def copy(
        self,
        src: str | Path | list[str | Path],
        dest: str | Path,
        force_upload: Literal[True] | None = None,
        user: str | None = None,
        mode: int | None = None,
        resolve_symlinks: bool | None = None,
    ) -> TemplateBuilder:
        """Copy local files or folders (relative to the file context; globs allowed) to ``dest``. A folder's
        contents land in ``dest``; one file lands at ``dest`` itself unless it ends with ``/``."""
        step: dict[str, Any] = {"type": "copy", "src": _list(src), "dest": str(dest), "links": bool(resolve_symlinks)}
        if user:
            step["user"] = _user(user)
        if mode is not None:
            step["mode"] = mode
        if force_upload:
            step["force"] = True
        return self._add(step)

    def set_workdir(self, workdir: str | Path) -> TemplateBuilder:
        """The working directory of later steps and of the start command (made if missing)."""
        return self._add({"type": "workdir", "path": str(workdir)})

    def set_user(self, user: str) -> TemplateBuilder:
        """The user of later steps and of the start command: ``user`` or ``root``."""
        return self._add({"type": "user", "user": _user(user)})

    def set_envs(self, envs: Mapping[str, str]) -> TemplateBuilder:
        """Environment variables for later steps and for every sandbox of the template."""
        return self._add({"type": "env", "envs": dict(envs)}) if envs else self

    def apt_install(
        self, packages: str | list[str], no_install_recommends: bool = False, fix_missing: bool = False
    ) -> TemplateBuilder:
        """Install Debian packages (as root)."""
        flags = ("--no-install-recommends " if no_install_recommends else "") + (
            "--fix-missing " if fix_missing else ""
        )
        names = " ".join(shlex.quote(p) for p in _list(packages))
        return self.run_cmd(
            [
                "apt-get update",
                f"DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y {flags}{names}",
            ],
            user="root",
        )

    def pip_install(self, packages: str | list[str] | None = None, g: bool = True) -> TemplateBuilder:
        """pip install (as root for the whole system; ``g=False``: for the current user only)."""
        args = ["pip", "install", *([] if g else ["--user"]), *(shlex.quote(p) for p in _list(packages or "."))]
        return self.run_cmd(" ".join(args), user="root" if g else None)

    def npm_install(
        self, packages: str | list[str] | None = None, g: bool | None = False, dev: bool | None = False
    ) -> TemplateBuilder:
        """npm install (``g``: globally, as root)."""
        names = [shlex.quote(p) for p in _list(packages)] if packages else []
        args = ["npm", "install", *(["-g"] if g else []), *(["--save-dev"] if dev else []), *names]
        return self.run_cmd(" ".join(args), user="root" if g else None)

    def git_clone(
        self, url: str, path: str | Path | None = None, branch: str | None = None, depth: int | None = None,
        user: str | None = None,
    ) -> TemplateBuilder:  # fmt: skip
        args = ["git", "clone", shlex.quote(url)]
        if branch:
            args += ["--branch", shlex.quote(branch), "--single-branch"]
        if depth:
            args += ["--depth", str(int(depth))]
        if path:
            args.append(shlex.quote(str(path)))
        return self.run_cmd(" ".join(args), user=user)

    def make_dir(
        self, path: str | Path | list[str | Path], mode: int | None = None, user: str | None = None
    ) -> TemplateBuilder:
        flags = f"-m {mode:o} " if mode is not None else ""
        return self.run_cmd(f"mkdir -p {flags}" + " ".join(shlex.quote(p) for p in _list(path)), user=user)

    def remove(
        self, path: str | Path | list[str | Path], force: bool = False, recursive: bool = False, user: str | None = None
    ) -> TemplateBuilder:
        flags = ("-r " if recursive else "") + ("-f " if force else "")
        return self.run_cmd(f"rm {flags}" + " ".join(shlex.quote(p) for p in _list(path)), user=user)

    def rename(
        self, src: str | Path, dest: str | Path, force: bool = False, user: str | None = None
    ) -> TemplateBuilder:
        return self.run_cmd(f"mv {'-f ' if force else ''}{shlex.quote(str(src))} {shlex.quote(str(dest))}", user=user)

    def make_symlink(self, src: str | Path, dest: str | Path, user: str | None = None) -> TemplateBuilder:
        return self.run_cmd(f"ln -s {shlex.quote(str(src))} {shlex.quote(str(dest))}", user=user)

    def skip_cache(self) -> TemplateBuilder:
        """Run every following step again, cached or not."""
        self._template._force_next = True
        return self

    def set_start_cmd(self, start_cmd: str, ready_cmd: str | ReadyCmd | None = None) -> TemplateFinal:
        """A command started in every new sandbox of the template; ``create`` returns once ``ready_cmd``
        exits 0 (``wait_for_port(8000)``, ``wait_for_url(...)``, ...)."""
        self._template._start_cmd = start_cmd
        if ready_cmd is not None:
            self._template._ready_cmd = ready_cmd.get_cmd() if isinstance(ready_cmd, ReadyCmd) else ready_cmd
        return TemplateFinal(self._template)

    def set_ready_cmd(self, ready_cmd: str | ReadyCmd) -> TemplateFinal:
        self._template._ready_cmd = ready_cmd.get_cmd() if isinstance(ready_cmd, ReadyCmd) else ready_cmd
        return TemplateFinal(self._template)


class TemplateFinal:
    """A template whose start command is set: it can only be built."""

    def __init__(self, template: TemplateBase) -> None:
        self._template = template


TemplateClass = TemplateBase | TemplateBuilder | TemplateFinal


def _user(user: str) -> str:
    if user not in USERS:
        raise InvalidArgumentException(f"hutch sandboxes have the users 'user' and 'root', not {user!r}")
    return user


def _base_of(template: TemplateClass) -> TemplateBase:
    return template if isinstance(template, TemplateBase) else template._template


# ---------------------------------------------------------------------- what is sent


@dataclass
class Upload:
    files_hash: str
    data: bytes


def serialize(template: TemplateClass, name: str | None, opts: BuildOptions) -> tuple[dict[str, Any], list[Upload]]:
    """The ``buildTemplate`` body and the file uploads it needs."""
    alias, tags, skip_cache = name or opts.get("alias"), opts.get("tags"), opts.get("skip_cache", False)
    cpu_count, memory_mb = opts.get("cpu_count"), opts.get("memory_mb")
    base = _base_of(template)
    uploads: list[Upload] = []
    steps: list[dict[str, Any]] = []
    for step in base._steps:
        if step["type"] != "copy":
            steps.append(step)
            continue
        dest_dir, data = pack(base._context, step["src"], step["dest"], base._ignore, step["links"])
        files_hash = hashlib.sha256(data).hexdigest()
        uploads.append(Upload(files_hash, data))
        keep = {k: v for k, v in step.items() if k in ("user", "mode", "force")}
        steps.append({"type": "copy", "dest": dest_dir, "filesHash": files_hash, **keep})
    body: dict[str, Any] = {"steps": steps}
    if base._base_image is not None:
        body["fromImage"] = base._base_image
        if base._registry is not None:
            body["fromImageRegistry"] = base._registry
    elif base._base_template not in (None, "base"):
        body["fromTemplate"] = base._base_template
    for key, value in (("alias", alias), ("startCmd", base._start_cmd), ("readyCmd", base._ready_cmd),
                       ("cpuCount", cpu_count), ("memoryMB", memory_mb)):  # fmt: skip
        if value is not None:
            body[key] = value
    if tags:
        body["tags"] = list(tags)
    if skip_cache or base._force:
        body["skipCache"] = True
    return body, uploads


def _ignored(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p.strip("/")) or fnmatch.fnmatch(rel, p.strip("/") + "/*") for p in patterns)


def _ignore_patterns(context: Path, extra: list[str]) -> list[str]:
    dockerignore = context / ".dockerignore"
    lines = dockerignore.read_text().splitlines() if dockerignore.is_file() else []
    return [line.strip() for line in [*lines, *extra] if line.strip() and not line.startswith("#")]


def pack(context: Path, sources: list[str], dest: str, ignore: list[str], links: bool) -> tuple[str, bytes]:
    """A deterministic gzipped tar of ``sources`` laid out as they land in the returned directory."""
    patterns = _ignore_patterns(context, ignore)
    matched: list[Path] = []
    for src in sources:
        if os.path.isabs(src) or ".." in PurePosixPath(src).parts:
            raise InvalidArgumentException(f"copy sources are paths inside the file context ({context}), not {src!r}")
        found = sorted(context.glob(src)) if any(c in src for c in "*?[") else [context / src]
        if not found or not all(p.exists() for p in found):
            raise InvalidArgumentException(f"copy source {src!r} does not exist in {context}")
        matched += found
    single_file = len(matched) == 1 and matched[0].is_file() and not dest.endswith("/")
    target = PurePosixPath(dest)
    dest_dir = str(target.parent) if single_file else dest.rstrip("/") or "/"
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.dereference = links
        for path in matched:
            if single_file:
                _add(tar, path, target.name)
            elif path.is_dir():
                for sub in sorted(path.rglob("*")):
                    rel = sub.relative_to(path).as_posix()
                    if not _ignored(sub.relative_to(context).as_posix(), patterns):
                        _add(tar, sub, rel)
            elif not _ignored(path.relative_to(context).as_posix(), patterns):
                _add(tar, path, path.name)
    return dest_dir, buf.getvalue()


def _add(tar: tarfile.TarFile, path: Path, name: str) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isfile():
        with open(path, "rb") as f:
            tar.addfile(info, f)
    else:
        tar.addfile(info)


# ---------------------------------------------------------------------- calls


def _log_entry(raw: Any) -> LogEntry:
    return LogEntry(timestamp=raw.timestamp, level=str(raw.level.value if isinstance(raw.level, Enum) else raw.level),  # type: ignore[arg-type]
                    message=raw.message)  # fmt: skip


def _status(b: ApiBuild) -> TemplateBuildStatusResponse:
    entries = [_log_entry(e) for e in b.log_entries]
    r = opt(b.reason)
    reason = None
    if r is not None:
        reason = BuildStatusReason(message=r.message, step=opt(r.step), exit_code=opt(r.exit_code),
                                   output_tail=opt(r.output_tail))  # fmt: skip
    return TemplateBuildStatusResponse(
        build_id=b.build_id, template_id=b.template_id, status=TemplateBuildStatus(str(b.status)),
        log_entries=entries, logs=[e.message for e in entries], reason=reason, steps_done=b.steps_done,
        steps_total=b.steps_total, logs_offset=b.logs_offset,
    )  # fmt: skip


def _info(t: ApiTemplate) -> TemplateInfo:
    return TemplateInfo(
        template_id=t.template_id, kind=t.kind, ready=t.ready, created_at=t.created_at,
        aliases=list(opt(t.aliases) or []), description=opt(t.description), size_bytes=opt(t.size_bytes),
        cpu_count=opt(t.cpu_count), memory_mb=opt(t.memory_mb), start_cmd=opt(t.start_cmd),
        ready_cmd=opt(t.ready_cmd), build_id=opt(t.build_id), tags=list(opt(t.tags) or []),
        warm_sandboxes=opt(t.warm_sandboxes) or 0,
    )  # fmt: skip


def upload(files: Upload) -> Op[bool]:
    kwargs = build(upload_template_files, files.files_hash, body=STREAMED)
    data = files.data
    return Op(kwargs, true, body=Body(produce=lambda: data, length=len(data), replayable=True), idempotent=True)


def start_build(body: dict[str, Any]) -> Op[BuildInfo]:
    kwargs = build(build_template, body=TemplateBuildRequest.from_dict(body))
    alias = str(body.get("alias") or "")

    def info(s: TemplateBuildStarted) -> BuildInfo:
        return BuildInfo(template_id=s.template_id, build_id=s.build_id, name=alias or s.template_id,
                         alias=alias or s.template_id)  # fmt: skip

    return Op(kwargs, model(TemplateBuildStarted.from_dict, info))


def build_status(template_id: str, build_id: str, logs_offset: int | None) -> Op[TemplateBuildStatusResponse]:
    kwargs = build(get_template_build, template_id, build_id, logs_offset=logs_offset or 0)
    return Op(kwargs, model(ApiBuild.from_dict, _status))


def list_all() -> Op[list[TemplateInfo]]:
    return Op(build(list_templates), models(ApiTemplate.from_dict, _info))


def get(template_id: str) -> Op[TemplateInfo]:
    return Op(build(get_template, template_id), model(ApiTemplate.from_dict, _info))


def delete(template_id: str) -> Op[bool]:
    return Op(build(delete_template, template_id), true, answers={404: False})


def alias_exists(alias: str) -> Op[bool]:
    return Op(build(get_template_alias, alias), true, NotFoundException, answers={404: False})
