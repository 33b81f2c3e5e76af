"""Handles for running commands, terminals, directory watches and streamed file reads (async)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from hutch._core.convert import fs_event
from hutch._core.errors import error_for_transport
from hutch._core.handle import CommandOutputMixin, HandleBase
from hutch._core.output import Call, Callbacks, CommandChunk, LineCallback, LineCallbacks
from hutch.config import ConnectionConfig
from hutch.exceptions import SandboxException
from hutch.types import CommandResult, FilesystemEvent, PtySize

if TYPE_CHECKING:
    from hutch.sandbox_async.commands import AsyncCommands
    from hutch.sandbox_async.pty import AsyncPty

C = TypeVar("C")
OwnerT = TypeVar("OwnerT")


async def _fire(calls: list[Call]) -> None:
    """Call each callback; plain functions and coroutine functions both work."""
    for callback, value in calls:
        result = callback(value)
        if inspect.isawaitable(result):
            await result


class _AsyncHandle(HandleBase[C, OwnerT]):
    """A background task reads the output from the start, so ``stdout``/``exit_code`` fill in by themselves;
    any number of ``async for`` loops and ``wait()`` calls replay it from the start and then follow it."""

    _open: Callable[[], AsyncIterator[C]]

    def _started(self) -> None:
        self._changed = asyncio.Event()
        self._failure: BaseException | None = None
        self._task = asyncio.create_task(self._pump(self._open()))

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _pump(self, chunks: AsyncIterator[C]) -> None:
        try:
            async for chunk in chunks:
                self._notify()
                await _fire(self._calls(chunk, None))
            await _fire(self._final_calls(None))
        except Exception as exc:
            self._failure = exc
        finally:
            self._notify()

    async def _follow(self, extra: Callbacks[C] | None = None) -> AsyncIterator[C]:
        if self._task.cancelled() and not self._state.finished:  # disconnect()ed: attach again
            self._task = asyncio.create_task(self._pump(self._open()))
        seen = 0
        while True:
            for chunk in self._state.chunks[seen:]:
                seen += 1
                if extra is not None:
                    await _fire(extra.calls(chunk))
                yield chunk
            if self._task.done() and seen == len(self._state.chunks):
                break
            await self._changed.wait()
        if self._failure is not None:
            raise self._failure
        if extra is not None:
            await _fire(extra.flush())

    async def _wait(self, extra: Callbacks[C] | None) -> CommandResult:
        async for _ in self._follow(extra):
            pass
        return self._result()

    def _stop(self) -> None:
        if not self._task.done():
            self._task.cancel()

    async def disconnect(self) -> None:
        """Stop reading the output; the process keeps running. Waiting or iterating later reads on
        from where it stopped."""
        self._stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class AsyncCommandHandle(CommandOutputMixin, _AsyncHandle[CommandChunk, "AsyncCommands"]):
    """A command started with ``background=True`` (or attached with ``commands.connect``).

    ``async for stdout, stderr in handle`` yields its output chunks as they arrive (one of the two
    is None); ``await handle.wait()`` returns the result. ``stdout``, ``stderr`` and ``exit_code``
    hold what was read so far.
    """

    _owner: AsyncCommands

    def __aiter__(self) -> AsyncIterator[CommandChunk]:
        return self._follow()

    async def wait(self, on_stdout: LineCallback | None = None, on_stderr: LineCallback | None = None) -> CommandResult:
        """Wait for the command to end (raises ``CommandExitException`` on a non-zero exit); callbacks may be
        sync or async and get every line, the ones already read first."""
        return await self._wait(LineCallbacks.of(on_stdout, on_stderr))

    async def kill(self) -> bool:
        """SIGKILL the command's process group; False if it had already ended."""
        return await self._owner.kill(self.pid)

    async def send_stdin(self, data: str | bytes) -> None:
        """Write to its stdin (it must have been started with ``stdin=True``)."""
        await self._owner.send_stdin(self.pid, data)

    async def close_stdin(self) -> None:
        """Close its stdin so that it reads end of file."""
        await self._owner.close_stdin(self.pid)


