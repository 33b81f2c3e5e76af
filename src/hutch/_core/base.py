"""What ``Sandbox`` and ``AsyncSandbox`` share besides the I/O."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Generic, TypeVar

from hutch.types import SandboxInfo, SandboxState

A = TypeVar("A")
CM = TypeVar("CM")
FM = TypeVar("FM")
PM = TypeVar("PM")


class SubModule(Generic[A]):
    """A part of a sandbox (``commands``, ``files``, ``pty``) that talks through the sandbox's API client."""

    def __init__(self, sandbox_id: str, api: A) -> None:
        self._sandbox_id = sandbox_id
        self._api = api


class SandboxBase(Generic[A, CM, FM, PM]):
    """Identity, sub-modules and bookkeeping of a sandbox object (no I/O)."""

    default_template = "base"
    default_timeout = 300

    commands: CM
    """Run and manage processes."""
    files: FM
    """Read, write, list and watch files."""
    pty: PM
    """Interactive terminals."""

    def __init__(
        self,
        info: SandboxInfo,
        api: A,
        owned: bool,
        modules: tuple[Callable[[str, A], CM], Callable[[str, A], FM], Callable[[str, A], PM]],
    ) -> None:
        self._sandbox_id = info.sandbox_id
        self._envd_access_token = info.envd_access_token  # only create/connect/restore answer it
        self._last_info = info
        self._owned = owned
        self._api = api
        self.commands = modules[0](self._sandbox_id, api)
        self.files = modules[1](self._sandbox_id, api)
        self.pty = modules[2](self._sandbox_id, api)

    @property
    def terminal(self) -> PM:
        """hopx's name for :attr:`pty`."""
        return self.pty

    @property
    def sandbox_id(self) -> str:
        """The sandbox's ID."""
        return self._sandbox_id

    @property
    def envd_access_token(self) -> str | None:
        """The sandbox's access token when it was created with ``secure=True`` (E2B keeps it private as
        ``_envd_access_token``, which works too): ``X-Access-Token`` admits its agent routes."""
        return self._envd_access_token

    @property
    def name(self) -> str | None:
        """The sandbox's name, if it was given one."""
        return self._last_info.name

    def _remember(self, info: SandboxInfo) -> SandboxInfo:
        self._last_info = info
        return info

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._sandbox_id} {self._last_info.state}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.sandbox_id == self.sandbox_id

    def __hash__(self) -> int:
        return hash((type(self), self._sandbox_id))


def placeholder_info(sandbox_id: str) -> SandboxInfo:
    """The info of a sandbox attached to without asking the server (static method variants)."""
    epoch = datetime.datetime.fromtimestamp(0, datetime.UTC)
    unknown = SandboxState("unknown")
    return SandboxInfo(sandbox_id=sandbox_id, template_id="", state=unknown, started_at=epoch, end_at=epoch)
