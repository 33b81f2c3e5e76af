"""The sandbox's clock (deadlines.py) for a server that freezes the sandbox's whole cgroup, agent included
(the local backend, hutchd/backends/agent_clock.py): `POST /clock/stop` before the freeze, `POST
/clock/start` after the thaw, each answering `{"running": bool}`, the clock's state after the call.

Each call carries `issued`, the server's wall-clock time of it in ns. A stop the server gave up on (the
agent did not answer in time; the server froze the sandbox anyway) may still be read from its socket
after the thaw, and after that thaw's start: a stop issued before the last start is not applied, so no
late stop leaves the clock stopped. A start always is.
"""

from __future__ import annotations

import threading

from . import deadlines
from .errors import HttpError
from .server import Request, Response

TYPE_CHECKING = False  # typing costs ~5 ms at sandbox start; annotations are never evaluated
if TYPE_CHECKING:
    from .routes import Agent


class _Calls:
    """The clock as the server's calls set it, in the order it issued them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_start = 0  # the `issued` of the last start

    def stop(self, issued: int) -> bool:
        with self._lock:
            if issued > self._last_start:
                deadlines.stop()
            return deadlines.running()

    def start(self, issued: int) -> bool:
        with self._lock:
            self._last_start = max(self._last_start, issued)
            deadlines.start()
            return deadlines.running()


_calls = _Calls()


def _issued(request: Request) -> int:
    raw = request.query.get("issued", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 20):
        raise HttpError(400, "issued must be the call's time in ns since the epoch, a decimal integer")
    return int(raw)


def stop_clock(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, {"running": _calls.stop(_issued(request))})


def start_clock(agent: Agent, request: Request, response: Response, pids: list[int]) -> None:
    response.json(200, {"running": _calls.start(_issued(request))})
