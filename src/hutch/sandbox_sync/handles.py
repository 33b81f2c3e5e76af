"""Handles for running commands, terminals, directory watches and streamed file reads (sync)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
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
    from hutch.sandbox_sync.commands import Commands
    from hutch.sandbox_sync.pty import Pty

C = TypeVar("C")
OwnerT = TypeVar("OwnerT")


def _fire(calls: list[Call]) -> None:
    for callback, value in calls:
        callback(value)


class _Handle(HandleBase[C, OwnerT]):
    """Reads the output stream in the caller's thread, lazily, re-attaching if it drops."""

    _open: Callable[[], Iterator[C]]
    _stream: Iterator[C] | None = None

    def _follow(self, extra: Callbacks[C] | None = None) -> Iterator[C]:
        if self._stream is None:
            self._stream = self._open()
        try:
            for chunk in self._stream:
                _fire(self._calls(chunk, extra))
                yield chunk
        except Exception:
            self._stream = None  # the next read re-attaches at the offset reached
            raise
        _fire(self._final_calls(extra))

    def _wait(self, extra: Callbacks[C] | None) -> CommandResult:
        if extra is not None:
            _fire(self._replay(self._state.chunks, extra))
        for _ in self._follow(extra):
            pass
        return self._result()

    def disconnect(self) -> None:
        """Stop reading the output; the process keeps running. Waiting or iterating later reads on
        from where it stopped."""
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "close"):
            stream.close()


class CommandHandle(CommandOutputMixin, _Handle[CommandChunk, "Commands"]):
    """A command started with ``background=True`` (or attached with ``commands.connect``).

    Iterate it for ``(stdout, stderr)`` chunks as they arrive (one of the two is None), or call
    :meth:`wait`. ``stdout``, ``stderr`` and ``exit_code`` tell what was read so far.
    """

    _owner: Commands

    def __iter__(self) -> Iterator[CommandChunk]:
        return self._follow()

    def wait(self, on_stdout: LineCallback | None = None, on_stderr: LineCallback | None = None) -> CommandResult:
        """Wait for the command to end; callbacks get every line (earlier output is replayed first).

        Raises:
            CommandExitException: if it exited with a non-zero code.
        """
        return self._wait(LineCallbacks.of(on_stdout, on_stderr))

    def kill(self) -> bool:
        """SIGKILL the command's process group; False if it had already ended."""
        return self._owner.kill(self.pid)

    def send_stdin(self, data: str | bytes) -> None:
        """Write to its stdin (it must have been started with ``stdin=True``)."""
        self._owner.send_stdin(self.pid, data)

    def close_stdin(self) -> None:
        """Close its stdin so that it reads end of file."""
        self._owner.close_stdin(self.pid)


class PtyHandle(_Handle[bytes, "Pty"]):
    """A terminal: iterate it for output bytes (or pass ``on_data``), type with :meth:`send_stdin`."""

    _owner: Pty

    def __iter__(self) -> Iterator[bytes]:
        return self._follow()

    def wait(self) -> CommandResult:
        """Wait for the terminal's shell to exit; ``stdout`` of the result is its output as text.

        Raises:
            CommandExitException: if it exited with a non-zero code.
        """
        return self._wait(None)

    def send_stdin(self, data: str | bytes) -> None:
        """Type into the terminal."""
        self._owner.send_stdin(self.pid, data)

    def resize(self, size: PtySize) -> None:
        """Set the terminal's rows and columns."""
        self._owner.resize(self.pid, size)

    def kill(self) -> bool:
        """SIGKILL the terminal; False if it had already ended."""
        return self._owner.kill(self.pid)


_END = object()


class WatchHandle:
    """Changes under a watched directory. Iterate it (blocks for the next event) or poll
    :meth:`get_new_events`; :meth:`stop` ends the watch. A background thread reads the stream."""

    def __init__(
        self,
        opened: AbstractContextManager[httpx.Response],
        events: Callable[[httpx.Response], Iterator[dict[str, Any]]],
        config: ConnectionConfig,
    ) -> None:
        self._opened = opened
        self._config = config
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: SandboxException | None = None
        self._stopped = threading.Event()
        self._lines = events(opened.__enter__())
        try:
            first = next(self._lines, None)  # "ready": the watch is in place
            if first is not None:
                self._put(first)
        except BaseException:
            opened.__exit__(None, None, None)
            raise
        self._thread = threading.Thread(target=self._pump, name="hutch-watch", daemon=True)
        self._thread.start()

    def _put(self, event: dict[str, Any]) -> None:
        converted = fs_event(event)
        if converted is not None:
            self._queue.put(converted)

    def _pump(self) -> None:
        try:
            for event in self._lines:
                self._put(event)
        except httpx.HTTPError as exc:
            if not self._stopped.is_set():
                self._error = error_for_transport(exc, self._config)
        except SandboxException as exc:
            if not self._stopped.is_set():
                self._error = exc
        finally:
            self._queue.put(_END)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __iter__(self) -> Iterator[FilesystemEvent]:
        while True:
            item = self._queue.get()
            if item is _END:
                self._queue.put(_END)
                self._raise_if_failed()
                return
            yield item

    def get_new_events(self) -> list[FilesystemEvent]:
        """Events that arrived since the last call, without waiting."""
        events: list[FilesystemEvent] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return events
            if item is _END:
                self._queue.put(_END)
                self._raise_if_failed()
                return events
            events.append(item)

    def stop(self) -> None:
        """End the watch and release its connection."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._opened.__exit__(None, None, None)
            self._thread.join(timeout=5)

    def __enter__(self) -> WatchHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FileStream:
    """The content of a file read with ``format="stream"``: an iterator of ``bytes`` chunks.

    Close it (or use it in a ``with`` block) if you stop before the end.
    """

    def __init__(self, opened: AbstractContextManager[httpx.Response], config: ConnectionConfig) -> None:
        self._opened = opened
        self._config = config
        self._chunks = opened.__enter__().iter_bytes()
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._closed:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except httpx.HTTPError as exc:
            self.close()
            raise error_for_transport(exc, self._config) from exc

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._opened.__exit__(None, None, None)

    def __enter__(self) -> FileStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
