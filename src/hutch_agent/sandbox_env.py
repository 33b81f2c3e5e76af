"""The sandbox-wide environment variables, applied to every later command under its own `envs`."""

from __future__ import annotations

import json
import os
import threading

TEMPLATE_ENVS = "/opt/hutch/template-envs.json"


def _template_envs() -> dict[str, str]:
    try:
        with open(TEMPLATE_ENVS, encoding="utf-8") as f:
            envs = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(envs, dict):
        return {}
    return {str(k): v for k, v in envs.items() if isinstance(v, str) and "=" not in str(k) and "\0" not in k + v}


NOT_THE_IMAGES = frozenset({"HOME", "HOSTNAME", "PATH", "TERM", "LANG", "PYTHONPATH"})
"""A pod's variables that are the user's login's, the runtime's or the agent's, not the image's ENV."""


def _image_envs() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in NOT_THE_IMAGES and not k.startswith(("HUTCH_", "KUBERNETES_"))
    }


class SandboxEnv:
    """A dict guarded by a lock; readers get copies."""

    def __init__(self, initial: dict[str, str]) -> None:
        self._vars = dict(initial)
        self._lock = threading.Lock()

    @classmethod
    def from_environ(cls, container: bool = False) -> SandboxEnv:
        """Seeded from the template's envs (TEMPLATE_ENVS, written by the server's template builder)
        under `HUTCH_ENVS_JSON`, the envs the sandbox was created with. In a `container` (a pod), the
        process's own environment comes first: the image's ENV, which a local sandbox gets from its
        template's envs instead."""
        raw = os.environ.get("HUTCH_ENVS_JSON")
        initial = json.loads(raw) if raw else {}
        if not isinstance(initial, dict) or not all(isinstance(v, str) for v in initial.values()):
            raise ValueError("HUTCH_ENVS_JSON must be a JSON object of strings")
        return cls({**(_image_envs() if container else {}), **_template_envs(), **initial})

    def get(self) -> dict[str, str]:
        with self._lock:
            return dict(self._vars)

    def replace(self, new: dict[str, str]) -> None:
        with self._lock:
            self._vars = dict(new)

    def update(self, changes: dict[str, str | None]) -> dict[str, str]:
        """Set the variables given a value, remove those given None; answers the set afterwards."""
        with self._lock:
            for name, value in changes.items():
                if value is None:
                    self._vars.pop(name, None)
                else:
                    self._vars[name] = value
            return dict(self._vars)

    def remove(self, name: str) -> bool:
        """Remove one variable; whether it was there."""
        with self._lock:
            return self._vars.pop(name, None) is not None
