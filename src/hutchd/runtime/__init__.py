"""Host-side isolation runtime: bubblewrap + overlayfs + user namespace + cgroups + seccomp.

See RUNTIME.md in the shared design facts for the measurements behind each choice.
"""

from hutchd.runtime.errors import (
    HutchRuntimeError,
    RuntimeUnavailable,
    SandboxExists,
    SandboxNotFound,
    SandboxStartError,
    SandboxUnreachable,
    SnapshotExists,
    SnapshotNotFound,
    TemplateBuildError,
    TemplateNotFound,
)
from hutchd.runtime.host import HostFeatures, detect_host_features
from hutchd.runtime.runtime import Runtime
from hutchd.runtime.sandbox import RecoveryReport, SandboxHandle, SandboxSpec, SandboxUsage
from hutchd.runtime.templates import BASE_PACKAGES, TemplateStore

__all__ = [
    "BASE_PACKAGES",
    "HostFeatures",
    "HutchRuntimeError",
    "RecoveryReport",
    "Runtime",
    "RuntimeUnavailable",
    "SandboxExists",
    "SandboxHandle",
    "SandboxNotFound",
    "SandboxSpec",
    "SandboxStartError",
    "SandboxUnreachable",
    "SandboxUsage",
    "SnapshotExists",
    "SnapshotNotFound",
    "TemplateBuildError",
    "TemplateNotFound",
    "TemplateStore",
    "detect_host_features",
]
