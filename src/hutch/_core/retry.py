"""When to retry and how long to wait (shared by sync and async transports).

The transports ask an :class:`Attempts` object after each failure; it answers with the delay
before the next try, or raises the SDK exception when the request must not (or can no longer)
be retried.
"""

from __future__ import annotations

import random

import httpx

from hutch._core.errors import error_for_status, error_for_transport, parse_retry_after
from hutch.config import ConnectionConfig
from hutch.exceptions import NotFoundException

RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""Answers worth retrying for idempotent requests."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random."""
    delay = min(cap, base * 2.0**attempt)
    return delay / 2 + random.uniform(0, delay / 2)


def _never_sent(exc: httpx.HTTPError) -> bool:
    """Whether the request surely never reached the server (safe to retry whatever the method)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class Attempts:
    """Bookkeeping for one logical request across its tries."""

    def __init__(
        self,
        config: ConnectionConfig,
        idempotent: bool,
        not_found: type[NotFoundException],
        retry_timeouts: bool = False,
    ) -> None:
        self.config = config
        self.idempotent = idempotent
        self.not_found = not_found
        self.retry_timeouts = retry_timeouts
        self.failures = 0

    def _next_delay(self, exc: Exception, floor: float = 0.0) -> float:
        policy = self.config.retry
        self.failures += 1
        if self.failures >= policy.max_attempts:
            raise exc
        return max(floor, backoff(self.failures - 1, policy.base_delay, policy.max_delay))

    def after_transport_error(self, exc: httpx.HTTPError, replayable: bool = True) -> float:
        """Delay before retrying after ``exc``, or raise the mapped error."""
        error = error_for_transport(exc, self.config)
        read_timeout = isinstance(exc, httpx.TimeoutException) and not _never_sent(exc)
        if not replayable or (read_timeout and not self.retry_timeouts) or not (self.idempotent or _never_sent(exc)):
            raise error from exc
        try:
            return self._next_delay(error)
        except type(error):
            raise error from exc

    def after_status(self, response: httpx.Response, replayable: bool = True) -> float:
        """Delay before retrying an error answer (its body already read), or raise it mapped."""
        status = response.status_code
        error = error_for_status(status, response.content, response.headers, self.not_found)
        retry_after = parse_retry_after(response.headers)
        retryable = status in RETRY_STATUSES and replayable and (self.idempotent or status == 429)
        if not retryable or (retry_after or 0) > self.config.retry.max_retry_after:
            raise error
        return self._next_delay(error, floor=retry_after or 0.0)

    def after_drop(self, exc: Exception) -> float:
        """Delay before re-attaching to a stream that broke off (``exc``), or raise it mapped."""
        error = error_for_transport(exc, self.config) if isinstance(exc, httpx.HTTPError) else exc
        if isinstance(exc, httpx.TimeoutException) and not _never_sent(exc):
            raise error from exc
        try:
            return self._next_delay(error)
        except type(error):
            raise error from exc

    def reset(self) -> None:
        """Progress was made: the next failure starts the count again."""
        self.failures = 0
