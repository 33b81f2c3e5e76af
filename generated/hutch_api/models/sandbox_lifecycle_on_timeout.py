from typing import Literal

SandboxLifecycleOnTimeout = Literal["kill", "pause"]

SANDBOX_LIFECYCLE_ON_TIMEOUT_VALUES: set[SandboxLifecycleOnTimeout] = {
    "kill",
    "pause",
}


def check_sandbox_lifecycle_on_timeout(value: str) -> SandboxLifecycleOnTimeout:
    if value in SANDBOX_LIFECYCLE_ON_TIMEOUT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SANDBOX_LIFECYCLE_ON_TIMEOUT_VALUES!r}")
