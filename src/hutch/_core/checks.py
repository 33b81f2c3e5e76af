"""Argument checks that several features share: a bad argument is an InvalidArgumentException
before any request is sent."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from hutch.exceptions import InvalidArgumentException


def str_dict(value: Mapping[str, Any] | None, what: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidArgumentException(f"{what} must be a dict of strings, not {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def lifetime(seconds: float, what: str = "timeout") -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= 86400:
        raise InvalidArgumentException(f"{what} must be a number of seconds from 1 to 86400, not {seconds!r}")
    return int(seconds)


def pid(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentException(f"pid must be a positive int, not {value!r}")
    return value


def ident(value: str, what: str = "sandbox_id") -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentException(f"{what} must be a non-empty string, not {value!r}")
    return value


def path(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentException(f"path must be a non-empty string, not {value!r}")
    return value


def when(value: datetime.datetime | None, what: str) -> datetime.datetime | None:
    if value is not None and not isinstance(value, datetime.datetime):
        raise InvalidArgumentException(f"{what} must be a datetime, not {type(value).__name__}")
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)  # naive times are taken as UTC (utcnow() style)
    return value


def stream_timeout(timeout: float | None) -> float | None:
    """A process's ``timeout`` (0 or None = none) for a request body (UNSET when none)."""
    if timeout is not None and (isinstance(timeout, bool) or timeout < 0):
        raise InvalidArgumentException(f"timeout must be >= 0 seconds (0 = none), not {timeout!r}")
    return float(timeout) if timeout else None


def known_keys(opts: Mapping[str, Any], allowed: type, what: str, extra: frozenset[str] = frozenset()) -> None:
    """Unknown keywords of a ``**opts: Unpack[SomeOptions]`` call are refused, naming them."""
    unknown = set(opts) - set(allowed.__annotations__) - extra
    if unknown:
        raise InvalidArgumentException(f"{what}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")


def synonym(opts: Mapping[str, Any], name: str, other: str, default: Any = None) -> Any:
    """The value of keyword ``name`` or of ``other``, another SDK's name for it (both, differing: refused)."""
    given = [key for key in (name, other) if opts.get(key) is not None]
    if len(given) == 2 and opts[name] != opts[other]:
        raise InvalidArgumentException(f"{name}={opts[name]!r} and {other}={opts[other]!r} disagree: pass one")
    return opts[given[0]] if given else default
