"""Dockerfiles as Template steps: the instructions a single-stage build of local files needs.

FROM names a hutch template when it is a bare name (``base``, ``nodejs``, an alias of yours) and an
OCI image when it has a tag, digest or registry (``python:3.12-slim``, ``registry:5000/app``). RUN,
COPY/ADD of local files (``--chown``, ``--chmod``), ENV, ARG (with ``${NAME}`` substitution),
WORKDIR, USER and CMD/ENTRYPOINT (together, the start command) are steps. Anything else is refused
with its line number: silently leaving out a HEALTHCHECK or an ADD of a URL would build something
other than what the file says.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import TYPE_CHECKING

from hutch.exceptions import InvalidArgumentException

if TYPE_CHECKING:
    from hutch._features.templates import TemplateBuilder

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
SUPPORTED = ("FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER", "CMD", "ENTRYPOINT")


class DockerfileError(InvalidArgumentException):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Dockerfile line {line}: {message}")
        self.line = line


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[int, str, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        name, _, args = full.partition(" ")
        out.append((start, name.upper(), args.strip()))
    if pending:
        raise DockerfileError(start, "the file ends inside a line continuation")
    return out


def _exec_or_shell(args: str) -> str:
    """A JSON (exec form) list as one shell command line; the shell form as it is."""
    if args.startswith("["):
        try:
            words = json.loads(args)
        except ValueError:
            return args
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return shlex.join(words)
    return args


def parse_dockerfile(text: str, builder: TemplateBuilder) -> tuple[str, str]:
    """Add the Dockerfile's steps to ``builder``; returns its base as ("template" | "image", name)."""
    variables: dict[str, str] = {}
    args_seen: set[str] = set()

    def expand(value: str) -> str:
        return _VAR.sub(lambda m: variables.get(m.group(1) or m.group(3), m.group(2) or ""), value)

    base: tuple[str, str] | None = None
    user_changed = workdir_changed = False
    entrypoint = cmd = ""
    for line, name, args in _instructions(text):
        if name not in SUPPORTED:
            raise DockerfileError(
                line, f"{name} is not supported by hutch templates (supported: {', '.join(SUPPORTED)})"
            )
        if name == "ARG":
            key, _, default = args.partition("=")
            variables.setdefault(key.strip(), default.strip().strip('"'))
            args_seen.add(key.strip())
            continue
        if name == "FROM":
            if base is not None:
                raise DockerfileError(line, "multi-stage Dockerfiles (a second FROM) are not supported")
            words = expand(args).split()
            if not words or words[0].startswith("--") or len(words) not in (1, 3):
                raise DockerfileError(line, "FROM takes an image or template name (and optionally AS name)")
            ref = words[0]
            base = ("image", ref) if any(c in ref for c in "/:@") else ("template", ref)
            builder.set_user("root").set_workdir("/")  # Docker's defaults while building
            continue
        if base is None:
            raise DockerfileError(line, f"{name} comes before FROM")
        if name == "RUN":  # the shell expands its variables; ARGs are in its environment, as in Docker
            given = "".join(f"{k}={shlex.quote(v)} " for k, v in variables.items() if k in args_seen)
            builder.run_cmd(f"export {given.strip()}; {_exec_or_shell(args)}" if given else _exec_or_shell(args))
        elif name in ("COPY", "ADD"):
            _copy(builder, line, name, expand(args))
        elif name == "ENV":
            builder.set_envs(_env_pairs(line, expand(args)))
            variables.update(_env_pairs(line, expand(args)))
        elif name == "WORKDIR":
            builder.set_workdir(expand(args))
            workdir_changed = True
        elif name == "USER":
            try:
                builder.set_user(expand(args).split(":")[0])
            except InvalidArgumentException as e:
                raise DockerfileError(line, str(e)) from None
            user_changed = True
        elif name == "ENTRYPOINT":
            entrypoint = _exec_or_shell(args)
        else:
            cmd = _exec_or_shell(args)
    if base is None:
        raise DockerfileError(1, "the Dockerfile has no FROM")
    start = " ".join(part for part in (entrypoint, cmd) if part)
    if not user_changed:
        builder.set_user("user")
    if not workdir_changed:
        builder.set_workdir("/home/user")
    if start:
        builder.set_start_cmd(start)
    return base


def _env_pairs(line: int, args: str) -> dict[str, str]:
    words = shlex.split(args)
    if len(words) >= 2 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}  # the old `ENV NAME value` form
    pairs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise DockerfileError(line, f"ENV needs NAME=value, not {word!r}")
        pairs[key] = value
    return pairs


def _copy(builder: TemplateBuilder, line: int, name: str, args: str) -> None:
    words = json.loads(args) if args.startswith("[") else shlex.split(args)
    user: str | None = None
    mode: int | None = None
    while words and words[0].startswith("--"):
        flag, _, value = words.pop(0).partition("=")
        if flag == "--chown":
            user = value.split(":")[0]
        elif flag == "--chmod":
            try:
                mode = int(value, 8)
            except ValueError:
                raise DockerfileError(line, f"--chmod needs an octal mode, not {value!r}") from None
        else:
            raise DockerfileError(line, f"{name} {flag} is not supported (only local files, --chown and --chmod)")
    if len(words) < 2:
        raise DockerfileError(line, f"{name} needs at least one source and a destination")
    *sources, dest = words
    for src in sources:
        if "://" in src or src.startswith("git@"):
            raise DockerfileError(line, f"{name} of a URL ({src}) is not supported: only local files")
    try:
        builder.copy(list(sources), dest, user=user or "root", mode=mode)
    except InvalidArgumentException as e:
        raise DockerfileError(line, str(e)) from None
