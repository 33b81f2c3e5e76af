"""Git (``sbx.git``, E2B's Git API) as shell commands run with ``commands.run`` (sans-I/O).

Each operation is a :class:`GitCall`: one shell-quoted command line, plus the credentials to feed on
its stdin. Credentials never appear on a command line (``bash -c``'s argv is visible in ``ps``) nor
in ``.git/config``: the command reads them from stdin into its environment, and a one-off credential
helper (``git -c credential.helper=...``) hands them to git. The parsers turn ``git status`` and
``git branch`` output into :class:`GitStatus` / :class:`GitBranches`; :func:`failure` maps a failed
clone, push or pull onto :class:`~hutch.exceptions.GitAuthException` /
:class:`~hutch.exceptions.GitUpstreamException`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from hutch._core import checks
from hutch._features.commands import RunOptions
from hutch.exceptions import (
    CommandExitException,
    GitAuthException,
    GitUpstreamException,
    InvalidArgumentException,
    SandboxException,
)

__all__ = ["GitBranches", "GitFileStatus", "GitOptions", "GitResetMode", "GitStatus"]

GitResetMode = Literal["soft", "mixed", "hard", "merge", "keep"]
"""The modes of ``git.reset``."""

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0"}
"""Every git command runs with prompts off: a missing credential fails instead of hanging."""


class GitOptions(TypedDict, total=False):
    """Keywords every ``sbx.git`` method takes (as E2B's): how the git command is run."""

    envs: Mapping[str, str] | None
    """Extra environment variables for the git command."""
    user: str | None
    """The sandbox user to run git as (default ``"user"``)."""
    cwd: str | None
    """Working directory of the git command (relative repository paths start there)."""
    timeout: float | None
    """Seconds after which the git command is killed (default 60; 0 = none)."""
    request_timeout: float | None
    """Seconds for the request that starts the command."""


# ---------------------------------------------------------------- results


@dataclass
class GitFileStatus:
    """One changed file in ``git status``."""

    name: str
    """Its path relative to the repository root."""
    status: str
    """``modified``, ``added``, ``deleted``, ``renamed``, ``copied``, ``typechange``, ``untracked``,
    ``conflict`` or ``unknown``."""
    index_status: str
    """The index column of porcelain status (``" "`` when unchanged)."""
    working_tree_status: str
    """The working-tree column of porcelain status."""
    staged: bool
    """Whether the index holds a change of it."""
    renamed_from: str | None = None
    """The old path of a renamed or copied file."""


@dataclass
class GitStatus:
    """A repository's branch and changed files (``git status``)."""

    current_branch: str | None
    upstream: str | None
    ahead: int
    behind: int
    detached: bool
    file_status: list[GitFileStatus] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        """No tracked change and no untracked file."""
        return not self.file_status

    @property
    def has_changes(self) -> bool:
        return bool(self.file_status)

    @property
    def has_staged(self) -> bool:
        return any(f.staged for f in self.file_status)

    @property
    def has_untracked(self) -> bool:
        return self.untracked_count > 0

    @property
    def has_conflicts(self) -> bool:
        return self.conflict_count > 0

    @property
    def total_count(self) -> int:
        return len(self.file_status)

    @property
    def staged_count(self) -> int:
        return sum(f.staged for f in self.file_status)

    @property
    def unstaged_count(self) -> int:
        return sum(not f.staged for f in self.file_status)

    @property
    def untracked_count(self) -> int:
        return sum(f.status == "untracked" for f in self.file_status)

    @property
    def conflict_count(self) -> int:
        return sum(f.status == "conflict" for f in self.file_status)


@dataclass
class GitBranches:
    """A repository's local branches."""

    branches: list[str]
    current_branch: str | None


# ---------------------------------------------------------------- calls


@dataclass(frozen=True)
class GitCall:
    """One git operation: its shell command and what to feed on its stdin."""

    cmd: str
    secret: str | None = None
    """``username\\npassword\\n`` for the command to read (None: stdin is not used)."""
    action: str | None = None
    """``clone``, ``push`` or ``pull``: its failures are classified by :func:`failure`."""
    missing_password: bool = False


def run_options(call: GitCall, opts: GitOptions) -> RunOptions:
    """The ``commands.run`` keywords for ``call``: git's environment plus the caller's settings."""
    checks.known_keys(opts, GitOptions, "git")
    out = RunOptions(envs={**GIT_ENV, **(checks.str_dict(opts.get("envs"), "envs") or {})})
    if (user := opts.get("user")) is not None:
        out["user"] = user
    if (cwd := opts.get("cwd")) is not None:
        out["cwd"] = cwd
    if (timeout := opts.get("timeout")) is not None:
        out["timeout"] = timeout
    if (request_timeout := opts.get("request_timeout")) is not None:
        out["request_timeout"] = request_timeout
    if call.secret is not None:
        out["stdin"] = True
    return out


def git(args: Sequence[str], path: str | None = None) -> str:
    """``git [-C path] args...``, every word quoted for bash."""
    words = ["git", *(["-C", _text(path, "path")] if path is not None else []), *args]
    return shlex.join(words)


# Reads the credentials from stdin into the environment, where the one-off helper below finds them.
_READ_SECRET = (
    "IFS= read -r HUTCH_GIT_USERNAME && IFS= read -r HUTCH_GIT_PASSWORD && "
    "export HUTCH_GIT_USERNAME HUTCH_GIT_PASSWORD && "
)
_HELPER = (
    '!f() { test "$1" = get && '
    'printf \'username=%s\\npassword=%s\\n\' "$HUTCH_GIT_USERNAME" "$HUTCH_GIT_PASSWORD"; }; f'
)
# An empty helper first: git then asks only this one, not a helper configured globally.
_WITH_HELPER = ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentException(f"{what} must be a non-empty string, not {value!r}")
    if "\x00" in value:
        raise InvalidArgumentException(f"{what} must not contain NUL")
    return value


def _texts(values: Sequence[str] | None, what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidArgumentException(f"{what} must be a list of strings, not {values!r}")
    return [_text(v, what) for v in values]


def _secret(username: str | None, password: str | None, action: str) -> str | None:
    """The stdin of an authenticated operation, or None when no credentials are given."""
    if password and not username:
        raise InvalidArgumentException(f"Username is required when using a password or token for git {action}.")
    if not username:
        return None
    for value, what in ((username, "username"), (password or "", "password")):
        if not isinstance(value, str) or "\n" in value or "\r" in value or "\x00" in value:
            raise InvalidArgumentException(f"git {what} must be a string without newlines or NUL")
    return f"{username}\n{password or ''}\n"


def _authenticated(args: list[str], path: str | None, secret: str | None, action: str, missing: bool) -> GitCall:
    if secret is None:
        return GitCall(git(args, path), action=action, missing_password=missing)
    head = ["git", *(["-C", path] if path is not None else []), *_WITH_HELPER]
    return GitCall(_READ_SECRET + shlex.join([*head, *args]), secret, action, missing)


def repo_dir_of(url: str) -> str:
    """The directory ``git clone URL`` makes: the URL's last path part without ``.git``."""
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = tail[:-4] if tail.endswith(".git") else tail
    if not name:
        raise InvalidArgumentException(f"cannot tell the repository directory from {url!r}; pass path=")
    return name


def clone(
    url: str,
    path: str | None,
    branch: str | None,
    depth: int | None,
    username: str | None,
    password: str | None,
    store: bool,
) -> GitCall:
    _text(url, "url")
    secret = _secret(username, password, "clone")
    if secret is not None and urlsplit(url).scheme not in ("http", "https"):
        raise InvalidArgumentException("Only http(s) Git URLs support username/password credentials.")
    args = ["clone"]
    if branch is not None:
        args += ["--branch", _text(branch, "branch"), "--single-branch"]
    if depth is not None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise InvalidArgumentException(f"depth must be a positive int, not {depth!r}")
        args += ["--depth", str(depth)]
    args += ["--", url] + ([_text(path, "path")] if path is not None else [])
    call = _authenticated(args, None, secret, "clone", bool(username) and not password)
    if not (store and secret is not None):
        return call
    # dangerously_store_credentials: the repository's own credential store (``.git/credentials``,
    # mode 0600, written by git-credential-store from stdin), used by later push and pull there.
    repo = shlex.quote(path if path is not None else repo_dir_of(url))
    keep = (
        f" && d=$(git -C {repo} rev-parse --absolute-git-dir)"
        f' && git -C {repo} config --local credential.helper "store --file=\\"$d/credentials\\""'
        f" && printf 'url=%s\\nusername=%s\\npassword=%s\\n\\n' {shlex.quote(url)}"
        ' "$HUTCH_GIT_USERNAME" "$HUTCH_GIT_PASSWORD" | git credential-store --file="$d/credentials" store'
    )
    return GitCall(call.cmd + keep, call.secret, call.action, call.missing_password)


def init(path: str, bare: bool, initial_branch: str | None) -> GitCall:
    args = ["init"] + (["--bare"] if bare else [])
    if initial_branch is not None:
        args += ["--initial-branch", _text(initial_branch, "initial_branch")]
    return GitCall(git([*args, "--", _text(path, "path")]))


def remote_add(path: str, name: str, url: str, fetch: bool, overwrite: bool) -> GitCall:
    name, url = _text(name, "remote name"), _text(url, "remote url")
    add = git(["remote", "add", "--", name, url], path)
    if overwrite:
        exists = git(["remote", "get-url", "--", name], path)
        add = f"if {exists} >/dev/null 2>&1; then {git(['remote', 'set-url', '--', name, url], path)}; else {add}; fi"
    return GitCall(f"{add} && {git(['fetch', '--', name], path)}" if fetch else add)


def remote_get(path: str, name: str) -> GitCall:
    return GitCall(git(["remote", "get-url", "--", _text(name, "remote name")], path))


REMOTE_MISSING = 2
"""``git remote get-url`` exits with 2 when there is no such remote (128: not a repository)."""


def status(path: str) -> GitCall:
    return GitCall(git(["status", "--porcelain=v1", "--branch", "-z"], path))


def branches(path: str) -> GitCall:
    return GitCall(git(["branch", "--list", "--format=%(HEAD)%(refname)"], path))


def create_branch(path: str, branch: str) -> GitCall:
    return GitCall(git(["checkout", "-b", _text(branch, "branch")], path))


def checkout_branch(path: str, branch: str) -> GitCall:
    return GitCall(git(["checkout", _text(branch, "branch"), "--"], path))


def delete_branch(path: str, branch: str, force: bool) -> GitCall:
    return GitCall(git(["branch", "-D" if force else "-d", "--", _text(branch, "branch")], path))


def add(path: str, files: Sequence[str] | None, all: bool) -> GitCall:
    names = _texts(files, "files")
    return GitCall(git(["add", "--", *names] if names else ["add", "-A" if all else "."], path))


def commit(path: str, message: str, author_name: str | None, author_email: str | None, allow_empty: bool) -> GitCall:
    if not isinstance(message, str) or "\x00" in message:
        raise InvalidArgumentException(f"message must be a string without NUL, not {message!r}")
    author = []
    if author_name is not None:
        author += ["-c", f"user.name={_text(author_name, 'author_name')}"]
    if author_email is not None:
        author += ["-c", f"user.email={_text(author_email, 'author_email')}"]
    args = [*author, "commit", "-m", message] + (["--allow-empty"] if allow_empty else [])
    return GitCall(git(args, path))


_RESET_MODES = ("soft", "mixed", "hard", "merge", "keep")


def reset(path: str, mode: str | None, target: str | None, paths: Sequence[str] | None) -> GitCall:
    if mode is not None and mode not in _RESET_MODES:
        raise InvalidArgumentException(f"Reset mode must be one of {', '.join(_RESET_MODES)}.")
    args = ["reset"] + ([f"--{mode}"] if mode else []) + ([_text(target, "target")] if target is not None else [])
    names = _texts(paths, "paths")
    return GitCall(git(args + (["--", *names] if names else []), path))


def restore(path: str, paths: Sequence[str], staged: bool | None, worktree: bool | None, source: str | None) -> GitCall:
    names = _texts(paths, "paths")
    if not names:
        raise InvalidArgumentException("At least one path is required.")
    if staged is None and worktree is None:
        worktree = True  # git's own default: the working tree only
    staged, worktree = bool(staged), bool(worktree)
    if not staged and not worktree:
        raise InvalidArgumentException("At least one of staged or worktree must be true.")
    args = ["restore"] + (["--worktree"] if worktree else []) + (["--staged"] if staged else [])
    if source is not None:
        args += ["--source", _text(source, "source")]
    return GitCall(git([*args, "--", *names], path))


def push(
    path: str,
    remote: str | None,
    branch: str | None,
    set_upstream: bool,
    username: str | None,
    password: str | None,
) -> GitCall:
    secret = _secret(username, password, "push")
    args = ["push"]
    if set_upstream and remote:
        args.append("--set-upstream")
    args += [_text(remote, "remote")] if remote else []
    args += [_text(branch, "branch")] if branch else []
    return _authenticated(args, path, secret, "push", bool(username) and not password)


def pull(path: str, remote: str | None, branch: str | None, username: str | None, password: str | None) -> GitCall:
    secret = _secret(username, password, "pull")
    if branch and not remote:
        raise InvalidArgumentException("Pass remote= together with branch= for git pull.")
    args = ["pull"] + ([_text(remote, "remote")] if remote else []) + ([_text(branch, "branch")] if branch else [])
    return _authenticated(args, path, secret, "pull", bool(username) and not password)


def _scope(scope: str, path: str | None) -> tuple[str, str | None]:
    name = scope.strip().lower() if isinstance(scope, str) else scope
    if name not in ("global", "local", "system"):
        raise InvalidArgumentException("Git config scope must be one of: global, local, system.")
    if name == "local" and not path:
        raise InvalidArgumentException("Repository path is required when scope is local.")
    return f"--{name}", path if name == "local" else None


def set_config(key: str, value: str, scope: str, path: str | None) -> GitCall:
    flag, repo = _scope(scope, path)
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidArgumentException(f"value must be a string without NUL, not {value!r}")
    return GitCall(git(["config", flag, "--", _text(key, "Git config key"), value], repo))


def get_config(key: str, scope: str, path: str | None) -> GitCall:
    flag, repo = _scope(scope, path)
    return GitCall(git(["config", flag, "--get", "--", _text(key, "Git config key")], repo))


CONFIG_UNSET = 1
"""``git config --get`` exits with 1 when the key is not set."""


def authenticate(username: str, password: str, host: str, protocol: str) -> GitCall:
    """Store credentials in the user's git credential store (``~/.git-credentials``), E2B's
    ``dangerously_authenticate``: the global helper becomes ``store``, fed from stdin."""
    if not username or not password:
        raise InvalidArgumentException("Both username and password are required to authenticate git.")
    secret = _secret(username, password, "authenticate")
    fields = {"protocol": protocol.strip() or "https", "host": host.strip() or "github.com"}
    for what, value in fields.items():
        if "\n" in _text(value, what):
            raise InvalidArgumentException(f"{what} must not contain newlines")
    target = f"protocol={fields['protocol']}\nhost={fields['host']}"
    approve = (
        f"printf '%s\\nusername=%s\\npassword=%s\\n\\n' {shlex.quote(target)}"
        ' "$HUTCH_GIT_USERNAME" "$HUTCH_GIT_PASSWORD" | git credential approve'
    )
    cmd = f"{_READ_SECRET}{git(['config', '--global', 'credential.helper', 'store'])} && {approve}"
    return GitCall(cmd, secret)


# ---------------------------------------------------------------- failures

_AUTH = (
    "authentication failed",
    "terminal prompts disabled",
    "could not read username",
    "could not read password",
    "invalid username or password",
    "access denied",
    "permission denied",
    "not authorized",
    "http basic: access denied",
)
_UPSTREAM = (
    "no upstream branch",
    "no upstream configured",
    "no tracking information",
    "set the remote as upstream",
    "set the upstream branch",
    "please specify which branch you want to merge with",
)


def failure(call: GitCall, exc: CommandExitException) -> SandboxException | None:
    """The Git exception a failed clone/push/pull stands for, or None (re-raise ``exc``)."""
    if call.action is None:
        return None
    text = f"{exc.stderr}\n{exc.stdout}".lower()
    if any(s in text for s in _AUTH):
        what = "a password/token" if call.missing_password else "credentials"
        return GitAuthException(f"Git {call.action} requires {what} for private repositories.")
    if call.action in ("push", "pull") and any(s in text for s in _UPSTREAM):
        if call.action == "push":
            hint = "Set upstream once with set_upstream=True (and remote/branch), or pass remote and branch."
        else:
            hint = "Pass remote and branch explicitly, or set upstream once (push with set_upstream=True)."
        return GitUpstreamException(f"Git {call.action} failed because no upstream branch is configured. {hint}")
    return None


# ---------------------------------------------------------------- parsing


def _status_label(x: str, y: str) -> str:
    both = {x, y}
    if "U" in both or x == y == "A" or x == y == "D":
        return "conflict"
    for code, label in (("R", "renamed"), ("C", "copied"), ("D", "deleted"), ("A", "added"), ("M", "modified")):
        if code in both:
            return label
    if "T" in both:
        return "typechange"
    return "untracked" if "?" in both else "unknown"


def _branch_line(line: str) -> tuple[str | None, str | None, int, int, bool]:
    head, _, track = line.partition(" [")
    ahead = behind = 0
    for part in track.rstrip("]").split(", ") if track else []:
        word, _, count = part.partition(" ")
        if word == "ahead" and count.isdigit():
            ahead = int(count)
        elif word == "behind" and count.isdigit():
            behind = int(count)
    for prefix in ("No commits yet on ", "Initial commit on "):
        if head.startswith(prefix):
            return head[len(prefix) :] or None, None, ahead, behind, False
    if head.startswith("HEAD (") or head == "HEAD":
        return None, None, ahead, behind, True
    branch, _, upstream = head.partition("...")
    return branch or None, upstream or None, ahead, behind, False


def parse_status(output: str) -> GitStatus:
    """``git status --porcelain=v1 --branch -z`` as a :class:`GitStatus`."""
    entries = output.split("\x00")
    result = GitStatus(None, None, 0, 0, False)
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if entry.startswith("## "):
            branch, upstream, ahead, behind, detached = _branch_line(entry[3:])
            result.current_branch, result.upstream, result.detached = branch, upstream, detached
            result.ahead, result.behind = ahead, behind
            continue
        if len(entry) < 4:
            continue
        x, y, name = entry[0], entry[1], entry[3:]
        renamed_from = None
        if "R" in (x, y) or "C" in (x, y):  # -z: the old path follows as its own entry
            renamed_from = entries[i] if i < len(entries) else None
            i += 1
        staged = x not in (" ", "?", "!")
        result.file_status.append(GitFileStatus(name, _status_label(x, y), x, y, staged, renamed_from))
    return result


def parse_branches(output: str) -> GitBranches:
    """``git branch --format=%(HEAD)%(refname)`` as :class:`GitBranches` (local branches only)."""
    names: list[str] = []
    current = None
    for line in output.splitlines():
        mark, ref = line[:1], line[1:]
        if not ref.startswith("refs/heads/"):
            continue  # "(HEAD detached at ...)"
        name = ref[len("refs/heads/") :]
        names.append(name)
        if mark == "*":
            current = name
    return GitBranches(names, current)
