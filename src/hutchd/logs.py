"""Logging: one structured (logfmt) line per event on stderr; quiet (warnings and template builds) by default."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any


def _fmt(value: Any) -> str:
    s = str(value)
    if not s or any(c in s for c in ' "='):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        parts = [f"ts={ts}", f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts.append(f"msg={_fmt(record.getMessage())}")
        for k, v in getattr(record, "fields", {}).items():
            parts.append(f"{k}={_fmt(v)}")
        if record.exc_info:
            parts.append(f"exc={_fmt(self.formatException(record.exc_info))}")
        return " ".join(parts)


builds = logging.getLogger("hutchd.templates")
"""Template builds' progress: logged at info, shown at the default level (warning) too: a first build takes
minutes, and a new user should see it going."""


def build_progress(line: str) -> None:
    """One line of a template build's progress (the callback of ``Backend.ensure_template``)."""
    builds.info("%s", line)


def setup(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("hutchd").setLevel(level.upper())
    n = logging.getLevelName(level.upper())
    builds.setLevel(min(logging.INFO, n) if n <= logging.WARNING else n)  # `error` hides them too
