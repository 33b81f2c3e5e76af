"""Fair shares of the sandbox resolver: how many questions a sandbox may ask (a token bucket per
sandbox) and in which order asked questions are answered (round robin between sandboxes, a few at
a time each), so one sandbox's flood cannot slow another's lookups.

Over its rate a sandbox's questions are answered REFUSED (RFC 1035: refused "for policy reasons"):
a stub resolver gives up on that server at once, so a program that bursts learns it immediately
instead of waiting out a timeout per name. Refusals have a budget of their own, as large; past it
questions are dropped unread and the caller stops reading the sandbox's socket for a while (the
kernel then discards the flood at no cost to the server).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

log = logging.getLogger("hutchd.egress")


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved; not thread-safe (the caller holds a lock)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def seconds_to_token(self) -> float:
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)


class Verdict(enum.Enum):
    ANSWER = "answer"
    REFUSE = "refuse"
    DROP = "drop"


class QueryLimiter:
    """One sandbox's budget: `rate` answered questions a second (bursts of `burst`), then as many
    refused ones, then dropped."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._answers = TokenBucket(rate, burst, clock)
        self._refusals = TokenBucket(rate, burst, clock)
        self._lock = threading.Lock()  # UDP questions come from the I/O loop, TCP ones from their threads
        self.refused = 0
        self.dropped = 0

    def admit(self) -> Verdict:
        with self._lock:
            if self._answers.take():
                return Verdict.ANSWER
            if self._refusals.take():
                self.refused += 1
                return Verdict.REFUSE
            self.dropped += 1
            return Verdict.DROP

    def seconds_to_answer(self) -> float:
        with self._lock:
            return self._answers.seconds_to_token()


class FairPool:
    """Worker threads that take jobs round robin between keys (sandboxes), at most `per_key` of one
    key at once and at most `max_pending` waiting per key, so a key with a long queue delays another
    key's job by at most one job per worker."""

    def __init__(self, workers: int, per_key: int, max_pending: int, name: str = "hutch-fair") -> None:
        self._per_key = per_key
        self._max_pending = max_pending
        self._cond = threading.Condition()
        self._pending: dict[Hashable, deque[Callable[[], None]]] = {}
        self._running: dict[Hashable, int] = {}
        self._turns: deque[Hashable] = deque()  # keys with a job waiting and room to run it, in turn
        self._stopped = False
        self._threads = [threading.Thread(target=self._work, name=name, daemon=True) for _ in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, key: Hashable, job: Callable[[], None]) -> bool:
        """Queue `job` under `key`; False (not queued) when that key already has `max_pending` waiting."""
        with self._cond:
            queue = self._pending.setdefault(key, deque())
            if len(queue) >= self._max_pending or self._stopped:
                return False
            queue.append(job)
            self._offer(key)
            return True

    def _offer(self, key: Hashable) -> None:
        """Give `key` a turn if it has a job waiting, room to run it and no turn yet (lock held)."""
        if self._pending.get(key) and self._running.get(key, 0) < self._per_key and key not in self._turns:
            self._turns.append(key)
            self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._turns and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                key = self._turns.popleft()
                job = self._pending[key].popleft()
                self._running[key] = self._running.get(key, 0) + 1
                self._offer(key)  # to the back of the line, if it may run another
            try:
                job()
            except Exception:  # jobs handle their own errors; this only keeps the worker alive
                log.exception("a resolver job failed")
            finally:
                with self._cond:
                    self._running[key] -= 1
                    if not self._running[key] and not self._pending[key]:
                        del self._running[key], self._pending[key]
                    else:
                        self._offer(key)

    def shutdown(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
