"""Every error the SDK raises.

All of them derive from :class:`SandboxException` (alias :data:`SandboxError`), which carries the
server's ``message`` and the HTTP ``status_code`` (``None`` when no HTTP answer was involved, for
example when the server could not be reached). No bare ``httpx``, ``KeyError`` or ``ValueError``
escapes the SDK.
"""

from __future__ import annotations

from hutch.types import CommandResult

__all__ = [
    "AuthenticationException",
    "CommandExitException",
    "ConflictException",
    "FileNotFoundException",
    "GitAuthException",
    "GitUpstreamException",
    "InvalidArgumentException",
    "NotEnoughSpaceException",
    "NotFoundException",
    "PermissionDeniedException",
    "RateLimitException",
    "SandboxError",
    "SandboxException",
    "SandboxNotFoundException",
    "ServiceUnavailableException",
    "SnapshotNotFoundException",
    "TimeoutException",
]


class SandboxException(Exception):
    """The root of every hutch error.

    Attributes:
        message: What went wrong, as the server (or the SDK) put it.
        status_code: The HTTP status of the answer, or ``None`` when there was none.
    """

    def __init__(self, message: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message


SandboxError = SandboxException
"""declaw's name for :class:`SandboxException`."""


class AuthenticationException(SandboxException):
    """The API key is missing or unknown to the server (HTTP 401)."""


class GitAuthException(AuthenticationException):
    """A ``sbx.git`` clone, push or pull was refused for missing or wrong credentials (as E2B's)."""


class GitUpstreamException(SandboxException):
    """A ``sbx.git`` push or pull had no remote branch to go to: no upstream is configured (as E2B's)."""


class PermissionDeniedException(SandboxException):
    """The sandbox user may not do this to that path (HTTP 403)."""


class NotFoundException(SandboxException):
    """Something asked for does not exist (HTTP 404)."""


class SandboxNotFoundException(NotFoundException):
    """No such sandbox for this API key (it never existed, or it was killed)."""


class FileNotFoundException(NotFoundException):
    """No such file or directory inside the sandbox."""


class SnapshotNotFoundException(NotFoundException):
    """No such snapshot for this API key."""


class InvalidArgumentException(SandboxException):
    """A parameter was refused (HTTP 400, 413 or 422, or checked before sending)."""


class TimeoutException(SandboxException):
    """A request or a wait took longer than allowed (see ``request_timeout`` and ``timeout``)."""


class RateLimitException(SandboxException):
    """Too many requests or sandboxes (HTTP 429).

    Attributes:
        retry_after: Seconds the server asked to wait before retrying, if it said.
    """

    def __init__(self, message: str = "", status_code: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status_code)
        self.retry_after = retry_after


class ConflictException(SandboxException):
    """The request conflicts with the current state, e.g. the sandbox is paused (HTTP 409)."""


class NotEnoughSpaceException(SandboxException):
    """The sandbox's disk or the snapshot store is full (HTTP 507)."""


class ServiceUnavailableException(SandboxException):
    """The server (or the sandbox's agent) cannot be reached or cannot do this now (HTTP 502/503)."""


class CommandExitException(SandboxException, CommandResult):
    """A command ended with a non-zero exit code. It is also the command's :class:`CommandResult`."""

    def __init__(self, stdout: str, stderr: str, exit_code: int, error: str | None = None) -> None:
        CommandResult.__init__(self, stdout=stdout, stderr=stderr, exit_code=exit_code, error=error)
        detail = f": {error}" if error else ""
        tail = stderr.strip()[-500:]
        message = f"Command exited with code {exit_code}{detail}" + (f"\n{tail}" if tail else "")
        SandboxException.__init__(self, message)

    # CommandResult is a dataclass: keep exception identity semantics, not field equality.
    __eq__ = object.__eq__
    __hash__ = object.__hash__
