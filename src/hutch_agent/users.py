"""Sandbox users: who a request acts as, their home, groups and login environment.

A request names one of the spec's users, `user` or `root`: the sandbox's own accounts. An agent run
on a host (the agent's integration tests) has no `user` account; it is given the host accounts those
names stand for at start (`HUTCH_AGENT_USERS`, see __main__.py and `use_accounts`). In a sandbox
nothing is mapped and each name is the account of that name.
"""

from __future__ import annotations

import os
import pwd

from .errors import HttpError

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    import subprocess
    from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_USER = "user"
_ACCOUNTS: dict[str, str] = {}  # a spec user name -> the host account it stands for (none in a sandbox)


class User:
    """A passwd entry (a plain class: `dataclasses` would add ~13 ms to the agent's start)."""

    __slots__ = ("gid", "home", "name", "shell", "uid")

    def __init__(self, name: str, uid: int, gid: int, home: str, shell: str) -> None:
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
        self.shell = shell

    @property
    def groups(self) -> list[int]:
        """Supplementary groups, as `initgroups` would set them."""
        return os.getgrouplist(self.name, self.gid)

    def login_env(self) -> dict[str, str]:
        """What login(1) would set; the sandbox's and the request's variables go on top."""
        return {
            "HOME": self.home,
            "USER": self.name,
            "LOGNAME": self.name,
            "SHELL": self.shell,
            "PATH": DEFAULT_PATH,
        }

    def resolve(self, path: str) -> str:
        """An absolute, normalised path; relative ones start at the user's home."""
        if "\0" in path:
            raise HttpError(400, "path contains a NUL byte")
        resolved = os.path.normpath(os.path.join(self.home, path))
        return "/" + resolved.lstrip("/")  # POSIX keeps a leading "//"; we never mean it

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start `argv` as this user, in a session of its own (so a signal to its group reaches all it starts)."""
        import subprocess

        return subprocess.Popen(
            argv, user=self.uid, group=self.gid, extra_groups=self.groups, start_new_session=True, **kwargs
        )

    def working_dir(self, cwd: str | None) -> str:
        """Where a process starts: `cwd` (relative to home) or home; 404 if it is not a directory."""
        workdir = self.resolve(cwd) if cwd else self.home
        if not os.path.isdir(workdir):
            raise HttpError(404, f"working directory does not exist: {workdir}")
        return workdir


def use_accounts(accounts: dict[str, str]) -> None:
    """Act for the spec's user names as the given accounts (`{"user": "alice"}`); names not given
    stay themselves."""
    _ACCOUNTS.update(accounts)


def lookup(name: str) -> User:
    """The user a request calls `name` (the account it stands for); 422 if there is no such account."""
    try:
        entry = pwd.getpwnam(_ACCOUNTS.get(name, name))
    except (KeyError, ValueError):
        raise HttpError(422, f"no such user in the sandbox: {name!r}") from None
    return User(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir or "/", entry.pw_shell or "/bin/sh")
