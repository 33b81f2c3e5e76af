"""hutchd: the hutch control plane (`hutch serve`), its gateway to sandbox agents, and the runtime."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("hutch")
except metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
