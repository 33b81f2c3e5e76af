"""Every error the SDK raises.

All of them derive from :class:`SandboxException` (alias :data:`SandboxError`), which carries the
server's ``message`` and the HTTP ``status_code`` (``None`` when no HTTP answer was involved, for
example when the server could not be reached). No bare ``httpx``, ``KeyError`` or ``ValueError``
escapes the SDK.

E2B's classes are here with E2B's bases where that keeps hutch's own catches working too: a sandbox
that is gone under a running call raises :class:`SandboxNotRunningException` (a
``TimeoutException`` as in E2B, and a ``SandboxNotFoundException`` as before), an agent that cannot
be reached raises :class:`SandboxUnreachableException` (a ``TimeoutException`` and a
``ServiceUnavailableException``), a command past its ``timeout`` raises
:class:`CommandTimeoutException` (a ``TimeoutException`` and a ``CommandExitException``).
"""

from __future__ import annotations

from hutch.types import CommandResult

__all__ = [
    "AuthenticationException",
    "CommandExitException",
    "CommandTimeoutException",
    "ConflictException",
    "FileNotFoundException",
    "GitAuthException",
    "GitUpstreamException",
    "GuestUnresponsiveException",
    "InvalidArgumentException",
    "NotEnoughSpaceException",
    "NotFoundException",
    "PermissionDeniedException",
    "RateLimitException",
    "SandboxError",
    "SandboxException",
    "SandboxNotFoundException",
    "SandboxNotRunningException",
    "SandboxUnreachableException",
    "ServiceBusyException",
    "ServiceUnavailableException",
    "SnapshotNotFoundException",
    "TemplateException",
    "TimeoutException",
    "VolumeException",
    "VolumeNotFoundException",
    "VolumePathNotFoundException",
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


class VolumeException(SandboxException):
    """A volume operation failed (E2B's name; the specific errors below and the HTTP ones are raised too)."""


class VolumeNotFoundException(NotFoundException, VolumeException):
    """No such volume for this API key."""


class VolumePathNotFoundException(FileNotFoundException, VolumeException):
    """No such file or directory in the volume (or no such volume)."""


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


class ServiceBusyException(ServiceUnavailableException):
    """The server cannot do this now and nothing was changed: retry after a short wait (HTTP 503; E2B's name)."""


class SandboxNotRunningException(TimeoutException, SandboxNotFoundException):
    """The sandbox stopped running under a call in progress (killed, or its lifetime ended), for example
    while waiting for a command. E2B's class: a ``TimeoutException``; also a ``SandboxNotFoundException``."""


class SandboxUnreachableException(TimeoutException, ServiceUnavailableException):
    """The sandbox's agent could not be reached (HTTP 502). E2B's class: a ``TimeoutException``; also a
    ``ServiceUnavailableException``, which hutch raised before."""


class TemplateException(SandboxException):
    """The template cannot be used by this SDK (E2B's name; hutch's templates all can)."""


class BuildException(Exception):
    """A template build failed (E2B's name); ``reason`` has the step, its exit code and its output's tail."""

    def __init__(self, message: str, reason: object = None) -> None:
        super().__init__(message)
        self.reason = reason


class FileUploadException(BuildException):
    """The files of a template's ``copy`` step could not be uploaded (E2B's name)."""


class GuestUnresponsiveException(ConflictException):
    """A paused sandbox cannot be resumed because its agent did not answer when it was paused (HTTP 409;
    E2B's name)."""

    code = "sandbox_snapshot_guest_agent_unresponsive"


class CommandExitException(SandboxException, CommandResult):
    """A command ended with a non-zero exit code. It is also the command's :class:`CommandResult`."""

    def __init__(self, stdout: str, stderr: str, exit_code: int, error: str | None = None) -> None:
        CommandResult.__init__(self, stdout=stdout, stderr=stderr, exit_code=exit_code, error=error)
        detail = f" ({error})" if error else ""
        tail = stderr.strip()[-500:]
        # E2B's text, which code written for it reads: "Command exited with code N and error:\n<stderr>"
        message = f"Command exited with code {exit_code}{detail} and error:\n{tail}"
        SandboxException.__init__(self, message)

    # CommandResult is a dataclass: keep exception identity semantics, not field equality.
    __eq__ = object.__eq__
    __hash__ = object.__hash__


class CommandTimeoutException(TimeoutException, CommandExitException):
    """A command ran past its ``timeout`` and the sandbox killed its process tree. E2B raises a
    ``TimeoutException``; this is one, and also the ``CommandExitException`` (exit code 137) hutch raised
    before, carrying the output read until then."""

    def __init__(self, stdout: str, stderr: str, exit_code: int, error: str | None = None) -> None:
        CommandExitException.__init__(self, stdout, stderr, exit_code, error)
        self.message = f"Command timed out and was killed{f' ({error})' if error else ''}: exit code {exit_code}"
