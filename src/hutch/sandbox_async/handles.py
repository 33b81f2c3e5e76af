"""Handles for running commands, terminals and directory watches (async).

Hand-written on purpose, like its sync twin ``sandbox_sync/handles.py``: here a task reads the
output from the start (so ``stdout`` and ``exit_code`` fill in by themselves and any number of
readers replay it), there the caller's thread reads it lazily. ``AsyncFileStream`` lives in the
generated-from transport module and is re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from hutch._core.errors import error_for_transport
from hutch._core.handle import HandleBase
from hutch._core.output import Callbacks
from hutch._features.commands import CommandChunk, CommandOutputMixin, OutputCallback, OutputCallbacks
from hutch._features.files import WatchCallbacks, fs_event, watch_expired
from hutch._features.pty import DataCallbacks
from hutch.config import ConnectionConfig, logger
from hutch.exceptions import SandboxException
from hutch.sandbox_async._backend import fire as _fire
from hutch.sandbox_async.transport import AsyncEvents, AsyncStream
from hutch.sandbox_async.transport import AsyncFileStream as AsyncFileStream
from hutch.types import CommandResult, FilesystemEvent, PtySize

if TYPE_CHECKING:
    from hutch.sandbox_async.commands import AsyncCommands
    from hutch.sandbox_async.pty import AsyncPty

C = TypeVar("C")
OwnerT = TypeVar("OwnerT")


class _AsyncHandle(HandleBase[C, OwnerT]):
    """A background task reads the output from the start, so ``stdout``/``exit_code`` fill in by themselves;
    any number of ``async for`` loops and ``wait()`` calls replay it from the start and then follow it."""

    _open: Callable[[], AsyncIterator[C]]
    """A fresh follower of the output (an ``AsyncFollow``: closed when the task stops)."""

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

    ``async for stdout, stderr, pty in handle`` yields its output chunks as they arrive, the same
    triples as E2B's sync handle (exactly one is not None; ``pty`` is always None for a command);
    ``await handle.wait()`` returns the result. ``stdout``, ``stderr`` and ``exit_code`` hold what was
    read so far.
    """

    _owner: AsyncCommands

    def __aiter__(self) -> AsyncIterator[CommandChunk]:
        return self._follow()

    async def wait(
        self,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        on_pty: Callable[[bytes], object] | None = None,
    ) -> CommandResult:
        """Wait for the command to end (raises ``CommandExitException`` on a non-zero exit); callbacks may be
        sync or async and get every chunk, the ones already read first. ``on_pty`` (E2B's) is accepted
        and never called: a command has no terminal output."""
        return await self._wait(OutputCallbacks.of(on_stdout, on_stderr))

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

    async def wait(self, on_pty: Callable[[bytes], object] | None = None) -> CommandResult:
        """Wait for the terminal's shell to exit; ``stdout`` of the result is its output as text. ``on_pty``
        (E2B's; sync or async) gets every chunk of output bytes, the ones already read first. Raises
        CommandExitException on a non-zero exit, TimeoutException when it was killed for its ``timeout``."""
        return await self._wait(DataCallbacks.of(on_pty))

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
    """Changes under a watched directory: ``async for`` them, or pass ``on_event``; ``await stop()`` ends it.

    A task reads the stream, holding the handle only weakly: if the handle is collected without
    ``stop()``, its finalizer cancels the task and hands the stream to the pool (no I/O there).
    ``on_exit`` (E2B) is called once when the watch ends: with the error that ended it (a
    ``TimeoutException`` after ``timeout`` seconds), or None on ``stop()`` or a clean end.
    """

    def __init__(self, events: AsyncEvents, config: ConnectionConfig, callbacks: WatchCallbacks) -> None:
        self._events = events
        self._config = config
        self._callbacks = callbacks
        self._queue: asyncio.Queue[FilesystemEvent | None] = asyncio.Queue()
        self._error: SandboxException | None = None
        self._stopped = False
        self._exited = False
        self._task = asyncio.create_task(_pump(weakref.ref(self), events, callbacks.timeout))
        weakref.finalize(self, self._task.cancel).atexit = False
        events.stream.tie(self)

    @classmethod
    async def start(cls, stream: AsyncStream, config: ConnectionConfig, callbacks: WatchCallbacks) -> AsyncWatchHandle:
        events = AsyncEvents(stream)
        try:
            first = await events.read()  # "ready": the watch is in place
        except BaseException:
            await stream.aclose()
            raise
        handle = cls(events, config, callbacks)
        if first is not None:
            await handle._put(first)
        return handle

    async def _put(self, event: dict[str, Any]) -> None:
        converted = fs_event(event)
        if converted is not None:
            self._queue.put_nowait(converted)
            try:
                await _fire(self._callbacks.event(converted))
            except Exception:  # one failing callback must not end the watch for later events
                logger.exception("watch_dir on_event raised for %s; the watch goes on", converted)

    def _failed(self, error: SandboxException) -> None:
        if not self._stopped:
            self._error = self._error or error  # the first cause (a timeout closes the stream)

    async def _exit(self) -> None:
        """Call ``on_exit`` once, with the error that ended the watch (None if none did)."""
        if not self._exited:
            self._exited = True
            try:
                await _fire(self._callbacks.exit(self._error))
            except Exception:
                logger.exception("watch_dir on_exit raised")

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
            await self._events.stream.aclose()
            await self._exit()

    async def __aenter__(self) -> AsyncWatchHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _pump(ref: weakref.ref[AsyncWatchHandle], events: AsyncEvents, timeout: float | None) -> None:
    """Read a watch's events into its handle while the handle lives (for at most ``timeout`` seconds)."""
    try:
        async with asyncio.timeout(timeout):
            while (event := await events.read()) is not None:
                handle = ref()
                if handle is None:
                    return
                await handle._put(event)
                del handle
    except TimeoutError:
        await events.stream.aclose()
        if (handle := ref()) is not None:
            handle._failed(watch_expired(timeout))
    except httpx.HTTPError as exc:
        if (handle := ref()) is not None:
            handle._failed(error_for_transport(exc, handle._config))
    except SandboxException as exc:
        if (handle := ref()) is not None:
            handle._failed(exc)
    if (handle := ref()) is not None:
        handle._queue.put_nowait(None)
        await handle._exit()
