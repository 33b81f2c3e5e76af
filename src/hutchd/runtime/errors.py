"""Exceptions a caller of the runtime can trigger; each message says what to do next."""

from __future__ import annotations


class HutchRuntimeError(Exception):
    """Base class for every runtime error."""


class RuntimeUnavailable(HutchRuntimeError):
    """The host lacks a piece the runtime needs (a tool, a kernel feature, root)."""


class SandboxNotFound(HutchRuntimeError):
    """No sandbox with that id exists on this host."""


class SandboxExists(HutchRuntimeError):
    """A sandbox with that id already exists."""


class SandboxUnreachable(HutchRuntimeError):
    """The sandbox is there (its pod says it runs and is ready) but its agent did not answer now: what
    the agent alone can say is unknown, which is no reason to destroy it."""


class SandboxStartError(HutchRuntimeError):
    """The sandbox was set up but its agent never answered."""


class TemplateNotFound(HutchRuntimeError):
    """No template with that id exists (or it could not be built)."""


class TemplateBuildError(HutchRuntimeError):
    """Building a template failed; the partial build was removed."""


class SnapshotNotFound(HutchRuntimeError):
    """No snapshot with that id exists."""


class SnapshotExists(HutchRuntimeError):
    """A snapshot (or template) with that id already exists."""