class AsyncPtyHandle(_AsyncHandle[bytes, "AsyncPty"]):
    """A terminal: ``async for`` its output bytes (or pass ``on_data``), type with :meth:`send_stdin`."""

    _owner: AsyncPty

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._follow()

    async def wait(self) -> CommandResult:
        """Wait for the terminal's shell to exit; ``stdout`` of the result is its output as text."""
        return await self._wait(None)

    async def send_stdin(self, data: str | bytes) -> None:
        """Type into the terminal."""
        await self._owner.send_stdin(self.pid, data)

    async def resize(self, size: PtySize) -> None:
        """Set the terminal's rows and columns."""
        await self._owner.resize(self.pid, size)

    async def kill(self) -> bool:
        """SIGKILL the terminal; False if it had already ended."""
        return await self._owner.kill(self.pid)


class AsyncWatchHandle:
    """Changes under a watched directory: ``async for`` them, or pass ``on_event``; ``await stop()`` ends it."""

    def __init__(
        self,
        opened: AbstractAsyncContextManager[httpx.Response],
        lines: AsyncIterator[dict[str, Any]],
        config: ConnectionConfig,
        on_event: Callable[[FilesystemEvent], object] | None,
    ) -> None:
        self._opened = opened
        self._config = config
        self._on_event = on_event
        self._queue: asyncio.Queue[FilesystemEvent | None] = asyncio.Queue()
        self._error: SandboxException | None = None
        self._stopped = False
        self._task = asyncio.create_task(self._pump(lines))

    @classmethod
    async def start(
        cls,
        opened: AbstractAsyncContextManager[httpx.Response],
        events: Callable[[httpx.Response], AsyncIterator[dict[str, Any]]],
        config: ConnectionConfig,
        on_event: Callable[[FilesystemEvent], object] | None,
    ) -> AsyncWatchHandle:
        lines = events(await opened.__aenter__())
        try:
            first = await anext(lines, None)  # "ready": the watch is in place
        except BaseException:
            await opened.__aexit__(None, None, None)
            raise
        handle = cls(opened, lines, config, on_event)
        if first is not None:
            await handle._put(first)
        return handle

    async def _put(self, event: dict[str, Any]) -> None:
        converted = fs_event(event)
        if converted is not None:
            self._queue.put_nowait(converted)
            if self._on_event is not None:
                await _fire([(self._on_event, converted)])

    async def _pump(self, lines: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for event in lines:
                await self._put(event)
        except httpx.HTTPError as exc:
            if not self._stopped:
                self._error = error_for_transport(exc, self._config)
        except SandboxException as exc:
            if not self._stopped:
                self._error = exc
        finally:
            self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[FilesystemEvent]:
        while True:
            item = await self._queue.get()
            if item is None:
                self._queue.put_nowait(None)
                if self._error is not None:
                    raise self._error
                return
            yield item

    async def stop(self) -> None:
        """End the watch and release its connection."""
        if not self._stopped:
            self._stopped = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self._opened.__aexit__(None, None, None)

    async def __aenter__(self) -> AsyncWatchHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class AsyncFileStream:
    """The content of a file read with ``format="stream"``: ``async for chunk in stream``.

    Close it with ``await stream.aclose()`` (or ``async with``) if you stop before the end.
    """

    def __init__(
        self, opened: AbstractAsyncContextManager[httpx.Response], response: httpx.Response, config: ConnectionConfig
    ) -> None:
        self._opened = opened
        self._config = config
        self._chunks = response.aiter_bytes()
        self._closed = False

    @classmethod
    async def start(
        cls, opened: AbstractAsyncContextManager[httpx.Response], config: ConnectionConfig
    ) -> AsyncFileStream:
        return cls(opened, await opened.__aenter__(), config)

    def __aiter__(self) -> AsyncFileStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            await self.aclose()
            raise
        except httpx.HTTPError as exc:
            await self.aclose()
            raise error_for_transport(exc, self._config) from exc

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._opened.__aexit__(None, None, None)

    async def __aenter__(self) -> AsyncFileStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
