"""What ``AsyncSandbox.create`` returns (async only, hand-written: the sync ``create`` returns the sandbox)."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from hutch.sandbox_async.sandbox import AsyncSandbox

S = TypeVar("S", bound="AsyncSandbox")


class AsyncSandboxCreation(Coroutine[Any, Any, S]):
    """What ``AsyncSandbox.create(...)`` returns: a coroutine, so ``await`` it (or pass it to
    ``asyncio.run`` / ``gather``) for the sandbox, or use it directly in ``async with``, which
    kills the sandbox when the block exits."""

    def __init__(self, coro: Coroutine[Any, Any, S]) -> None:
        self._coro = coro
        self._sandbox: S | None = None

    def __await__(self) -> Generator[Any, None, S]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> S:
        self._sandbox = await self._coro
        return await self._sandbox.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        if self._sandbox is not None:
            await self._sandbox.__aexit__(*exc)
