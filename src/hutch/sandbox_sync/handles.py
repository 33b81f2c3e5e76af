"""Handles for running commands, terminals and directory watches (sync).

Hand-written on purpose, like its async twin ``sandbox_async/handles.py``: here the caller's thread
reads the output lazily (a watch is read by a thread), there a task reads it from the start.
``FileStream`` lives in the generated transport module and is re-exported here.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
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
from hutch.sandbox_sync._backend import fire as _fire
from hutch.sandbox_sync.transport import Events, Follow, Stream
from hutch.sandbox_sync.transport import FileStream as FileStream
from hutch.types import CommandResult, FilesystemEvent, PtySize

if TYPE_CHECKING:
    from hutch.sandbox_sync.commands import Commands
    from hutch.sandbox_sync.pty import Pty

C = TypeVar("C")
OwnerT = TypeVar("OwnerT")


class _Handle(HandleBase[C, OwnerT]):
    """Reads the output stream in the caller's thread, lazily, re-attaching if it drops."""

    _open: Callable[[], Follow[C]]
    _stream: Follow[C] | None = None

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

    def _wait(self, extra: Callbacks[C] | None) -> CommandResult:
        if extra is not None:
            _fire(self._replay(self._state.chunks, extra))
        for _ in self._follow(extra):
            pass
        return self._result()

    def _stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def disconnect(self) -> None:
        """Stop reading the output; the process keeps running. Waiting or iterating later reads on
        from where it stopped."""
        self._stop()


class CommandHandle(CommandOutputMixin, _Handle[CommandChunk, "Commands"]):
    """A command started with ``background=True`` (or attached with ``commands.connect``).

    Iterate it for ``(stdout, stderr, pty)`` chunks as they arrive (as in E2B: exactly one is not
    None; ``pty`` is always None for a command), or call :meth:`wait`. ``stdout``, ``stderr`` and
    ``exit_code`` tell what was read so far.
    """

    _owner: Commands

    def __iter__(self) -> Iterator[CommandChunk]:
        return self._follow()

    def wait(
        self,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        on_pty: Callable[[bytes], object] | None = None,
    ) -> CommandResult:
        """Wait for the command to end; callbacks get every chunk (earlier output is replayed first).
        ``on_pty`` (E2B's) is accepted and never called: a command has no terminal output.

        Raises:
            CommandExitException: if it exited with a non-zero code.
        """
        return self._wait(OutputCallbacks.of(on_stdout, on_stderr))

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

    def wait(self, on_pty: Callable[[bytes], object] | None = None) -> CommandResult:
        """Wait for the terminal's shell to exit; ``stdout`` of the result is its output as text. ``on_pty``
        (E2B's) gets every chunk of output bytes, the ones already read first.

        Raises:
            CommandExitException: if it exited with a non-zero code (TimeoutException when it was killed
            for running past its ``timeout``).
        """
        return self._wait(DataCallbacks.of(on_pty))

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
    :meth:`get_new_events`; :meth:`stop` ends the watch. ``on_event`` is called from the thread
    that reads the stream; that thread holds the handle only weakly, so that a handle collected
    without ``stop()`` hands its stream to the pool, which closes it at its next request.
    ``on_exit`` (E2B) is called once, from that thread, when the watch ends: with the error that
    ended it (a ``TimeoutException`` after ``timeout`` seconds), or None on ``stop()`` or a clean end."""

    def __init__(self, events: Events, config: ConnectionConfig, callbacks: WatchCallbacks) -> None:
        self._events = events
        self._config = config
        self._callbacks = callbacks
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: SandboxException | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=_pump, args=(weakref.ref(self), events), name="hutch-watch", daemon=True)
        self._timer: threading.Timer | None = None
        if callbacks.timeout is not None:
            self._timer = threading.Timer(callbacks.timeout, _expire, (weakref.ref(self), callbacks.timeout))
            self._timer.daemon = True
        events.stream.tie(self)

    @classmethod
    def start(cls, stream: Stream, config: ConnectionConfig, callbacks: WatchCallbacks) -> WatchHandle:
        events = Events(stream)
        try:
            first = events.read()  # "ready": the watch is in place
        except BaseException:
            stream.close()
            raise
        handle = cls(events, config, callbacks)
        if first is not None:
            handle._put(first)
        handle._thread.start()
        if handle._timer is not None:
            handle._timer.start()
        return handle

    def _put(self, event: dict[str, Any]) -> None:
        converted = fs_event(event)
        if converted is not None:
            self._queue.put(converted)
            try:
                _fire(self._callbacks.event(converted))
            except Exception:  # one failing callback must not end the watch for later events
                logger.exception("watch_dir on_event raised for %s; the watch goes on", converted)

    def _failed(self, error: SandboxException) -> None:
        if not self._stopped.is_set():
            self._error = self._error or error  # the first cause (a timeout closes the stream)

    def _exit(self) -> None:
        """Called once by the reading thread as it ends: ``on_exit`` with the error that ended the watch."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            _fire(self._callbacks.exit(self._error))
        except Exception:
            logger.exception("watch_dir on_exit raised")

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
            _wake_reader(self._events.stream)
            self._events.stream.close()
            if threading.current_thread() is not self._thread:  # stop() from on_event/on_exit
                self._thread.join(timeout=5)

    def __enter__(self) -> WatchHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pump(ref: weakref.ref[WatchHandle], events: Events) -> None:
    """Read a watch's events into its handle while the handle lives."""
    try:
        while (event := events.read()) is not None:
            handle = ref()
            if handle is None:
                return
            handle._put(event)
            del handle
    except httpx.HTTPError as exc:
        if (handle := ref()) is not None:
            handle._failed(error_for_transport(exc, handle._config))
    except SandboxException as exc:
        if (handle := ref()) is not None:
            handle._failed(exc)
    except (ValueError, RuntimeError):  # the stream was closed under this thread (stop, timeout or the pool)
        pass
    if (handle := ref()) is not None:
        handle._queue.put(_END)
        handle._exit()


def _expire(ref: weakref.ref[WatchHandle], timeout: float) -> None:
    """A watch's ``timeout`` ran out: end it with a TimeoutException (its reading thread then exits)."""
    if (handle := ref()) is not None:
        handle._failed(watch_expired(timeout))
        _wake_reader(handle._events.stream)
        handle._events.stream.close()


def _wake_reader(stream: Stream) -> None:
    """Shut the stream's socket down: closing it does not wake a thread blocked in its ``recv``, which
    would then wait for the server's next event (and the server never learns the watch ended)."""
    network = stream._response.extensions.get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
