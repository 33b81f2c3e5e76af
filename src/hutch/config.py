"""Connection settings: API key, domain, request timeout, debug logging, retries, extra headers and a proxy."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict
from urllib.parse import urlsplit

import httpx

from hutch.exceptions import AuthenticationException, InvalidArgumentException

__all__ = ["DEFAULT_DOMAIN", "ConnectionConfig", "ConnectionOpts", "RetryPolicy"]

DEFAULT_DOMAIN = "localhost:7420"
DEFAULT_REQUEST_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on"}

logger = logging.getLogger("hutch")


class ConnectionOpts(TypedDict, total=False):
    """The connection settings every classmethod takes as keywords (SDK-API section 2)."""

    api_key: str | None
    """Sent as ``X-API-Key``; ``$HUTCH_API_KEY`` when absent."""
    domain: str | None
    """``host:port`` or a full URL; ``$HUTCH_DOMAIN`` or ``localhost:7420`` when absent."""
    base_url: str | None
    """hopx's name for ``domain`` (the server's URL)."""
    request_timeout: float | None
    """Seconds per HTTP request; ``$HUTCH_REQUEST_TIMEOUT`` or 30 when absent; 0 disables it."""
    debug: bool | None
    """Log every request and response through the ``hutch`` logger; ``$HUTCH_DEBUG`` when absent."""
    headers: dict[str, str] | None
    """Extra headers sent with every request (E2B's option)."""
    api_headers: dict[str, str] | None
    """E2B's newer name for ``headers``; both may be given (``api_headers`` wins on a clash)."""
    proxy: str | httpx.URL | httpx.Proxy | None
    """An HTTP(S) proxy every request goes through (E2B's option)."""
    retries: int | None
    """Retries of a failed idempotent request (E2B's option; hutch's default is 3, as E2B's)."""
    http_version: Literal["1.1", "2"] | None
    """Accepted for E2B code: hutch's server speaks HTTP/1.1, which is used either way."""
    api_url: str | None
    """E2B's deprecated full API URL: taken as ``domain``."""
    sandbox_url: str | None
    """E2B's deprecated sandbox URL: accepted and ignored (hutch reaches sandboxes through the server)."""
    validate_api_key: bool | None
    """E2B's deprecated option: accepted, has no effect."""


ApiParams = ConnectionOpts
"""E2B's name for the connection keywords."""
ProxyTypes = str | httpx.URL | httpx.Proxy
HttpVersion = Literal["1.1", "2"]


CONNECTION_KEYS = frozenset(ConnectionOpts.__annotations__)


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent requests are retried: exponential backoff with jitter, bounded attempts."""

    max_attempts: int = 4
    """Tries in all, the first included."""
    base_delay: float = 0.25
    """Delay before the first retry (before jitter); it doubles each retry."""
    max_delay: float = 8.0
    """Cap on one delay (before jitter)."""
    max_retry_after: float = 60.0
    """Longest ``Retry-After`` honoured; a longer one raises at once."""


DEFAULT_RETRY_POLICY = RetryPolicy()


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidArgumentException(f"{name}={raw!r} is not a number of seconds") from None


def base_url_for(domain: str) -> str:
    """The base URL for a domain: ``host:port`` is plain http unless the port is 443; URLs pass through."""
    domain = domain.strip().rstrip("/")
    if "://" in domain:
        parts = urlsplit(domain)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgumentException(f"domain {domain!r} is not an http(s) URL or host:port")
        return domain
    host, _, port = domain.rpartition(":")
    if not host or not port.isdigit():
        return f"https://{domain}"
    return f"https://{domain}" if port == "443" else f"http://{domain}"


@dataclass(frozen=True)
class ConnectionConfig:
    """Resolved connection settings; build one with :meth:`resolve`."""

    api_key: str
    domain: str
    request_timeout: float | None
    debug: bool = False
    retry: RetryPolicy = field(default_factory=lambda: DEFAULT_RETRY_POLICY)
    headers: tuple[tuple[str, str], ...] = ()
    """Extra headers for every request."""
    proxy: str | httpx.URL | httpx.Proxy | None = None

    @property
    def base_url(self) -> str:
        return base_url_for(self.domain)

    @property
    def is_default_domain(self) -> bool:
        return self.domain == DEFAULT_DOMAIN

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        domain: str | None = None,
        request_timeout: float | None = None,
        debug: bool | None = None,
        headers: dict[str, str] | None = None,
        api_headers: dict[str, str] | None = None,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        retries: int | None = None,
        http_version: str | None = None,
        api_url: str | None = None,
        sandbox_url: str | None = None,
        validate_api_key: bool | None = None,
        base_url: str | None = None,
    ) -> ConnectionConfig:
        """Fill what was not given from ``HUTCH_*`` environment variables and the defaults."""
        if domain and base_url and base_url_for(domain) != base_url_for(base_url):
            raise InvalidArgumentException(f"domain={domain!r} and base_url={base_url!r} disagree: pass one")
        domain = domain or base_url
        del sandbox_url, validate_api_key  # E2B's deprecated options: accepted, no effect
        key = api_key or os.environ.get("HUTCH_API_KEY")
        if not key:
            raise AuthenticationException(
                "No API key: pass api_key=... or set HUTCH_API_KEY "
                "(`hutch serve` prints the key it accepts when it starts)."
            )
        dom = domain or api_url or os.environ.get("HUTCH_DOMAIN") or DEFAULT_DOMAIN
        timeout = request_timeout if request_timeout is not None else _env_float("HUTCH_REQUEST_TIMEOUT")
        if timeout is None:
            timeout = DEFAULT_REQUEST_TIMEOUT
        if timeout < 0:
            raise InvalidArgumentException(f"request_timeout must be >= 0, not {timeout}")
        if debug is None:
            debug = os.environ.get("HUTCH_DEBUG", "").strip().lower() in _TRUE
        if http_version not in (None, "1.1", "2"):
            raise InvalidArgumentException(f'http_version must be "1.1" or "2", not {http_version!r}')
        if proxy is not None and not isinstance(proxy, str | httpx.URL | httpx.Proxy):
            raise InvalidArgumentException(f"proxy must be a URL or an httpx.Proxy, not {type(proxy).__name__}")
        config = cls(
            api_key=key,
            domain=dom,
            request_timeout=timeout or None,
            debug=debug,
            retry=_retry_policy(retries),
            headers=_headers(headers, api_headers),
            proxy=proxy,
        )
        config.base_url  # noqa: B018  (validates the domain now rather than at the first request)
        if debug:
            _enable_debug_logging()
        return config

    @classmethod
    def from_opts(cls, opts: ConnectionOpts | dict[str, Any]) -> ConnectionConfig:
        unknown = set(opts) - CONNECTION_KEYS
        if unknown:
            raise InvalidArgumentException(f"unknown connection option(s): {', '.join(sorted(unknown))}")
        return cls.resolve(**opts)


def call_config(origin: Mapping[str, Any] | ConnectionConfig, opts: Mapping[str, Any], what: str) -> ConnectionConfig:
    """The settings of one call of a paginator (E2B's per-call options): the options it was made with and
    the call's on top; a paginator of a sandbox object has that sandbox's settings, and a call can only
    change their ``request_timeout``."""
    unknown = set(opts) - CONNECTION_KEYS
    if unknown:
        raise InvalidArgumentException(f"{what}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if not isinstance(origin, ConnectionConfig):
        return ConnectionConfig.from_opts({**origin, **opts})
    if set(opts) - {"request_timeout"}:
        raise InvalidArgumentException(f"{what}() of a sandbox's paginator takes only request_timeout")
    timeout = opts.get("request_timeout")
    return origin if timeout is None else dataclasses.replace(origin, request_timeout=timeout or None)


def _retry_policy(retries: int | None) -> RetryPolicy:
    if retries is None:
        return DEFAULT_RETRY_POLICY
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidArgumentException(f"retries must be an int >= 0, not {retries!r}")
    return dataclasses.replace(DEFAULT_RETRY_POLICY, max_attempts=retries + 1)


def _headers(*given: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    merged: dict[str, str] = {}
    for headers in given:
        if headers is None:
            continue
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise InvalidArgumentException("headers must be a dict of str to str")
        merged.update(headers)
    return tuple(merged.items())


def split_connection_opts(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the connection settings out of ``kwargs`` and return them."""
    return {key: kwargs.pop(key) for key in list(kwargs) if key in CONNECTION_KEYS}


def _enable_debug_logging() -> None:
    if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
        logger.setLevel(logging.DEBUG)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s hutch %(message)s"))
        logger.addHandler(handler)
